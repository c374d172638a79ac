// File: index/simhash_index.hpp
//
// Candidate pairs from 64-bit SimHash fingerprints: every pair within Hamming
// distance `radius` (Manku, Jain, Das Sarma, WWW 2007).
//
// The 64 bits are split into B >= radius + 1 contiguous blocks. Two fingerprints
// within distance k differ in at most k blocks, so by pigeonhole they agree exactly
// on at least B - k of them. There is one table per choice of B - k blocks
// (C(B, k) tables); in each, documents are sorted by (fingerprint masked to those
// blocks, document), documents with equal keys form a bucket, and the pairs of a
// bucket whose full fingerprints are within distance k are returned. Every pair
// within distance k shares a bucket in at least one table, and no pair beyond k is
// ever returned.
//
// More blocks make longer keys (fewer unrelated documents per bucket) at the price
// of more tables. choose_simhash_layout() takes the fewest tables for which a
// bucket of unrelated documents is expected to hold at most `target_bucket`
// documents; buckets larger than BucketLimits::max_full_bucket follow the same
// rule as the Jaccard LSH (star on the first member plus a sliding window in
// document order), so the rare huge bucket of near-identical documents stays
// connected at linear cost. Only that rule can miss a pair within the radius, and
// it matters only when the layout is `crowded`: a large radius over many documents
// (radius 16 beyond ~30,000 documents), where no layout within max_tables has keys
// long enough to keep unrelated documents out of each other's buckets.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "doppel/status.hpp"
#include "index/lsh.hpp"

namespace doppel::index {

inline constexpr int kMaxSimHashRadius = 16;

struct SimHashLayout {
  int radius = 0;
  int blocks = 1;          // contiguous bit blocks, widths 64/B rounded, wider blocks first
  uint64_t tables = 1;     // C(blocks, radius)
  int min_key_bits = 64;   // the shortest key of any table (the B - k narrowest blocks)
  // True when even the layout with the most key bits within max_tables expects
  // buckets of unrelated documents larger than crowded_bucket: some of them then
  // exceed BucketLimits::max_full_bucket, where only star-and-window pairs are tested.
  bool crowded = false;
};

struct SimHashLayoutLimits {
  uint64_t max_tables = 4096;
  double target_bucket = 16;  // expected documents per bucket among unrelated documents
  // A quarter of BucketLimits::max_full_bucket: a bucket of unrelated documents with
  // this mean (Poisson) practically never exceeds 256 members.
  double crowded_bucket = 64;
};

// Fails (kInvalidArgument) for a radius outside 0..kMaxSimHashRadius.
Result<SimHashLayout> choose_simhash_layout(int radius, uint64_t num_docs, const SimHashLayoutLimits& limits = {});

// The key mask of every table, in the order tables are built (lexicographic order
// of the chosen block sets).
std::vector<uint64_t> simhash_table_masks(const SimHashLayout& layout);

// Pairs (a < b, by index into `fingerprints`) within Hamming distance layout.radius,
// sorted and unique, independent of thread count.
std::vector<CandidatePair> simhash_candidates(std::span<const uint64_t> fingerprints, const SimHashLayout& layout,
                                              const BucketLimits& limits = {});

}  // namespace doppel::index
