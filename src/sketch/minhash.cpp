// File: sketch/minhash.cpp
// k-permutation MinHash with multiply-shift permutations (see minhash.hpp).
#include "sketch/minhash.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>

#include "core/hash.hpp"
#include "sketch/sketch_internal.hpp"

namespace doppel::sketch {

namespace {

inline uint32_t permute(uint64_t a, uint64_t b, uint64_t x) {
  return static_cast<uint32_t>((a * x + b) >> 32);
}

inline uint32_t min2(uint32_t x, uint32_t y) { return x < y ? x : y; }

// Eight permutations per vector, eight vectors per block: a block's multipliers,
// offsets and running minima stay in registers (24 of the 32 AVX-512 registers)
// for the whole pass over the shingles, so the inner loop is multiply, add,
// shift and min with no loads or stores besides the shingle itself. The minima
// are kept in 64-bit lanes (the values fit in 32 bits) so nothing is repacked.
typedef uint64_t U64x8 __attribute__((vector_size(64)));
constexpr std::size_t kLanes = 8;
constexpr std::size_t kBlockVectors = 8;
constexpr std::size_t kBlock = kLanes * kBlockVectors;  // 64 permutations per pass

__attribute__((always_inline)) inline void block_impl(const uint64_t* __restrict a, const uint64_t* __restrict b,
                                                      uint32_t* __restrict mins, const uint64_t* __restrict x,
                                                      std::size_t n) {
  U64x8 va[kBlockVectors], vb[kBlockVectors], vm[kBlockVectors];
  for (std::size_t j = 0; j < kBlockVectors; ++j) {
    for (std::size_t l = 0; l < kLanes; ++l) {
      va[j][l] = a[j * kLanes + l];
      vb[j][l] = b[j * kLanes + l];
      vm[j][l] = mins[j * kLanes + l];
    }
  }
  for (std::size_t s = 0; s < n; ++s) {
    const U64x8 vx = U64x8{} + x[s];
    for (std::size_t j = 0; j < kBlockVectors; ++j) {
      const U64x8 h = (va[j] * vx + vb[j]) >> 32;
#if defined(__clang__)
      // Clang does not take ?: on these vectors; a mask select is the same min.
      const U64x8 smaller = reinterpret_cast<U64x8>(h < vm[j]);
      vm[j] = (h & smaller) | (vm[j] & ~smaller);
#else
      vm[j] = h < vm[j] ? h : vm[j];  // one vpminuq on AVX-512
#endif
    }
  }
  for (std::size_t j = 0; j < kBlockVectors; ++j) {
    for (std::size_t l = 0; l < kLanes; ++l) mins[j * kLanes + l] = static_cast<uint32_t>(vm[j][l]);
  }
}

// Permutations left over after the full blocks (k not a multiple of 64).
// Shingles are taken two at a time so that the running minima are loaded and
// stored once per pair.
__attribute__((always_inline)) inline void tail_impl(const uint64_t* __restrict a, const uint64_t* __restrict b,
                                                     uint32_t* __restrict mins, std::size_t k,
                                                     const uint64_t* __restrict x, std::size_t n) {
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

__attribute__((always_inline)) inline void kernel_impl(const uint64_t* a, const uint64_t* b, uint32_t* mins,
                                                       std::size_t k, const uint64_t* x, std::size_t n) {
  std::size_t i = 0;
  for (; i + kBlock <= k; i += kBlock) block_impl(a + i, b + i, mins + i, x, n);
  if (i < k) tail_impl(a + i, b + i, mins + i, k - i, x, n);
}

// One copy of the kernel per x86-64 level, picked at run time from the CPU, so
// the release binary needs no -march flag. Only AVX-512 multiplies 64-bit lanes
// natively and has the registers for the blocked kernel (1.5x the pairwise loop
// there, see docs/performance.md); AVX2 and baseline SSE2 would spill, and run
// the pairwise loop instead. Every copy computes the same
// integers: signatures never depend on the CPU, and the tests check each copy
// the CPU can run against a scalar reference.
void kernel_baseline(const uint64_t* a, const uint64_t* b, uint32_t* mins, std::size_t k, const uint64_t* x,
                     std::size_t n) {
  tail_impl(a, b, mins, k, x, n);
}
#ifdef DOPPEL_X86_LEVELS
__attribute__((target("arch=x86-64-v3"))) void kernel_v3(const uint64_t* a, const uint64_t* b, uint32_t* mins,
                                                         std::size_t k, const uint64_t* x, std::size_t n) {
  tail_impl(a, b, mins, k, x, n);
}
__attribute__((target("arch=x86-64-v4"))) void kernel_v4(const uint64_t* a, const uint64_t* b, uint32_t* mins,
                                                         std::size_t k, const uint64_t* x, std::size_t n) {
  kernel_impl(a, b, mins, k, x, n);
}
#endif

using Kernel = void (*)(const uint64_t*, const uint64_t*, uint32_t*, std::size_t, const uint64_t*, std::size_t);

Kernel kernel_for(internal::Isa isa) {
  switch (isa) {
#ifdef DOPPEL_X86_LEVELS
    case internal::Isa::kX86V4: return kernel_v4;
    case internal::Isa::kX86V3: return kernel_v3;
#endif
    default: return kernel_baseline;
  }
}

Kernel best_kernel() {
  static const Kernel kernel = kernel_for(internal::supported_isas().front());
  return kernel;
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

  best_kernel()(a_.data(), b_.data(), out.data(), k, shingles.data(), shingles.size());
}

namespace internal {

void sketch_with(Isa isa, const MinHasher& hasher, std::span<const uint64_t> shingles, std::span<uint32_t> out) {
  std::fill(out.begin(), out.end(), kEmpty);
  const std::size_t k = std::min(out.size(), hasher.a_.size());
  if (k == 0 || shingles.empty()) return;
  kernel_for(isa)(hasher.a_.data(), hasher.b_.data(), out.data(), k, shingles.data(), shingles.size());
}

}  // namespace internal

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
