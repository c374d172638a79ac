// File: bench/micro/index_bench.cpp
// Candidate generation over a corpus of sketches: Jaccard LSH bucketing (sort
// of compact band keys) and the containment index (postings grouped by value).
// Every 10th document is a near copy of the one before it, as in a corpus with
// some duplication.
#include <benchmark/benchmark.h>

#include <span>
#include <vector>

#include "bench_support.hpp"
#include "index/lsh.hpp"
#include "sketch/oph.hpp"

namespace doppel::bench {
namespace {

constexpr int kPerm = 128;

struct SketchedCorpus {
  std::vector<std::vector<uint64_t>> sets;  // sorted shingle sets
  std::vector<uint32_t> signatures;
  std::vector<uint32_t> sizes;
};

const SketchedCorpus& corpus(size_t docs) {
  static std::vector<std::pair<size_t, SketchedCorpus>> cache;
  for (const auto& [n, c] : cache) {
    if (n == docs) return c;
  }
  SketchedCorpus c;
  Rng rng(docs);
  sketch::OnePermutationHasher oph(kPerm);
  c.sets.resize(docs);
  c.signatures.resize(docs * kPerm);
  for (size_t d = 0; d < docs; ++d) {
    auto& s = c.sets[d];
    if (d % 10 == 1) {
      s = c.sets[d - 1];
      for (size_t k = 0; k < s.size() / 20; ++k) s[rng.below(s.size())] = rng.next();
    } else {
      s = random_hashes(200 + rng.below(1500), rng.next());
    }
    std::sort(s.begin(), s.end());
    s.erase(std::unique(s.begin(), s.end()), s.end());
    oph.sketch(s, std::span<uint32_t>(c.signatures).subspan(d * kPerm, kPerm));
    c.sizes.push_back(static_cast<uint32_t>(s.size()));
  }
  cache.emplace_back(docs, std::move(c));
  return cache.back().second;
}

void BM_JaccardLsh(benchmark::State& state) {
  const auto& c = corpus(static_cast<size_t>(state.range(0)));
  const index::Banding banding = index::choose_banding(0.8, kPerm).value();
  const auto docs = static_cast<uint32_t>(c.sets.size());
  size_t pairs = 0;
  for (auto _ : state) {
    auto candidates = index::jaccard_candidates(c.signatures, docs, kPerm, banding);
    pairs = candidates.size();
    benchmark::DoNotOptimize(candidates.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["pairs"] = static_cast<double>(pairs);
}
BENCHMARK(BM_JaccardLsh)->ArgName("docs")->Arg(2000)->Arg(100000)->Unit(benchmark::kMillisecond);

void BM_ContainmentIndex(benchmark::State& state) {
  const auto& c = corpus(static_cast<size_t>(state.range(0)));
  index::ContainmentParams params;
  std::vector<std::span<const uint64_t>> bottoms;
  for (const auto& s : c.sets) bottoms.emplace_back(s.data(), index::containment_sketch_length(s, params));
  size_t pairs = 0;
  for (auto _ : state) {
    auto candidates = index::containment_candidates(bottoms, c.sizes, params);
    pairs = candidates.size();
    benchmark::DoNotOptimize(candidates.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["pairs"] = static_cast<double>(pairs);
}
BENCHMARK(BM_ContainmentIndex)->ArgName("docs")->Arg(2000)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace doppel::bench

BENCHMARK_MAIN();
