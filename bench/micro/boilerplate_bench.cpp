// File: bench/micro/boilerplate_bench.cpp
// Learning the boilerplate set: LineStats::finish counts, over every
// document's distinct line keys, how many documents hold each line. The input
// looks like a news corpus: ~30 lines per document, a few of them from a pool
// of site furniture shared by many documents, the rest the document's own.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "bench_support.hpp"
#include "boilerplate/boilerplate.hpp"

namespace doppel::bench {
namespace {

std::vector<std::vector<uint64_t>> documents_line_keys(size_t docs) {
  Rng rng(docs);
  std::vector<uint64_t> furniture(200);
  for (uint64_t& k : furniture) k = rng.next();
  std::vector<std::vector<uint64_t>> keys(docs);
  for (auto& doc : keys) {
    const size_t own = 20 + rng.below(20);
    for (size_t i = 0; i < own; ++i) doc.push_back(rng.next());
    for (size_t i = 0; i < 4; ++i) doc.push_back(furniture[rng.below(furniture.size())]);
    std::sort(doc.begin(), doc.end());
    doc.erase(std::unique(doc.begin(), doc.end()), doc.end());
  }
  return keys;
}

void BM_LineStatsFinish(benchmark::State& state) {
  const auto docs = documents_line_keys(static_cast<size_t>(state.range(0)));
  size_t keys = 0;
  for (const auto& d : docs) keys += d.size();
  for (auto _ : state) {
    state.PauseTiming();
    boilerplate::LineStats stats;
    for (const auto& d : docs) stats.add(d, std::nullopt);
    state.ResumeTiming();
    const boilerplate::BoilerplateSet set = stats.finish({});
    benchmark::DoNotOptimize(set.lines().data());
    state.counters["boilerplate_lines"] = static_cast<double>(set.lines().size());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * keys));
  state.counters["keys"] = static_cast<double>(keys);
}
BENCHMARK(BM_LineStatsFinish)->ArgName("docs")->Arg(2000)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace doppel::bench

BENCHMARK_MAIN();
