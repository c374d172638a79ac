// File: sketch/minhash.cpp
// k-permutation MinHash with multiply-shift permutations (see minhash.hpp).
#include "sketch/minhash.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>

#include "core/hash.hpp"

namespace doppel::sketch {

namespace {

inline uint32_t permute(uint64_t a, uint64_t b, uint64_t x) {
  return static_cast<uint32_t>((a * x + b) >> 32);
}

inline uint32_t min2(uint32_t x, uint32_t y) { return x < y ? x : y; }

// Baseline x86-64 (SSE2) has no 64-bit vector multiply, so the auto-vectorised
// loop gains little there; clones for the x86-64-v3/v4 levels (AVX2, AVX-512) are
// chosen at load time by CPU, which keeps the binary portable without -march.
// All clones compute the same integers, so signatures do not depend on the CPU.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(DOPPEL_NO_TARGET_CLONES)
#define DOPPEL_MINHASH_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define DOPPEL_MINHASH_CLONES
#endif

// Shingles are taken two at a time so that the running minima are loaded and
// stored once per pair. Wider blocks look attractive but GCC 12 then stops
// vectorising the baseline (SSE2) clone, and measured no faster elsewhere.
DOPPEL_MINHASH_CLONES
void minhash_kernel(const uint64_t* __restrict a, const uint64_t* __restrict b,
                    uint32_t* __restrict mins, std::size_t k, const uint64_t* __restrict x,
                    std::size_t n) {
  std::size_t s = 0;
  for (; s + 2 <= n; s += 2) {
    const uint64_t x0 = x[s], x1 = x[s + 1];
    for (std::size_t i = 0; i < k; ++i) {
      const uint64_t ai = a[i], bi = b[i];
      mins[i] = min2(mins[i], min2(permute(ai, bi, x0), permute(ai, bi, x1)));
    }
  }
  if (s < n) {
    const uint64_t xs = x[s];
    for (std::size_t i = 0; i < k; ++i) mins[i] = min2(mins[i], permute(a[i], b[i], xs));
  }
}

}  // namespace

MinHasher::MinHasher(int num_perm, uint64_t seed) {
  // A negative count cannot be reported from a constructor; an empty hasher
  // produces empty signatures, which callers see through num_perm() == 0.
  const std::size_t k = num_perm > 0 ? static_cast<std::size_t>(num_perm) : 0;
  a_.resize(k);
  b_.resize(k);
  uint64_t state = seed;
  for (std::size_t i = 0; i < k; ++i) {
    // Odd multipliers make x -> a*x a bijection mod 2^64, so distinct shingles
    // never collide before the shift.
    a_[i] = core::splitmix64(state) | 1u;
    b_[i] = core::splitmix64(state);
  }
}

void MinHasher::sketch(std::span<const uint64_t> shingles, std::span<uint32_t> out) const {
  std::fill(out.begin(), out.end(), kEmpty);
  const std::size_t k = std::min(out.size(), a_.size());
  if (k == 0 || shingles.empty()) return;

  minhash_kernel(a_.data(), b_.data(), out.data(), k, shingles.data(), shingles.size());
}

double estimate_jaccard(std::span<const uint32_t> a, std::span<const uint32_t> b) {
  const std::size_t k = std::min(a.size(), b.size());
  if (k == 0) return 0.0;
  std::size_t equal = 0;
  bool a_empty = true;
  bool b_empty = true;
  for (std::size_t i = 0; i < k; ++i) {
    equal += a[i] == b[i] ? 1u : 0u;
    a_empty = a_empty && a[i] == kEmpty;
    b_empty = b_empty && b[i] == kEmpty;
  }
  // Two documents without shingles would otherwise look identical (J = 1); an
  // empty document carries no evidence of copying, so it is reported dissimilar.
  if (a_empty && b_empty) return 0.0;
  return static_cast<double>(equal) / static_cast<double>(k);
}

double jaccard_standard_error(double j, int num_perm) {
  if (num_perm <= 0) return std::numeric_limits<double>::infinity();
  const double p = std::clamp(j, 0.0, 1.0);
  return std::sqrt(p * (1.0 - p) / static_cast<double>(num_perm));
}

}  // namespace doppel::sketch
