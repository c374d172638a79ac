// File: tests/unit/sketch_test.cpp
// MinHash: determinism, persistence across instances, and the statistical
// accuracy of the Jaccard estimate on sets with exactly known overlap.
// SimHash: agreement with a plain per-bit vote, a persisted fingerprint, and the
// Hamming distance predicted from the sets' overlap.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "core/hash.hpp"
#include "sketch/minhash.hpp"
#include "sketch/oph.hpp"
#include "sketch/sketch_internal.hpp"
#include "sketch/simhash.hpp"

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

// ---- SimHash ---------------------------------------------------------------------

// The definition, written the obvious way: 64 counters, one vote per shingle.
uint64_t reference_simhash(const std::vector<uint64_t>& shingles, uint64_t seed = kSimHashSeed) {
  std::vector<uint64_t> ones(64, 0);
  for (uint64_t x : shingles) {
    const uint64_t h = simhash_bits(x, seed);
    for (int b = 0; b < 64; ++b) ones[static_cast<std::size_t>(b)] += (h >> b) & 1u;
  }
  uint64_t f = 0;
  for (int b = 0; b < 64; ++b) {
    if (2 * ones[static_cast<std::size_t>(b)] > shingles.size()) f |= uint64_t{1} << b;
  }
  return f;
}

TEST(SimHash, BitsAreSplitmixOfTheSeededShingle) {
  for (uint64_t x : {uint64_t{0}, uint64_t{1}, uint64_t{0xdeadbeefcafef00dULL}, ~uint64_t{0}}) {
    uint64_t state = x ^ kSimHashSeed;
    EXPECT_EQ(simhash_bits(x), core::splitmix64(state)) << x;
  }
}

TEST(SimHash, MatchesPerBitVoteForAllLengths) {
  // Lengths around the 16-word blocks and the 255-block flush of the bit-sliced counter.
  std::mt19937_64 rng(17);
  std::vector<std::size_t> lengths;
  for (std::size_t n = 0; n <= 40; ++n) lengths.push_back(n);
  for (std::size_t n : {255u, 256u, 257u, 4079u, 4080u, 4081u, 4096u, 8160u, 8161u, 20000u, 70001u}) {
    lengths.push_back(n);
  }
  for (std::size_t n : lengths) {
    std::vector<uint64_t> shingles(n);
    for (auto& v : shingles) v = rng();
    ASSERT_EQ(simhash(shingles), reference_simhash(shingles)) << "n=" << n;
  }
  // Long runs of one value put every bit count at its extreme (0 or n).
  std::vector<uint64_t> same(9000, 0x0123456789abcdefULL);
  EXPECT_EQ(simhash(same), simhash_bits(0x0123456789abcdefULL));
  EXPECT_EQ(simhash(same), reference_simhash(same));
}

TEST(SimHash, EmptyAndSingleShingle) {
  EXPECT_EQ(simhash({}), 0u);
  const std::vector<uint64_t> one = {42};
  EXPECT_EQ(simhash(one), simhash_bits(42));  // one vote decides every bit
}

TEST(SimHash, IdenticalSetsAndAnyOrderGiveTheSameFingerprint) {
  std::mt19937_64 rng(23);
  std::vector<uint64_t> shingles(777);
  for (auto& v : shingles) v = rng();
  const uint64_t base = simhash(shingles);
  const std::vector<uint64_t> copy = shingles;
  EXPECT_EQ(simhash(copy), base);
  for (int t = 0; t < 5; ++t) {
    auto shuffled = shingles;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    EXPECT_EQ(simhash(shuffled), base);
  }
  auto sorted = shingles;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(simhash(sorted), base);
}

TEST(SimHash, DefaultSeedIsPersistableAndSeedsDiffer) {
  // Fingerprints are compared across runs and machines: a change to the seed or the
  // construction must be deliberate, and this value must then be updated with it.
  std::vector<uint64_t> shingles;
  uint64_t state = 1;
  for (int i = 0; i < 1000; ++i) shingles.push_back(core::splitmix64(state));
  EXPECT_EQ(kSimHashSeed, 0x646f7070656c7368ULL);
  EXPECT_EQ(simhash(shingles), 0x163b75c62b0d5a89ULL);  // also computed by an independent Python script
  EXPECT_NE(simhash(shingles, kSimHashSeed + 1), simhash(shingles));
}

