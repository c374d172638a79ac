// File: tests/unit/sketch_test.cpp
// MinHash: determinism, persistence across instances, and the statistical
// accuracy of the Jaccard estimate on sets with exactly known overlap.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "core/hash.hpp"
#include "sketch/minhash.hpp"

namespace doppel::sketch {
namespace {

constexpr int kPerm = 128;

std::vector<uint32_t> sketch_of(const MinHasher& hasher, const std::vector<uint64_t>& shingles) {
  std::vector<uint32_t> sig(static_cast<std::size_t>(hasher.num_perm()));
  hasher.sketch(shingles, sig);
  return sig;
}

struct SetPair {
  std::vector<uint64_t> a;
  std::vector<uint64_t> b;
};

// |A n B| = shared, |A \ B| = |B \ A| = only_each, so J = shared / (shared + 2 * only_each).
// Random 64-bit values are distinct with overwhelming probability; the test checks.
SetPair make_pair_with(std::mt19937_64& rng, std::size_t shared, std::size_t only_each) {
  SetPair p;
  for (std::size_t i = 0; i < shared; ++i) {
    const uint64_t v = rng();
    p.a.push_back(v);
    p.b.push_back(v);
  }
  for (std::size_t i = 0; i < only_each; ++i) p.a.push_back(rng());
  for (std::size_t i = 0; i < only_each; ++i) p.b.push_back(rng());
  std::shuffle(p.a.begin(), p.a.end(), rng);
  std::shuffle(p.b.begin(), p.b.end(), rng);
  return p;
}

// Union of 1000 elements split into shared and the two private parts.
SetPair make_pair_at(std::mt19937_64& rng, double jaccard) {
  constexpr std::size_t kUnion = 1000;
  const auto shared = static_cast<std::size_t>(std::lround(jaccard * kUnion));
  return make_pair_with(rng, shared, (kUnion - shared) / 2);
}

double exact_jaccard(std::vector<uint64_t> a, std::vector<uint64_t> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  std::vector<uint64_t> inter;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(inter));
  return static_cast<double>(inter.size()) /
         static_cast<double>(a.size() + b.size() - inter.size());
}

TEST(MinHasher, PermutationParametersComeFromSplitmix) {
  MinHasher hasher(4);
  uint64_t state = kMinHashSeed;
  std::vector<uint64_t> a, b;
  for (int i = 0; i < 4; ++i) {
    a.push_back(core::splitmix64(state) | 1u);
    b.push_back(core::splitmix64(state));
  }
  const std::vector<uint64_t> shingles = {1, 2, 0xdeadbeefcafef00dULL, 12345678901234567ULL};
  const auto sig = sketch_of(hasher, shingles);
  for (int i = 0; i < 4; ++i) {
    uint32_t expect = kEmpty;
    for (uint64_t x : shingles) {
      expect = std::min(expect, static_cast<uint32_t>((a[i] * x + b[i]) >> 32));
    }
    EXPECT_EQ(sig[i], expect) << "permutation " << i;
  }
  EXPECT_EQ(hasher.num_perm(), 4);
}

TEST(MinHasher, MatchesScalarReferenceForAllLengths) {
  // Lengths around the kernel's block size exercise the tail handling.
  std::mt19937_64 rng(7);
  MinHasher hasher(kPerm);
  uint64_t state = kMinHashSeed;
  std::vector<uint64_t> a(kPerm), b(kPerm);
  for (int i = 0; i < kPerm; ++i) {
    a[i] = core::splitmix64(state) | 1u;
    b[i] = core::splitmix64(state);
  }
  for (std::size_t n : {1u, 2u, 3u, 4u, 5u, 7u, 8u, 9u, 31u, 100u}) {
    std::vector<uint64_t> shingles(n);
    for (auto& v : shingles) v = rng();
    const auto sig = sketch_of(hasher, shingles);
    for (int i = 0; i < kPerm; ++i) {
      uint32_t expect = kEmpty;
      for (uint64_t x : shingles) {
        expect = std::min(expect, static_cast<uint32_t>((a[i] * x + b[i]) >> 32));
      }
      ASSERT_EQ(sig[i], expect) << "n=" << n << " permutation " << i;
    }
  }
}

TEST(MinHasher, EmptyInputGivesAllEmpty) {
  MinHasher hasher(kPerm);
  std::vector<uint32_t> sig(kPerm, 7);
  hasher.sketch({}, sig);
  EXPECT_TRUE(std::all_of(sig.begin(), sig.end(), [](uint32_t v) { return v == kEmpty; }));
}

TEST(MinHasher, IndependentOfInputOrderAndDuplicates) {
  std::mt19937_64 rng(1);
  std::vector<uint64_t> shingles(500);
  for (auto& v : shingles) v = rng();
  MinHasher hasher(kPerm);
  const auto base = sketch_of(hasher, shingles);

  auto shuffled = shingles;
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  EXPECT_EQ(sketch_of(hasher, shuffled), base);

  auto doubled = shingles;
  doubled.insert(doubled.end(), shingles.begin(), shingles.end());
  EXPECT_EQ(sketch_of(hasher, doubled), base);
}

TEST(MinHasher, DefaultSeedIsPersistableAndSeedsDiffer) {
  std::mt19937_64 rng(2);
  std::vector<uint64_t> shingles(300);
  for (auto& v : shingles) v = rng();

  const MinHasher first(kPerm);
  const MinHasher second(kPerm, kMinHashSeed);
  EXPECT_EQ(sketch_of(first, shingles), sketch_of(second, shingles));

  const MinHasher other(kPerm, kMinHashSeed + 1);
  const auto x = sketch_of(first, shingles);
  const auto y = sketch_of(other, shingles);
  int equal = 0;
  for (int i = 0; i < kPerm; ++i) equal += x[i] == y[i] ? 1 : 0;
  // Independent permutations agree on a position with probability ~2^-32.
  EXPECT_LE(equal, 2);
}

TEST(MinHasher, SketchIsAPrefixForFewerPermutations) {
  // Signatures of different widths share their leading permutations, which lets a
  // caller reason about compatibility from (seed, num_perm) alone.
  std::mt19937_64 rng(3);
  std::vector<uint64_t> shingles(200);
  for (auto& v : shingles) v = rng();
  const auto wide = sketch_of(MinHasher(kPerm), shingles);
  const auto narrow = sketch_of(MinHasher(16), shingles);
  EXPECT_TRUE(std::equal(narrow.begin(), narrow.end(), wide.begin()));
}

TEST(EstimateJaccard, ExactCases) {
  std::vector<uint32_t> a = {1, 2, 3, 4};
  std::vector<uint32_t> b = {1, 2, 9, 9};
  EXPECT_DOUBLE_EQ(estimate_jaccard(a, b), 0.5);
  EXPECT_DOUBLE_EQ(estimate_jaccard(a, a), 1.0);
  std::vector<uint32_t> empty(4, kEmpty);
  EXPECT_DOUBLE_EQ(estimate_jaccard(empty, empty), 0.0);
  EXPECT_DOUBLE_EQ(estimate_jaccard(empty, a), 0.0);
  EXPECT_DOUBLE_EQ(estimate_jaccard({}, {}), 0.0);
}

TEST(EstimateJaccard, StandardError) {
  EXPECT_DOUBLE_EQ(jaccard_standard_error(0.5, 100), 0.05);
  EXPECT_DOUBLE_EQ(jaccard_standard_error(0.0, 128), 0.0);
  EXPECT_DOUBLE_EQ(jaccard_standard_error(1.0, 128), 0.0);
  EXPECT_NEAR(jaccard_standard_error(0.8, 128), std::sqrt(0.16 / 128), 1e-15);
}

TEST(EstimateJaccard, WithinFourStandardErrorsOfExactJaccard) {
  std::mt19937_64 rng(20240501);
  const MinHasher hasher(kPerm);
  for (double target : {0.2, 0.5, 0.8, 0.95}) {
    const SetPair p = make_pair_at(rng, target);
    const double truth = exact_jaccard(p.a, p.b);
    ASSERT_NEAR(truth, target, 0.002);  // the construction itself is right
    const double est = estimate_jaccard(sketch_of(hasher, p.a), sketch_of(hasher, p.b));
    const double se = jaccard_standard_error(truth, kPerm);
    EXPECT_LE(std::abs(est - truth), 4 * se) << "J=" << truth << " estimate " << est;
  }
}

TEST(EstimateJaccard, UnbiasedOverManyPairs) {
  std::mt19937_64 rng(99);
  const MinHasher hasher(kPerm);
  constexpr int kPairs = 50;
  for (double target : {0.2, 0.5, 0.8, 0.95}) {
    double sum_est = 0;
    double sum_truth = 0;
    for (int t = 0; t < kPairs; ++t) {
      const SetPair p = make_pair_at(rng, target);
      sum_truth += exact_jaccard(p.a, p.b);
      sum_est += estimate_jaccard(sketch_of(hasher, p.a), sketch_of(hasher, p.b));
    }
    EXPECT_NEAR(sum_est / kPairs, sum_truth / kPairs, 0.02) << "J=" << target;
  }
}

TEST(EstimateJaccard, DisjointSetsEstimateNearZero) {
  std::mt19937_64 rng(5);
  const MinHasher hasher(kPerm);
  const SetPair p = make_pair_with(rng, 0, 500);
  EXPECT_LE(estimate_jaccard(sketch_of(hasher, p.a), sketch_of(hasher, p.b)), 0.02);
}

}  // namespace
}  // namespace doppel::sketch
