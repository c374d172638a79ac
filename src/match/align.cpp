// File: match/align.cpp
// Passage alignment: seed with shared token windows, extend to maximal runs,
// keep the longest non-overlapping runs (greedy string tiling), then map the token
// ranges back to byte and code point offsets in the original texts.
#include "match/align.hpp"

#include <algorithm>
#include <cstddef>
#include <tuple>
#include <utility>

namespace doppel::match {

namespace {

// A window that occurs more often than this in B is seeded from its first
// kMaxOccurrences positions only: highly repetitive text (a refrain, boilerplate,
// "a a a a ...") would otherwise make the seed count quadratic. Later occurrences
// can still be reached by extension from seeds at neighbouring positions.
constexpr size_t kMaxOccurrences = 64;

// Extension work (token comparisons) allowed per input token before switching to a
// cheaper mode that only seeds from A positions not yet inside any found run. Only
// pathological inputs (long periodic texts) reach it; ordinary pairs never do.
constexpr uint64_t kWorkPerToken = 4 * kMaxOccurrences;
constexpr uint64_t kWorkFloor = uint64_t{1} << 20;

// Odd multiplier for the polynomial window hash. Collisions are harmless: every
// seed is verified token by token before it is used.
constexpr uint64_t kWindowMul = 0x9e3779b97f4a7c15ULL;

struct Run {
  uint32_t a_start;
  uint32_t b_start;
  uint32_t len;
};

struct WindowPos {
  uint64_t hash;
  uint32_t pos;
};

// Hashes of every window of `n` consecutive tokens, in position order.
std::vector<uint64_t> window_hashes(const std::vector<uint64_t>& t, size_t n) {
  std::vector<uint64_t> out;
  if (t.size() < n) return out;
  out.reserve(t.size() - n + 1);
  uint64_t top = 1;  // kWindowMul^(n-1): weight of the token leaving the window
  for (size_t k = 1; k < n; ++k) top *= kWindowMul;
  uint64_t h = 0;
  for (size_t k = 0; k < n; ++k) h = h * kWindowMul + t[k];
  out.push_back(h);
  for (size_t j = n; j < t.size(); ++j) {
    h = (h - t[j - n] * top) * kWindowMul + t[j];
    out.push_back(h);
  }
  return out;
}

std::vector<uint64_t> token_hashes(std::span<const text::Token> tokens) {
  std::vector<uint64_t> out;
  out.reserve(tokens.size());
  for (const auto& t : tokens) out.push_back(t.hash);
  return out;
}

// All maximal common runs reachable from shared windows (see kMaxOccurrences).
std::vector<Run> find_runs(const std::vector<uint64_t>& ta, const std::vector<uint64_t>& tb,
                           size_t n) {
  std::vector<Run> runs;
  if (ta.size() < n || tb.size() < n) return runs;

  const auto hb = window_hashes(tb, n);
  std::vector<WindowPos> index;
  index.reserve(hb.size());
  for (size_t j = 0; j < hb.size(); ++j) index.push_back({hb[j], static_cast<uint32_t>(j)});
  std::sort(index.begin(), index.end(), [](const WindowPos& x, const WindowPos& y) {
    return x.hash != y.hash ? x.hash < y.hash : x.pos < y.pos;
  });
  const auto ha = window_hashes(ta, n);

  const size_t na = ta.size(), nb = tb.size();
  // Diagonal d = a - b, stored at d + nb - 1. covered[d] is the A end of the last
  // maximal run found on that diagonal: runs on one diagonal are disjoint and found
  // in A order, so an A position below it lies inside that run and would only
  // rediscover it.
  std::vector<uint32_t> covered(na + nb, 0);
  uint32_t covered_any = 0;  // max A end of any run found so far
  const uint64_t budget = kWorkPerToken * (na + nb) + kWorkFloor;
  uint64_t work = 0;

  for (size_t i = 0; i < ha.size(); ++i) {
    const bool cheap = work > budget;
    if (cheap && i < covered_any) continue;
    auto lo = std::lower_bound(index.begin(), index.end(), ha[i],
                               [](const WindowPos& w, uint64_t h) { return w.hash < h; });
    size_t seen = 0;
    for (auto it = lo; it != index.end() && it->hash == ha[i] && seen < kMaxOccurrences;
         ++it, ++seen) {
      const size_t j = it->pos;
      const size_t diag = i + nb - 1 - j;
      if (i < covered[diag]) continue;
      if (cheap && i < covered_any) break;
      size_t fwd = 0;
      while (i + fwd < na && j + fwd < nb && ta[i + fwd] == tb[j + fwd]) ++fwd;
      work += fwd + 1;
      if (fwd < n) continue;  // window hash collision, not a real seed
      // Back extension normally stops at the previous run on this diagonal by
      // itself; in cheap mode it is also kept out of already covered A positions.
      const size_t back_limit = cheap ? covered_any : 0;
      size_t back = 0;
      while (i - back > back_limit && j - back > 0 && ta[i - back - 1] == tb[j - back - 1]) ++back;
      work += back;
      const Run run{static_cast<uint32_t>(i - back), static_cast<uint32_t>(j - back),
                    static_cast<uint32_t>(back + fwd)};
      runs.push_back(run);
      covered[diag] = run.a_start + run.len;
      covered_any = std::max(covered_any, run.a_start + run.len);
    }
  }
  return runs;
}

uint64_t position_key(const Run& r) { return (uint64_t{r.a_start} << 32) | r.b_start; }

// Greedy string tiling: longest runs first (ties: smaller A, then smaller B
// start); a run touching an accepted one in either document is dropped rather
// than trimmed.
//
// Candidates can number up to kMaxOccurrences per A token on text with a small
// alphabet (character tokens), so both steps are kept linear:
//  - runs come out of find_runs almost always in position order, so the
//    position sort is usually just a check, and a stable counting sort by
//    length then gives the tiling order;
//  - every accepted run is at least as long as the candidate, so a candidate
//    clashes with one exactly when one of its two end tokens is already taken
//    (an accepted run strictly inside it would be shorter): two lookups in a
//    per-token occupancy array instead of an interval search.
std::vector<Run> tile(std::vector<Run> runs, size_t na, size_t nb) {
  auto by_position = [](const Run& x, const Run& y) { return position_key(x) < position_key(y); };
  if (!std::is_sorted(runs.begin(), runs.end(), by_position)) {
    std::sort(runs.begin(), runs.end(), by_position);
  }
  uint32_t max_len = 0;
  for (const Run& r : runs) max_len = std::max(max_len, r.len);
  // first[len] = where runs of that length start in the order; longest first.
  std::vector<uint32_t> first(size_t{max_len} + 2, 0);
  for (const Run& r : runs) ++first[max_len - r.len + 1];
  for (size_t k = 1; k < first.size(); ++k) first[k] += first[k - 1];
  std::vector<uint32_t> order(runs.size());
  for (uint32_t k = 0; k < runs.size(); ++k) order[first[max_len - runs[k].len]++] = k;

  std::vector<Run> accepted;
  std::vector<uint8_t> taken_a(na, 0), taken_b(nb, 0);
  for (uint32_t k : order) {
    const Run& r = runs[k];
    const uint32_t last = r.len - 1;
    if (taken_a[r.a_start] || taken_a[r.a_start + last]) continue;
    if (taken_b[r.b_start] || taken_b[r.b_start + last]) continue;
    std::fill_n(taken_a.begin() + r.a_start, r.len, uint8_t{1});
    std::fill_n(taken_b.begin() + r.b_start, r.len, uint8_t{1});
    accepted.push_back(r);
  }
  std::sort(accepted.begin(), accepted.end(),
            [](const Run& x, const Run& y) { return x.a_start < y.a_start; });
  return accepted;
}

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// First character boundary of `s` at or after `pos` (clamped to its size).
uint64_t boundary_at_or_after(std::string_view s, uint64_t pos) {
  while (pos < s.size() && is_continuation(s[pos])) ++pos;
  return std::min<uint64_t>(pos, s.size());
}

// Maps token ranges of one document to original byte offsets. Defensive about
// inputs that break the contract (no offset map, out-of-range spans): the result
// is then approximate but always within the original and on character boundaries.
class OffsetMapper {
 public:
  explicit OffsetMapper(const AlignInput& in) : in_(in) {
    if (in.normalized != nullptr) {
      norm_size_ = in.normalized->text.size();
      const auto& map = in.normalized->original_offset;
      has_map_ = !map.empty() && map.size() == norm_size_ + 1;
    } else {
      norm_size_ = in.original.size();
    }
  }

