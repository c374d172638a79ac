// File: text/shingle.hpp
//
// Shingles are hashes of n consecutive tokens. Each token is hashed once
// (text/normalize.hpp); a shingle hash combines the n token hashes in O(1) per
// position with a rolling cyclic-polynomial (rotate-xor) hash, then a 64-bit
// finaliser (murmur3 fmix64) so that the result is uniform over 2^64: MinHash
// and bottom-k sketches rely on that.
//
// A document with fewer than n tokens yields exactly one shingle: the hash of
// all its tokens (so short documents are still sketched and two different
// short documents do not collide). No tokens -> no shingles.
#pragma once

#include <bit>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "text/normalize.hpp"

namespace doppel::text {

// Shingle hashes in token order (duplicates kept), for alignment. n must be >= 1
// (n < 1 yields no shingles). With m < n tokens the single shingle is the
// combination of all m tokens, tagged with length m.
void shingle_sequence(std::span<const Token> tokens, int n, std::vector<uint64_t>& out);

// Sorted, de-duplicated shingle hashes: the document's shingle set.
void shingle_set(std::span<const Token> tokens, int n, std::vector<uint64_t>& out);

// murmur3's 64-bit finaliser; exposed for tests.
uint64_t fmix64(uint64_t x);

// The final mix of a shingle: its rotate-xor combination and its length in tokens.
inline uint64_t finish_shingle(uint64_t combined, uint64_t length) {
  constexpr uint64_t kGoldenGamma = 0x9e3779b97f4a7c15ULL;
  uint64_t x = combined ^ (length * kGoldenGamma);
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// Shingle hashes in token order straight from normalised text: equal to
// shingle_sequence(tokenize(text, mode), n), without the Token vector. n: 1..64.
void shingle_hashes(std::string_view normalized, TokenMode mode, int n, std::vector<uint64_t>& out);

// Scratch for sort_unique(), reused across documents.
struct SortScratch {
  std::vector<uint64_t> tmp;
  std::vector<uint32_t> counts;
};

// Sorts `values` ascending and removes duplicates. Shingle hashes are uniform, so
// one radix pass on the top bits leaves buckets of a few values each; small
// inputs use std::sort. The result is the same as std::sort + std::unique.
void sort_unique(std::vector<uint64_t>& values, SortScratch& scratch);

// sort_unique() with the result written to dest[0..returned count) instead, so
// that a caller keeping the set elsewhere (dedup's arena) saves a copy. dest
// has room for values.size() values and may be values.data(); `values` is left
// in an unspecified order.
size_t sort_unique_into(std::vector<uint64_t>& values, SortScratch& scratch, uint64_t* dest);

}  // namespace doppel::text