TEST(SimHash, HammingDistanceFollowsTheOverlap) {
  // For sets with cosine similarity c a bit differs with probability arccos(c)/pi;
  // for equal-size sets c = 2J / (1 + J). Averages over many pairs must follow it
  // and must grow as Jaccard falls.
  std::mt19937_64 rng(31);
  constexpr int kPairs = 200;
  const double kPi = std::acos(-1.0);
  double previous = -1;
  for (double target : {1.0, 0.95, 0.9, 0.8, 0.6, 0.4, 0.2, 0.0}) {
    double sum = 0;
    double sum_expected = 0;
    for (int t = 0; t < kPairs; ++t) {
      const SetPair p = target == 0.0 ? make_pair_with(rng, 0, 500) : make_pair_at(rng, target);
      const double j = exact_jaccard(p.a, p.b);
      sum += hamming_distance(simhash(p.a), simhash(p.b));
      sum_expected += 64.0 * std::acos(2 * j / (1 + j)) / kPi;
    }
    const double mean = sum / kPairs;
    // The per-pair standard deviation is at most 4 bits, so 200 pairs put the mean
    // within 1 bit of its expectation far beyond 3 standard errors.
    EXPECT_NEAR(mean, sum_expected / kPairs, 1.0) << "J=" << target;
    EXPECT_GT(mean, previous) << "J=" << target;
    previous = mean;
  }
  // Unrelated sets differ in about half the bits.
  EXPECT_GT(previous, 30.0);
  EXPECT_LT(previous, 34.0);
}

// ---- one-permutation hashing -------------------------------------------------------

std::vector<uint32_t> oph_of(const OnePermutationHasher& oph, const std::vector<uint64_t>& shingles) {
  std::vector<uint32_t> sig(static_cast<std::size_t>(oph.num_perm()));
  oph.sketch(shingles, sig);
  return sig;
}

// The definition written out plainly: one mixed hash per shingle, a bin from its
// high half, the minimum low half per bin, then each empty bin copies the first
// filled bin on its probe sequence.
std::vector<uint32_t> reference_oph(const std::vector<uint64_t>& shingles, uint32_t k) {
  auto mix = [](uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
  };
  std::vector<std::vector<uint32_t>> members(k);
  for (uint64_t x : shingles) {
    const uint64_t h = mix(x ^ kOphSeed);
    const uint32_t bin = static_cast<uint32_t>(((h >> 32) * k) >> 32);
    members[bin].push_back(std::min<uint32_t>(static_cast<uint32_t>(h), kEmpty - 1));
  }
  std::vector<uint32_t> sig(k, kEmpty);
  if (shingles.empty()) return sig;
  for (uint32_t i = 0; i < k; ++i) {
    uint32_t source = i;
    for (uint32_t attempt = 1; members[source].empty(); ++attempt) {
      const uint64_t h = mix(kOphSeed ^ ((static_cast<uint64_t>(i) << 32) | attempt) ^ 0x9e3779b97f4a7c15ULL);
      source = static_cast<uint32_t>(((h >> 32) * k) >> 32);
    }
    sig[i] = *std::min_element(members[source].begin(), members[source].end());
  }
  return sig;
}

TEST(OnePermutationHashing, MatchesDefinition) {
  std::mt19937_64 rng(11);
  for (const uint32_t k : {8u, 100u, 128u, 1024u, 1500u}) {
    OnePermutationHasher oph(static_cast<int>(k));
    for (const std::size_t n : {0u, 1u, 2u, 7u, 20u, 40u, 128u, 1000u, 20000u}) {
      std::vector<uint64_t> shingles(n);
      for (auto& v : shingles) v = rng();
      ASSERT_EQ(oph_of(oph, shingles), reference_oph(shingles, k)) << "k=" << k << " n=" << n;
    }
  }
}

