// File: bench/micro/text_bench.cpp
// The per-document text path: normalisation (ASCII fast path and the Unicode
// path), tokenisation + shingle hashing (the fused dedup path and the
// token-vector path explain uses), and sorting a shingle set.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "bench_support.hpp"
#include "text/normalize.hpp"
#include "text/shingle.hpp"
#include "text/text_internal.hpp"

namespace doppel::bench {
namespace {

constexpr size_t kTextBytes = size_t{1} << 20;

const std::string& english() {
  static const std::string s = english_text(kTextBytes);
  return s;
}
const std::string& chinese() {
  static const std::string s = cjk_text(kTextBytes);
  return s;
}

void BM_Normalize(benchmark::State& state, const std::string& (*text)()) {
  const std::string& s = text();
  text::NormalizedText out;
  for (auto _ : state) {
    text::normalize(s, out, false);
    benchmark::DoNotOptimize(out.text.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.size()));
}
BENCHMARK_CAPTURE(BM_Normalize, english, english);
BENCHMARK_CAPTURE(BM_Normalize, chinese, chinese);

void BM_NormalizeWithOffsets(benchmark::State& state) {
  const std::string& s = english();
  text::NormalizedText out;
  for (auto _ : state) {
    text::normalize(s, out, true);
    benchmark::DoNotOptimize(out.text.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.size()));
}
BENCHMARK(BM_NormalizeWithOffsets);

// The boilerplate pass normalises every line of a document on its own, so the
// cost per call matters as much as the cost per byte: short lines of web text.
void BM_NormalizeLines(benchmark::State& state) {
  const std::string& s = english();
  std::vector<std::string_view> lines;
  for (size_t begin = 0, k = 0; begin < s.size(); ++k) {
    size_t end = s.find(' ', std::min(s.size(), begin + 10 + (k * 37) % 70));
    if (end == std::string::npos) end = s.size();
    lines.emplace_back(s.data() + begin, end - begin);
    begin = end + 1;
  }
  text::NormalizedText out;
  for (auto _ : state) {
    for (const std::string_view line : lines) {
      text::normalize(line, out, false);
      benchmark::DoNotOptimize(out.text.data());
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.size()));
  state.counters["lines"] = static_cast<double>(lines.size());
}
BENCHMARK(BM_NormalizeLines);

// Text wrapped into lines of about 70 bytes, as in books and much web text.
const std::string& english_lines() {
  static const std::string s = [] {
    std::string t = english();
    for (size_t k = 0; k + 70 < t.size();) {
      const size_t space = t.find(' ', k + 60);
      if (space == std::string::npos) break;
      t[space] = '\n';
      k = space + 1;
    }
    return t;
  }();
  return s;
}

// dedup learning boilerplate: the whole-text normalisation that sketching makes
// anyway, without and with the line breaks that boilerplate's line keys are
// read from (what they cost on top), and the per-line normalisation they replace.
void BM_NormalizeWrapped(benchmark::State& state, bool with_line_breaks) {
  const std::string& s = english_lines();
  text::NormalizedText out;
  for (auto _ : state) {
    text::normalize(s, out, false, with_line_breaks);
    benchmark::DoNotOptimize(out.text.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.size()));
}
BENCHMARK_CAPTURE(BM_NormalizeWrapped, plain, false);
BENCHMARK_CAPTURE(BM_NormalizeWrapped, line_breaks, true);

void BM_NormalizeWrappedLineByLine(benchmark::State& state) {
  const std::string& s = english_lines();
  text::NormalizedText out;
  for (auto _ : state) {
    for (size_t begin = 0; begin <= s.size();) {
      const size_t end = std::min(s.find('\n', begin), s.size());
      text::normalize(std::string_view(s).substr(begin, end - begin), out, false);
      benchmark::DoNotOptimize(out.text.data());
      begin = end + 1;
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.size()));
}
BENCHMARK(BM_NormalizeWrappedLineByLine);

// Normalised input, as the pipeline hands it over.
std::string normalized(const std::string& s) {
  text::NormalizedText out;
  text::normalize(s, out, false);
  return out.text;
}

void BM_ShingleHashes(benchmark::State& state, const std::string& (*text)()) {
  const std::string norm = normalized(text());
  std::vector<uint64_t> out;
  for (auto _ : state) {
    text::shingle_hashes(norm, text::TokenMode::kWord, 5, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * norm.size()));
  state.counters["shingles"] = static_cast<double>(out.size());
}
BENCHMARK_CAPTURE(BM_ShingleHashes, english, english);
BENCHMARK_CAPTURE(BM_ShingleHashes, chinese, chinese);

// Each x86-64 level's copy this CPU runs (the plain BM_ShingleHashes above is
// what production picks), on documents of about 3 KB, the size of a news article.
void BM_ShingleHashesIsa(benchmark::State& state, core::Isa isa, const std::string& (*text)()) {
  const std::string norm = normalized(text());
  constexpr size_t kDocument = 3000;
  std::vector<uint64_t> out;
  size_t shingles = 0;
  for (auto _ : state) {
    shingles = 0;
    for (size_t at = 0; at < norm.size(); at += kDocument) {
      text::internal::shingle_hashes_with(isa, std::string_view(norm).substr(at, kDocument), text::TokenMode::kWord, 5,
                                          out);
      shingles += out.size();
      benchmark::DoNotOptimize(out.data());
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * norm.size()));
  state.counters["shingles"] = static_cast<double>(shingles);
}

// Each level's ASCII loops on wrapped text with line breaks recorded, as dedup's
// main pass normalises.
void BM_NormalizeIsa(benchmark::State& state, core::Isa isa) {
  const std::string& s = english_lines();
  text::NormalizedText out;
  for (auto _ : state) {
    text::internal::normalize_with_isa(isa, s, out, false, true);
    benchmark::DoNotOptimize(out.text.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.size()));
}

void register_shingle_hashes() {
  for (const auto isa : core::supported_isas()) {
    if (isa == core::Isa::kX86V3) continue;  // no copy of its own: it runs the baseline's
    const std::string name = std::string("BM_ShingleHashes/") + core::isa_name(isa);
    benchmark::RegisterBenchmark((name + "/english_3kb").c_str(), BM_ShingleHashesIsa, isa, english);
    benchmark::RegisterBenchmark((name + "/chinese_3kb").c_str(), BM_ShingleHashesIsa, isa, chinese);
    benchmark::RegisterBenchmark((std::string("BM_Normalize/") + core::isa_name(isa) + "/wrapped_line_breaks").c_str(),
                                 BM_NormalizeIsa, isa);
  }
}
const int kRegistered = (register_shingle_hashes(), 0);

void BM_TokenizeThenShingle(benchmark::State& state) {
  const std::string norm = normalized(english());
  std::vector<text::Token> tokens;
  std::vector<uint64_t> out;
  for (auto _ : state) {
    text::tokenize(norm, text::TokenMode::kWord, tokens);
    text::shingle_sequence(tokens, 5, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * norm.size()));
}
BENCHMARK(BM_TokenizeThenShingle);

void BM_SortUnique(benchmark::State& state) {
  const auto values = random_hashes(static_cast<size_t>(state.range(0)));
  std::vector<uint64_t> v;
  text::SortScratch scratch;
  for (auto _ : state) {
    v = values;
    text::sort_unique(v, scratch);
    benchmark::DoNotOptimize(v.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SortUnique)->Arg(20)->Arg(40)->Arg(60)->Arg(100)->Arg(300)->Arg(450)->Arg(1000)->Arg(3000)->Arg(60000)->Arg(100000)->Arg(1000000);

// Dedup keeps every set in an arena that it fills front to back: sorting and
// then copying the set there (the old way) against sorting straight into it.
// 64 MB of destination, so that, as in the arena, the writes miss the cache.
void BM_SortUniqueToArena(benchmark::State& state, bool into) {
  const auto values = random_hashes(static_cast<size_t>(state.range(0)));
  std::vector<uint64_t> arena(size_t{8} << 20);
  size_t used = 0;
  std::vector<uint64_t> v;
  text::SortScratch scratch;
  for (auto _ : state) {
    v = values;
    if (used + v.size() > arena.size()) used = 0;
    if (into) {
      used += text::sort_unique_into(v, scratch, arena.data() + used);
    } else {
      text::sort_unique(v, scratch);
      std::copy(v.begin(), v.end(), arena.data() + used);
      used += v.size();
    }
    benchmark::DoNotOptimize(arena.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK_CAPTURE(BM_SortUniqueToArena, copy, false)->Arg(100)->Arg(1000)->Arg(3000)->Arg(60000);
BENCHMARK_CAPTURE(BM_SortUniqueToArena, into, true)->Arg(100)->Arg(1000)->Arg(3000)->Arg(60000);

void BM_StdSortUnique(benchmark::State& state) {
  const auto values = random_hashes(static_cast<size_t>(state.range(0)));
  std::vector<uint64_t> v;
  for (auto _ : state) {
    v = values;
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    benchmark::DoNotOptimize(v.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_StdSortUnique)->Arg(20)->Arg(40)->Arg(60)->Arg(100)->Arg(300)->Arg(450)->Arg(1000)->Arg(3000)->Arg(60000)->Arg(100000)->Arg(1000000);

}  // namespace
}  // namespace doppel::bench

BENCHMARK_MAIN();
