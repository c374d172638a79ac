// File: text/normalize.cpp
//
// NFKC + full case folding, computed one cluster at a time so that no heap
// allocation happens per character and every output byte knows which input
// character produced it.
//
// A cluster starts at a code point whose decomposition begins with a starter that
// cannot compose with anything before it; every following code point that is a
// non-starter, or a starter that may compose backwards (Hangul V/T jamo, some
// Indic vowel signs), joins it. Canonical reordering never crosses a starter and
// composition cannot reach past a starter that does not compose backwards, so
// normalising cluster by cluster gives exactly what whole-string NFKC would; the
// test compares against a whole-string reference to keep that claim honest.
//
// Whitespace, controls and format characters are handled before decomposition:
// they are never part of a cluster. Dropping a zero-width character therefore
// lets a following combining mark attach to the preceding letter, the same thing
// a second pass would do; that is what keeps normalize() idempotent.

#include "text/normalize.hpp"

#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include "core/isa.hpp"
#ifdef DOPPEL_X86_LEVELS
#include <immintrin.h>
#endif

#include "text/text_internal.hpp"

namespace doppel::text {
namespace {

constexpr auto kDecomposeOptions = static_cast<utf8proc_option_t>(
    UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_STABLE);
constexpr auto kComposeOptions = static_cast<utf8proc_option_t>(UTF8PROC_COMPOSE | UTF8PROC_STABLE);
constexpr auto kReferenceOptions = static_cast<utf8proc_option_t>(
    UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_STABLE);

// The longest NFKC + casefold expansion of one code point is 18 (U+FDFA); the
// stack buffer leaves room for future Unicode versions before the heap is used.
constexpr utf8proc_ssize_t kDecomposeStack = 32;

// What an ASCII byte becomes. kDrop and kSpace are below every printable byte so
// that the hot loop can test "printable" with a single comparison.
constexpr uint8_t kDrop = 0;
constexpr uint8_t kSpace = ' ';

constexpr std::array<uint8_t, 128> make_ascii_map() {
  std::array<uint8_t, 128> map{};
  for (int b = 0; b < 128; ++b) {
    if (b >= 'A' && b <= 'Z') {
      map[b] = static_cast<uint8_t>(b + ('a' - 'A'));
    } else if ((b >= 0x09 && b <= 0x0D) || b == ' ') {
      map[b] = kSpace;
    } else if (b < 0x20 || b == 0x7F) {
      map[b] = kDrop;
    } else {
      map[b] = static_cast<uint8_t>(b);
    }
  }
  return map;
}
constexpr std::array<uint8_t, 128> kAsciiMap = make_ascii_map();

constexpr uint64_t kHighBits = 0x8080808080808080ULL;

// Controls that Unicode counts as White_Space (everything else in Cc is dropped).
bool is_whitespace_control(int32_t cp) { return (cp >= 0x09 && cp <= 0x0D) || cp == 0x85; }

bool is_separator(utf8proc_propval_t category) {
  return category == UTF8PROC_CATEGORY_ZS || category == UTF8PROC_CATEGORY_ZL ||
         category == UTF8PROC_CATEGORY_ZP;
}

// Invalid bytes should have been repaired by the io layer; if one slips through
// it becomes U+FFFD rather than undefined behaviour.
size_t decode(const uint8_t* p, size_t avail, int32_t& cp) {
  utf8proc_int32_t value = 0;
  const utf8proc_ssize_t len = utf8proc_iterate(p, static_cast<utf8proc_ssize_t>(avail), &value);
  if (len <= 0) {
    cp = 0xFFFD;
    return 1;
  }
  cp = value;
  return static_cast<size_t>(len);
}

bool ascii_fast_eligible(const uint8_t* src, size_t i, size_t n) {
  // An ASCII byte followed by a non-ASCII byte may be the base of a combining
  // sequence ("e" + U+0301), so it must go through the cluster path. So must
  // one followed by a dropped control: "e\x01\u0301" is "é" once the control
  // is gone, and the cluster path looks through dropped characters.
  return src[i] < 0x80 &&
         (i + 1 == n || (src[i + 1] < 0x80 && kAsciiMap[src[i + 1]] != kDrop));
}

// Whether any of the eight bytes is non-ASCII or a control (exact when all are
// ASCII; a false alarm only costs a trip through the byte-at-a-time check).
bool has_non_ascii_or_control(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  const uint64_t below_space = (w - kOnes * 0x20) & ~w & kHighBits;
  const uint64_t is_delete = (w + kOnes) & kHighBits;  // 0x7F + 1 is the only ASCII carry into bit 7
  return ((w & kHighBits) | below_space | is_delete) != 0;
}

// Whether src[i..] starts with a CJK Unified Ideograph U+4E00..U+9FFF (lead
// byte E4..E9, which no overlong form or surrogate uses).
inline bool is_ideograph(const uint8_t* src, size_t i, size_t n) {
  if (n - i < 3 || static_cast<uint8_t>(src[i] - 0xE4) > 5) return false;
  if ((src[i + 1] & 0xC0) != 0x80 || (src[i + 2] & 0xC0) != 0x80) return false;
  return src[i] != 0xE4 || src[i + 1] >= 0xB8;  // U+4E00 is E4 B8 80
}

// Chinese and Japanese text is mostly these ideographs. Each is its own NFKC
// and case-folded form, has combining class 0, never composes with what comes
// before it and is the first half of no composition, so it comes out
// unchanged as long as nothing after it could join its cluster: the next
// character must be another ideograph, or ASCII other than a dropped control
// (the cluster path looks through those, see ascii_fast_eligible), or the end.
// The unit test checks these properties against utf8proc for the whole range.
inline bool ideograph_passes_through(const uint8_t* src, size_t i, size_t n) {
  if (!is_ideograph(src, i, n)) return false;
  const size_t next = i + 3;
  if (next == n) return true;
  if (src[next] < 0x80) return kAsciiMap[src[next]] != kDrop;
  return is_ideograph(src, next, n);
}

// The first `len` (1..16) of the sixteen bytes at src need nothing but
// lower-casing and whitespace mapped to ' ': each is printable ASCII or a
// single whitespace byte (space, tab, line break, VT, FF, CR: no two adjacent,
// nor next to the pending space), and whitespace does not open the text. The
// caller has made sure the last of them is eligible for the fast path. Writes
// the pending space (if any) and the bytes to dst, and returns how many bytes
// it produced; trailing whitespace is left pending as the byte loop would.
// Returns -1 and writes nothing useful when the bytes do not qualify. dst must
// have room for 17 bytes. With kLines, `newlines` gets a bit for every '\n'
// among the bytes (bit k: src[k]).
template <bool kLines>
inline int plain_bytes(const uint8_t* src, unsigned len, char* dst, bool& pending, bool have_output,
                       unsigned& newlines) {
  const unsigned valid = (1u << len) - 1;
#if defined(__SSE2__)
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src));
  if constexpr (kLines) {
    newlines = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('\n')))) & valid;
  }
  // Signed compares: bytes >= 0x80 are negative, so they fail every range.
  const __m128i printable =
      _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(0x20)), _mm_cmplt_epi8(v, _mm_set1_epi8(0x7F)));
  const __m128i white =
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')),
                   _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(0x08)), _mm_cmplt_epi8(v, _mm_set1_epi8(0x0E))));
  const unsigned spaces = static_cast<unsigned>(_mm_movemask_epi8(white)) & valid;
  if (((static_cast<unsigned>(_mm_movemask_epi8(printable)) | spaces) & valid) != valid) return -1;
