// File: fuzz/fuzz_index.cpp
//
// Candidate generation (index::jaccard_candidates, index::containment_candidates)
// on fuzz-built signatures and sketches, small alphabets so that buckets and
// shared values are common, and small bucket limits so the capped paths run.
//
// Properties:
//  - output is sorted, unique, a < b < number of documents;
//  - identical with 1 and with 2 worker threads (tbb::task_arena);
//  - Jaccard: every pair shares a whole band and neither is empty; every pair of
//    a bucket within max_full_bucket is present; a larger bucket is connected;
//  - containment: exactly the pairs a brute-force count gives: distinct shared
//    values (ignoring values held by more than max_posting documents) at least
//    min_shared_values(smaller size, larger size).
#include <tbb/task_arena.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <set>
#include <vector>

#include "fuzz_support.hpp"
#include "index/lsh.hpp"
#include "sketch/minhash.hpp"

namespace {

using doppel::index::CandidatePair;

template <typename F>
auto with_threads(int n, F f) {
  tbb::task_arena arena(n);
  return arena.execute(f);
}

void check_shape(const std::vector<CandidatePair>& pairs, uint32_t num_docs) {
  FUZZ_CHECK(std::is_sorted(pairs.begin(), pairs.end()), "candidates not sorted");
  FUZZ_CHECK(std::adjacent_find(pairs.begin(), pairs.end()) == pairs.end(), "candidate listed twice");
  for (const auto& p : pairs) FUZZ_CHECK(p.a < p.b && p.b < num_docs, "pair out of range or not a < b");
}

uint32_t find(std::vector<uint32_t>& parent, uint32_t x) {
  while (parent[x] != x) x = parent[x] = parent[parent[x]];
  return x;
}

void fuzz_jaccard(FuzzedDataProvider& fdp) {
  const uint32_t num_docs = fdp.ConsumeIntegralInRange<uint32_t>(0, 40);
  const int num_perm = fdp.ConsumeIntegralInRange<int>(1, 16);
  doppel::index::Banding banding;
  banding.rows = fdp.ConsumeIntegralInRange<int>(1, num_perm);
  banding.bands = fdp.ConsumeIntegralInRange<int>(1, num_perm / banding.rows);
  doppel::index::BucketLimits limits;
  if (fdp.ConsumeBool()) {
    limits.max_full_bucket = fdp.ConsumeIntegralInRange<uint32_t>(2, 8);
    limits.window = fdp.ConsumeIntegralInRange<uint32_t>(1, 4);
  }
  const uint32_t alphabet = fdp.ConsumeIntegralInRange<uint32_t>(1, 4);
  std::vector<uint32_t> sigs(static_cast<size_t>(num_docs) * num_perm);
  for (auto& v : sigs) {
    v = fdp.remaining_bytes() ? fdp.ConsumeIntegralInRange<uint32_t>(0, alphabet) : 0;
    if (v == alphabet) v = doppel::sketch::kEmpty;
  }

  auto run = [&] { return doppel::index::jaccard_candidates(sigs, num_docs, num_perm, banding, limits); };
  const auto one = with_threads(1, run);
  const auto two = with_threads(2, run);
  FUZZ_CHECK(one == two, "Jaccard candidates depend on the thread count");
  check_shape(one, num_docs);
  const std::set<std::pair<uint32_t, uint32_t>> found = [&] {
    std::set<std::pair<uint32_t, uint32_t>> s;
    for (const auto& p : one) s.insert({p.a, p.b});
    return s;
  }();

  auto row = [&](uint32_t d, int band) {
    return std::vector<uint32_t>(sigs.begin() + static_cast<size_t>(d) * num_perm + band * banding.rows,
                                 sigs.begin() + static_cast<size_t>(d) * num_perm + (band + 1) * banding.rows);
  };
  auto empty = [&](uint32_t d) { return sigs[static_cast<size_t>(d) * num_perm] == doppel::sketch::kEmpty; };
  for (const auto& p : one) {
    FUZZ_CHECK(!empty(p.a) && !empty(p.b), "an empty document became a candidate");
    bool shares = false;
    for (int band = 0; band < banding.bands && !shares; ++band) shares = row(p.a, band) == row(p.b, band);
    FUZZ_CHECK(shares, "candidate pair shares no band");
  }
  std::vector<uint32_t> parent(num_docs);
  std::iota(parent.begin(), parent.end(), 0u);
  for (const auto& p : one) parent[find(parent, p.a)] = find(parent, p.b);
  for (int band = 0; band < banding.bands; ++band) {
    std::map<std::vector<uint32_t>, std::vector<uint32_t>> buckets;
    for (uint32_t d = 0; d < num_docs; ++d) {
      if (!empty(d)) buckets[row(d, band)].push_back(d);
    }
    for (const auto& [key, docs] : buckets) {
      if (docs.size() <= limits.max_full_bucket) {
        for (size_t i = 0; i < docs.size(); ++i) {
          for (size_t j = i + 1; j < docs.size(); ++j) {
            FUZZ_CHECK(found.count({docs[i], docs[j]}), "pair of a small bucket missing");
          }
        }
      } else {
        for (uint32_t d : docs) FUZZ_CHECK(find(parent, d) == find(parent, docs[0]), "large bucket not connected");
      }
    }
  }
}

void fuzz_containment(FuzzedDataProvider& fdp) {
  const uint32_t num_docs = fdp.ConsumeIntegralInRange<uint32_t>(0, 40);
  doppel::index::ContainmentParams params;
  static const double kThresholds[] = {0.3, 0.5, 0.8, 0.95, 1.0};
  params.threshold = kThresholds[fdp.ConsumeIntegralInRange<size_t>(0, std::size(kThresholds) - 1)];
  params.k = fdp.ConsumeIntegralInRange<int>(1, 16);
  doppel::index::BucketLimits limits;
  limits.max_posting = fdp.ConsumeIntegralInRange<uint32_t>(2, 50);
  const uint64_t alphabet = fdp.ConsumeIntegralInRange<uint64_t>(1, 64);

  std::vector<std::vector<uint64_t>> values(num_docs);
  std::vector<uint32_t> sizes(num_docs);
  for (uint32_t d = 0; d < num_docs; ++d) {
    const size_t n = fdp.ConsumeIntegralInRange<size_t>(0, 24);
    for (size_t i = 0; i < n; ++i) values[d].push_back(fdp.ConsumeIntegralInRange<uint64_t>(0, alphabet));
    std::sort(values[d].begin(), values[d].end());  // sorted; duplicates stay: they must count once
    // Usually the true set size (the sketch is a prefix); sometimes inconsistent.
    const uint32_t extra = fdp.ConsumeIntegralInRange<uint32_t>(0, 3) == 0 ? fdp.ConsumeIntegral<uint16_t>() : 0;
    sizes[d] = fdp.ConsumeIntegralInRange<uint32_t>(0, 7) == 0 ? fdp.ConsumeIntegralInRange<uint32_t>(0, 4)
                                                               : static_cast<uint32_t>(n) + extra;
  }
  std::vector<std::span<const uint64_t>> bottoms(values.begin(), values.end());

  auto run = [&] { return doppel::index::containment_candidates(bottoms, sizes, params, limits); };
  const auto one = with_threads(1, run);
  const auto two = with_threads(2, run);
  FUZZ_CHECK(one == two, "containment candidates depend on the thread count");
  check_shape(one, num_docs);

  // Brute force.
  auto live = [&](uint32_t d) { return sizes[d] > 0 && !values[d].empty(); };
  std::map<uint64_t, std::set<uint32_t>> holders;
  for (uint32_t d = 0; d < num_docs; ++d) {
    if (!live(d)) continue;
    for (uint64_t v : values[d]) holders[v].insert(d);
  }
  std::vector<CandidatePair> expected;
  for (uint32_t a = 0; a < num_docs; ++a) {
    for (uint32_t b = a + 1; b < num_docs; ++b) {
      if (!live(a) || !live(b)) continue;
      std::set<uint64_t> sa(values[a].begin(), values[a].end());
      uint32_t shared = 0;
      for (uint64_t v : std::set<uint64_t>(values[b].begin(), values[b].end())) {
        if (sa.count(v) && holders[v].size() <= limits.max_posting) ++shared;
      }
      const uint32_t size_a = std::max<uint32_t>(sizes[a], static_cast<uint32_t>(values[a].size()));
      const uint32_t size_b = std::max<uint32_t>(sizes[b], static_cast<uint32_t>(values[b].size()));
      const uint32_t need =
          doppel::index::min_shared_values(std::min(size_a, size_b), std::max(size_a, size_b), params);
      FUZZ_CHECK(need >= 1, "min_shared_values below 1");
      if (shared >= 1 && shared >= need) expected.push_back({a, b});
    }
  }
  FUZZ_CHECK(one == expected, "containment candidates differ from the brute-force count");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider fdp(data, size);
  if (fdp.ConsumeBool()) {
    fuzz_jaccard(fdp);
  } else {
    fuzz_containment(fdp);
  }
  return 0;
}
