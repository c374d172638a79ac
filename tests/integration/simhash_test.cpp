// File: simhash_test.cpp
// `doppel dedup --sketch simhash` on a generated corpus with planted copies: recall
// and precision at the defaults, the near-copy recall of the SimHash candidates
// alone as the radius grows, the parameters in summary.json, determinism, and
// bad values.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>

#include "integration_support.hpp"

namespace doppel::testing {
namespace {
namespace fs = std::filesystem;

std::string q(const fs::path& p) { return shell_quote(p.string()); }

// The generated corpus is the same for every test; made once per test program.
class SimHash : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    auto g = run_command(shell_quote(DOPPEL_GEN_CORPUS_PATH) + " --out " + q(corpus()) + " --docs 3000 --seed 7");
    ASSERT_EQ(g.exit_code, 0) << g.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static fs::path corpus() { return *dir_ / "corpus"; }
  static fs::path docs() { return corpus() / "docs.jsonl"; }
  static fs::path out(const std::string& name) { return *dir_ / name; }

  struct RunResult {
    std::map<std::string, std::string> cluster_of;
    JsonRow summary;
  };
  static RunResult dedup(const std::string& name, const std::string& flags) {
    auto r = run_doppel("dedup " + q(docs()) + " -o " + q(out(name)) + " -q " + flags);
    EXPECT_EQ(r.exit_code, 0) << flags << ": " << r.err;
    RunResult res;
    for (const auto& row : read_jsonl_rows(out(name) / "clusters.jsonl")) res.cluster_of[row.at("id")] = row.at("cluster");
    res.summary = parse_json_row(read_file(out(name) / "summary.json"));
    return res;
  }
  // Planted copies of `kind` that share a cluster with their source: (found, planted).
  static std::pair<int, int> planted_found(const RunResult& r, const std::string& kind) {
    int found = 0, planted = 0;
    for (const auto& p : read_jsonl_rows(corpus() / "planted.jsonl")) {
      if (p.at("kind") != kind) continue;
      ++planted;
      found += r.cluster_of.at(p.at("a")) == r.cluster_of.at(p.at("b"));
    }
    return {found, planted};
  }