#else
  unsigned spaces = 0;
  if constexpr (kLines) newlines = 0;
  for (unsigned k = 0; k < len; ++k) {
    if (src[k] >= 0x80 || kAsciiMap[src[k]] == kDrop) return -1;
    if (kAsciiMap[src[k]] == kSpace) spaces |= 1u << k;
    if (kLines && src[k] == '\n') newlines |= 1u << k;
  }
#endif
  if ((spaces & (spaces >> 1)) != 0) return -1;
  if ((spaces & 1u) != 0 && (pending || !have_output)) return -1;
  int produced = 0;
  if (pending) {
    *dst++ = ' ';
    produced = 1;
    pending = false;
  }
#if defined(__SSE2__)
  const __m128i upper =
      _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('A' - 1)), _mm_cmplt_epi8(v, _mm_set1_epi8('Z' + 1)));
  const __m128i lowered = _mm_add_epi8(v, _mm_and_si128(upper, _mm_set1_epi8(0x20)));
  const __m128i mapped = _mm_or_si128(_mm_andnot_si128(white, lowered), _mm_and_si128(white, _mm_set1_epi8(' ')));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), mapped);
#else
  for (unsigned k = 0; k < len; ++k) dst[k] = static_cast<char>(kAsciiMap[src[k]]);
#endif
  produced += static_cast<int>(len);
  if (((spaces >> (len - 1)) & 1u) != 0) {
    --produced;
    pending = true;
  }
  return produced;
}

// plain_bytes() for a whole block src[0..15] in the middle of the input:
// src[16] must be ASCII and not a dropped control, so src[15] is eligible.
template <bool kLines>
inline int plain_block(const uint8_t* src, char* dst, bool& pending, bool have_output, unsigned& newlines) {
  if (src[16] >= 0x80 || kAsciiMap[src[16]] == kDrop) return -1;
  return plain_bytes<kLines>(src, 16, dst, pending, have_output, newlines);
}

