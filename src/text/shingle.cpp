// File: text/shingle.cpp
//
// Rolling rotate-xor shingle hashes. Rotation amounts are taken mod 64 by
// std::rotl, so n > 64 is well defined (windows then alias rotations, but the
// final mix by length and fmix64 keeps the result well spread).

#include "text/shingle.hpp"

#include <algorithm>
#include <bit>

namespace doppel::text {
namespace {

uint64_t finish(uint64_t combined, uint64_t length) { return finish_shingle(combined, length); }

// Below this many values std::sort beats setting up the radix pass.
constexpr size_t kRadixMin = 16;
// Up to this size one radix pass (into at most 4096 runs) beats two.
constexpr size_t kOneLevelMax = 4096;
// Runs longer than this are sorted before merging. One less than a power of
// two, so that has_long_run() is an OR.
constexpr uint32_t kInsertionMax = 31;

// Whether some run is longer than kInsertionMax: an OR over the counts
// c[1..runs], which vectorises (a running maximum in the prefix sum costs more).
bool has_long_run(const uint32_t* c, size_t runs) {
  uint32_t any = 0;
  for (size_t r = 1; r <= runs; ++r) any |= c[r];
  return any > kInsertionMax;
}

// Turns counts c[1..runs] into run starts c[0..runs].
void prefix_sum(uint32_t* c, size_t runs) {
  for (size_t r = 0; r < runs; ++r) c[r + 1] += c[r];
}

// Only clustered, non-uniform input has long runs; afterwards every run is
// sorted, so the merging sweep never walks back far.
void sort_long_runs(uint64_t* t, const uint32_t* ends, size_t runs) {
  size_t begin = 0;
  for (size_t r = 0; r < runs; ++r) {
    const size_t end = ends[r];
    if (end - begin > kInsertionMax) std::sort(t + begin, t + end);
    begin = end;
  }
}

// One merging step for a value x that belongs after `second`: lo, hi become
// min and max of x and `last` (callers pass lo = last, hi = x), and `second`
// becomes lo unless x repeats `last`. Within a run x lands before `last` about
// half the time, so this must not branch, and GCC turns these selects into
// branches; hence cmov on x86-64. `last` then costs one cmp + cmov per value.
inline void step(uint64_t x, uint64_t last, uint64_t& lo, uint64_t& hi, uint64_t& second) {
#if defined(__x86_64__) && defined(__GNUC__)
  asm("cmp %[last], %[x]\n\t"
      "cmovb %[x], %[lo]\n\t"
      "cmovb %[last], %[hi]\n\t"
      "cmovne %[lo], %[second]"
      : [lo] "+&r"(lo), [hi] "+&r"(hi), [second] "+r"(second)
      : [x] "r"(x), [last] "r"(last)
      : "cc");
#else
  if (x < last) {
    lo = x;
    hi = last;
  }
  if (x != last) second = lo;
#endif
}

// Appends src[0..n) to the strictly increasing out[0..w), keeping it sorted and
// free of repeats; returns the new length. src is a sequence of short runs
// (each at most kInsertionMax long) in increasing run order, so a value lands
// at most one run back. Most values land at the end or one place before it:
// that step is branch-free (min/max of the value and the last one); only a
// value that belongs further back takes the insertion loop. out may be src
// shifted back (out + w <= src), as each value is read before its slot is
// written.
size_t merge_unique(const uint64_t* src, size_t n, uint64_t* out, size_t w) {
  constexpr uint64_t kNone = ~uint64_t{0};
  uint64_t last = w > 0 ? out[w - 1] : 0;
  // With fewer than two values kept every value takes the general path.
  uint64_t second = w > 1 ? out[w - 2] : kNone;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t x = src[i];
    if (x > second) [[likely]] {
      uint64_t lo = last;
      uint64_t hi = x;
      step(x, last, lo, hi, second);
      out[w - 1] = lo;
      out[w] = hi;
      w += x != last;
      last = hi;
      continue;
    }
    size_t j = w;
    while (j > 0 && out[j - 1] > x) --j;
    if (j > 0 && out[j - 1] == x) continue;
    for (size_t m = w; m > j; --m) out[m] = out[m - 1];
    out[j] = x;
    ++w;
    last = out[w - 1];
    second = w > 1 ? out[w - 2] : kNone;
  }
  return w;
}

}  // namespace

uint64_t fmix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

void shingle_sequence(std::span<const Token> tokens, int n, std::vector<uint64_t>& out) {
  out.clear();
  if (n < 1 || tokens.empty()) return;
  const size_t m = tokens.size();
  const auto width = static_cast<size_t>(n);
  if (m < width) {
    // A short document is one shingle of all its tokens, tagged with its own
    // length so that it cannot collide with a full-width window.
    uint64_t h = 0;
    for (size_t i = 0; i < m; ++i) h ^= std::rotl(tokens[i].hash, static_cast<int>((m - 1 - i) % 64));
    out.push_back(finish(h, m));
    return;
  }
  out.reserve(m - width + 1);
  uint64_t h = 0;
  for (size_t i = 0; i < width; ++i) h ^= std::rotl(tokens[i].hash, static_cast<int>((width - 1 - i) % 64));
  out.push_back(finish(h, width));
  const int out_rotation = static_cast<int>(width % 64);
  for (size_t j = 0; j + width < m; ++j) {
    h = std::rotl(h, 1) ^ std::rotl(tokens[j].hash, out_rotation) ^ tokens[j + width].hash;
    out.push_back(finish(h, width));
  }
}

