// File: tests/unit/index_test.cpp
// Candidate generation: banding choice, Jaccard LSH buckets, and the containment
// index's hypergeometric rule, including recall simulations at the stated limits;
// SimHash permuted tables against brute force.
#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <span>
#include <vector>

#include "index/lsh.hpp"
#include "index/simhash_index.hpp"
#include "sketch/minhash.hpp"
#include "sketch/oph.hpp"

namespace doppel::index {
namespace {

constexpr int kPerm = 128;

// ---- banding ---------------------------------------------------------------

// Independent of the library's Simpson rule: a fine midpoint sum.
double reference_area(double t, int bands, int rows) {
  constexpr int kSteps = 20000;
  double sum = 0;
  for (int i = 0; i < kSteps; ++i) {
    const double s = (i + 0.5) * t / kSteps;
    sum += 1.0 - std::pow(1.0 - std::pow(s, rows), bands);
  }
  return sum * t / kSteps;
}

TEST(Banding, ProbabilityFormula) {
  EXPECT_NEAR(banding_probability(0.5, 4, 2), 1.0 - std::pow(0.75, 4), 1e-15);
  EXPECT_NEAR(banding_probability(0.9, 20, 5), 1.0 - std::pow(1.0 - std::pow(0.9, 5), 20), 1e-14);
  EXPECT_DOUBLE_EQ(banding_probability(0.0, 10, 3), 0.0);
  EXPECT_DOUBLE_EQ(banding_probability(1.0, 10, 3), 1.0);
  // Tiny s^r must not round to zero: 1 - (1 - 1e-12)^10 = 1e-11 to first order.
  EXPECT_NEAR(banding_probability(1e-6, 10, 2), 1e-11, 1e-20);
}

TEST(Banding, ChoiceMeetsTargetAndIsOptimal) {
  for (double t : {0.5, 0.7, 0.8, 0.9}) {
    auto chosen = choose_banding(t, kPerm, 0.99);
    ASSERT_TRUE(chosen.is_ok()) << chosen.status().message();
    const Banding b = *chosen;
    EXPECT_LE(b.bands * b.rows, kPerm);
    EXPECT_GE(b.p_at_threshold, 0.99);
    EXPECT_NEAR(b.p_at_threshold, banding_probability(t, b.bands, b.rows), 1e-15);
    // No feasible alternative has a clearly smaller false-positive area.
    const double area = reference_area(t, b.bands, b.rows);
    for (int r = 1; r <= kPerm; ++r) {
      for (int bands = 1; bands <= kPerm / r; ++bands) {
        if (banding_probability(t, bands, r) < 0.99) continue;
        EXPECT_GE(reference_area(t, bands, r), area - 1e-7)
            << "t=" << t << " (" << bands << "," << r << ") beats (" << b.bands << ","
            << b.rows << ")";
        break;  // larger b only adds area
      }
    }
  }
}

TEST(Banding, KnownChoices) {
  // Regression values: the optimum for num_perm = 128 at P >= 0.99.
  auto b8 = choose_banding(0.8, kPerm, 0.99);
  ASSERT_TRUE(b8.is_ok());
  auto b9 = choose_banding(0.9, kPerm, 0.99);
  ASSERT_TRUE(b9.is_ok());
  // Higher thresholds need longer bands (sharper curves further right).
  EXPECT_GT(b9->rows, b8->rows);
  // Threshold 1 can afford the single band of all rows.
  auto b1 = choose_banding(1.0, 16, 0.99);
  ASSERT_TRUE(b1.is_ok());
  EXPECT_EQ(b1->bands, 1);
  EXPECT_EQ(b1->rows, 16);
}

TEST(Banding, InvalidAndInfeasible) {
  EXPECT_EQ(choose_banding(0.0, kPerm).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(choose_banding(1.5, kPerm).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(choose_banding(0.8, 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(choose_banding(0.8, kPerm, 1.0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(choose_banding(0.8, kPerm, 0.0).status().code(), StatusCode::kInvalidArgument);
  // With 8 permutations, 1 - 0.9^8 = 0.57 is the best reachable at t = 0.1.
  auto r = choose_banding(0.1, 8, 0.99);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("num_perm=8"), std::string::npos);
  EXPECT_NE(r.status().message().find("0.1"), std::string::npos);
  EXPECT_NE(r.status().message().find("--num-perm"), std::string::npos);
}

// ---- Jaccard LSH ---------------------------------------------------------------

std::vector<uint64_t> random_set(std::mt19937_64& rng, std::size_t n) {
  std::vector<uint64_t> s(n);
  for (auto& v : s) v = rng();
  return s;
}

// A copy of `base` with `replace` elements swapped for fresh ones:
// J = (n - replace) / (n + replace).
std::vector<uint64_t> perturbed(std::mt19937_64& rng, const std::vector<uint64_t>& base,
                                std::size_t replace) {
  auto s = base;
  for (std::size_t i = 0; i < replace; ++i) s[i] = rng();
  return s;
}

struct Corpus {
  std::vector<uint32_t> signatures;
  uint32_t num_docs = 0;
  void add(const sketch::MinHasher& hasher, const std::vector<uint64_t>& shingles) {
    signatures.resize(signatures.size() + kPerm);
    hasher.sketch(shingles, std::span<uint32_t>(signatures).last(kPerm));
    ++num_docs;
  }
};

bool contains(const std::vector<CandidatePair>& pairs, uint32_t a, uint32_t b) {
  return std::binary_search(pairs.begin(), pairs.end(), CandidatePair{a, b});
}

void expect_sorted_unique_ordered(const std::vector<CandidatePair>& pairs) {
  for (const auto& p : pairs) EXPECT_LT(p.a, p.b);
  EXPECT_TRUE(std::is_sorted(pairs.begin(), pairs.end()));
  EXPECT_EQ(std::adjacent_find(pairs.begin(), pairs.end()), pairs.end());
}

TEST(JaccardCandidates, FindsNearDuplicatesNotRandomPairs) {
  std::mt19937_64 rng(11);
  const sketch::MinHasher hasher(kPerm);
  const Banding banding = choose_banding(0.8, kPerm, 0.99).value();
  Corpus corpus;
  constexpr uint32_t kPairs = 100;
  // Documents 2i and 2i+1 have J = 900/1100 ~ 0.82 .. J(0.9): replace 53 of 1000.
  for (uint32_t i = 0; i < kPairs; ++i) {
    const auto base = random_set(rng, 1000);
    corpus.add(hasher, base);
    corpus.add(hasher, perturbed(rng, base, 53));  // J = 947/1053 = 0.8993..
  }
  // Unrelated documents share nothing with anything.
  for (int i = 0; i < 200; ++i) corpus.add(hasher, random_set(rng, 300 + 7 * i));

  const auto pairs = jaccard_candidates(corpus.signatures, corpus.num_docs, kPerm, banding);
  expect_sorted_unique_ordered(pairs);
  for (uint32_t i = 0; i < kPairs; ++i) EXPECT_TRUE(contains(pairs, 2 * i, 2 * i + 1)) << i;
  // Every candidate is one of the planted pairs.
  for (const auto& p : pairs) {
    EXPECT_TRUE(p.a % 2 == 0 && p.b == p.a + 1 && p.a < 2 * kPairs)
        << "unexpected pair " << p.a << "," << p.b;
  }
}

TEST(JaccardCandidates, LowSimilarityRarelyPairs) {
  // J = 0.2 at threshold 0.8: P = 1 - (1 - 0.2^r)^b is tiny for the chosen banding.
  std::mt19937_64 rng(12);
  const sketch::MinHasher hasher(kPerm);
  const Banding banding = choose_banding(0.8, kPerm, 0.99).value();
  ASSERT_LT(banding_probability(0.2, banding.bands, banding.rows), 0.01);
  Corpus corpus;
  for (int i = 0; i < 100; ++i) {
    const auto base = random_set(rng, 1000);
    corpus.add(hasher, base);
    corpus.add(hasher, perturbed(rng, base, 667));  // J = 333/1667 = 0.20
  }
  const auto pairs = jaccard_candidates(corpus.signatures, corpus.num_docs, kPerm, banding);
  EXPECT_LE(pairs.size(), 3u);
}

TEST(JaccardCandidates, EmptyDocumentsNeverPair) {
  const sketch::MinHasher hasher(kPerm);
  Corpus corpus;
  for (int i = 0; i < 5; ++i) corpus.add(hasher, {});
  std::mt19937_64 rng(3);
  const auto s = random_set(rng, 50);
  corpus.add(hasher, s);
  corpus.add(hasher, s);
  const Banding banding = choose_banding(0.8, kPerm).value();
  const auto pairs = jaccard_candidates(corpus.signatures, corpus.num_docs, kPerm, banding);
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(pairs[0], (CandidatePair{5, 6}));
}

TEST(JaccardCandidates, BigBucketStaysConnectedWithoutQuadraticPairs) {
  constexpr uint32_t kDocs = 1000;
  std::vector<uint32_t> signatures;
  for (uint32_t d = 0; d < kDocs; ++d) {
    for (int i = 0; i < kPerm; ++i) signatures.push_back(static_cast<uint32_t>(i * 7919 + 1));
  }
  const BucketLimits limits;  // 256 / 16
  const auto pairs =
      jaccard_candidates(signatures, kDocs, kPerm, choose_banding(0.8, kPerm).value(), limits);
  expect_sorted_unique_ordered(pairs);
  // Star on doc 0 (999 pairs) plus the window (16 per doc, fewer at the end),
  // minus the overlap of the two within the first window.
  const std::size_t window_pairs = 16 * (kDocs - 16) + 16 * 15 / 2;
  EXPECT_EQ(pairs.size(), window_pairs + (kDocs - 1 - 16));
  EXPECT_LT(pairs.size(), kDocs * (kDocs - 1) / 20);
  std::vector<bool> linked(kDocs, false);
  linked[0] = true;
  for (const auto& p : pairs) linked[p.b] = true;  // p.b has a lower-index partner
  EXPECT_TRUE(std::all_of(linked.begin(), linked.end(), [](bool x) { return x; }));
  EXPECT_TRUE(contains(pairs, 0, kDocs - 1));
  EXPECT_TRUE(contains(pairs, 500, 516));
  EXPECT_FALSE(contains(pairs, 500, 517));
}

TEST(JaccardCandidates, SmallBucketEmitsAllPairs) {
  constexpr uint32_t kDocs = 20;
  std::vector<uint32_t> signatures(kDocs * kPerm, 42);
  BucketLimits limits;
  limits.max_full_bucket = 20;
  const auto pairs = jaccard_candidates(signatures, kDocs, kPerm, {16, 8, 0.0}, limits);
  EXPECT_EQ(pairs.size(), kDocs * (kDocs - 1) / 2);
}

TEST(JaccardCandidates, IndependentOfThreadCount) {
  std::mt19937_64 rng(21);
  const sketch::MinHasher hasher(kPerm);
  Corpus corpus;
  const auto common = random_set(rng, 400);
  for (int i = 0; i < 600; ++i) {
    // Mostly copies of one document (big buckets) and some near copies.
    corpus.add(hasher, perturbed(rng, common, static_cast<std::size_t>(i % 40)));
  }
  for (int i = 0; i < 300; ++i) corpus.add(hasher, random_set(rng, 100));
  const Banding banding = choose_banding(0.7, kPerm).value();
  auto run_with = [&](int threads) {
    tbb::task_arena arena(threads);
    std::vector<CandidatePair> out;
    arena.execute(
        [&] { out = jaccard_candidates(corpus.signatures, corpus.num_docs, kPerm, banding); });
    return out;
  };
  const auto one = run_with(1);
  const auto two = run_with(2);
  EXPECT_FALSE(one.empty());
  EXPECT_EQ(one, two);
}

// The documented bucket rule written out directly: buckets keyed by the rows
// themselves (no hash), members in document order, every pair of a small bucket
// and star + window in a big one.
std::vector<CandidatePair> brute_force_jaccard(const std::vector<uint32_t>& signatures, uint32_t docs,
                                               int num_perm, const Banding& banding,
                                               const BucketLimits& limits) {
  std::set<CandidatePair> out;
  const auto k = static_cast<std::size_t>(num_perm);
  const auto rows = static_cast<std::size_t>(banding.rows);
  for (std::size_t band = 0; band < static_cast<std::size_t>(banding.bands); ++band) {
    std::map<std::vector<uint32_t>, std::vector<uint32_t>> buckets;
    for (uint32_t d = 0; d < docs; ++d) {
      if (signatures[d * k] == sketch::kEmpty) continue;
      const auto* row = signatures.data() + d * k + band * rows;
      buckets[std::vector<uint32_t>(row, row + rows)].push_back(d);
    }
    for (const auto& [key, m] : buckets) {
      for (std::size_t i = 0; i < m.size(); ++i) {
        for (std::size_t j = i + 1; j < m.size(); ++j) {
          const bool full = m.size() <= limits.max_full_bucket;
          if (full || i == 0 || j - i <= limits.window) out.insert({m[i], m[j]});
        }
      }
    }
  }
  return {out.begin(), out.end()};
}

TEST(JaccardCandidates, SameAsBruteForceOnRandomBuckets) {
  const Banding banding{16, 4, 0.0};
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    std::mt19937_64 rng(seed);
    // Rows over a tiny alphabet so that buckets of every size occur, from pairs
    // up to far beyond max_full_bucket.
    const uint32_t docs = 300 + static_cast<uint32_t>(seed) * 500;
    const uint32_t alphabet = 2 + static_cast<uint32_t>(seed % 3);
    std::vector<uint32_t> signatures(std::size_t{docs} * kPerm);
    for (uint32_t d = 0; d < docs; ++d) {
      for (int i = 0; i < kPerm; ++i) {
        signatures[d * kPerm + static_cast<std::size_t>(i)] = static_cast<uint32_t>(rng() % alphabet);
      }
      if (rng() % 17 == 0) signatures[d * kPerm] = sketch::kEmpty;
    }
    BucketLimits limits;
    limits.max_full_bucket = 1 + static_cast<uint32_t>(rng() % 40);
    limits.window = 1 + static_cast<uint32_t>(rng() % 8);
    const auto got = jaccard_candidates(signatures, docs, kPerm, banding, limits);
    EXPECT_EQ(got, brute_force_jaccard(signatures, docs, kPerm, banding, limits)) << "seed " << seed;
  }
}

TEST(JaccardCandidates, SameAsBruteForceWhenMostRowsAreUnique) {
  // Nearly every band key is held by one document (the case the band filter
  // drops before grouping) with, among them, bands copied from earlier
  // documents: pairs, small groups, and a few groups far beyond max_full_bucket.
  const Banding banding{16, 4, 0.0};
  std::mt19937_64 rng(606);
  constexpr uint32_t kDocs = 6000;
  std::vector<uint32_t> signatures(std::size_t{kDocs} * kPerm);
  for (uint32_t d = 0; d < kDocs; ++d) {
    uint32_t* row = signatures.data() + std::size_t{d} * kPerm;
    for (int i = 0; i < kPerm; ++i) row[i] = static_cast<uint32_t>(rng());
    for (int band = 0; band < banding.bands; ++band) {
      const uint64_t roll = rng() % 100;
      uint32_t source = d;
      if (roll < 3 && d > 0) source = static_cast<uint32_t>(rng() % d);  // a pair or a small group
      if (roll == 3) source = static_cast<uint32_t>(band);                // one of 16 big groups
      if (source == d) continue;
      const std::size_t first = static_cast<std::size_t>(band * banding.rows);
      std::copy_n(signatures.data() + std::size_t{source} * kPerm + first, banding.rows, row + first);
    }
    if (rng() % 50 == 0) row[0] = sketch::kEmpty;
  }
  const BucketLimits limits;
  const auto got = jaccard_candidates(signatures, kDocs, kPerm, banding, limits);
  const auto want = brute_force_jaccard(signatures, kDocs, kPerm, banding, limits);
  EXPECT_GT(want.size(), 5000u);
  expect_sorted_unique_ordered(got);
  EXPECT_EQ(got, want);
}

// 400 documents: every third one unrelated, the others perturbed copies of one set.
Corpus copies_of_one_set(std::mt19937_64& rng) {
  const sketch::MinHasher hasher(kPerm);
  Corpus corpus;
  const auto common = random_set(rng, 300);
  for (int i = 0; i < 400; ++i) {
    corpus.add(hasher, i % 3 == 0 ? random_set(rng, 80) : perturbed(rng, common, static_cast<std::size_t>(i % 30)));
  }
  return corpus;
}

TEST(JaccardCandidates, RowSelectionSameAsGatheredRows) {
  // Selecting rows in place must give what gathering them into their own array
  // gives: pairs by position in the selection, a row past the end an empty document.
  std::mt19937_64 rng(808);
  Corpus corpus = copies_of_one_set(rng);
  std::fill_n(corpus.signatures.begin() + 7 * kPerm, kPerm, sketch::kEmpty);
  std::vector<uint32_t> rows;
  std::vector<uint32_t> gathered;
  for (uint32_t d = 0; d < corpus.num_docs; ++d) {
    if (rng() % 4 == 0) continue;
    rows.push_back(d);
  }
  std::swap(rows[3], rows[4]);  // not necessarily ascending
  rows.insert(rows.begin() + 10, corpus.num_docs + 5);  // beyond the end: empty
  for (uint32_t r : rows) {
    for (int i = 0; i < kPerm; ++i) {
      gathered.push_back(r < corpus.num_docs ? corpus.signatures[std::size_t{r} * kPerm + static_cast<std::size_t>(i)]
                                             : sketch::kEmpty);
    }
  }
  const Banding banding = choose_banding(0.7, kPerm).value();
  const auto got = jaccard_candidates(corpus.signatures, rows, kPerm, banding);
  const auto want = jaccard_candidates(gathered, static_cast<uint32_t>(rows.size()), kPerm, banding);
  EXPECT_GT(want.size(), 1000u);
  EXPECT_EQ(got, want);
}

TEST(JaccardCandidates, BandKeysKeptPerDocumentSameAsSignatures) {
  // dedup keeps each document's band keys instead of its signature; over a row
  // selection (with repeats and out of order) the pairs must be the same.
  std::mt19937_64 rng(809);
  Corpus corpus = copies_of_one_set(rng);
  for (const Banding banding : {choose_banding(0.7, kPerm).value(), Banding{5, 7, 0.0}, Banding{40, 2, 0.0}}) {
    const std::size_t bands = usable_bands(kPerm, banding);
    ASSERT_GT(bands, 0u);
    std::vector<uint64_t> keys(corpus.num_docs * bands);
    for (uint32_t d = 0; d < corpus.num_docs; ++d) {
      band_keys(std::span<const uint32_t>(corpus.signatures).subspan(std::size_t{d} * kPerm, kPerm), banding,
                std::span<uint64_t>(keys).subspan(std::size_t{d} * bands, bands));
    }
    std::vector<uint32_t> rows;
    for (uint32_t d = 0; d < corpus.num_docs; ++d) {
      if (rng() % 4 != 0) rows.push_back(d);
    }
    std::swap(rows[3], rows[4]);
    rows.push_back(rows[0]);
    const auto got = jaccard_candidates_from_band_keys(keys, rows, bands);
    const auto want = jaccard_candidates(corpus.signatures, rows, kPerm, banding);
    EXPECT_GT(want.size(), 1000u);
    EXPECT_EQ(got, want);
  }
  EXPECT_EQ(usable_bands(kPerm, Banding{40, 7, 0.0}), static_cast<std::size_t>(kPerm / 7));
  EXPECT_EQ(usable_bands(0, Banding{4, 4, 0.0}), 0u);
}

// ---- containment ---------------------------------------------------------------

TEST(ContainmentRule, MinSharedValuesIsSensible) {
  const ContainmentParams params;  // 0.8, k = 128, 0.99
  const uint32_t equal = min_shared_values(2000, 2000, params);
  const uint32_t tenth = min_shared_values(200, 2000, params);
  // Equal sizes at containment 0.8: J = 2/3, about 85 of 128 union minima shared.
  EXPECT_GE(equal, 60u);
  EXPECT_LE(equal, 90u);
  EXPECT_GE(tenth, 1u);
  EXPECT_LE(tenth, 6u);
  EXPECT_LT(tenth, equal);
  // Monotone: a smaller excerpt of the same document needs less evidence.
  uint32_t previous = 0;
  for (uint32_t small : {20u, 50u, 100u, 200u, 500u, 1000u, 2000u}) {
    const uint32_t m = min_shared_values(small, 2000, params);
    EXPECT_GE(m, previous) << small;
    previous = m;
  }
  // Symmetric in argument order, and never zero.
  EXPECT_EQ(min_shared_values(2000, 200, params), tenth);
  EXPECT_EQ(min_shared_values(1, 1000000, params), 1u);
  EXPECT_EQ(min_shared_values(0, 10, params), 1u);
}

TEST(ContainmentRule, SmallSetsAreFullySketched) {
  // Both sets below k: the sketches are the sets, Y = |A n B| exactly.
  // small = 10, large = 20, i = 8, u = 22, n = 22 -> Y = 8 surely.
  const ContainmentParams params;
  EXPECT_EQ(min_shared_values(10, 20, params), 8u);
  EXPECT_DOUBLE_EQ(containment_detection_probability(10, 20, params), 1.0);
}

TEST(ContainmentRule, HypergeometricAgainstDirectFormula) {
  // small = 100, large = 1000: i = 80, u = 1020, n = 128.
  const ContainmentParams params;
  // P(Y = 0) = C(940, 128) / C(1020, 128).
  const double log_p0 = (std::lgamma(941) - std::lgamma(129) - std::lgamma(813)) -
                        (std::lgamma(1021) - std::lgamma(129) - std::lgamma(893));
  EXPECT_NEAR(containment_detection_probability(100, 1000, params), 1.0 - std::exp(log_p0), 1e-9);
  // Direct pmf: the returned m is the largest with P(Y >= m) >= 0.99.
  std::vector<double> pmf(129, 0.0);
  for (int y = 0; y <= 80; ++y) {
    pmf[y] = std::exp(std::lgamma(81) - std::lgamma(y + 1) - std::lgamma(81 - y) +
                      std::lgamma(941) - std::lgamma(128 - y + 1) - std::lgamma(941 - 128 + y) -
                      (std::lgamma(1021) - std::lgamma(129) - std::lgamma(893)));
  }
  std::vector<double> tail(130, 0.0);
  for (int y = 128; y >= 0; --y) tail[y] = tail[y + 1] + pmf[y];
  uint32_t expected = 1;
  for (int m = 1; m <= 128; ++m) {
    if (tail[m] >= 0.99) expected = static_cast<uint32_t>(m);
  }
  EXPECT_EQ(min_shared_values(100, 1000, params), expected);
  EXPECT_GE(expected, 3u);  // mean 10, so the rule is not degenerate
}

TEST(ContainmentRule, DetectionProbabilityAtTenPercent) {
  const ContainmentParams params;
  EXPECT_GE(containment_detection_probability(200, 2000, params), 0.99);
  EXPECT_GE(containment_detection_probability(1000, 2000, params), 0.999999);
  // Falls as the excerpt gets relatively smaller.
  EXPECT_LT(containment_detection_probability(50, 2000, params),
            containment_detection_probability(200, 2000, params));
  EXPECT_DOUBLE_EQ(containment_detection_probability(0, 2000, params), 0.0);
}

struct ContainmentCorpus {
  std::vector<std::vector<uint64_t>> sets;  // sorted
  void add(std::vector<uint64_t> s) {
    std::sort(s.begin(), s.end());
    s.erase(std::unique(s.begin(), s.end()), s.end());
    sets.push_back(std::move(s));
  }
  std::vector<CandidatePair> run(const ContainmentParams& params = {},
                                 const BucketLimits& limits = {}) const {
    std::vector<std::span<const uint64_t>> bottoms;
    std::vector<uint32_t> sizes;
    for (const auto& s : sets) {
      bottoms.emplace_back(s.data(), std::min<std::size_t>(s.size(), params.k));
      sizes.push_back(static_cast<uint32_t>(s.size()));
    }
    return containment_candidates(bottoms, sizes, params, limits);
  }
};

TEST(ContainmentCandidates, FindsTenPercentExcerptsInSimulation) {
  std::mt19937_64 rng(314159);
  constexpr int kTrials = 300;
  int found = 0;
  int false_pairs = 0;
  for (int trial = 0; trial < kTrials; ++trial) {
    ContainmentCorpus corpus;
    const auto big = random_set(rng, 2000);
    // A: a random 10% of B plus 10% foreign values, containment 200/222 ~ 0.9.
    auto excerpt = big;
    std::shuffle(excerpt.begin(), excerpt.end(), rng);
    excerpt.resize(200);
    for (int i = 0; i < 22; ++i) excerpt.push_back(rng());
    // The pair sits among unrelated documents at varying positions.
    const std::size_t before = static_cast<std::size_t>(trial % 50);
    std::uniform_int_distribution<std::size_t> size_dist(5, 3000);
    for (std::size_t i = 0; i < before; ++i) corpus.add(random_set(rng, size_dist(rng)));
    const auto a = static_cast<uint32_t>(corpus.sets.size());
    corpus.add(excerpt);
    for (std::size_t i = 0; i < 50 - before; ++i) corpus.add(random_set(rng, size_dist(rng)));
    const auto b = static_cast<uint32_t>(corpus.sets.size());
    corpus.add(big);

    const auto pairs = corpus.run();
    found += contains(pairs, a, b) ? 1 : 0;
    false_pairs += static_cast<int>(pairs.size()) - (contains(pairs, a, b) ? 1 : 0);
  }
  EXPECT_GE(found, kTrials * 99 / 100);
  EXPECT_EQ(false_pairs, 0);
}

TEST(ContainmentCandidates, SharedButBelowRuleIsRejected) {
  // Same-size documents sharing a couple of bottom-k values are nowhere near
  // containment 0.8, which would share ~85 of them.
  std::mt19937_64 rng(8);
  ContainmentCorpus corpus;
  auto x = random_set(rng, 2000);
  auto y = random_set(rng, 2000);
  std::sort(x.begin(), x.end());
  std::sort(y.begin(), y.end());
  y[0] = x[0];  // both documents' smallest values
  y[1] = x[1];
  corpus.add(x);
  corpus.add(y);
  EXPECT_TRUE(corpus.run().empty());
}

TEST(ContainmentCandidates, FindsFullSizeNearDuplicates) {
  std::mt19937_64 rng(9);
  ContainmentCorpus corpus;
  for (int i = 0; i < 20; ++i) {
    const auto base = random_set(rng, 1500);
    corpus.add(base);
    corpus.add(perturbed(rng, base, 79));  // J = 1421/1579 = 0.9
  }
  const auto pairs = corpus.run();
  ASSERT_EQ(pairs.size(), 20u);
  for (uint32_t i = 0; i < 20; ++i) EXPECT_EQ(pairs[i], (CandidatePair{2 * i, 2 * i + 1}));
}

TEST(ContainmentCandidates, EmptyDocumentsNeverPair) {
  ContainmentCorpus corpus;
  corpus.add({});
  corpus.add({1, 2, 3});
  corpus.add({});
  corpus.add({1, 2, 3});
  const auto pairs = corpus.run();
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(pairs[0], (CandidatePair{1, 3}));

  // A zero set size marks the document empty even if a sketch was passed.
  std::vector<uint64_t> values = {1, 2, 3};
  std::vector<std::span<const uint64_t>> bottoms = {values, values};
  std::vector<uint32_t> sizes = {3, 0};
  EXPECT_TRUE(containment_candidates(bottoms, sizes, {}).empty());
}

TEST(ContainmentCandidates, OverCommonValueIsIgnored) {
  // 30 small documents share only the value 7 (and have nothing else in common).
  // Sharing one value at these sizes passes the rule (m = 1 for tiny excerpts of
  // large documents), so with the default limit they all pair; max_posting below
  // the list length makes the value carry no evidence.
  std::mt19937_64 rng(10);
  ContainmentCorpus corpus;
  for (int i = 0; i < 30; ++i) {
    auto s = random_set(rng, i == 0 ? 5000 : 5);
    s.push_back(7);  // smaller than any random value in practice: in every bottom-k
    corpus.add(s);
  }
  ContainmentParams params;
  ASSERT_EQ(min_shared_values(6, 5001, params), 1u);
  const auto all = corpus.run(params);
  EXPECT_EQ(all.size(), 29u);  // each small document with the big one (only)
  for (const auto& p : all) EXPECT_EQ(p.a, 0u);

  BucketLimits limits;
  limits.max_posting = 29;
  EXPECT_TRUE(corpus.run(params, limits).empty());
}

TEST(ContainmentCandidates, IndependentOfThreadCount) {
  std::mt19937_64 rng(77);
  ContainmentCorpus corpus;
  const auto base = random_set(rng, 3000);
  for (int i = 0; i < 800; ++i) {
    auto s = base;
    std::shuffle(s.begin(), s.end(), rng);
    s.resize(100 + static_cast<std::size_t>(i) * 3);
    for (int j = 0; j < 20; ++j) s.push_back(rng());
    corpus.add(s);
  }
  for (int i = 0; i < 200; ++i) corpus.add(random_set(rng, 50 + static_cast<std::size_t>(i)));
  auto run_with = [&](int threads) {
    tbb::task_arena arena(threads);
    std::vector<CandidatePair> out;
    arena.execute([&] { out = corpus.run(); });
    return out;
  };
  const auto one = run_with(1);
  const auto two = run_with(2);
  EXPECT_GT(one.size(), 1000u);
  expect_sorted_unique_ordered(one);
  EXPECT_EQ(one, two);
}


// The documented rule written out directly: every pair sharing a value of a
// list of 2..max_posting distinct documents, counted per distinct value, kept
// when min_shared_values() of the two set sizes is at most that count.
std::vector<CandidatePair> brute_force_containment(const std::vector<std::vector<uint64_t>>& sketches,
                                                   const std::vector<uint32_t>& sizes,
                                                   const ContainmentParams& params,
                                                   const BucketLimits& limits) {
  std::map<uint64_t, std::set<uint32_t>> lists;
  for (uint32_t d = 0; d < sketches.size(); ++d) {
    if (sizes[d] == 0) continue;
    for (uint64_t v : sketches[d]) lists[v].insert(d);
  }
  std::map<CandidatePair, uint32_t> shared;
  for (const auto& [value, docs] : lists) {
    if (docs.size() < 2 || docs.size() > limits.max_posting) continue;
    for (auto i = docs.begin(); i != docs.end(); ++i) {
      for (auto j = std::next(i); j != docs.end(); ++j) ++shared[{*i, *j}];
    }
  }
  std::vector<CandidatePair> out;
  for (const auto& [pair, count] : shared) {
    auto size = [&](uint32_t d) {
      return std::max(sizes[d], static_cast<uint32_t>(sketches[d].size()));
    };
    const uint32_t small = std::min(size(pair.a), size(pair.b));
    const uint32_t large = std::max(size(pair.a), size(pair.b));
    if (min_shared_values(small, large, params) <= count) out.push_back(pair);
  }
  return out;
}

TEST(ContainmentCandidates, SameAsBruteForceOnRandomSketches) {
  std::size_t total = 0;
  for (uint64_t seed = 1; seed <= 24; ++seed) {
    std::mt19937_64 rng(seed);
    ContainmentParams params;
    if (seed % 4 == 1) params.k = 16 + static_cast<int>(rng() % 100);
    if (seed % 5 == 2) params.threshold = 0.3 + 0.1 * static_cast<double>(rng() % 7);
    if (seed % 6 == 3) params.min_probability = seed % 12 == 3 ? 0.9 : 0.999999;
    if (seed % 7 == 4) params.sample_rate = 0;
    BucketLimits limits;
    if (seed % 4 == 0) limits.max_posting = 2 + static_cast<uint32_t>(rng() % 6);
    // Sketches drawn from a small pool so that pairs share anywhere from one value
    // to most of them, with set sizes from equal to hundreds of times the sketch:
    // the rule is met and missed by small margins across the whole range.
    const uint32_t docs = 150 + static_cast<uint32_t>(rng() % 300);
    const uint64_t pool = 40 + rng() % 3000;
    std::vector<std::vector<uint64_t>> sketches(docs);
    std::vector<uint32_t> sizes(docs);
    for (uint32_t d = 0; d < docs; ++d) {
      const std::size_t len = rng() % 13 == 0 ? 0 : 1 + rng() % static_cast<std::size_t>(params.k);
      for (std::size_t i = 0; i < len; ++i) sketches[d].push_back(rng() % pool * 0x9e3779b97f4a7c15ULL);
      std::sort(sketches[d].begin(), sketches[d].end());
      if (rng() % 4 != 0) {  // a few keep duplicates, which count once
        sketches[d].erase(std::unique(sketches[d].begin(), sketches[d].end()), sketches[d].end());
      }
      const uint64_t ratio = uint64_t{1} << (rng() % 10);
      sizes[d] = rng() % 11 == 0 ? 0 : static_cast<uint32_t>(len + rng() % (len * ratio + 1));
      if (rng() % 9 == 0 && sizes[d] > 0) sizes[d] = 1;  // smaller than its sketch: the sketch counts
    }
    std::vector<std::span<const uint64_t>> spans(sketches.begin(), sketches.end());
    const auto got = containment_candidates(spans, sizes, params, limits);
    const auto want = brute_force_containment(sketches, sizes, params, limits);
    EXPECT_EQ(got, want) << "seed " << seed;
    total += want.size();
  }
  EXPECT_GT(total, 10000u);
}

TEST(ContainmentCandidates, EveryPairFollowsTheRuleAcrossSizesAndCounts) {
  // Two documents sharing exactly `shared` sketch values, over a grid of set
  // sizes and every count: the shortcuts that decide most pairs without the
  // rule's series (certain misses, certain passes) must agree with it exactly.
  const std::vector<uint32_t> sizes = {3, 10, 50, 128, 129, 200, 500, 1000, 5000, 100000};
  for (const double p : {0.99, 0.9, 0.5, 0.999999}) {
    for (const double threshold : {0.8, 0.5}) {
      ContainmentParams params;
      params.min_probability = p;
      params.threshold = threshold;
      for (const uint32_t sa : sizes) {
        for (const uint32_t sb : sizes) {
          const uint32_t len = std::min<uint32_t>({sa, sb, 128});
          for (uint32_t shared = 1; shared <= len; ++shared) {
            std::vector<uint64_t> a, b;
            for (uint32_t v = 0; v < len; ++v) a.push_back(uint64_t{v} * 2 + 2);
            for (uint32_t v = 0; v < len; ++v) b.push_back(v < shared ? uint64_t{v} * 2 + 2 : uint64_t{v} * 2 + 1001);
            std::sort(b.begin(), b.end());
            const std::vector<std::span<const uint64_t>> spans = {a, b};
            const std::vector<uint32_t> set_sizes = {sa, sb};
            const bool found = !containment_candidates(spans, set_sizes, params).empty();
            const bool rule = min_shared_values(std::min(sa, sb), std::max(sa, sb), params) <= shared;
            ASSERT_EQ(found, rule) << "p " << p << " threshold " << threshold << " sizes " << sa << " " << sb
                                   << " shared " << shared;
          }
        }
      }
    }
  }
}

TEST(ContainmentCandidates, SameAsBruteForceOnALargerCorpus) {
  // Enough postings for many hash partitions and scatter ranges (which the
  // small inputs above never need), near copies of earlier documents among
  // unrelated ones, and a few huge sketches that fill a range on their own.
  std::mt19937_64 rng(4242);
  constexpr uint32_t kDocs = 5000;
  std::vector<std::vector<uint64_t>> sketches(kDocs);
  std::vector<uint32_t> sizes(kDocs);
  for (uint32_t d = 0; d < kDocs; ++d) {
    auto& s = sketches[d];
    if (d % 1000 == 500) {
      s = random_set(rng, 150000);
    } else if (d % 7 == 3) {
      s = sketches[d - 1 - static_cast<uint32_t>(rng() % std::min<uint32_t>(d, 50))];
      for (auto& v : s) {
        if (rng() % 5 == 0) v = rng() % 100000;
      }
    } else {
      s.resize(1 + rng() % 128);
      for (auto& v : s) v = rng() % 100000;
    }
    std::sort(s.begin(), s.end());
    s.erase(std::unique(s.begin(), s.end()), s.end());
    sizes[d] = static_cast<uint32_t>(s.size() + rng() % (4 * s.size() + 1));
  }
  std::vector<std::span<const uint64_t>> spans(sketches.begin(), sketches.end());
  const auto got = containment_candidates(spans, sizes, {});
  const auto want = brute_force_containment(sketches, sizes, {}, {});
  EXPECT_GT(want.size(), 500u);
  EXPECT_EQ(got, want);
}

TEST(ContainmentCandidates, SameAsBruteForceWhenMostValuesAreUnique) {
  // Nearly all values occur in one document only (as real shingle hashes do;
  // the grouping filters those out before sorting), the rest copied from
  // earlier documents so that pairs share from one value to most of them.
  std::mt19937_64 rng(5151);
  constexpr uint32_t kDocs = 4000;
  std::vector<std::vector<uint64_t>> sketches(kDocs);
  std::vector<uint32_t> sizes(kDocs);
  for (uint32_t d = 0; d < kDocs; ++d) {
    auto& s = sketches[d];
    s = random_set(rng, 1 + rng() % 200);
    if (d > 0 && rng() % 3 == 0) {
      const auto& source = sketches[rng() % d];
      const std::size_t copies = 1 + rng() % source.size();
      for (std::size_t i = 0; i < copies; ++i) s.push_back(source[rng() % source.size()]);
    }
    std::sort(s.begin(), s.end());
    s.erase(std::unique(s.begin(), s.end()), s.end());
    sizes[d] = static_cast<uint32_t>(s.size() + rng() % (2 * s.size() + 1));
  }
  std::vector<std::span<const uint64_t>> spans(sketches.begin(), sketches.end());
  const auto got = containment_candidates(spans, sizes, {});
  const auto want = brute_force_containment(sketches, sizes, {}, {});
  EXPECT_GT(want.size(), 300u);
  EXPECT_EQ(got, want);
}

TEST(ContainmentSample, SketchLengthMatchesItsDefinition) {
  // max(min(k, |S|), number of values below sample_rate * 2^64), written out
  // directly, for sets with none, some or nearly all values below the bound.
  std::mt19937_64 rng(31);
  for (int trial = 0; trial < 400; ++trial) {
    ContainmentParams p;
    p.k = 1 + static_cast<int>(rng() % 300);
    const double rates[] = {0.0, 1.0 / 256, 1.0 / 16, 0.5, 1.0};
    p.sample_rate = rates[rng() % 5];
    const std::size_t n = trial % 10 == 0 ? rng() % 4 : rng() % 20000;
    const int spread = 52 + static_cast<int>(rng() % 12);  // values below 2^spread
    std::vector<uint64_t> set(n);
    for (auto& v : set) v = rng() >> (64 - spread);
    std::sort(set.begin(), set.end());
    std::size_t want = std::min<std::size_t>(n, static_cast<std::size_t>(p.k));
    if (p.sample_rate >= 1.0) {
      want = n;
    } else if (p.sample_rate > 0.0) {
      const auto bound = static_cast<uint64_t>(std::ldexp(p.sample_rate, 64));
      const auto below = static_cast<std::size_t>(std::count_if(set.begin(), set.end(), [&](uint64_t v) { return v < bound; }));
      want = std::max(want, below);
    }
    EXPECT_EQ(containment_sketch_length(set, p), want) << "trial " << trial;
  }
}

TEST(ContainmentSample, SketchLengthCoversBottomKAndTheSample) {
  std::vector<uint64_t> set;
  for (uint64_t i = 0; i < 4096; ++i) set.push_back(i << 52);  // 4096 values spread over 2^64
  ContainmentParams p;
  p.k = 8;
  // Values below 2^64/256 = 2^56 are i < 16.
  EXPECT_EQ(containment_sketch_length(set, p), 16u);
  p.k = 100;
  EXPECT_EQ(containment_sketch_length(set, p), 100u);
  p.sample_rate = 0;
  p.k = 8;
  EXPECT_EQ(containment_sketch_length(set, p), 8u);
  EXPECT_EQ(containment_sketch_length(std::span<const uint64_t>(set.data(), 3), p), 3u);
}

TEST(ContainmentSample, TinyExcerptOfAHugeDocumentIsGuaranteed) {
  ContainmentParams p;  // threshold 0.8, k 128, sample 1/256
  // 2,000 shingles inside 2,000,000: bottom-k alone gives ~0.12 detection, the sample ~1.
  EXPECT_GE(containment_detection_probability(2000, 2000000, p), 0.99);
  ContainmentParams no_sample = p;
  no_sample.sample_rate = 0;
  EXPECT_LT(containment_detection_probability(2000, 2000000, no_sample), 0.2);

  std::mt19937_64 rng(99);
  int found = 0;
  constexpr int kTrials = 20;
  for (int trial = 0; trial < kTrials; ++trial) {
    std::vector<uint64_t> big = random_set(rng, 400000);
    std::sort(big.begin(), big.end());
    std::vector<uint64_t> part;
    for (std::size_t i = 0; i < 2000; ++i) part.push_back(big[(i * 7919 + trial) % big.size()]);
    std::sort(part.begin(), part.end());
    part.erase(std::unique(part.begin(), part.end()), part.end());
    std::vector<uint64_t> other = random_set(rng, 3000);
    std::sort(other.begin(), other.end());
    std::vector<std::span<const uint64_t>> sketches = {
        {big.data(), containment_sketch_length(big, p)},
        {part.data(), containment_sketch_length(part, p)},
        {other.data(), containment_sketch_length(other, p)}};
    std::vector<uint32_t> sizes = {static_cast<uint32_t>(big.size()), static_cast<uint32_t>(part.size()),
                                   static_cast<uint32_t>(other.size())};
    auto pairs = containment_candidates(sketches, sizes, p);
    for (const auto& c : pairs) {
      EXPECT_NE(c.b, 2u) << "unrelated document paired";
      found += c.a == 0 && c.b == 1;
    }
  }
  EXPECT_EQ(found, kTrials);
}

// ---- SimHash permuted tables ---------------------------------------------------

// Independent of the library: C(n, k) in floating point, and the key bits of the
// B - k narrowest of B blocks (widths 64/B, the first 64 % B of them one wider).
double binomial(int n, int k) {
  double c = 1;
  for (int i = 0; i < k; ++i) c = c * (n - i) / (i + 1);
  return std::round(c);
}
int narrowest_key_bits(int blocks, int radius) {
  std::vector<int> widths;
  for (int i = 0; i < blocks; ++i) widths.push_back(64 / blocks + (i < 64 % blocks ? 1 : 0));
  std::sort(widths.begin(), widths.end());
  int bits = 0;
  for (int i = 0; i < blocks - radius; ++i) bits += widths[static_cast<std::size_t>(i)];
  return bits;
}

TEST(SimHashLayout, ChoosesTheFewestTablesWithSmallBuckets) {
  // Manku et al.'s setting: radius 3 over 64 bits as 4 tables of 16-bit keys.
  const SimHashLayout small = choose_simhash_layout(3, 1000).value();
  EXPECT_EQ(small.blocks, 4);
  EXPECT_EQ(small.tables, 4u);
  EXPECT_EQ(small.min_key_bits, 16);
  EXPECT_FALSE(small.crowded);
  const SimHashLayout zero = choose_simhash_layout(0, 1u << 20).value();
  EXPECT_EQ(zero.tables, 1u);
  EXPECT_EQ(zero.min_key_bits, 64);

  const SimHashLayoutLimits limits;
  for (int radius : {0, 1, 3, 6, 10, 16}) {
    for (uint64_t docs : {uint64_t{100}, uint64_t{20000}, uint64_t{1000000}}) {
      const SimHashLayout l = choose_simhash_layout(radius, docs).value();
      EXPECT_EQ(l.radius, radius);
      EXPECT_GE(l.blocks, radius + 1);
      EXPECT_EQ(static_cast<double>(l.tables), binomial(l.blocks, radius)) << radius << " " << docs;
      EXPECT_EQ(l.min_key_bits, narrowest_key_bits(l.blocks, radius));
      EXPECT_LE(l.tables, limits.max_tables);
      const double expected = std::ldexp(static_cast<double>(docs), -l.min_key_bits);
      EXPECT_EQ(l.crowded, expected > limits.crowded_bucket) << radius << " " << docs;
      if (expected <= limits.target_bucket) {
        // The fewest tables: allowed one table fewer, the target is missed.
        if (l.blocks > radius + 1) {
          SimHashLayoutLimits tight;
          tight.max_tables = l.tables - 1;
          const SimHashLayout t = choose_simhash_layout(radius, docs, tight).value();
          EXPECT_GT(std::ldexp(static_cast<double>(docs), -t.min_key_bits), limits.target_bucket)
              << radius << " " << docs;
        }
      } else {
        // Out of reach within max_tables: no allowed layout has longer keys.
        for (int b = radius + 1; b <= 64 && binomial(b, radius) <= double(limits.max_tables); ++b) {
          EXPECT_LE(narrowest_key_bits(b, radius), l.min_key_bits) << radius << " " << docs << " " << b;
        }
      }
    }
  }
  // Radius 16 over 20,000 documents: 969 tables of 9-bit keys (39 unrelated documents
  // per bucket, over the target but far from 256); over a billion, crowded.
  const SimHashLayout r16 = choose_simhash_layout(16, 20000).value();
  EXPECT_EQ(r16.tables, 969u);
  EXPECT_EQ(r16.min_key_bits, 9);
  EXPECT_FALSE(r16.crowded);
  EXPECT_TRUE(choose_simhash_layout(16, 1000000000).value().crowded);
  EXPECT_FALSE(choose_simhash_layout(-1, 10).is_ok());
  EXPECT_FALSE(choose_simhash_layout(kMaxSimHashRadius + 1, 10).is_ok());
}

TEST(SimHashLayout, EveryPatternWithinTheRadiusLeavesSomeKeyUntouched) {
  // The pigeonhole guarantee itself: whatever <= radius bits differ, some table's key
  // blocks are all equal. Checked on random difference patterns of every weight.
  std::mt19937_64 rng(41);
  for (int radius = 0; radius <= kMaxSimHashRadius; ++radius) {
    for (uint64_t docs : {uint64_t{10}, uint64_t{5000}, uint64_t{1000000}}) {
      const SimHashLayout l = choose_simhash_layout(radius, docs).value();
      const auto masks = simhash_table_masks(l);
      ASSERT_EQ(masks.size(), l.tables);
      for (uint64_t m : masks) EXPECT_GE(std::popcount(m), l.min_key_bits);
      for (int trial = 0; trial < 2000; ++trial) {
        uint64_t diff = 0;
        const int weight = static_cast<int>(rng() % static_cast<uint64_t>(radius + 1));
        while (std::popcount(diff) < weight) diff |= uint64_t{1} << (rng() % 64);
        const bool covered =
            std::any_of(masks.begin(), masks.end(), [&](uint64_t m) { return (diff & m) == 0; });
        ASSERT_TRUE(covered) << "radius " << radius << " diff " << std::hex << diff;
      }
    }
  }
}

uint64_t flip_bits(std::mt19937_64& rng, uint64_t x, int count) {
  uint64_t flips = 0;
  while (std::popcount(flips) < count) flips |= uint64_t{1} << (rng() % 64);
  return x ^ flips;
}

std::vector<CandidatePair> brute_force_within(const std::vector<uint64_t>& prints, int radius) {
  std::vector<CandidatePair> out;
  for (uint32_t a = 0; a < prints.size(); ++a) {
    for (uint32_t b = a + 1; b < prints.size(); ++b) {
      if (std::popcount(prints[a] ^ prints[b]) <= radius) out.push_back({a, b});
    }
  }
  return out;
}

TEST(SimHashCandidates, SameAsBruteForceOnPlantedNearPairs) {
  // Radius 0 has a 64-bit key (sorted as key-document pairs); radius 1 the longest
  // key that fits the 32 bits of the radix-sorted path.
  for (int radius : {0, 1, 2, 3, 6, 10, 16}) {
    std::mt19937_64 rng(51 + static_cast<uint64_t>(radius));
    std::vector<uint64_t> prints;
    for (int i = 0; i < 2500; ++i) prints.push_back(rng());
    // Planted pairs and small groups at every distance up to radius + 3, so both
    // sides of the boundary are present, placed far apart in document order.
    for (int d = 0; d <= radius + 3; ++d) {
      for (int copies = 0; copies < 12; ++copies) {
        const uint64_t base = prints[rng() % prints.size()];
        prints.push_back(flip_bits(rng, base, d));
        if (copies % 3 == 0) prints.push_back(flip_bits(rng, base, std::max(0, d - 1)));
      }
    }
    std::shuffle(prints.begin(), prints.end(), rng);
    const SimHashLayout layout = choose_simhash_layout(radius, prints.size()).value();
    ASSERT_FALSE(layout.crowded);
    const auto got = simhash_candidates(prints, layout);
    const auto want = brute_force_within(prints, radius);
    EXPECT_GT(want.size(), 12u * static_cast<std::size_t>(radius + 1)) << radius;
    EXPECT_EQ(got, want) << "radius " << radius << ": found " << got.size() << " of " << want.size();
  }
}

TEST(SimHashCandidates, PairsBeyondTheRadiusAreNeverReturned) {
  // Many documents share every key (they differ only in bits outside one table's
  // blocks would be too kind): identical high halves make big buckets in which
  // most pairs are still beyond the radius.
  std::mt19937_64 rng(61);
  std::vector<uint64_t> prints;
  for (int i = 0; i < 600; ++i) prints.push_back((uint64_t{0xabcdef12} << 32) | (rng() & 0xffffffffu));
  const SimHashLayout layout = choose_simhash_layout(3, prints.size()).value();
  const auto got = simhash_candidates(prints, layout);
  for (const auto& p : got) EXPECT_LE(std::popcount(prints[p.a] ^ prints[p.b]), 3);
  expect_sorted_unique_ordered(got);
}

TEST(SimHashCandidates, BigBucketOfNearCopiesStaysConnectedWithoutQuadraticPairs) {
  // 2000 fingerprints within distance 2 of one base: every table has one bucket of
  // all of them, far above max_full_bucket, so only star-and-window pairs are tested.
  std::mt19937_64 rng(71);
  const uint64_t base = rng();
  std::vector<uint64_t> prints;
  for (int i = 0; i < 2000; ++i) prints.push_back(flip_bits(rng, base, static_cast<int>(i % 2)));
  for (int i = 0; i < 500; ++i) prints.push_back(rng());
  const SimHashLayout layout = choose_simhash_layout(4, prints.size()).value();
  const BucketLimits limits;
  const auto got = simhash_candidates(prints, layout, limits);
  EXPECT_LE(got.size(), layout.tables * 2000u * (limits.window + 1));
  EXPECT_LT(got.size(), 2000u * 1999u / 2 / 4);
  // Union-find over the returned pairs: the 2000 near copies form one component.
  std::vector<uint32_t> parent(prints.size());
  for (uint32_t i = 0; i < parent.size(); ++i) parent[i] = i;
  auto find = [&](uint32_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  for (const auto& p : got) parent[find(p.a)] = find(p.b);
  for (uint32_t i = 1; i < 2000; ++i) ASSERT_EQ(find(i), find(0)) << i;
  for (const auto& p : got) EXPECT_LE(std::popcount(prints[p.a] ^ prints[p.b]), 4);
}

TEST(SimHashCandidates, IndependentOfThreadCount) {
  std::mt19937_64 rng(81);
  std::vector<uint64_t> prints;
  const uint64_t base = rng();
  for (int i = 0; i < 400; ++i) prints.push_back(flip_bits(rng, base, i % 5));  // a big bucket
  for (int i = 0; i < 3000; ++i) {
    const uint64_t x = rng();
    prints.push_back(x);
    if (i % 10 == 0) prints.push_back(flip_bits(rng, x, static_cast<int>(rng() % 8)));
  }
  const SimHashLayout layout = choose_simhash_layout(6, prints.size()).value();
  auto run_with = [&](int threads) {
    tbb::task_arena arena(threads);
    std::vector<CandidatePair> out;
    arena.execute([&] { out = simhash_candidates(prints, layout); });
    return out;
  };
  const auto one = run_with(1);
  const auto two = run_with(2);
  EXPECT_FALSE(one.empty());
  EXPECT_EQ(one, two);
  expect_sorted_unique_ordered(one);
}

TEST(SimHashCandidates, FewerThanTwoDocuments) {
  const SimHashLayout layout = choose_simhash_layout(3, 1).value();
  EXPECT_TRUE(simhash_candidates(std::vector<uint64_t>{}, layout).empty());
  EXPECT_TRUE(simhash_candidates(std::vector<uint64_t>{7}, layout).empty());
  const auto two = simhash_candidates(std::vector<uint64_t>{7, 7}, layout);
  ASSERT_EQ(two.size(), 1u);
  EXPECT_EQ(two[0], (CandidatePair{0, 1}));
}

// ---- LSH over one-permutation hashing ---------------------------------------------

// The banding's recall guarantee assumes k-permutation MinHash rows; OPH rows
// (bins) are nearly independent, so the same (b, r) must give the same recall.
// 1000 pairs at J = 0.8 exactly (the threshold) and at J = 0.5: the fraction
// found matches the formula for both sketches, within 4 binomial standard errors.
TEST(JaccardCandidates, OnePermutationSignaturesMeetTheBandingRecall) {
  const Banding banding = choose_banding(0.8, kPerm, 0.99).value();
  const sketch::MinHasher minhash(kPerm);
  const sketch::OnePermutationHasher oph(kPerm);
  constexpr uint32_t kPairs = 1000;
  for (const double j : {0.8, 0.5}) {
    for (const std::size_t n : {60u, 2000u}) {
      std::mt19937_64 rng(static_cast<uint64_t>(j * 1000) + n);
      // Union of n: shared = j n, each side n (1 - j) / 2 of its own.
      const auto shared = static_cast<std::size_t>(std::lround(j * static_cast<double>(n)));
      const std::size_t own = (n - shared) / 2;
      std::vector<uint32_t> sig_m(2 * kPairs * kPerm), sig_o(2 * kPairs * kPerm);
      double exact_sum = 0;
      for (uint32_t i = 0; i < kPairs; ++i) {
        auto a = random_set(rng, shared + own);
        auto b = a;
        for (std::size_t k = shared; k < shared + own; ++k) b[k] = rng();
        exact_sum += static_cast<double>(shared) / static_cast<double>(shared + 2 * own);
        for (uint32_t side = 0; side < 2; ++side) {
          const auto& set = side == 0 ? a : b;
          const std::size_t row = (2 * i + side) * kPerm;
          minhash.sketch(set, std::span<uint32_t>(sig_m).subspan(row, kPerm));
          oph.sketch(set, std::span<uint32_t>(sig_o).subspan(row, kPerm));
        }
      }
      const double expected = banding_probability(exact_sum / kPairs, banding.bands, banding.rows);
      const double se = std::sqrt(expected * (1 - expected) / kPairs);
      for (const auto* sigs : {&sig_m, &sig_o}) {
        const auto pairs = jaccard_candidates(*sigs, 2 * kPairs, kPerm, banding);
        uint32_t found = 0;
        for (uint32_t i = 0; i < kPairs; ++i) found += contains(pairs, 2 * i, 2 * i + 1);
        const double rate = static_cast<double>(found) / kPairs;
        EXPECT_NEAR(rate, expected, 4 * se + 0.002)
            << (sigs == &sig_m ? "minhash" : "oph") << " J=" << j << " n=" << n;
      }
    }
  }
}

}  // namespace
}  // namespace doppel::index