// plain_bytes() for the last 1..16 bytes of the input (len of them), which
// plain_block() cannot take because it needs to see the byte after the
// block: at the end of the input the last byte is always eligible. Lines are
// normalised one by one for boilerplate, so without this every short line
// would finish byte by byte.
template <bool kLines>
inline int plain_tail(const uint8_t* src, size_t len, char* dst, bool& pending, bool have_output,
                      unsigned& newlines) {
  // Filler bytes are plain letters: they pass every check and are never kept.
  uint8_t buf[16];
  std::memset(buf, 'x', sizeof buf);
  std::memcpy(buf, src, len);
  return plain_bytes<kLines>(buf, static_cast<unsigned>(len), dst, pending, have_output, newlines);
}

#ifdef DOPPEL_X86_LEVELS
// plain_block() sixty-four bytes at a time, as many blocks in a row as
// qualify, for CPUs with AVX-512 (x86-64-v4): one compare per class over the
// whole block, and no branch on whether a space is pending or the block ends
// in whitespace (both are folded into where the next block is written). Runs
// of whitespace (blank lines, double spaces) end a block early and are
// skipped, so prose with paragraphs stays on this path. Takes blocks from
// src[0..avail) while src[64] is eligible; w, pending and (with kLines) the
// break cursor advance as plain_block's callers advance them. Stops before a
// block whose line breaks do not fit before bw_end. Returns the bytes
// consumed.
template <bool kLines>
DOPPEL_V4 size_t plain_blocks_v4(const uint8_t* src, size_t avail, const char* begin, char*& w_io, bool& pending_io,
                                 uint32_t*& bw_io, const uint32_t* bw_end) {
  char* w = w_io;
  bool pending = pending_io;
  [[maybe_unused]] uint32_t* bw = bw_io;
  size_t i = 0;
  const __m512i space = _mm512_set1_epi8(' ');
  while (i + 65 <= avail) {
    const uint8_t next = src[i + 64];
    if (next >= 0x80 || kAsciiMap[next] == kDrop) break;
    const __m512i v = _mm512_loadu_si512(src + i);
    // Unsigned ranges: x - lo <= hi - lo. Bytes >= 0x80 fail both.
    const __mmask64 printable = _mm512_cmple_epu8_mask(_mm512_sub_epi8(v, _mm512_set1_epi8(0x21)),
                                                       _mm512_set1_epi8(0x7E - 0x21));
    const __mmask64 white = _mm512_cmpeq_epi8_mask(v, space) |
                            _mm512_cmple_epu8_mask(_mm512_sub_epi8(v, _mm512_set1_epi8(0x09)), _mm512_set1_epi8(4));
    if ((printable | white) != ~__mmask64{0}) break;
    // Whitespace that adds nothing: a byte right after another whitespace
    // byte, or one at the start while a space is pending or nothing is out.
    // The block is taken up to the first such byte (all of it when there is
    // none), and the whitespace run from there is skipped.
    uint64_t redundant = white & (white << 1);
    if ((white & 1) != 0 && (pending || w == begin)) redundant |= 1;
    const int take = redundant == 0 ? 64 : std::countr_zero(redundant);
    const int end = take == 64 ? 64 : take + std::countr_zero(~(white >> take));
    const __mmask64 upper = _mm512_cmple_epu8_mask(_mm512_sub_epi8(v, _mm512_set1_epi8('A')), _mm512_set1_epi8(25));
    __m512i mapped = _mm512_mask_add_epi8(v, upper, v, _mm512_set1_epi8(0x20));
    mapped = _mm512_mask_mov_epi8(mapped, white, space);
    if constexpr (kLines) {
      const uint64_t taken = take == 64 ? ~uint64_t{0} : (uint64_t{1} << take) - 1;
      const uint64_t consumed = end == 64 ? ~uint64_t{0} : (uint64_t{1} << end) - 1;
      const uint64_t newlines = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\n')) & consumed;
      if (static_cast<size_t>(bw_end - bw) < static_cast<size_t>(std::popcount(newlines))) break;
      // A break is where the text stands when its '\n' is met: in the taken
      // part, past the pending space; in the skipped run, at the end of the
      // taken part, whose last byte (whitespace) became the pending space.
      const auto at = static_cast<uint32_t>(w - begin) + (pending ? 1u : 0u);
      for (uint64_t nl = newlines & taken; nl != 0; nl &= nl - 1) *bw++ = at + static_cast<uint32_t>(std::countr_zero(nl));
      const auto after = take > 0 ? at + static_cast<uint32_t>(take - 1) : static_cast<uint32_t>(w - begin);
      for (uint64_t nl = newlines & ~taken; nl != 0; nl &= nl - 1) *bw++ = after;
    }
    if (take > 0) {
      // The pending space is written either way and kept only when pending.
      *w = ' ';
      w += pending ? 1 : 0;
      _mm512_storeu_si512(w, mapped);
      pending = ((white >> (take - 1)) & 1) != 0;
      w += take - (pending ? 1 : 0);
    }
    i += static_cast<size_t>(end);
  }
  w_io = w;
  pending_io = pending;
  if constexpr (kLines) bw_io = bw;
  return i;
}
#endif  // DOPPEL_X86_LEVELS

