// File: quality_test.cpp
// Quality and determinism on corpora with known truth: the project's generated
// corpus (planted exact, near and contained copies), and the real corpora in
// ../shared/corpora when they are present.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "integration_support.hpp"

namespace doppel::testing {
namespace {
namespace fs = std::filesystem;

std::string q(const fs::path& p) { return shell_quote(p.string()); }

struct PairScore {
  double precision = 0, recall = 0;
  uint64_t true_pairs = 0, predicted_pairs = 0;
};

// Pairwise precision/recall of a clustering against truth clusters: the pairs
// of documents placed together, counted per cluster intersection (no n^2 loop).
PairScore pairwise(const std::map<std::string, std::string>& truth, const std::map<std::string, std::string>& got) {
  auto pairs = [](uint64_t n) { return n * (n - 1) / 2; };
  std::map<std::string, uint64_t> t_size, g_size;
  std::map<std::pair<std::string, std::string>, uint64_t> both;
  for (const auto& [id, tc] : truth) {
    auto it = got.find(id);
    if (it == got.end()) continue;
    ++t_size[tc];
    ++g_size[it->second];
    ++both[{tc, it->second}];
  }
  PairScore s;
  uint64_t agree = 0;
  for (const auto& [k, n] : both) agree += pairs(n);
  for (const auto& [k, n] : t_size) s.true_pairs += pairs(n);
  for (const auto& [k, n] : g_size) s.predicted_pairs += pairs(n);
  s.precision = s.predicted_pairs ? double(agree) / double(s.predicted_pairs) : 1.0;
  s.recall = s.true_pairs ? double(agree) / double(s.true_pairs) : 1.0;
  return s;
}

fs::path generate(const TempDir& t, const std::string& args) {
  fs::path dir = t / "corpus";
  auto g = run_command(shell_quote(DOPPEL_GEN_CORPUS_PATH) + " --out " + q(dir) + " " + args);
  if (g.exit_code != 0) ADD_FAILURE() << "gen-corpus failed: " << g.err;
  return dir;
}

TEST(Quality, GeneratedCorpusRecallAndPrecisionAtDefaults) {
  TempDir t;
  fs::path corpus = generate(t, "--docs 3000 --seed 7");
  auto r = run_doppel("dedup " + q(corpus / "docs.jsonl") + " -o " + q(t / "out") + " -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;

  std::map<std::string, std::string> truth, got;
  for (const auto& row : read_jsonl_rows(corpus / "truth.jsonl")) truth[row.at("id")] = row.at("cluster");
  for (const auto& row : read_jsonl_rows(t / "out/clusters.jsonl")) got[row.at("id")] = row.at("cluster");
  ASSERT_EQ(got.size(), truth.size());

  PairScore s = pairwise(truth, got);
  EXPECT_GE(s.recall, 0.95) << "true pairs " << s.true_pairs << ", predicted " << s.predicted_pairs;
  EXPECT_GE(s.precision, 0.99) << "true pairs " << s.true_pairs << ", predicted " << s.predicted_pairs;

  // Recall per planted kind: each planted copy must share a cluster with its source.
  std::map<std::string, std::pair<int, int>> per_kind;  // kind -> (found, planted)
  for (const auto& p : read_jsonl_rows(corpus / "planted.jsonl")) {
    auto& [found, planted] = per_kind[p.at("kind")];
    ++planted;
    found += got.at(p.at("a")) == got.at(p.at("b"));
  }
  for (const char* kind : {"exact", "near", "contained"}) {
    auto [found, planted] = per_kind[kind];
    ASSERT_GT(planted, 0) << kind;
    EXPECT_GE(double(found) / planted, 0.95) << kind << ": " << found << " of " << planted;
  }
}

std::string without_runtime(const std::string& summary) {
  // summary.json's "runtime" object (threads, timings) is the only part allowed to vary.
  auto pos = summary.find(",\"runtime\":");
  return pos == std::string::npos ? summary : summary.substr(0, pos);
}

TEST(Quality, OutputsAreIdenticalAcrossThreadCountsAndRuns) {
  TempDir t;
  fs::path corpus = generate(t, "--docs 1500 --seed 3");
  std::vector<fs::path> outs = {t / "t1", t / "t2", t / "t2again"};
  ASSERT_EQ(run_doppel("dedup " + q(corpus / "docs.jsonl") + " -o " + q(outs[0]) + " --threads 1 -q").exit_code, 0);
  ASSERT_EQ(run_doppel("dedup " + q(corpus / "docs.jsonl") + " -o " + q(outs[1]) + " --threads 2 -q").exit_code, 0);
  ASSERT_EQ(run_doppel("dedup " + q(corpus / "docs.jsonl") + " -o " + q(outs[2]) + " --threads 2 -q").exit_code, 0);
  for (const char* name : {"clusters.jsonl", "pairs.jsonl", "kept.jsonl", "rejected.jsonl"}) {
    std::string ref = read_file(outs[0] / name);
    EXPECT_FALSE(std::string(name) != "rejected.jsonl" && ref.empty()) << name;
    for (size_t i = 1; i < outs.size(); ++i) EXPECT_EQ(read_file(outs[i] / name), ref) << name << " run " << i;
  }
  std::string ref = without_runtime(read_file(outs[0] / "summary.json"));
  for (size_t i = 1; i < outs.size(); ++i) EXPECT_EQ(without_runtime(read_file(outs[i] / "summary.json")), ref);
}

TEST(Quality, InputOrderDoesNotChangeTheClustering) {
  TempDir t;
  fs::path corpus = generate(t, "--docs 800 --seed 5");
  auto lines = read_lines(corpus / "docs.jsonl");
  std::string reversed;
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) reversed += *it + "\n";
  write_file(t / "reversed.jsonl", reversed);
  ASSERT_EQ(run_doppel("dedup " + q(corpus / "docs.jsonl") + " -o " + q(t / "fwd") + " -q").exit_code, 0);
  ASSERT_EQ(run_doppel("dedup " + q(t / "reversed.jsonl") + " -o " + q(t / "rev") + " -q").exit_code, 0);
  // Same partition up to naming: map each document to the set of its cluster's members.
  auto partition = [](const fs::path& file) {
    std::map<std::string, std::set<std::string>> members;
    std::map<std::string, std::string> cluster_of;
    for (const auto& row : read_jsonl_rows(file)) {
      members[row.at("cluster")].insert(row.at("id"));
      cluster_of[row.at("id")] = row.at("cluster");
    }
    std::set<std::set<std::string>> out;
    for (const auto& [c, m] : members) out.insert(m);
    return out;
  };
  EXPECT_EQ(partition(t / "fwd/clusters.jsonl"), partition(t / "rev/clusters.jsonl"));
}

// Republished Chinese articles must be found with default flags: no --shingle char.
TEST(Quality, ChineseRepublishedArticlesAreFoundWithoutFlags) {
  fs::path shared = shared_dir();
  fs::path corpus = shared / "corpora/zh_sina_news/docs.jsonl.zst";
  if (shared.empty() || !fs::exists(corpus)) GTEST_SKIP() << "zh_sina_news corpus not present";
  TempDir t;
  auto r = run_doppel("dedup " + q(corpus) + " -o " + q(t / "out") + " -q");
  ASSERT_LE(r.exit_code, 1) << r.err;
  auto summary = parse_json_row(read_file(t / "out/summary.json"));
  // The corpus README counts 107 redundant exact copies and 433 pairs at Jaccard >= 0.8
  // on character 5-grams; doppel must see the same phenomenon.
  EXPECT_GE(std::stoull(summary.at("pairs")), 400u);
  std::map<std::string, std::string> got;
  for (const auto& row : read_jsonl_rows(t / "out/clusters.jsonl")) got[row.at("id")] = row.at("cluster");
  // Pairs listed by the corpus' own quick check with Jaccard >= 0.9 must share a cluster.
  auto pairs_file = shared / "corpora/zh_sina_news/candidate_pairs.jsonl.zst";
  auto listed = run_command("zstd -dc " + q(pairs_file));
  ASSERT_EQ(listed.exit_code, 0);
  int checked = 0, found = 0;
  size_t pos = 0;
  while (pos < listed.out.size()) {
    size_t end = listed.out.find('\n', pos);
    std::string line = listed.out.substr(pos, end - pos);
    pos = end == std::string::npos ? listed.out.size() : end + 1;
    if (line.find("\"jaccard5\"") == std::string::npos) continue;
    auto row = parse_json_row(line);
    if (std::stod(row.at("jaccard5")) < 0.9 || !got.count(row.at("a")) || !got.count(row.at("b"))) continue;
    ++checked;
    found += got.at(row.at("a")) == got.at(row.at("b"));
  }
  ASSERT_GT(checked, 100);
  EXPECT_GE(double(found) / checked, 0.97) << found << " of " << checked;
}

}  // namespace
}  // namespace doppel::testing
