// File: eval_cli_test.cpp
// `doppel eval` end to end: scoring an output directory, running dedup first,
// sweeps with a plot, JSON output, missing documents, pair truth with a story
// field, and flag errors. The scores are checked against pair counts made here
// independently from the truth and clusters.jsonl.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>

#include "integration_support.hpp"

namespace doppel::testing {
namespace {
namespace fs = std::filesystem;

std::string q(const fs::path& p) { return shell_quote(p.string()); }

// One small generated corpus shared by the tests of this file.
class EvalCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    auto g = run_command(shell_quote(DOPPEL_GEN_CORPUS_PATH) + " --out " + q(corpus()) + " --docs 400 --seed 11");
    ASSERT_EQ(g.exit_code, 0) << g.err;
    auto r = run_doppel("dedup " + q(docs()) + " -o " + q(out()) + " -q");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static fs::path corpus() { return dir_->path() / "corpus"; }
  static fs::path docs() { return corpus() / "docs.jsonl"; }
  static fs::path out() { return dir_->path() / "out"; }
  static std::string truth_flags() {
    return "--truth " + q(corpus() / "truth.jsonl") + " --planted " + q(corpus() / "planted.jsonl");
  }
  static TempDir* dir_;
};
TempDir* EvalCli::dir_ = nullptr;

simdjson::dom::element parse(simdjson::dom::parser& parser, const std::string& json) {
  simdjson::dom::element e;
  if (parser.parse(json).get(e)) ADD_FAILURE() << "not JSON: " << json;
  return e;
}

double number(simdjson::dom::element e, const char* key) {
  double v = -1;
  if (e[key].get(v)) ADD_FAILURE() << "no number " << key;
  return v;
}

uint64_t count(simdjson::dom::element e, const char* key) {
  uint64_t v = 0;
  if (e[key].get(v)) ADD_FAILURE() << "no count " << key;
  return v;
}

TEST_F(EvalCli, ScoresAnOutputDirectoryLikeAnIndependentCount) {
  auto r = run_doppel("eval " + truth_flags() + " --run " + q(out()) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  simdjson::dom::parser parser;
  auto e = parse(parser, r.out);

  // Count the pairs here from truth.jsonl and clusters.jsonl.
  std::map<std::string, std::string> truth, got;
  for (const auto& row : read_jsonl_rows(corpus() / "truth.jsonl")) truth[row.at("id")] = row.at("cluster");
  for (const auto& row : read_jsonl_rows(out() / "clusters.jsonl")) got[row.at("id")] = row.at("cluster");
  auto pairs = [](uint64_t n) { return n * (n - 1) / 2; };
  std::map<std::string, uint64_t> t_size, g_size;
  std::map<std::pair<std::string, std::string>, uint64_t> both;
  for (const auto& [id, c] : truth) {
    ++t_size[c];
    ++g_size[got.at(id)];
    ++both[{c, got.at(id)}];
  }
  uint64_t true_pairs = 0, predicted = 0, correct = 0;
  for (const auto& [c, n] : t_size) true_pairs += pairs(n);
  for (const auto& [c, n] : g_size) predicted += pairs(n);
  for (const auto& [c, n] : both) correct += pairs(n);
  ASSERT_GT(true_pairs, 20u);
  EXPECT_EQ(count(e, "true_pairs"), true_pairs);
  EXPECT_EQ(count(e, "predicted_pairs"), predicted);
  EXPECT_EQ(count(e, "correct_pairs"), correct);
  EXPECT_NEAR(number(e, "precision"), double(correct) / double(predicted), 1e-6);
  EXPECT_NEAR(number(e, "recall"), double(correct) / double(true_pairs), 1e-6);
  EXPECT_EQ(count(e, "documents"), truth.size());
  EXPECT_EQ(count(e, "missing"), 0u);
  double ari = number(e, "ari");
  EXPECT_GT(ari, 0.9);
  EXPECT_LE(ari, 1.0);

  // Recall per planted kind, counted here too.
  std::map<std::string, std::pair<uint64_t, uint64_t>> kinds;  // found, total
  for (const auto& p : read_jsonl_rows(corpus() / "planted.jsonl")) {
    auto& [found, total] = kinds[p.at("kind")];
    ++total;
    found += got.at(p.at("a")) == got.at(p.at("b"));
  }
  ASSERT_EQ(kinds.size(), 3u);
  for (const auto& [kind, ft] : kinds) {
    simdjson::dom::element k;
    ASSERT_EQ(e["recall_by_kind"][kind].get(k), simdjson::SUCCESS) << kind;
    EXPECT_EQ(count(k, "found"), ft.first) << kind;
    EXPECT_EQ(count(k, "total"), ft.second) << kind;
  }

  // The table says the same in words.
  auto table = run_doppel("eval " + truth_flags() + " --run " + q(out()));
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find(fmt::format("{} of {} pairs the run puts together", correct, predicted)), std::string::npos)
      << table.out;
  EXPECT_NE(table.out.find("recall near"), std::string::npos);
}

TEST_F(EvalCli, RunningInputsScoresWhatDedupWithTheSameFlagsWrites) {
  // Flags eval does not know go to dedup untouched.
  auto direct = run_doppel("eval " + truth_flags() + " " + q(docs()) + " --jaccard 0.7 --ngram 4 --csv");
  ASSERT_EQ(direct.exit_code, 0) << direct.err;
  ASSERT_EQ(run_doppel("dedup " + q(docs()) + " --jaccard 0.7 --ngram 4 -q -o " + q(dir_->path() / "j07")).exit_code,
            0);
  auto scored = run_doppel("eval " + truth_flags() + " --run " + q(dir_->path() / "j07") + " --csv");
  ASSERT_EQ(scored.exit_code, 0) << scored.err;
  EXPECT_EQ(direct.out, scored.out);
  EXPECT_EQ(direct.out.rfind("precision,recall,f1,ari,pairs,true_pairs,clusters,", 0), 0u) << direct.out;

  auto json = run_doppel("eval " + truth_flags() + " " + q(docs()) + " --jaccard 0.7 --json");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  simdjson::dom::parser parser;
  std::string_view run;
  ASSERT_EQ(parse(parser, json.out)["run"].get(run), simdjson::SUCCESS);
  EXPECT_EQ(run, "dedup " + docs().string() + " --jaccard 0.7");

  // A dedup flag dedup rejects fails the same way it fails for dedup.
  auto bad = run_doppel("eval " + truth_flags() + " " + q(docs()) + " --ngram 0");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--ngram"), std::string::npos) << bad.err;
}

TEST_F(EvalCli, SweepPrintsOneRowPerThresholdAndPlotsThem) {
  fs::path plot = dir_->path() / "sweep.svg";
  auto r = run_doppel("eval " + truth_flags() + " " + q(docs()) +
                      " --sweep jaccard --from 0.7 --to 0.9 --step 0.1 --json --plot " + q(plot));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  simdjson::dom::parser parser;
  auto e = parse(parser, r.out);
  std::string_view parameter;
  ASSERT_EQ(e["parameter"].get(parameter), simdjson::SUCCESS);
  EXPECT_EQ(parameter, "jaccard");
  simdjson::dom::array points;
  ASSERT_EQ(e["points"].get(points), simdjson::SUCCESS);
  ASSERT_EQ(points.size(), 3u);
  std::vector<double> thresholds;
  for (auto p : points) thresholds.push_back(number(p, "threshold"));
  EXPECT_EQ(thresholds, (std::vector<double>{0.7, 0.8, 0.9}));

  // The 0.8 point is the default run: same scores as the directory dedup wrote.
  auto single = run_doppel("eval " + truth_flags() + " --run " + q(out()) + " --json");
  ASSERT_EQ(single.exit_code, 0) << single.err;
  simdjson::dom::parser parser2;
  auto d = parse(parser2, single.out);
  auto p08 = points.at(1).value();
  for (const char* key : {"precision", "recall", "f1", "ari"}) EXPECT_EQ(number(p08, key), number(d, key)) << key;
  EXPECT_EQ(count(p08, "predicted_pairs"), count(d, "predicted_pairs"));

  std::string svg = read_file(plot);
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
  size_t polylines = 0;
  for (size_t pos = svg.find("<polyline"); pos != std::string::npos; pos = svg.find("<polyline", pos + 1)) ++polylines;
  EXPECT_EQ(polylines, 3u);

  // The table form: a header and one row per threshold.
  auto table = run_doppel("eval " + truth_flags() + " " + q(docs()) + " --sweep containment --from 0.8 --to 0.9 --step 0.1");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("\n0.8 "), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("\n0.9 "), std::string::npos) << table.out;
}