  // Original bytes [begin, end) covered by tokens [s, s + len).
  std::pair<uint64_t, uint64_t> map(uint32_t s, uint32_t len) const {
    const uint64_t nbegin = std::min<uint64_t>(in_.tokens[s].begin, norm_size_);
    const uint64_t nend =
        std::max(nbegin, std::min<uint64_t>(in_.tokens[s + len - 1].end, norm_size_));
    const uint64_t begin = boundary_at_or_after(in_.original, original_at(nbegin));
    uint64_t end = original_at(nend);
    if (nend > nbegin) {
      // original_at(nend) is where the character holding the NEXT normalised byte
      // starts. If the token ends inside a character's expansion (a ligature or
      // "½" split between tokens), that is the start of the very character the
      // token's last byte came from: extend to the end of that character's
      // expansion so it is kept whole.
      const uint64_t last = original_at(nend - 1);
      if (end <= last) end = end_of_cluster(nend, last);
    }
    end = boundary_at_or_after(in_.original, std::max(end, begin));
    return {begin, end};
  }

 private:
  uint64_t original_at(uint64_t norm_pos) const {
    if (has_map_) {
      return std::min<uint64_t>(in_.normalized->original_offset[norm_pos], in_.original.size());
    }
    return std::min<uint64_t>(norm_pos, in_.original.size());
  }

