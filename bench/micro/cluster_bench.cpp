// File: bench/micro/cluster_bench.cpp
// Clustering the verified pairs: connected components, representatives and
// each member's link to its representative, for a corpus where a fifth of the
// documents are copies in small clusters.
#include <benchmark/benchmark.h>

#include <vector>

#include "bench_support.hpp"
#include "cluster/cluster.hpp"

namespace doppel::bench {
namespace {

std::vector<cluster::Edge> edges_for(uint32_t docs) {
  Rng rng(docs);
  std::vector<cluster::Edge> edges;
  for (uint32_t d = 0; d + 1 < docs; ++d) {
    if (rng.below(5) != 0) continue;
    // A copy of a recent document, sometimes two links into the same cluster.
    const auto back = static_cast<uint32_t>(1 + rng.below(std::min<uint32_t>(d + 1, 50)));
    edges.push_back({d + 1 - back, d + 1, static_cast<uint8_t>(rng.below(3))});
    if (rng.below(4) == 0 && d >= 2) edges.push_back({d - 2, d + 1, 1});
  }
  return edges;
}

void BM_Cluster(benchmark::State& state) {
  const auto docs = static_cast<uint32_t>(state.range(0));
  const auto edges = edges_for(docs);
  for (auto _ : state) {
    const auto components = cluster::connected_components(docs, edges);
    const auto reps = cluster::choose_representatives(components, [](uint32_t x, uint32_t y) { return x < y; });
    const auto links = cluster::link_to_representatives(docs, edges, components, reps);
    benchmark::DoNotOptimize(links.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["edges"] = static_cast<double>(edges.size());
}
BENCHMARK(BM_Cluster)->ArgName("docs")->Arg(10000)->Arg(1000000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace doppel::bench

BENCHMARK_MAIN();
