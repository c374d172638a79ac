// File: match/verify.cpp
// Exact shingle-set overlap: linear merge for comparable sizes, galloping search
// when one set is much smaller (a short document against a long one).
#include "match/verify.hpp"

#include <algorithm>
#include <cstddef>

namespace doppel::match {

namespace {

// Beyond this size ratio a merge would walk mostly over elements of the larger
// set that cannot match; galloping costs O(small * log(large / small)) instead.
constexpr size_t kGallopRatio = 16;

// Branch-free steps: which side advances depends on random hash order, which a
// branch predictor cannot learn, so both indices move by comparison results.
// Merges a[i..), b[j..) until one side reaches its limit; returns the count.
inline uint64_t merge_steps(const uint64_t* a, size_t& i, size_t a_end, const uint64_t* b, size_t& j, size_t b_end) {
  uint64_t count = 0;
  while (i < a_end && j < b_end) {
    const uint64_t x = a[i], y = b[j];
    count += x == y;
    i += x <= y;
    j += y <= x;
  }
  return count;
}

uint64_t merge_count(std::span<const uint64_t> a, std::span<const uint64_t> b) {
  size_t i = 0, j = 0;
  return merge_steps(a.data(), i, a.size(), b.data(), j, b.size());
}

// `small` is much smaller than `large`. Both are sorted, so the search position in
// `large` only moves forward; galloping keeps each step logarithmic in the gap
// between consecutive hits rather than in the whole of `large`.
// Counts small[begin, end) in large from position `pos` on (both sorted;
// `pos` only moves forward, and is updated for the next call).
uint64_t gallop_range(std::span<const uint64_t> small, size_t begin, size_t end, std::span<const uint64_t> large,
                      size_t& pos) {
  uint64_t count = 0;
  const size_t n = large.size();
  for (size_t s = begin; s < end; ++s) {
    const uint64_t x = small[s];
    if (pos >= n) break;
    if (large[pos] >= x) {
      if (large[pos] == x) {
        ++count;
        ++pos;
      }
      continue;
    }
    // Invariant: large[lo] < x; find hi with large[hi] >= x (or hi == n).
    size_t lo = pos, step = 1, hi = pos + 1;
    while (hi < n && large[hi] < x) {
      lo = hi;
      step *= 2;
      hi = lo + step;
    }
    if (hi > n) hi = n;
    auto it = std::lower_bound(large.begin() + static_cast<std::ptrdiff_t>(lo + 1),
                               large.begin() + static_cast<std::ptrdiff_t>(hi), x);
    pos = static_cast<size_t>(it - large.begin());
    if (pos < n && large[pos] == x) {
      ++count;
      ++pos;
    }
  }
  return count;
}

uint64_t gallop_count(std::span<const uint64_t> small, std::span<const uint64_t> large) {
  size_t pos = 0;
  return gallop_range(small, 0, small.size(), large, pos);
}

double ratio(uint64_t num, uint64_t den) {
  return den == 0 ? 0.0 : static_cast<double>(num) / static_cast<double>(den);
}

}  // namespace

double Overlap::jaccard() const {
  if (size_a == 0 && size_b == 0) return 1.0;
  return ratio(intersection, size_a + size_b - intersection);
}

double Overlap::containment_a_in_b() const { return ratio(intersection, size_a); }

double Overlap::containment_b_in_a() const { return ratio(intersection, size_b); }

double Overlap::max_containment() const {
  return std::max(containment_a_in_b(), containment_b_in_a());
}

namespace {

// Steps between checks of the bound: small enough to stop early, large enough
// that checking costs nothing next to merging.
constexpr size_t kCheckEvery = 1024;

bool can_reach(const Overlap& bound, double jaccard_threshold, double containment_threshold) {
  // jaccard() and max_containment() only grow with the intersection (also in
  // floating point), so an upper bound on it that misses both thresholds
  // decides the pair exactly as the full count would.
  return bound.jaccard() >= jaccard_threshold || bound.max_containment() >= containment_threshold;
}

}  // namespace

Decision decide(std::span<const uint64_t> a, std::span<const uint64_t> b, double jaccard_threshold,
                double containment_threshold) {
  Decision d;
  d.overlap.size_a = a.size();
  d.overlap.size_b = b.size();
  Overlap bound = d.overlap;
  if (a.empty() || b.empty()) {
    d.overlap = overlap(a, b);
    d.reaches = can_reach(d.overlap, jaccard_threshold, containment_threshold);
    return d;
  }
  // After each chunk: `count` shared so far, at most `left` more to come. False
  // once the pair cannot reach either threshold; its count then stands as is.
  auto may_reach = [&](uint64_t count, size_t left) {
    bound.intersection = count + left;
    d.overlap.intersection = count;
    return can_reach(bound, jaccard_threshold, containment_threshold);
  };
  const bool a_small = a.size() <= b.size();
  const auto small = a_small ? a : b;
  const auto large = a_small ? b : a;
  uint64_t count = 0;
  if (large.size() / small.size() >= kGallopRatio) {
    // Galloping, in chunks of the smaller set; what is left of it bounds the rest.
    constexpr size_t kChunk = kCheckEvery / 16;
    size_t pos = 0;
    for (size_t s = 0; s < small.size();) {
      const size_t end = std::min(small.size(), s + kChunk);
      count += gallop_range(small, s, end, large, pos);
      s = end;
      if (!may_reach(count, std::min(small.size() - s, large.size() - std::min(pos, large.size())))) return d;
    }
  } else {
    size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
      // Up to kCheckEvery steps: each advances i or j or both.
      count += merge_steps(a.data(), i, std::min(a.size(), i + kCheckEvery), b.data(), j,
                           std::min(b.size(), j + kCheckEvery));
      if (!may_reach(count, std::min(a.size() - i, b.size() - j))) return d;
    }
  }
  d.overlap.intersection = count;
  d.reaches = can_reach(d.overlap, jaccard_threshold, containment_threshold);
  return d;
}

Overlap overlap(std::span<const uint64_t> a, std::span<const uint64_t> b) {
  Overlap result;
  result.size_a = a.size();
  result.size_b = b.size();
  if (a.empty() || b.empty()) return result;
  const auto small = a.size() <= b.size() ? a : b;
  const auto large = a.size() <= b.size() ? b : a;
  if (large.size() / small.size() >= kGallopRatio) {
    result.intersection = gallop_count(small, large);
  } else {
    result.intersection = merge_count(small, large);
  }
  return result;
}

}  // namespace doppel::match