// The growing output: text plus, when asked for, one origin per byte and the
// line breaks. Capacity is managed in bulk so that the ASCII loop writes
// without bounds checks.
template <bool kOffsets, bool kLines>
class Output {
 public:
  // Room past the output for a sixteen-byte store that starts at its last byte.
  static constexpr size_t kSlack = 17;

  // wide: take plain_blocks_v4() where it applies (the CPU must run x86-64-v4).
  Output(NormalizedText& out, size_t input_size, bool wide) : out_(out), wide_(wide) {
    // text is not cleared: resizing it then only zero-fills what grows past
    // the last result, and every byte below len_ is written before finish().
    out_.original_offset.clear();
    if constexpr (kLines) {
      // Room for lines of 64 bytes on average, grown where a text has shorter
      // ones: counting the '\n' first took a pass over every text of its own.
      // Every write checks the room first, since the ASCII loops store a
      // break at every whitespace byte and count it only for a '\n' (see
      // ascii_run), so they need room for one past the last break.
      out_.line_breaks.resize(input_size / 64 + 17);
      breaks_ = out_.line_breaks.data();
      breaks_end_ = breaks_ + out_.line_breaks.size();
    } else {
      out_.line_breaks.clear();
    }
    grow(input_size + kSlack);
  }
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  void reserve_more(size_t extra) {
    if (cap_ - len_ < extra) grow(len_ + extra);
  }

  // Starts (or extends) a whitespace run; leading whitespace is never emitted.
  void space(uint32_t origin) {
    if (len_ != 0 && !pending_) {
      pending_ = true;
      pending_origin_ = origin;
    }
  }

  // A '\n' of the original, reached with no cluster open: whatever the lines
  // before it produced is out, and its own space is at most pending.
  void line_break() {
    if constexpr (kLines) {
      if (breaks_ + breaks_len_ == breaks_end_) grow_breaks(breaks_len_ + 1);
      breaks_[breaks_len_++] = static_cast<uint32_t>(len_);
    }
  }

  // One composed code point of a cluster; the caller reserved room for it.
  void put_code_point(int32_t cp, uint32_t origin) {
    if (cp >= 0x80) {
      const int32_t mapped = internal::map_punctuation(cp);
      if (mapped >= 0x80) {
        put_pending_space();
        auto* dst = reinterpret_cast<utf8proc_uint8_t*>(data_ + len_);
        const auto bytes = static_cast<size_t>(utf8proc_encode_char(mapped, dst));
        if constexpr (kOffsets) std::fill(offsets_ + len_, offsets_ + len_ + bytes, origin);
        len_ += bytes;
        return;
      }
      cp = mapped;
    }
    const uint8_t m = kAsciiMap[static_cast<size_t>(cp)];
    if (m > kSpace) {
      put_pending_space();
      put_byte(m, origin);
    } else if (m == kSpace) {
      space(origin);
    }
  }

  // Three bytes copied as they are (see ideograph_passes_through).
  void put_ideograph(const uint8_t* src, uint32_t origin) {
    reserve_more(4);
    put_pending_space();
    std::memcpy(data_ + len_, src, 3);
    if constexpr (kOffsets) std::fill(offsets_ + len_, offsets_ + len_ + 3, origin);
    len_ += 3;
  }

