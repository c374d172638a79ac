// File: bench/micro/match_bench.cpp
// Verification of one candidate pair on full shingle sets: the exact overlap
// (merge, or galloping for skewed sizes) and decide(), which stops as soon as
// a false candidate cannot reach the thresholds.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <vector>

#include "bench_support.hpp"
#include "match/verify.hpp"

namespace doppel::bench {
namespace {

// Two sorted sets of n and n * ratio values sharing `shared` of the smaller.
struct Pair {
  std::vector<uint64_t> a, b;
};

Pair make_pair(size_t n, size_t ratio, double shared) {
  Rng rng(n * 31 + ratio);
  Pair p;
  p.a = random_hashes(n, rng.next());
  p.b = random_hashes(n * ratio, rng.next());
  const auto common = static_cast<size_t>(shared * static_cast<double>(n));
  for (size_t i = 0; i < common; ++i) p.b[i] = p.a[i];
  std::sort(p.a.begin(), p.a.end());
  std::sort(p.b.begin(), p.b.end());
  return p;
}

void BM_Overlap(benchmark::State& state) {
  const Pair p = make_pair(static_cast<size_t>(state.range(0)), static_cast<size_t>(state.range(1)),
                           static_cast<double>(state.range(2)) / 100);
  for (auto _ : state) benchmark::DoNotOptimize(match::overlap(p.a, p.b));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(p.a.size() + p.b.size()));
}

void BM_Decide(benchmark::State& state) {
  const Pair p = make_pair(static_cast<size_t>(state.range(0)), static_cast<size_t>(state.range(1)),
                           static_cast<double>(state.range(2)) / 100);
  for (auto _ : state) benchmark::DoNotOptimize(match::decide(p.a, p.b, 0.8, 0.8));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(p.a.size() + p.b.size()));
}

// {size of the smaller set, size ratio, % of it shared}: a true near copy, a
// false candidate, and a short document against a book.
#define DOPPEL_VERIFY_ARGS ArgNames({"n", "ratio", "shared_pct"})->Args({50000, 1, 90})->Args({50000, 1, 30})->Args({2000, 50, 30})
BENCHMARK(BM_Overlap)->DOPPEL_VERIFY_ARGS;
BENCHMARK(BM_Decide)->DOPPEL_VERIFY_ARGS;

}  // namespace
}  // namespace doppel::bench

BENCHMARK_MAIN();
