// File: sketch/minhash.hpp
//
// k-permutation MinHash over 64-bit shingle hashes.
//
// Permutation i is the multiply-shift hash h_i(x) = (a_i * x + b_i) >> 32 over
// 64-bit arithmetic (a_i odd), which vectorises well, unlike the
// (a*x+b) mod (2^61-1) form. The (a_i, b_i) come from splitmix64 seeded with a
// fixed, documented seed (kMinHashSeed), never a per-process random value, so
// sketches are comparable across runs, machines and versions of doppel that keep
// the same SketchParams fingerprint.
//
//   doppel::sketch::MinHasher hasher(128);
//   std::vector<uint32_t> sig(128);
//   hasher.sketch(shingles, sig);   // sig[i] = min_x h_i(x), or kEmpty when no shingles
//   double j = doppel::sketch::estimate_jaccard(sig_a, sig_b);
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/isa.hpp"

namespace doppel::sketch {

class MinHasher;
namespace internal {
using core::Isa;
void sketch_with(Isa isa, const MinHasher& hasher, std::span<const uint64_t> shingles, std::span<uint32_t> out);
}  // namespace internal

inline constexpr uint64_t kMinHashSeed = 0x646f7070656c6d68ULL;  // "doppelmh"
inline constexpr uint32_t kEmpty = 0xffffffffu;

class MinHasher {
 public:
  explicit MinHasher(int num_perm, uint64_t seed = kMinHashSeed);
  int num_perm() const { return static_cast<int>(a_.size()); }

  // out.size() must equal num_perm(). Empty input -> every value kEmpty.
  void sketch(std::span<const uint64_t> shingles, std::span<uint32_t> out) const;

 private:
  friend void internal::sketch_with(internal::Isa, const MinHasher&, std::span<const uint64_t>, std::span<uint32_t>);
  std::vector<uint64_t> a_, b_;
};

// Fraction of equal positions (the unbiased MinHash estimate of Jaccard).
double estimate_jaccard(std::span<const uint32_t> a, std::span<const uint32_t> b);

// Standard error of that estimate: sqrt(j(1-j)/k).
double jaccard_standard_error(double j, int num_perm);

}  // namespace doppel::sketch
