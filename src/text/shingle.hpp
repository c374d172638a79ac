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

#include <cstdint>
#include <span>
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

}  // namespace doppel::text