  // Consumes the ASCII bytes from i on that need no utf8proc; returns where it stopped.
  size_t ascii_run(const uint8_t* src, size_t i, size_t n) {
    reserve_more(n - i + kSlack);  // ASCII output never exceeds its input, plus one space
    char* const begin = data_;
    char* w = data_ + len_;
    uint32_t* ow = kOffsets ? offsets_ + len_ : nullptr;
    bool pending = pending_;
    uint32_t pending_origin = pending_origin_;
    uint32_t* bw = kLines ? breaks_ + breaks_len_ : nullptr;
    // Before every group of `bytes` input bytes: each may store a break.
    [[maybe_unused]] auto room_for_breaks = [&](size_t bytes) {
      if constexpr (kLines) {
        if (static_cast<size_t>(breaks_end_ - bw) < bytes) [[unlikely]] {
          const auto at = static_cast<size_t>(bw - breaks_);
          grow_breaks(at + bytes);
          bw = breaks_ + at;
        }
      }
    };
    auto step = [&](size_t k) {
      const uint8_t m = kAsciiMap[src[k]];
      if (m > kSpace) {
        if (pending) {
          *w++ = ' ';
          if constexpr (kOffsets) *ow++ = pending_origin;
          pending = false;
        }
        *w++ = static_cast<char>(m);
        if constexpr (kOffsets) *ow++ = static_cast<uint32_t>(k);
      } else if (m == kSpace) {
        if constexpr (kLines) {
          // Stored for every whitespace byte and kept for a '\n' only: a
          // branch between ' ' and '\n' would be mispredicted all the time.
          *bw = static_cast<uint32_t>(w - begin);
          bw += src[k] == '\n';
        }
        if (!pending && w != begin) {
          pending = true;
          pending_origin = static_cast<uint32_t>(k);
        }
      }
    };
    // After plain_bytes() wrote a block at w: its k-th byte, when a '\n', went
    // to w + k, behind the pending space it may have written first (it never
    // takes a '\n' while a space is pending at k = 0).
    [[maybe_unused]] auto block_breaks = [&](unsigned newlines, bool had_pending) {
      const auto at = static_cast<uint32_t>(w - begin) + (had_pending ? 1u : 0u);
      if ((newlines & (newlines - 1)) == 0) {
        // None or one, as in all but very short lines: without a branch on
        // which, since about one block in four of wrapped prose has one.
        *bw = at + static_cast<uint32_t>(std::countr_zero(newlines));
        bw += newlines != 0;
        return;
      }
      for (; newlines != 0; newlines &= newlines - 1) {
        *bw++ = at + static_cast<uint32_t>(std::countr_zero(newlines));
      }
    };
    for (;;) {
      // With the wide loop, the narrower loops below only take the few bytes
      // that stopped it (a double space, a blank line, a control) before it
      // is tried again.
      size_t narrow_end = n;
      if constexpr (!kOffsets) {
#ifdef DOPPEL_X86_LEVELS
        if (wide_) {
          i += plain_blocks_v4<kLines>(src + i, n - i, begin, w, pending, bw, breaks_end_);
          narrow_end = std::min(n, i + 64);
        }
#endif
        // Sixteen plain bytes at a time: printable ASCII and single spaces
        // come out lower-cased and otherwise unchanged (see plain_block).
        unsigned newlines = 0;
        bool narrow_done = false;
        while (i + 17 <= n) {
          if (i >= narrow_end) {
            narrow_done = true;
            break;
          }
          room_for_breaks(16);
          const bool had_pending = pending;
          const int out_bytes = plain_block<kLines>(src + i, w, pending, w != begin, newlines);
          if (out_bytes < 0) break;
          if constexpr (kLines) block_breaks(newlines, had_pending);
          w += out_bytes;
          i += 16;
        }
        if (narrow_done) continue;
        if (i < n && n - i <= 16) {
          room_for_breaks(16);
          const bool had_pending = pending;
          const int out_bytes = plain_tail<kLines>(src + i, n - i, w, pending, w != begin, newlines);
          if (out_bytes >= 0) {
            if constexpr (kLines) block_breaks(newlines, had_pending);
            w += out_bytes;
            i = n;
            break;
          }
        }
      }
      // Bytes i..i+7 are eligible when they are ASCII and i+1..i+8 are ASCII
      // and not controls (whitespace controls are rejected too; they are
      // rare enough to take the single-byte check below).
      while (i + 9 <= n && i < narrow_end) {
        uint64_t a = 0;
        uint64_t b = 0;
        std::memcpy(&a, src + i, 8);
        std::memcpy(&b, src + i + 1, 8);
        if (((a & kHighBits) != 0) || has_non_ascii_or_control(b)) break;
        room_for_breaks(8);
        for (size_t k = 0; k < 8; ++k) step(i + k);
        i += 8;
      }
      // Byte by byte past what stopped the wider loops (a run of whitespace,
      // a control), sixteen bytes before trying them again.
      room_for_breaks(16);
      for (const size_t stop = std::min(n, i + 16); i < stop && ascii_fast_eligible(src, i, n); ++i) step(i);
      if (i >= n || !ascii_fast_eligible(src, i, n)) break;
    }
    len_ = static_cast<size_t>(w - data_);
    pending_ = pending;
    pending_origin_ = pending_origin;
    if constexpr (kLines) breaks_len_ = static_cast<size_t>(bw - breaks_);
    return i;
  }

  void finish(size_t original_size) {
    out_.text.resize(len_);
    if constexpr (kOffsets) {
      out_.original_offset.resize(len_ + 1);
      out_.original_offset[len_] = static_cast<uint32_t>(original_size);
    }
    if constexpr (kLines) out_.line_breaks.resize(breaks_len_);
  }

