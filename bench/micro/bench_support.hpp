// File: bench/micro/bench_support.hpp
//
// Deterministic inputs for the micro-benchmarks: English-like text drawn from a
// Zipf-distributed vocabulary (so token lengths and repeats look like prose),
// CJK text, and uniform 64-bit values standing in for shingle hashes. Every
// benchmark builds its input from a fixed seed, so runs are comparable.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace doppel::bench {

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return next() % n; }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

// Prose-like ASCII text of about `bytes` bytes: sentences of Zipf-distributed
// words, capitalised sentence starts, commas and periods, paragraph breaks.
inline std::string english_text(size_t bytes, uint64_t seed = 1) {
  Rng rng(seed);
  constexpr int kVocabulary = 20000;
  std::vector<std::string> vocab;
  vocab.reserve(kVocabulary);
  for (int i = 0; i < kVocabulary; ++i) {
    // Frequent words are short, as in English.
    const size_t len = 1 + static_cast<size_t>(std::min(12.0, 1.0 + std::log2(2.0 + i) * 0.7 + rng.below(3)));
    std::string w;
    for (size_t k = 0; k < len; ++k) w += static_cast<char>('a' + rng.below(26));
    vocab.push_back(std::move(w));
  }
  // Zipf(1) by inverse transform over the harmonic numbers.
  std::vector<double> cdf(kVocabulary);
  double total = 0;
  for (int i = 0; i < kVocabulary; ++i) cdf[i] = (total += 1.0 / (i + 1));
  std::string s;
  s.reserve(bytes + 64);
  bool sentence_start = true;
  while (s.size() < bytes) {
    const double u = rng.unit() * total;
    const size_t w = static_cast<size_t>(std::lower_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
    std::string word = vocab[std::min<size_t>(w, kVocabulary - 1)];
    if (sentence_start) word[0] = static_cast<char>(word[0] - 'a' + 'A');
    s += word;
    sentence_start = false;
    const uint64_t p = rng.below(100);
    if (p < 6) {
      s += ". ";
      sentence_start = true;
      if (rng.below(8) == 0) s += "\n\n";
    } else if (p < 12) {
      s += ", ";
    } else {
      s += ' ';
    }
  }
  return s;
}

// Chinese-like text: CJK ideographs with ASCII-free punctuation.
inline std::string cjk_text(size_t bytes, uint64_t seed = 2) {
  Rng rng(seed);
  std::string s;
  s.reserve(bytes + 8);
  while (s.size() < bytes) {
    const uint32_t cp = rng.below(20) == 0 ? 0x3002 : 0x4E00 + static_cast<uint32_t>(rng.below(3000));
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

inline std::vector<uint64_t> random_hashes(size_t n, uint64_t seed = 3) {
  Rng rng(seed);
  std::vector<uint64_t> v(n);
  for (auto& x : v) x = rng.next();
  return v;
}

}  // namespace doppel::bench
