// File: bench/micro/sketch_bench.cpp
// Sketching one document's shingle set: k-permutation MinHash and one-permutation
// hashing with optimal densification, each with every kernel the CPU can run.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "sketch/minhash.hpp"
#include "sketch/oph.hpp"
#include "sketch/sketch_internal.hpp"

namespace doppel::bench {
namespace {

void BM_MinHash(benchmark::State& state, sketch::internal::Isa isa) {
  const auto shingles = random_hashes(static_cast<size_t>(state.range(0)));
  const int k = static_cast<int>(state.range(1));
  sketch::MinHasher hasher(k);
  std::vector<uint32_t> sig(static_cast<size_t>(k));
  for (auto _ : state) {
    sketch::internal::sketch_with(isa, hasher, shingles, sig);
    benchmark::DoNotOptimize(sig.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// Different sets in turn, like documents in a run: with one set sketched over and
// over, the branch predictor learns which bins each value lowers, and a kernel
// whose minimum is a branch looks several times faster than it is on real input.
std::vector<std::vector<uint64_t>> rotating_sets(size_t n) {
  const size_t sets = std::clamp<size_t>((size_t{1} << 20) / std::max<size_t>(n, 1), 1, 256);
  std::vector<std::vector<uint64_t>> out;
  for (size_t i = 0; i < sets; ++i) out.push_back(random_hashes(n, 3 + i));
  return out;
}

void BM_OnePermutation(benchmark::State& state) {
  const auto sets = rotating_sets(static_cast<size_t>(state.range(0)));
  const int k = static_cast<int>(state.range(1));
  sketch::OnePermutationHasher oph(k);
  std::vector<uint32_t> sig(static_cast<size_t>(k));
  size_t next = 0;
  for (auto _ : state) {
    oph.sketch(sets[next], sig);
    next = next + 1 == sets.size() ? 0 : next + 1;
    benchmark::DoNotOptimize(sig.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
void BM_OnePermutationKernel(benchmark::State& state, sketch::internal::Isa isa) {
  const auto sets = rotating_sets(static_cast<size_t>(state.range(0)));
  const int k = static_cast<int>(state.range(1));
  sketch::OnePermutationHasher oph(k);
  std::vector<uint32_t> sig(static_cast<size_t>(k));
  size_t next = 0;
  for (auto _ : state) {
    sketch::internal::sketch_with(isa, oph, sets[next], sig);
    next = next + 1 == sets.size() ? 0 : next + 1;
    benchmark::DoNotOptimize(sig.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// 20 shingles: a tweet-sized document, where densification does most of the work.
BENCHMARK(BM_OnePermutation)->ArgNames({"shingles", "k"})->Args({1, 128})->Args({5, 128})->Args({20, 128})->Args({60, 128})->Args({300, 128})->Args({1000, 128})->Args({3000, 128})->Args({100000, 128});

void register_minhash() {
  for (const auto isa : sketch::internal::supported_isas()) {
    benchmark::RegisterBenchmark((std::string("BM_MinHash/") + sketch::internal::isa_name(isa)).c_str(),
                                 BM_MinHash, isa)
        ->ArgNames({"shingles", "k"})
        ->Args({1, 128})
        ->Args({20, 128})
        ->Args({1000, 128})
        ->Args({100000, 128})
        ->Args({100000, 100});
  }
}

// The plain BM_OnePermutation above is what sketch() picks on this CPU.
void register_oph() {
  for (const auto isa : sketch::internal::supported_isas()) {
    benchmark::RegisterBenchmark((std::string("BM_OnePermutation/") + sketch::internal::isa_name(isa)).c_str(),
                                 BM_OnePermutationKernel, isa)
        ->ArgNames({"shingles", "k"})
        ->Args({20, 128})
        ->Args({300, 128})
        ->Args({1000, 128})
        ->Args({3000, 128})
        ->Args({100000, 128});
  }
}

const int kRegistered = (register_minhash(), register_oph(), 0);

}  // namespace
}  // namespace doppel::bench

BENCHMARK_MAIN();