 private:
  void put_byte(uint8_t b, uint32_t origin) {
    data_[len_] = static_cast<char>(b);
    if constexpr (kOffsets) offsets_[len_] = origin;
    ++len_;
  }

  void put_pending_space() {
    if (pending_) {
      put_byte(' ', pending_origin_);
      pending_ = false;
    }
  }

  void grow_breaks(size_t need) {
    out_.line_breaks.resize(std::max(need, out_.line_breaks.size() * 2));
    breaks_ = out_.line_breaks.data();
    breaks_end_ = breaks_ + out_.line_breaks.size();
  }

  void grow(size_t need) {
    cap_ = std::max(need, cap_ * 2);
    out_.text.resize(cap_);
    data_ = out_.text.data();
    if constexpr (kOffsets) {
      out_.original_offset.resize(cap_ + 1);
      offsets_ = out_.original_offset.data();
    }
  }

  NormalizedText& out_;
  char* data_ = nullptr;
  uint32_t* offsets_ = nullptr;
  size_t len_ = 0;
  size_t cap_ = 0;
  bool pending_ = false;
  uint32_t pending_origin_ = 0;
  uint32_t* breaks_ = nullptr;  // out_.line_breaks: breaks_len_ breaks, then room
  uint32_t* breaks_end_ = nullptr;
  size_t breaks_len_ = 0;
  bool wide_ = false;
};

// Collects the decomposed code points of one cluster and emits them composed.
template <bool kOffsets, bool kLines>
class Clusterer {
 public:
  explicit Clusterer(Output<kOffsets, kLines>& out) : out_(out) {}
  Clusterer(const Clusterer&) = delete;
  Clusterer& operator=(const Clusterer&) = delete;

  void add(int32_t cp, uint32_t origin) {
    const utf8proc_property_t* prop = utf8proc_get_property(cp);
    switch (prop->category) {
      case UTF8PROC_CATEGORY_CC:
        if (is_whitespace_control(cp)) {
          flush();
          if (cp == '\n') out_.line_break();
          out_.space(origin);
        }
        return;
      case UTF8PROC_CATEGORY_CF:
        return;
      case UTF8PROC_CATEGORY_ZS:
      case UTF8PROC_CATEGORY_ZL:
      case UTF8PROC_CATEGORY_ZP:
        flush();
        out_.space(origin);
        return;
      default:
        break;
    }
    const int32_t mapped = internal::map_punctuation(cp);
    if (mapped != cp) {
      cp = mapped;
      prop = utf8proc_get_property(cp);
    }

    utf8proc_int32_t stack[kDecomposeStack];
    const utf8proc_int32_t* d = stack;
    int boundclass = 0;  // only read with UTF8PROC_CHARBOUND
    utf8proc_ssize_t count =
        utf8proc_decompose_char(cp, stack, kDecomposeStack, kDecomposeOptions, &boundclass);
    if (count > kDecomposeStack) {
      spill_.resize(static_cast<size_t>(count));
      count = utf8proc_decompose_char(cp, spill_.data(), count, kDecomposeOptions, &boundclass);
      d = spill_.data();
    }
    if (count <= 0) return;  // only for invalid code points, which decode() never yields

    const auto ccc_of = [&](int32_t c) {
      return static_cast<uint8_t>(c == cp ? prop->combining_class
                                          : utf8proc_get_property(c)->combining_class);
    };
    const uint8_t first_ccc = ccc_of(d[0]);
    if (first_ccc == 0 && !internal::is_backward_combining(d[0])) {
      flush();
      origin_ = origin;
    } else if (len_ == 0) {
      origin_ = origin;  // a mark with nothing before it opens its own cluster
    }
    append(d[0], first_ccc);
    for (utf8proc_ssize_t k = 1; k < count; ++k) append(d[k], ccc_of(d[k]));
  }

  void flush() {
    if (len_ == 0) return;
    auto len = static_cast<utf8proc_ssize_t>(len_);
    if (len > 1) {
      reorder();
      const utf8proc_ssize_t composed = utf8proc_normalize_utf32(cps_, len, kComposeOptions);
      if (composed > 0) len = composed;
    }
    out_.reserve_more(static_cast<size_t>(len) * 4 + 1);
    for (utf8proc_ssize_t k = 0; k < len; ++k) out_.put_code_point(cps_[k], origin_);
    len_ = 0;
  }

 private:
  static constexpr size_t kInline = 128;
  static constexpr size_t kInsertionSortMax = 32;

  void append(int32_t cp, uint8_t ccc) {
    if (len_ == cap_) grow();
    cps_[len_] = cp;
    ccc_[len_] = ccc;
    ++len_;
  }

