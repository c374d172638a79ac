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

constexpr uint64_t kGoldenGamma = 0x9e3779b97f4a7c15ULL;

uint64_t finish(uint64_t combined, uint64_t length) { return fmix64(combined ^ (length * kGoldenGamma)); }

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
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
}

}  // namespace doppel::text