TEST_F(EvalCli, MissingDocumentsAreCountedNamedAndExitOne) {
  auto lines = read_lines(out() / "clusters.jsonl");
  ASSERT_GT(lines.size(), 10u);
  std::string kept;
  std::vector<std::string> dropped;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i < 3) {
      dropped.push_back(parse_json_row(lines[i]).at("id"));
    } else {
      kept += lines[i] + "\n";
    }
  }
  write_file(dir_->path() / "partial/clusters.jsonl", kept);
  auto r = run_doppel("eval " + truth_flags() + " --run " + q(dir_->path() / "partial/clusters.jsonl") + " --json");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("not in the run"), std::string::npos) << r.err;
  simdjson::dom::parser parser;
  auto e = parse(parser, r.out);
  EXPECT_EQ(count(e, "missing"), 3u);
  simdjson::dom::array examples;
  ASSERT_EQ(e["missing_examples"].get(examples), simdjson::SUCCESS);
  std::vector<std::string> named;
  for (auto x : examples) named.emplace_back(std::string_view(x));
  EXPECT_EQ(named, dropped);
}

TEST_F(EvalCli, PairTruthWithScoresAgainstAStoryField) {
  // SemEval-style labels on a run that carries a "story" field next to "cluster".
  write_file(dir_->path() / "story/clusters.jsonl",
             "{\"id\":\"a\",\"cluster\":0,\"story\":0}\n"
             "{\"id\":\"b\",\"cluster\":1,\"story\":0}\n"
             "{\"id\":\"c\",\"cluster\":2,\"story\":0}\n"
             "{\"id\":\"d\",\"cluster\":3,\"story\":1}\n");
  write_file(dir_->path() / "labels.jsonl",
             "{\"a\":\"a\",\"b\":\"b\",\"overall\":1.0}\n"    // same story, together
             "{\"a\":\"a\",\"b\":\"d\",\"overall\":1.25}\n"   // same story, apart
             "{\"a\":\"b\",\"b\":\"c\",\"overall\":3.5}\n"    // different, together
             "{\"a\":\"c\",\"b\":\"d\",\"overall\":4}\n");    // different, apart
  std::string base = "eval --truth " + q(dir_->path() / "labels.jsonl") + " --run " + q(dir_->path() / "story") +
                     " --label-field overall --positive-max 1.5 --json";
  auto r = run_doppel(base + " --field story");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  simdjson::dom::parser parser;
  auto e = parse(parser, r.out);
  EXPECT_EQ(count(e, "labelled_pairs"), 4u);
  EXPECT_EQ(count(e, "true_pairs"), 2u);
  EXPECT_EQ(count(e, "predicted_pairs"), 2u);
  EXPECT_EQ(count(e, "correct_pairs"), 1u);
  EXPECT_EQ(number(e, "precision"), 0.5);
  EXPECT_EQ(number(e, "recall"), 0.5);
  EXPECT_TRUE(e["ari"].is_null());
  // By "cluster" nothing is together.
  auto c = run_doppel(base);
  ASSERT_EQ(c.exit_code, 0) << c.err;
  simdjson::dom::parser parser2;
  EXPECT_EQ(count(parse(parser2, c.out), "predicted_pairs"), 0u);
}

