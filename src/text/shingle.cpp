// File: text/shingle.cpp
//
// Rolling rotate-xor shingle hashes. Rotation amounts are taken mod 64 by
// std::rotl, so n > 64 is well defined (windows then alias rotations, but the
// final mix by length and fmix64 keeps the result well spread).

#include "text/shingle.hpp"

#include <algorithm>
#include <bit>

namespace doppel::text {
namespace {

uint64_t finish(uint64_t combined, uint64_t length) { return finish_shingle(combined, length); }

// Below this many values std::sort beats setting up the radix pass.
constexpr size_t kRadixMin = 512;
// Buckets of this size or less are finished by insertion sort.
constexpr size_t kInsertionMax = 24;

void insertion_sort(uint64_t* v, size_t n) {
  for (size_t i = 1; i < n; ++i) {
    const uint64_t x = v[i];
    size_t j = i;
    for (; j > 0 && v[j - 1] > x; --j) v[j] = v[j - 1];
    v[j] = x;
  }
}

}  // namespace

uint64_t fmix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

void shingle_sequence(std::span<const Token> tokens, int n, std::vector<uint64_t>& out) {
  out.clear();
  if (n < 1 || tokens.empty()) return;
  const size_t m = tokens.size();
  const auto width = static_cast<size_t>(n);
  if (m < width) {
    // A short document is one shingle of all its tokens, tagged with its own
    // length so that it cannot collide with a full-width window.
    uint64_t h = 0;
    for (size_t i = 0; i < m; ++i) h ^= std::rotl(tokens[i].hash, static_cast<int>((m - 1 - i) % 64));
    out.push_back(finish(h, m));
    return;
  }
  out.reserve(m - width + 1);
  uint64_t h = 0;
  for (size_t i = 0; i < width; ++i) h ^= std::rotl(tokens[i].hash, static_cast<int>((width - 1 - i) % 64));
  out.push_back(finish(h, width));
  const int out_rotation = static_cast<int>(width % 64);
  for (size_t j = 0; j + width < m; ++j) {
    h = std::rotl(h, 1) ^ std::rotl(tokens[j].hash, out_rotation) ^ tokens[j + width].hash;
    out.push_back(finish(h, width));
  }
}

void shingle_set(std::span<const Token> tokens, int n, std::vector<uint64_t>& out) {
  shingle_sequence(tokens, n, out);
  SortScratch scratch;
  sort_unique(out, scratch);
}

void sort_unique(std::vector<uint64_t>& values, SortScratch& scratch) {
  const size_t n = values.size();
  if (n < kRadixMin) {
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    return;
  }
  // About 8 values per bucket, at most 2^16 buckets (the counts stay in L1/L2).
  const int bits = std::clamp(static_cast<int>(std::bit_width(n)) - 3, 6, 16);
  const int shift = 64 - bits;
  const size_t buckets = size_t{1} << bits;
  auto& counts = scratch.counts;
  counts.assign(buckets + 1, 0);
  const uint64_t* src = values.data();
  for (size_t i = 0; i < n; ++i) ++counts[(src[i] >> shift) + 1];
  for (size_t b = 0; b < buckets; ++b) counts[b + 1] += counts[b];
  auto& tmp = scratch.tmp;
  if (tmp.size() < n) tmp.resize(n);
  uint64_t* dst = tmp.data();
  // counts[b] walks from the start of bucket b to the start of bucket b + 1.
  for (size_t i = 0; i < n; ++i) dst[counts[src[i] >> shift]++] = src[i];
  // Buckets are contiguous and ordered, and equal values share a bucket, so
  // sorting each bucket and dropping repeats while copying back finishes the job.
  uint64_t* out = values.data();
  size_t w = 0;
  size_t begin = 0;
  for (size_t b = 0; b < buckets; ++b) {
    const size_t end = counts[b];
    const size_t len = end - begin;
    if (len == 0) continue;
    uint64_t* bucket = dst + begin;
    if (len <= kInsertionMax) {
      insertion_sort(bucket, len);
    } else {
      std::sort(bucket, bucket + len);
    }
    out[w++] = bucket[0];
    for (size_t i = 1; i < len; ++i) {
      if (bucket[i] != bucket[i - 1]) out[w++] = bucket[i];
    }
    begin = end;
  }
  values.resize(w);
}

}  // namespace doppel::text
