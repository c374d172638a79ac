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

uint64_t merge_count(std::span<const uint64_t> a, std::span<const uint64_t> b) {
  uint64_t count = 0;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] < b[j]) {
      ++i;
    } else if (b[j] < a[i]) {
      ++j;
    } else {
      ++count;
      ++i;
      ++j;
    }
  }
  return count;
}

// `small` is much smaller than `large`. Both are sorted, so the search position in
// `large` only moves forward; galloping keeps each step logarithmic in the gap
// between consecutive hits rather than in the whole of `large`.
uint64_t gallop_count(std::span<const uint64_t> small, std::span<const uint64_t> large) {
  uint64_t count = 0;
  size_t pos = 0;
  const size_t n = large.size();
  for (uint64_t x : small) {
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
