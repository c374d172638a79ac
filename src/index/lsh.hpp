// File: index/lsh.hpp
//
// Candidate generation: which document pairs are worth verifying exactly.
// Two indexes, each with a stated guarantee (derivations in docs/algorithms.md):
//
// 1. Jaccard LSH over MinHash signatures. b bands of r rows; a pair with Jaccard s
//    becomes a candidate with probability P(s) = 1 - (1 - s^r)^b. choose_banding()
//    picks, among all (b, r) with b*r <= num_perm and P(threshold) >= min_probability,
//    the one with the smallest false-positive area (integral of P over [0, t)).
//    Band keys are compact 64-bit hashes of the r rows; buckets are found by grouping
//    each band's (key, doc) pairs with a radix pass, not by node-based hash maps.
//
// 2. Containment index over bottom-k sketches (the k smallest shingle hashes of a
//    document, i.e. the first k of its sorted shingle set). Every document is both a
//    query and an indexed item, so a pair (small A, large B) is produced once. Two
//    documents are candidates when they share at least m(|A|,|B|) bottom-k values,
//    where m is the largest count such that a pair with containment of A in B at the
//    threshold shares at least m values with probability >= min_probability (a
//    hypergeometric lower bound: bottom-k(A u B) restricted to A n B is shared by
//    both sketches) or Z (the consistent sample below). m is at least 1. This finds
//    an excerpt of 10% of a document at containment threshold 0.8 with k = 128 from
//    the bottom-k values alone, and any excerpt of more than ~1200 shingles from the
//    sample; see docs/algorithms.md.
//
// Both return pairs (a < b) by document index, sorted and unique, independent of
// thread count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "doppel/status.hpp"

namespace doppel::index {

struct CandidatePair {
  uint32_t a;
  uint32_t b;
  friend bool operator==(const CandidatePair&, const CandidatePair&) = default;
  friend auto operator<=>(const CandidatePair&, const CandidatePair&) = default;
};

struct Banding {
  int bands = 0;
  int rows = 0;
  double p_at_threshold = 0;  // 1 - (1 - t^r)^b
};

double banding_probability(double s, int bands, int rows);

// Fails (kInvalidArgument) when no (b, r) reaches min_probability at the threshold.
Result<Banding> choose_banding(double threshold, int num_perm, double min_probability = 0.99);

// Buckets larger than this do not emit all their pairs: each member is paired with
// the bucket's first member and with its next `window` members in document order,
// which keeps a cluster connected without quadratic work.
struct BucketLimits {
  uint32_t max_full_bucket = 256;
  uint32_t window = 16;
  // Containment index: a bottom-k value shared by more documents than this is too
  // common to count as evidence (typically boilerplate) and is ignored.
  uint32_t max_posting = 1000;
};

// `signatures` is row-major: num_docs rows of num_perm uint32 values. Documents whose
// first value is sketch::kEmpty (no shingles) never become candidates. Inconsistent
// arguments cannot be reported here, so they are trimmed: bands beyond num_perm /
// rows and documents beyond signatures.size() / num_perm are ignored.
std::vector<CandidatePair> jaccard_candidates(std::span<const uint32_t> signatures,
                                              uint32_t num_docs, int num_perm,
                                              const Banding& banding,
                                              const BucketLimits& limits = {});

// The same over a selection of rows: document i's signature is row rows[i] of
// `signatures`, and pairs are by position in `rows`. A row beyond the end of
// `signatures` is an empty document.
std::vector<CandidatePair> jaccard_candidates(std::span<const uint32_t> signatures,
                                              std::span<const uint32_t> rows, int num_perm,
                                              const Banding& banding,
                                              const BucketLimits& limits = {});

// Bands a signature of num_perm values yields under `banding`: bands beyond
// num_perm / rows are trimmed, as jaccard_candidates() trims them.
std::size_t usable_bands(int num_perm, const Banding& banding);

// The key of each band of one signature (out.size() == usable_bands()): the
// 64-bit hash jaccard_candidates() buckets that band by. A caller that sketches
// documents as they stream past can keep these instead of whole signatures
// (dedup: 16 keys of 8 bytes instead of 128 values of 4).
void band_keys(std::span<const uint32_t> signature, const Banding& banding, std::span<uint64_t> out);

// jaccard_candidates() over band keys kept per document: document i's keys are
// row rows[i] of `keys` (rows of `bands` values, from band_keys()), and pairs
// are by position in `rows`. Every listed row must be a document with at least
// one shingle (an empty signature's keys are not marked as such).
std::vector<CandidatePair> jaccard_candidates_from_band_keys(std::span<const uint64_t> keys,
                                                             std::span<const uint32_t> rows, std::size_t bands,
                                                             const BucketLimits& limits = {});

struct ContainmentParams {
  double threshold = 0.8;
  int k = 128;
  double min_probability = 0.99;
  // Besides its bottom-k values, every document also indexes all its shingle hashes
  // below sample_rate * 2^64 (a consistent sample: a value sampled in A is sampled in
  // every B holding it). A pair at the threshold then shares at least
  // Z ~ Binomial(|A n B|, sample_rate) values whatever the size ratio, so small
  // excerpts of very large documents are found too. 0 disables the sample.
  double sample_rate = 1.0 / 256;
};

// How many leading values of a sorted shingle set form its containment sketch:
// max(min(k, |S|), number of values below sample_rate * 2^64).
size_t containment_sketch_length(std::span<const uint64_t> sorted_set, const ContainmentParams& params);

// Smallest number of shared bottom-k values required for a pair with set sizes
// `small` <= `large`, per the rule above (always >= 1).
uint32_t min_shared_values(uint32_t small, uint32_t large, const ContainmentParams& params);

// Probability that a pair with these sizes and containment exactly at the threshold
// shares at least one bottom-k value (the recall guarantee for that size ratio).
double containment_detection_probability(uint32_t small, uint32_t large,
                                         const ContainmentParams& params);

// bottoms[i]: the first containment_sketch_length() values of document i's sorted shingle set;
// set_sizes[i] = |S_i|. Returns pairs (a < b by index) passing min_shared_values.
// Documents with set_sizes[i] == 0 or an empty sketch never pair; a duplicated
// value inside one sketch counts once.
std::vector<CandidatePair> containment_candidates(std::span<const std::span<const uint64_t>> bottoms,
                                                  std::span<const uint32_t> set_sizes,
                                                  const ContainmentParams& params,
                                                  const BucketLimits& limits = {});

}  // namespace doppel::index