void shingle_set(std::span<const Token> tokens, int n, std::vector<uint64_t>& out) {
  shingle_sequence(tokens, n, out);
  SortScratch scratch;
  sort_unique(out, scratch);
}

void sort_unique(std::vector<uint64_t>& values, SortScratch& scratch) {
  values.resize(sort_unique_into(values, scratch, values.data()));
}

size_t sort_unique_into(std::vector<uint64_t>& values, SortScratch& scratch, uint64_t* dest) {
  const size_t n = values.size();
  if (n < kRadixMin) {
    std::sort(values.begin(), values.end());
    const size_t unique = static_cast<size_t>(std::unique(values.begin(), values.end()) - values.begin());
    if (dest != values.data()) std::copy_n(values.data(), unique, dest);
    return unique;
  }
  if (n < kOneLevelMax) {
    // A typical web page or article: one scatter by the top bits into n to 2n
    // runs (half a value to one per run: fewer runs make the merging sweep
    // walk back more often, more make the counts cost more), then one merging
    // sweep back into `values`.
    const int bits = std::clamp(static_cast<int>(std::bit_width(n)), 4, 12);
    const int shift = 64 - bits;
    const size_t runs = size_t{1} << bits;
    auto& counts = scratch.counts;
    counts.assign(runs + 1, 0);
    uint32_t* c = counts.data();
    uint64_t* v = values.data();
    for (size_t i = 0; i < n; ++i) ++c[(v[i] >> shift) + 1];
    const bool long_runs = has_long_run(c, runs);
    prefix_sum(c, runs);
    auto& tmp = scratch.tmp;
    if (tmp.size() < n) tmp.resize(n);
    uint64_t* t = tmp.data();
    for (size_t i = 0; i < n; ++i) t[c[v[i] >> shift]++] = v[i];
    // c[r] is now the end of run r.
    if (long_runs) sort_long_runs(t, c, runs);
    return merge_unique(t, n, dest, 0);
  }
  // Pass 1 scatters by the top 8 bits into scratch (256 write streams: every
  // stream's cache line stays in L1). Pass 2 scatters each of those buckets,
  // which is small enough for L1 itself, by the next bits back into `values`,
  // leaving runs of about one value; the merging sweep then compacts the bucket
  // while it is still in L1 (into `dest`, which may be `values` itself: unique
  // values never outnumber the ones read, so the compacted prefix never reaches
  // the bucket being swept).
  auto& counts = scratch.counts;
  counts.assign(257 + 4097, 0);
  uint32_t* top = counts.data();  // 257 bucket starts for pass 1
  uint32_t* sub = counts.data() + 257;
  uint64_t* v = values.data();
  for (size_t i = 0; i < n; ++i) ++top[(v[i] >> 56) + 1];
  for (size_t b = 0; b < 256; ++b) top[b + 1] += top[b];
  auto& tmp = scratch.tmp;
  if (tmp.size() < n) tmp.resize(n);
  uint64_t* t = tmp.data();
  {
    uint32_t cursor[256];
    std::copy(top, top + 256, cursor);
    for (size_t i = 0; i < n; ++i) t[cursor[v[i] >> 56]++] = v[i];
  }
  size_t w = 0;
  for (size_t b = 0; b < 256; ++b) {
    const size_t begin = top[b];
    const size_t len = top[b + 1] - begin;
    if (len == 0) continue;
    const uint64_t* src = t + begin;
    if (len <= kInsertionMax) {
      w = merge_unique(src, len, dest, w);
      continue;
    }
    const int bits = std::clamp(static_cast<int>(std::bit_width(len)), 1, 12);
    const int shift = 56 - bits;
    const uint64_t mask = (uint64_t{1} << bits) - 1;
    const size_t runs = size_t{1} << bits;
    std::fill(sub, sub + runs + 1, 0u);
    for (size_t i = 0; i < len; ++i) ++sub[((src[i] >> shift) & mask) + 1];
    const bool long_runs = has_long_run(sub, runs);
    prefix_sum(sub, runs);
    uint64_t* dst = v + begin;
    for (size_t i = 0; i < len; ++i) dst[sub[(src[i] >> shift) & mask]++] = src[i];
    // sub[r] is now the end of run r.
    if (long_runs) sort_long_runs(dst, sub, runs);
    w = merge_unique(dst, len, dest, w);
  }
  return w;
}

}  // namespace doppel::text
