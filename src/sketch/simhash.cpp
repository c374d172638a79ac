// File: sketch/simhash.cpp
// 64-bit SimHash with bit-sliced counting (see simhash.hpp).
//
// The obvious loop adds 64 per-bit counters for every shingle. Instead the votes
// are counted "vertically": words are added into bit planes with carry-save adders
// (ones, twos, fours, eights: each bit position's running count in binary), so
// sixteen shingles cost fifteen 5-operation adders and produce one word of
// sixteens, which ripples into a few more planes. Per-bit counters are touched only
// when those planes are about to overflow and at the end.
#include "sketch/simhash.hpp"

#include <cstddef>

namespace doppel::sketch {

namespace {

// Sixteens ripple into this many planes, so they hold up to 255 blocks of 16
// shingles before they are flushed into the per-bit counters.
constexpr int kHighPlanes = 8;
constexpr std::size_t kBlocksPerFlush = (std::size_t{1} << kHighPlanes) - 1;

// splitmix64's finaliser applied to (x ^ seed) + golden ratio: the same function as
// core::splitmix64 on state x ^ seed, written inline because it runs per shingle.
inline uint64_t mix(uint64_t x, uint64_t seed) {
  uint64_t z = (x ^ seed) + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Carry-save adder: per bit, a + b + c = 2 * carry + sum.
inline void csa(uint64_t& carry, uint64_t& sum, uint64_t a, uint64_t b, uint64_t c) {
  const uint64_t u = a ^ b;
  carry = (a & b) | (u & c);
  sum = u ^ c;
}

// Adds plane p's bits, each worth unit << p, to the per-bit counters.
void flush(const uint64_t* planes, int num_planes, uint64_t unit, uint64_t* counts) {
  for (int p = 0; p < num_planes; ++p) {
    const uint64_t weight = unit << p;
    for (uint64_t w = planes[p]; w != 0; w &= w - 1) counts[std::countr_zero(w)] += weight;
  }
}

}  // namespace

uint64_t simhash_bits(uint64_t shingle, uint64_t seed) { return mix(shingle, seed); }

uint64_t simhash(std::span<const uint64_t> shingles, uint64_t seed) {
  const std::size_t n = shingles.size();
  if (n == 0) return 0;
  uint64_t counts[64] = {};
  uint64_t ones = 0, twos = 0, fours = 0, eights = 0;
  uint64_t high[kHighPlanes] = {};
  std::size_t blocks = 0;
  const uint64_t* x = shingles.data();

  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    uint64_t w[16];
    for (int j = 0; j < 16; ++j) w[j] = mix(x[i + j], seed);
    uint64_t twos_a, twos_b, fours_a, fours_b, eights_a, eights_b, sixteens;
    csa(twos_a, ones, ones, w[0], w[1]);
    csa(twos_b, ones, ones, w[2], w[3]);
    csa(fours_a, twos, twos, twos_a, twos_b);
    csa(twos_a, ones, ones, w[4], w[5]);
    csa(twos_b, ones, ones, w[6], w[7]);
    csa(fours_b, twos, twos, twos_a, twos_b);
    csa(eights_a, fours, fours, fours_a, fours_b);
    csa(twos_a, ones, ones, w[8], w[9]);
    csa(twos_b, ones, ones, w[10], w[11]);
    csa(fours_a, twos, twos, twos_a, twos_b);
    csa(twos_a, ones, ones, w[12], w[13]);
    csa(twos_b, ones, ones, w[14], w[15]);
    csa(fours_b, twos, twos, twos_a, twos_b);
    csa(eights_b, fours, fours, fours_a, fours_b);
    csa(sixteens, eights, eights, eights_a, eights_b);
    // A block adds at most one sixteen per bit, so after kBlocksPerFlush blocks the
    // high planes are full and must be emptied before the next one.
    uint64_t carry = sixteens;
    for (int p = 0; p < kHighPlanes && carry != 0; ++p) {
      const uint64_t next = high[p] & carry;
      high[p] ^= carry;
      carry = next;
    }
    if (++blocks == kBlocksPerFlush) {
      flush(high, kHighPlanes, 16, counts);
      for (uint64_t& h : high) h = 0;
      blocks = 0;
    }
  }
  flush(high, kHighPlanes, 16, counts);
  const uint64_t low[4] = {ones, twos, fours, eights};
  flush(low, 4, 1, counts);
  for (; i < n; ++i) {
    for (uint64_t w = mix(x[i], seed); w != 0; w &= w - 1) ++counts[std::countr_zero(w)];
  }

  // Bit b is the sign of (set votes - clear votes) = 2 * counts[b] - n; a tie gives 0.
  uint64_t fingerprint = 0;
  for (int b = 0; b < 64; ++b) {
    if (2 * counts[b] > n) fingerprint |= uint64_t{1} << b;
  }
  return fingerprint;
}

}  // namespace doppel::sketch