  static TempDir* dir_;
};
TempDir* SimHash::dir_ = nullptr;

// Pairwise precision and recall of the clustering against truth.jsonl.
std::pair<double, double> pairwise(const std::map<std::string, std::string>& truth,
                                   const std::map<std::string, std::string>& got) {
  auto pairs = [](uint64_t n) { return n * (n - 1) / 2; };
  std::map<std::string, uint64_t> t_size, g_size;
  std::map<std::pair<std::string, std::string>, uint64_t> both;
  for (const auto& [id, tc] : truth) {
    ++t_size[tc];
    ++g_size[got.at(id)];
    ++both[{tc, got.at(id)}];
  }
  uint64_t agree = 0, true_pairs = 0, predicted = 0;
  for (const auto& [k, n] : both) agree += pairs(n);
  for (const auto& [k, n] : t_size) true_pairs += pairs(n);
  for (const auto& [k, n] : g_size) predicted += pairs(n);
  return {predicted ? double(agree) / double(predicted) : 1.0, true_pairs ? double(agree) / double(true_pairs) : 1.0};
}

TEST_F(SimHash, DefaultsFindThePlantedCopies) {
  // At the default thresholds the containment index (always on) also finds near
  // copies, since containment >= Jaccard; together they must match MinHash's quality.
  RunResult r = dedup("default", "--sketch simhash");
  std::map<std::string, std::string> truth;
  for (const auto& row : read_jsonl_rows(corpus() / "truth.jsonl")) truth[row.at("id")] = row.at("cluster");
  ASSERT_EQ(r.cluster_of.size(), truth.size());
  auto [precision, recall] = pairwise(truth, r.cluster_of);
  EXPECT_GE(recall, 0.95);
  EXPECT_GE(precision, 0.99);
  for (const char* kind : {"exact", "near", "contained"}) {
    auto [found, planted] = planted_found(r, kind);
    ASSERT_GT(planted, 0) << kind;
    EXPECT_GE(double(found) / planted, 0.95) << kind << ": " << found << " of " << planted;
  }
  const std::string& params = r.summary.at("parameters");
  for (const char* field : {"\"sketch\":\"simhash\"", "\"simhash_radius\":3", "\"simhash_blocks\":4",
                            "\"simhash_tables\":4", "\"simhash_seed\":\"0x646f7070656c7368\""}) {
    EXPECT_NE(params.find(field), std::string::npos) << field << " in " << params;
  }
  EXPECT_EQ(params.find("lsh_bands"), std::string::npos) << "LSH banding is not used with --sketch simhash";
  EXPECT_GT(std::stoull(r.summary.at("sketch_candidate_pairs")), 0u);
}

TEST_F(SimHash, NearCopyRecallOfTheSketchGrowsWithTheRadius) {
  // --containment 1 leaves near copies (planted with Jaccard 0.84..0.97) to the
  // sketch: the containment index then wants pairs with every shingle shared.
  // At Jaccard 0.84 a fingerprint bit differs with probability 0.133 (8.5 of 64
  // expected), so radius 16 should find >= 99% of them, radius 3 only the closest.
  std::map<int, std::pair<int, int>> near;
  std::map<int, uint64_t> candidates;
  for (int radius : {3, 10, 16}) {
    // Appended, not concatenated with +: GCC 12 warns falsely (-Wrestrict) on "literal" + string.
    const std::string k = std::to_string(radius);
    std::string name = "r", flags = "--sketch simhash --containment 1 --simhash-radius ";
    name += k;
    flags += k;
    RunResult r = dedup(name, flags);
    near[radius] = planted_found(r, "near");
    candidates[radius] = std::stoull(r.summary.at("sketch_candidate_pairs"));
    auto [found, planted] = planted_found(r, "exact");
    EXPECT_EQ(found, planted) << "exact copies do not depend on the sketch";
  }
  EXPECT_GE(double(near[16].first) / near[16].second, 0.97) << near[16].first << " of " << near[16].second;
  EXPECT_LT(near[3].first, near[10].first);
  EXPECT_LE(near[10].first, near[16].first);
  EXPECT_LT(candidates[3], candidates[10]);
  EXPECT_LT(candidates[10], candidates[16]);

  // MinHash LSH under the same setting: the reference the radius trades against.
  RunResult m = dedup("minhash1", "--sketch minhash --containment 1");
  EXPECT_GE(double(planted_found(m, "near").first) / near[16].second, 0.97);
}

TEST_F(SimHash, OutputsDoNotDependOnThreads) {
  for (const char* threads : {"1", "2"}) {
    dedup(std::string("t") + threads, std::string("--sketch simhash --simhash-radius 8 --threads ") + threads);
  }
  for (const char* name : {"clusters.jsonl", "pairs.jsonl", "kept.jsonl"}) {
    EXPECT_EQ(read_file(out("t1") / name), read_file(out("t2") / name)) << name;
  }
}

TEST_F(SimHash, BadValuesAreRejected) {
  EXPECT_EQ(run_doppel("dedup " + q(docs()) + " -o " + q(out("bad")) + " --sketch simhash --simhash-radius 17").exit_code,
            2);
  EXPECT_EQ(run_doppel("dedup " + q(docs()) + " -o " + q(out("bad")) + " --sketch simhash --simhash-radius -1").exit_code,
            2);
  EXPECT_EQ(run_doppel("dedup " + q(docs()) + " -o " + q(out("bad")) + " --sketch bloom").exit_code, 2);
  auto help = run_doppel("dedup --help");
  EXPECT_NE(help.out.find("--sketch"), std::string::npos);
  EXPECT_NE(help.out.find("--simhash-radius"), std::string::npos);
}

}  // namespace
}  // namespace doppel::testing