  // Only clusters with over a hundred combining marks get here.
  void grow() {
    if (cps_ == inline_cps_) {
      heap_cps_.assign(inline_cps_, inline_cps_ + len_);
      heap_ccc_.assign(inline_ccc_, inline_ccc_ + len_);
    }
    cap_ *= 2;
    heap_cps_.resize(cap_);
    heap_ccc_.resize(cap_);
    cps_ = heap_cps_.data();
    ccc_ = heap_ccc_.data();
  }

  // Canonical ordering: each run of non-starters stably sorted by combining class.
  void reorder() {
    size_t k = 0;
    while (k < len_) {
      if (ccc_[k] == 0) {
        ++k;
        continue;
      }
      const size_t begin = k;
      while (k < len_ && ccc_[k] != 0) ++k;
      if (k - begin > 1) sort_run(begin, k);
    }
  }

  void sort_run(size_t begin, size_t end) {
    if (end - begin <= kInsertionSortMax) {
      for (size_t a = begin + 1; a < end; ++a) {
        const int32_t cp = cps_[a];
        const uint8_t ccc = ccc_[a];
        size_t b = a;
        for (; b > begin && ccc_[b - 1] > ccc; --b) {
          cps_[b] = cps_[b - 1];
          ccc_[b] = ccc_[b - 1];
        }
        cps_[b] = cp;
        ccc_[b] = ccc;
      }
      return;
    }
    std::vector<std::pair<uint8_t, int32_t>> run;
    run.reserve(end - begin);
    for (size_t a = begin; a < end; ++a) run.emplace_back(ccc_[a], cps_[a]);
    std::stable_sort(run.begin(), run.end(),
                     [](const auto& x, const auto& y) { return x.first < y.first; });
    for (size_t a = begin; a < end; ++a) {
      ccc_[a] = run[a - begin].first;
      cps_[a] = run[a - begin].second;
    }
  }

  Output<kOffsets, kLines>& out_;
  utf8proc_int32_t inline_cps_[kInline];
  uint8_t inline_ccc_[kInline];
  std::vector<utf8proc_int32_t> heap_cps_;
  std::vector<uint8_t> heap_ccc_;
  std::vector<utf8proc_int32_t> spill_;
  utf8proc_int32_t* cps_ = inline_cps_;
  uint8_t* ccc_ = inline_ccc_;
  size_t len_ = 0;
  size_t cap_ = kInline;
  uint32_t origin_ = 0;
};

template <bool kOffsets, bool kAsciiFast, bool kLines>
void normalize_impl(std::string_view original, NormalizedText& result, bool wide) {
  const auto* src = reinterpret_cast<const uint8_t*>(original.data());
  const size_t n = original.size();
  Output<kOffsets, kLines> out(result, n, wide);
  Clusterer<kOffsets, kLines> clusters(out);
  size_t i = 0;
  while (i < n) {
    if constexpr (kAsciiFast) {
      i = out.ascii_run(src, i, n);
      if (i >= n) break;
    }
    do {
      if constexpr (kAsciiFast) {
        if (ideograph_passes_through(src, i, n)) {
          clusters.flush();
          out.put_ideograph(src + i, static_cast<uint32_t>(i));
          i += 3;
          continue;
        }
      }
      int32_t cp = 0;
      const size_t len = decode(src + i, n - i, cp);
      clusters.add(cp, static_cast<uint32_t>(i));
      i += len;
    } while (i < n && !(kAsciiFast && ascii_fast_eligible(src, i, n)));
    clusters.flush();
  }
  clusters.flush();
  out.finish(n);
}

template <bool kAsciiFast>
void normalize_with(std::string_view original, NormalizedText& out, bool with_offsets, bool with_line_breaks,
                    bool wide) {
  if (with_offsets && with_line_breaks) {
    normalize_impl<true, kAsciiFast, true>(original, out, wide);
  } else if (with_offsets) {
    normalize_impl<true, kAsciiFast, false>(original, out, wide);
  } else if (with_line_breaks) {
    normalize_impl<false, kAsciiFast, true>(original, out, wide);
  } else {
    normalize_impl<false, kAsciiFast, false>(original, out, wide);
  }
}

bool wide_blocks_for(core::Isa isa) {
#ifdef DOPPEL_X86_LEVELS
  return isa == core::Isa::kX86V4;
#else
  (void)isa;
  return false;
#endif
}

void append_utf8(std::string& s, int32_t cp) {
  utf8proc_uint8_t buf[4];
  const utf8proc_ssize_t len = utf8proc_encode_char(cp, buf);
  s.append(reinterpret_cast<const char*>(buf), static_cast<size_t>(len));
}

}  // namespace

void normalize(std::string_view original, NormalizedText& out, bool with_offsets, bool with_line_breaks) {
  static const bool wide = wide_blocks_for(core::supported_isas().front());
  normalize_with<true>(original, out, with_offsets, with_line_breaks, wide);
}

