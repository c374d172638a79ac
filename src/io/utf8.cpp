// File: io/utf8.cpp
//
// UTF-8 repair following the Unicode "maximal subpart" practice (Unicode
// Standard, chapter 3, "U+FFFD Substitution of Maximal Subparts"): a sequence
// that starts well but breaks off is replaced by one U+FFFD, and the byte that
// broke it is examined afresh as the start of the next sequence.
#include "io/utf8.hpp"

#include <algorithm>
#include <cstring>

#include "io/reader.hpp"

namespace doppel::io {
namespace detail {
namespace {

// Length of the well-formed prefix of a sequence starting at p[0] (a non-ASCII
// byte), and whether it is complete. Bounds come from Unicode Table 3-7.
struct SeqCheck {
  size_t consumed;  // bytes that belong to the (possibly partial) sequence, >= 1
  bool complete;
};

SeqCheck check_sequence(const unsigned char* p, size_t avail) {
  const unsigned char b0 = p[0];
  size_t need;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 3;
    if (b0 == 0xE0) lo = 0xA0;          // no overlongs
    else if (b0 == 0xED) hi = 0x9F;     // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 4;
    if (b0 == 0xF0) lo = 0x90;          // no overlongs
    else if (b0 == 0xF4) hi = 0x8F;     // nothing above U+10FFFF
  } else {
    return {1, false};  // stray continuation, C0/C1 overlong lead, F5..FF
  }
  size_t i = 1;
  for (; i < need && i < avail; ++i) {
    const unsigned char lower = (i == 1) ? lo : 0x80;
    const unsigned char upper = (i == 1) ? hi : 0xBF;
    if (p[i] < lower || p[i] > upper) return {i, false};
  }
  return {i, i == need};
}

}  // namespace

Utf8RepairDetail repair_utf8_detail(std::string_view bytes, std::string& out, bool replace_nul) {
  Utf8RepairDetail r;
  out.clear();
  out.reserve(bytes.size() + bytes.size() / 8 + 16);
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  size_t run_start = 0;  // start of the pending run of good bytes, copied in bulk
  size_t i = 0;
  while (i < n) {
    const unsigned char b = p[i];
    if (b >= 0x01 && b < 0x80) {
      ++i;
      continue;
    }
    if (b == 0x00) {
      if (!replace_nul) {
        ++i;
        continue;
      }
      out.append(bytes.data() + run_start, i - run_start);
      out.append(kReplacementChar);
      if (r.nuls++ == 0) r.first_nul_offset = i;
      run_start = ++i;
      continue;
    }
    const SeqCheck c = check_sequence(p + i, n - i);
    if (c.complete) {
      i += c.consumed;
      continue;
    }
    out.append(bytes.data() + run_start, i - run_start);
    out.append(kReplacementChar);
    if (r.invalid_sequences++ == 0) r.first_invalid_offset = i;
    i += c.consumed;
    run_start = i;
  }
  out.append(bytes.data() + run_start, n - run_start);
  return r;
}

uint32_t replace_nuls(std::string& s, uint64_t& first_offset) {
  const char* first = static_cast<const char*>(std::memchr(s.data(), '\0', s.size()));
  if (first == nullptr) return 0;
  first_offset = static_cast<uint64_t>(first - s.data());
  std::string out;
  out.reserve(s.size() + 16);
  uint32_t count = 0;
  size_t start = 0;
  while (true) {
    const void* hit = std::memchr(s.data() + start, '\0', s.size() - start);
    if (hit == nullptr) break;
    const size_t pos = static_cast<size_t>(static_cast<const char*>(hit) - s.data());
    out.append(s, start, pos - start);
    out.append(kReplacementChar);
    ++count;
    start = pos + 1;
  }
  out.append(s, start, std::string::npos);
  s.swap(out);
  return count;
}

}  // namespace detail

Utf8Repair repair_utf8(std::string_view bytes, std::string& out) {
  const detail::Utf8RepairDetail d = detail::repair_utf8_detail(bytes, out, /*replace_nul=*/true);
  Utf8Repair r;
  r.invalid_sequences = d.invalid_sequences;
  r.nuls = d.nuls;
  if (d.invalid_sequences > 0 && d.nuls > 0) {
    r.first_bad_offset = std::min(d.first_invalid_offset, d.first_nul_offset);
  } else if (d.invalid_sequences > 0) {
    r.first_bad_offset = d.first_invalid_offset;
  } else if (d.nuls > 0) {
    r.first_bad_offset = d.first_nul_offset;
  }
  return r;
}

}  // namespace doppel::io
