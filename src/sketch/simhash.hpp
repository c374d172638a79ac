// File: sketch/simhash.hpp
//
// 64-bit SimHash (Charikar 2002) over a document's shingle set.
//
// Every shingle hash is remixed with a fixed, documented seed (kSimHashSeed) into a
// 64-bit value h(x); bit b of the fingerprint is 1 when more than half of the
// shingles have bit b of h(x) set, i.e. the sign of sum_x (+1 if bit b of h(x) is
// set, else -1), with a tie giving 0. Each shingle counts once: doppel's shingle
// sets are deduplicated, so this is the unweighted SimHash of the set.
//
// For two sets with cosine similarity c = |A n B| / sqrt(|A| |B|), each bit differs
// with probability ~ arccos(c) / pi, so the Hamming distance between fingerprints is
// approximately Binomial(64, arccos(c) / pi). For equal-size sets c = 2J / (1 + J):
// J = 0.95 -> 4.7 bits expected, J = 0.9 -> 6.6, J = 0.8 -> 9.7, J = 0.5 -> 17.1.
// (docs/algorithms.md, "SimHash", has the recall this gives at each radius.)
//
//   uint64_t f = doppel::sketch::simhash(shingles);
//   int d = doppel::sketch::hamming_distance(f, g);
#pragma once

#include <bit>
#include <cstdint>
#include <span>

namespace doppel::sketch {

inline constexpr uint64_t kSimHashSeed = 0x646f7070656c7368ULL;  // "doppelsh"

// The 64-bit value whose bits vote for shingle x: a bijection (distinct shingles stay
// distinct), so the votes of different shingles are independent of the values that
// MinHash and the containment sample see.
uint64_t simhash_bits(uint64_t shingle, uint64_t seed = kSimHashSeed);

// The fingerprint of a set of shingle hashes (order does not matter; a value given
// twice votes twice, so pass a deduplicated set). Empty input -> 0.
uint64_t simhash(std::span<const uint64_t> shingles, uint64_t seed = kSimHashSeed);

inline int hamming_distance(uint64_t a, uint64_t b) { return std::popcount(a ^ b); }

}  // namespace doppel::sketch
