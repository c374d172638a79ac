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
constexpr size_t kRadixMin = 64;
// Up to this size one radix pass (into at most 1024 runs) beats two.
constexpr size_t kOneLevelMax = 4096;
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
  if (n < kOneLevelMax) {
    // A typical web page or article: one scatter by the top bits into runs of
    // about four values, insertion sort, and repeats dropped on the way back.
    const int bits = std::clamp(static_cast<int>(std::bit_width(n)) - 2, 4, 10);
    const int shift = 64 - bits;
    const size_t runs = size_t{1} << bits;
    auto& counts = scratch.counts;
    counts.assign(runs + 1, 0);
    uint64_t* v = values.data();
    for (size_t i = 0; i < n; ++i) ++counts[(v[i] >> shift) + 1];
    for (size_t r = 0; r < runs; ++r) counts[r + 1] += counts[r];
    auto& tmp = scratch.tmp;
    if (tmp.size() < n) tmp.resize(n);
    uint64_t* t = tmp.data();
    for (size_t i = 0; i < n; ++i) t[counts[v[i] >> shift]++] = v[i];
    // counts[r] is now the end of run r.
    size_t w = 0;
    size_t begin = 0;
    for (size_t r = 0; r < runs; ++r) {
      const size_t end = counts[r];
      if (end - begin > kInsertionMax) {
        std::sort(t + begin, t + end);  // only for clustered, non-uniform input
      } else {
        insertion_sort(t + begin, end - begin);
      }
      for (size_t i = begin; i < end; ++i) {
        if (w == 0 || t[i] != v[w - 1]) v[w++] = t[i];
      }
      begin = end;
    }
    values.resize(w);
    return;
  }
  // Pass 1 scatters by the top 8 bits into scratch (256 write streams: every
  // stream's cache line stays in L1). Pass 2 scatters each of those buckets,
  // which is small enough for L1 itself, by the next bits back into `values`,
  // leaving runs of a few values that insertion sort finishes. Equal values
  // always share a run, so one final sweep drops the repeats.
  auto& counts = scratch.counts;
  counts.assign(257 + 4097, 0);
  uint32_t* top = counts.data();  // 257 bucket starts for pass 1
  uint32_t* sub = counts.data() + 257;
  uint64_t* v = values.data();
  for (size_t i = 0; i < n; ++i) ++top[(v[i] >> 56) + 1];
  for (size_t b = 0; b < 256; ++b) top[b + 1] += top[b];
  auto& tmp = scratch.tmp;
  if (tmp.size() < n) tmp.resize(n);
  uint64_t* t = tmp.data();
  {
    uint32_t cursor[256];
    std::copy(top, top + 256, cursor);
    for (size_t i = 0; i < n; ++i) t[cursor[v[i] >> 56]++] = v[i];
  }
  for (size_t b = 0; b < 256; ++b) {
    const size_t begin = top[b];
    const size_t len = top[b + 1] - begin;
    if (len <= kInsertionMax) {
      std::copy(t + begin, t + begin + len, v + begin);
      insertion_sort(v + begin, len);
      continue;
    }
    // About 4 values per run, at most 4096 runs.
    const int bits = std::clamp(static_cast<int>(std::bit_width(len)) - 2, 1, 12);
    const int shift = 56 - bits;
    const uint64_t mask = (uint64_t{1} << bits) - 1;
    const size_t runs = size_t{1} << bits;
    std::fill(sub, sub + runs + 1, 0u);
    const uint64_t* src = t + begin;
    for (size_t i = 0; i < len; ++i) ++sub[((src[i] >> shift) & mask) + 1];
    for (size_t r = 0; r < runs; ++r) sub[r + 1] += sub[r];
    uint64_t* dst = v + begin;
    for (size_t i = 0; i < len; ++i) dst[sub[(src[i] >> shift) & mask]++] = src[i];
    // sub[r] is now the end of run r.
    size_t run_begin = 0;
    for (size_t r = 0; r < runs; ++r) {
      const size_t run_end = sub[r];
      if (run_end - run_begin > 1) {
        if (run_end - run_begin <= kInsertionMax) {
          insertion_sort(dst + run_begin, run_end - run_begin);
        } else {
          std::sort(dst + run_begin, dst + run_end);  // only for clustered, non-uniform input
        }
      }
      run_begin = run_end;
    }
  }
  size_t w = 1;
  for (size_t i = 1; i < n; ++i) {
    if (v[i] != v[w - 1]) v[w++] = v[i];
  }
  values.resize(w);
}

}  // namespace doppel::text