namespace internal {

int32_t map_punctuation(int32_t cp) {
  switch (cp) {
    case 0x02BC:  // modifier letter apostrophe
    case 0x2018:
    case 0x2019:
    case 0x201A:
    case 0x201B:
    case 0x2032:  // prime
    case 0x2035:  // reversed prime
    case 0x2039:  // single angle quotation marks
    case 0x203A:
    case 0xFF07:  // fullwidth apostrophe
      return '\'';
    case 0x00AB:
    case 0x00BB:
    case 0x201C:
    case 0x201D:
    case 0x201E:
    case 0x201F:
    case 0x2033:  // double prime
    case 0x2036:  // reversed double prime
    case 0x301D:  // CJK double prime quotation marks
    case 0x301E:
    case 0x301F:
    case 0xFF02:  // fullwidth quotation mark
      return '"';
    case 0x2010:
    case 0x2011:
    case 0x2012:
    case 0x2013:
    case 0x2014:
    case 0x2015:
    case 0x2212:  // minus sign
    case 0x2E3A:  // two- and three-em dash
    case 0x2E3B:
    case 0xFE31:  // vertical em and en dash
    case 0xFE32:
    case 0xFE58:  // small em dash
    case 0xFE63:  // small hyphen-minus
    case 0xFF0D:  // fullwidth hyphen-minus
      return '-';
    default:
      return cp;
  }
}

bool is_backward_combining(int32_t cp) {
  // Second halves of canonical compositions whose combining class is 0; the unit
  // test re-derives this list from utf8proc's data, so an upgrade that adds one
  // fails loudly instead of silently breaking idempotence.
  static constexpr int32_t kSecondHalves[] = {
      0x09BE,  0x09D7,  0x0B3E,  0x0B56,  0x0B57,  0x0BBE,  0x0BD7,  0x0CC2,
      0x0CD5,  0x0CD6,  0x0D3E,  0x0D57,  0x0DCF,  0x0DDF,  0x0FB5,  0x0FB7,
      0x102E,  0x1B35,  0x11127, 0x1133E, 0x11357, 0x114B0, 0x114BA, 0x114BD,
      0x115AF, 0x11930};
  if (cp < 0x09BE) return false;
  if ((cp >= 0x1161 && cp <= 0x1175) || (cp >= 0x11A8 && cp <= 0x11C2)) return true;  // Hangul V, T
  if (cp > 0x1B35 && cp < 0x11127) return false;
  return std::find(std::begin(kSecondHalves), std::end(kSecondHalves), cp) !=
         std::end(kSecondHalves);
}

void normalize_without_ascii_fast_path(std::string_view original, NormalizedText& out,
                                       bool with_offsets, bool with_line_breaks) {
  normalize_with<false>(original, out, with_offsets, with_line_breaks, false);
}

void normalize_with_isa(core::Isa isa, std::string_view original, NormalizedText& out, bool with_offsets,
                        bool with_line_breaks) {
  normalize_with<true>(original, out, with_offsets, with_line_breaks, wide_blocks_for(isa));
}

std::string normalize_reference(std::string_view original) {
  const auto* src = reinterpret_cast<const uint8_t*>(original.data());
  std::string filtered;
  for (size_t i = 0; i < original.size();) {
    int32_t cp = 0;
    i += decode(src + i, original.size() - i, cp);
    const utf8proc_category_t category = utf8proc_category(cp);
    if (category == UTF8PROC_CATEGORY_CC) {
      if (is_whitespace_control(cp)) filtered += ' ';
    } else if (is_separator(category)) {
      filtered += ' ';
    } else if (category != UTF8PROC_CATEGORY_CF) {
      append_utf8(filtered, map_punctuation(cp));
    }
  }

  utf8proc_uint8_t* mapped = nullptr;
  const utf8proc_ssize_t mapped_len =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(filtered.data()),
                   static_cast<utf8proc_ssize_t>(filtered.size()), &mapped, kReferenceOptions);
  std::string result;
  if (mapped_len < 0) return result;
  bool pending_space = false;
  for (utf8proc_ssize_t i = 0; i < mapped_len;) {
    int32_t cp = 0;
    i += static_cast<utf8proc_ssize_t>(decode(mapped + i, static_cast<size_t>(mapped_len - i), cp));
    cp = map_punctuation(cp);
    const utf8proc_category_t category = utf8proc_category(cp);
    if (is_separator(category) || is_whitespace_control(cp)) {
      pending_space = pending_space || !result.empty();
      continue;
    }
    if (category == UTF8PROC_CATEGORY_CC || category == UTF8PROC_CATEGORY_CF) continue;
    if (pending_space) result += ' ';
    pending_space = false;
    append_utf8(result, cp);
  }
  std::free(mapped);
  return result;
}

}  // namespace internal
}  // namespace doppel::text