// Every bin-filling kernel the CPU can run, against the definition: sizes on
// both sides of the vector width and of the 256-shingle hashing block.
TEST(OnePermutationHashing, EveryKernelMatchesDefinition) {
  std::mt19937_64 rng(12);
  for (const auto isa : internal::supported_isas()) {
    for (const uint32_t k : {8u, 128u, 1500u}) {
      OnePermutationHasher oph(static_cast<int>(k));
      for (const std::size_t n : {0u, 1u, 3u, 7u, 8u, 9u, 15u, 17u, 255u, 256u, 257u, 513u, 1000u, 5003u}) {
        std::vector<uint64_t> shingles(n);
        for (auto& v : shingles) v = rng();
        // Repeats must not matter.
        if (n > 2) shingles[n / 2] = shingles[0];
        std::vector<uint32_t> sig(k, 7);
        internal::sketch_with(isa, oph, shingles, sig);
        ASSERT_EQ(sig, reference_oph(shingles, k)) << internal::isa_name(isa) << " k=" << k << " n=" << n;
      }
    }
  }
}

TEST(OnePermutationHashing, EmptyInputGivesAllEmptyAndOrderDoesNotMatter) {
  OnePermutationHasher oph(kPerm);
  std::vector<uint32_t> sig(kPerm, 7);
  oph.sketch({}, sig);
  EXPECT_TRUE(std::all_of(sig.begin(), sig.end(), [](uint32_t v) { return v == kEmpty; }));

  std::mt19937_64 rng(5);
  std::vector<uint64_t> shingles(300);
  for (auto& v : shingles) v = rng();
  const auto base = oph_of(oph, shingles);
  EXPECT_TRUE(std::none_of(base.begin(), base.end(), [](uint32_t v) { return v == kEmpty; }));
  auto shuffled = shingles;
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  shuffled.insert(shuffled.end(), shingles.begin(), shingles.begin() + 50);
  EXPECT_EQ(oph_of(oph, shuffled), base);
}

// The accuracy claims of docs/algorithms.md: over many random pairs at each
// Jaccard value and set size, the one-permutation estimate is unbiased (mean
// within 0.01 of J) and its spread is within 15% (+0.005) of the k-permutation
// standard error sqrt(J(1-J)/k), also for sets smaller than k where most bins
// are borrowed. k-permutation MinHash is measured alongside as the yardstick.
TEST(OnePermutationHashing, EstimatesMatchMinHashAccuracy) {
  std::mt19937_64 rng(2024);
  OnePermutationHasher oph(kPerm);
  MinHasher minhash(kPerm);
  constexpr int kTrials = 300;
  for (const std::size_t union_size : {24u, 100u, 1000u, 10000u}) {
    for (const double j : {0.1, 0.5, 0.8, 0.9}) {
      const auto shared = static_cast<std::size_t>(std::lround(j * static_cast<double>(union_size)));
      const std::size_t only_each = (union_size - shared) / 2;
      double sum_o = 0, sum_sq_o = 0, sum_sq_m = 0, exact_sum = 0;
      for (int t = 0; t < kTrials; ++t) {
        const SetPair p = make_pair_with(rng, shared, only_each);
        const double exact = exact_jaccard(p.a, p.b);
        const double eo = estimate_jaccard(oph_of(oph, p.a), oph_of(oph, p.b));
        const double em = estimate_jaccard(sketch_of(minhash, p.a), sketch_of(minhash, p.b));
        exact_sum += exact;
        sum_o += eo - exact;
        sum_sq_o += (eo - exact) * (eo - exact);
        sum_sq_m += (em - exact) * (em - exact);
      }
      const double jj = exact_sum / kTrials;
      const double bias = sum_o / kTrials;
      const double rmse_o = std::sqrt(sum_sq_o / kTrials);
      const double rmse_m = std::sqrt(sum_sq_m / kTrials);
      const double se = jaccard_standard_error(jj, kPerm);
      EXPECT_LT(std::abs(bias), 0.01) << "union " << union_size << " J " << jj;
      EXPECT_LT(rmse_o, 1.15 * se + 0.005) << "union " << union_size << " J " << jj << " minhash " << rmse_m;
      EXPECT_LT(rmse_m, 1.15 * se + 0.005) << "union " << union_size << " J " << jj;
    }
  }
}

}  // namespace
}  // namespace doppel::sketch