  uint64_t end_of_cluster(uint64_t from, uint64_t cluster_start) const {
    uint64_t k = from;
    while (k < norm_size_ && original_at(k) <= cluster_start) ++k;
    uint64_t end = original_at(k);
    if (end <= cluster_start) {
      // No later byte from a different character (or no offset map): keep just
      // the one original character.
      end = boundary_at_or_after(in_.original, cluster_start + 1);
    }
    return end;
  }

  const AlignInput& in_;
  uint64_t norm_size_ = 0;
  bool has_map_ = false;
};

// Fills char_begin/char_end for byte offsets of one document with a single
// forward scan over the text, whatever order the spans come in.
void fill_char_offsets(std::string_view utf8, std::vector<Span*>& spans) {
  std::vector<std::pair<uint64_t, uint64_t*>> queries;
  queries.reserve(spans.size() * 2);
  for (Span* s : spans) {
    queries.emplace_back(s->byte_begin, &s->char_begin);
    queries.emplace_back(s->byte_end, &s->char_end);
  }
  std::sort(queries.begin(), queries.end(),
            [](const auto& x, const auto& y) { return x.first < y.first; });
  uint64_t pos = 0, chars = 0;
  for (auto& [byte, out] : queries) {
    const uint64_t target = std::min<uint64_t>(byte, utf8.size());
    for (; pos < target; ++pos) chars += is_continuation(utf8[pos]) ? 0 : 1;
    *out = chars;
  }
}

}  // namespace

uint64_t char_offset(std::string_view utf8, uint64_t byte_offset) {
  const uint64_t end = std::min<uint64_t>(byte_offset, utf8.size());
  uint64_t chars = 0;
  for (uint64_t i = 0; i < end; ++i) chars += is_continuation(utf8[i]) ? 0 : 1;
  return chars;
}

std::vector<Passage> align(const AlignInput& a, const AlignInput& b, uint32_t min_tokens) {
  const size_t n = std::max<uint32_t>(min_tokens, 1);
  const auto ta = token_hashes(a.tokens);
  const auto tb = token_hashes(b.tokens);

  std::vector<Run> runs;
  if (ta.size() < n || tb.size() < n) {
    // Too short for a window, yet two equal short documents are still a match
    // whose evidence is the whole text.
    if (!ta.empty() && ta == tb) runs.push_back({0, 0, static_cast<uint32_t>(ta.size())});
  } else {
    runs = tile(find_runs(ta, tb, n), ta.size(), tb.size());
  }

  std::vector<Passage> passages;
  passages.reserve(runs.size());
  const OffsetMapper map_a(a), map_b(b);
  for (const Run& r : runs) {
    Passage p;
    p.tokens = r.len;
    std::tie(p.a.byte_begin, p.a.byte_end) = map_a.map(r.a_start, r.len);
    std::tie(p.b.byte_begin, p.b.byte_end) = map_b.map(r.b_start, r.len);
    passages.push_back(p);
  }

  std::vector<Span*> spans_a, spans_b;
  spans_a.reserve(passages.size());
  spans_b.reserve(passages.size());
  for (Passage& p : passages) {
    spans_a.push_back(&p.a);
    spans_b.push_back(&p.b);
  }
  fill_char_offsets(a.original, spans_a);
  fill_char_offsets(b.original, spans_b);
  return passages;
}

}  // namespace doppel::match