TEST_F(EvalCli, BadFlagsAndBadTruthExitTwoWithAMessage) {
  write_file(dir_->path() / "bad_truth.jsonl", "{\"id\":\"g000000\",\"cluster\":\"x\"}\n{\"id\":\n");
  const std::string truth = "--truth " + q(corpus() / "truth.jsonl");
  const std::string input = q(docs());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"eval " + truth, "give --run DIR"},
      {"eval --run " + q(out()), "--truth"},
      {"eval " + truth + " --run " + q(out()) + " " + input, "only make sense without it"},
      {"eval " + truth + " --run " + q(out()) + " --sweep jaccard", "--sweep runs dedup once per threshold"},
      {"eval " + truth + " --run " + q(out()) + " --plot x.svg", "--plot needs --sweep"},
      {"eval " + truth + " --run " + q(out()) + " --from 0.6", "need --sweep"},
      {"eval " + truth + " " + input + " --sweep jaccard --plot x.png", "ending in .svg"},
      {"eval " + truth + " " + input + " --sweep jaccard --jaccard 0.5", "leave --jaccard out"},
      {"eval " + truth + " " + input + " --sweep both --containment=0.5", "leave --containment=0.5 out"},
      {"eval " + truth + " " + input + " --sweep jaccard --from 0.9 --to 0.5", "after its end"},
      {"eval " + truth + " " + input + " --sweep Jaccard", "--sweep takes jaccard"},
      {"eval " + truth + " " + input + " --sweep sideways --from 0.8 --to 0.8", "--sideways"},
      {"eval " + truth + " " + input + " -o " + q(dir_->path() / "x"), "temporary directory"},
      {"eval " + truth + " " + input + " --json --csv", "excludes"},
      {"eval --truth " + q(dir_->path() / "bad_truth.jsonl") + " " + input, "bad_truth.jsonl:2: not valid JSON"},
      {"eval --truth " + q(dir_->path() / "none.jsonl") + " --run " + q(out()), "none.jsonl: no such file"},
      {"eval " + truth + " --run " + q(out()) + " --field story", "no \"story\" field"},
  };
  for (const auto& [args, message] : cases) {
    auto r = run_doppel(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << args << "\nstderr: " << r.err;
    EXPECT_TRUE(r.out.empty()) << args;
  }
}

}  // namespace
}  // namespace doppel::testing
