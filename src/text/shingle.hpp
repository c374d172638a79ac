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

// shingle_sequence() one token at a time, for callers that never build a Token
// vector (the dedup hot path): add() each token hash in order, then finish().
// The output is exactly shingle_sequence() of the same tokens. n must be 1..64.
class RollingShingler {
 public:
  explicit RollingShingler(int n) : width_(static_cast<uint64_t>(n)), out_rotation_(n % 64) {}

  void add(uint64_t token_hash, std::vector<uint64_t>& out) {
    if (count_ < width_) {
      // Building the first window: after m tokens h = XOR rotl(t_i, m-1-i).
      combined_ = std::rotl(combined_, 1) ^ token_hash;
      if (count_ + 1 == width_) out.push_back(finish_shingle(combined_, width_));
    } else {
      const uint64_t leaving = ring_[(count_ - width_) & 63];
      combined_ = std::rotl(combined_, 1) ^ std::rotl(leaving, out_rotation_) ^ token_hash;
      out.push_back(finish_shingle(combined_, width_));
    }
    ring_[count_ & 63] = token_hash;
    ++count_;
  }

  // A document shorter than n tokens is one shingle of all of them.
  void finish(std::vector<uint64_t>& out) const {
    if (count_ > 0 && count_ < width_) out.push_back(finish_shingle(combined_, count_));
  }

 private:
  uint64_t width_;
  int out_rotation_;
  uint64_t count_ = 0;
  uint64_t combined_ = 0;
  uint64_t ring_[64] = {};
};

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
