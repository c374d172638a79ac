// File: match/verify.hpp
//
// Exact verification of a candidate pair on the documents' full shingle sets
// (sorted, unique 64-bit hashes): never on a sketch estimate.
#pragma once

#include <cstdint>
#include <span>

namespace doppel::match {

struct Overlap {
  uint64_t intersection = 0;
  uint64_t size_a = 0;
  uint64_t size_b = 0;

  double jaccard() const;             // |A n B| / |A u B|; 1 when both are empty
  double containment_a_in_b() const;  // |A n B| / |A|; 0 when A is empty
  double containment_b_in_a() const;
  double max_containment() const;
};

// Intersection size of two sorted unique sequences. Uses a linear merge when the
// sizes are comparable and galloping search when one is much smaller.
Overlap overlap(std::span<const uint64_t> a, std::span<const uint64_t> b);

// What verification needs to know about a candidate pair.
struct Decision {
  bool reaches = false;  // jaccard() >= jaccard_threshold or max_containment() >= containment_threshold
  Overlap overlap;       // exact when `reaches`; otherwise the intersection may be partial
};

// overlap() for verification: stops as soon as the intersection can no longer
// reach either threshold (an upper bound, the part counted so far plus what is
// left of the smaller remainder, misses both), so a false candidate costs only
// part of a merge. A pair that reaches a threshold is always counted in full,
// so its Overlap equals overlap(a, b).
Decision decide(std::span<const uint64_t> a, std::span<const uint64_t> b, double jaccard_threshold,
                double containment_threshold);

}  // namespace doppel::match
