// File: eval_test.cpp
// The eval module on cases small enough to compute by hand: pair counts,
// precision / recall / F1, the adjusted Rand index, pair-label truth, recall
// per kind, missing documents, loader errors, and the SVG plot's structure.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "doppel/eval.hpp"
#include "test_support.hpp"

namespace doppel::eval {
namespace {

using doppel::testing::read_file;
using doppel::testing::TempDir;
using doppel::testing::write_file;

// A partition from a string of cluster letters: "AAB" = docs d0,d1 in A, d2 in B.
// '.' puts a document alone (a null cluster).
Partition letters(const std::string& clusters, const std::string& prefix = "d") {
  std::vector<std::string> ids;
  std::vector<std::optional<std::string>> names;
  for (size_t i = 0; i < clusters.size(); ++i) {
    ids.push_back(prefix + std::to_string(i));
    names.push_back(clusters[i] == '.' ? std::nullopt : std::optional<std::string>(std::string(1, clusters[i])));
  }
  auto p = make_partition(ids, names, "test");
  EXPECT_TRUE(p.is_ok()) << p.status().message();
  return *p;
}

Truth clustering_truth(const std::string& clusters) {
  Truth t;
  t.kind = Truth::Kind::kClustering;
  t.clustering = letters(clusters);
  t.path = "truth";
  return t;
}

double ari_of(const std::string& truth, const std::string& run) {
  return adjusted_rand_index(count_pairs(letters(truth).labels, letters(run).labels));
}

// ---------------------------------------------------------------- arithmetic

TEST(PairCounts, CountsPairsInsideClustersAndIntersections) {
  // truth {0,1,2}{3,4}; run {0,1}{2,3,4}: truth pairs 3+1, run pairs 1+3, shared {0,1},{3,4}.
  PairCounts c = count_pairs(letters("AAABB").labels, letters("xxyyy").labels);
  EXPECT_EQ(c.documents, 5u);
  EXPECT_EQ(c.together_truth, 4u);
  EXPECT_EQ(c.together_run, 4u);
  EXPECT_EQ(c.together_both, 2u);
  Prf p = precision_recall_f1(c.together_both, c.together_run, c.together_truth);
  EXPECT_DOUBLE_EQ(p.precision, 0.5);
  EXPECT_DOUBLE_EQ(p.recall, 0.5);
  EXPECT_DOUBLE_EQ(p.f1, 0.5);
  // ARI: N = 10, expected = 4*4/10 = 1.6, max = 4: (2 - 1.6) / (4 - 1.6) = 1/6.
  EXPECT_NEAR(adjusted_rand_index(c), 1.0 / 6.0, 1e-15);
}

TEST(PrecisionRecall, EdgeCasesAreDefined) {
  Prf none = precision_recall_f1(0, 0, 5);  // predicted nothing: no false positive
  EXPECT_EQ(none.precision, 1.0);
  EXPECT_EQ(none.recall, 0.0);
  EXPECT_EQ(none.f1, 0.0);
  Prf nothing_to_find = precision_recall_f1(0, 3, 0);
  EXPECT_EQ(nothing_to_find.precision, 0.0);
  EXPECT_EQ(nothing_to_find.recall, 1.0);
  Prf p = precision_recall_f1(3, 4, 6);  // P = 0.75, R = 0.5, F1 = 2*0.375/1.25 = 0.6
  EXPECT_DOUBLE_EQ(p.precision, 0.75);
  EXPECT_DOUBLE_EQ(p.recall, 0.5);
  EXPECT_NEAR(p.f1, 0.6, 1e-15);
}

TEST(AdjustedRand, IdenticalPartitionsScoreOneWhateverTheNames) {
  EXPECT_EQ(ari_of("AABBBC", "xxyyyz"), 1.0);
  EXPECT_EQ(ari_of("AAAA", "zzzz"), 1.0);      // one cluster each: expected = max
  EXPECT_EQ(ari_of("ABCD", "wxyz"), 1.0);      // all singletons each: expected = max = 0
  EXPECT_EQ(ari_of("A", "x"), 1.0);            // fewer than two documents
  EXPECT_EQ(ari_of("", ""), 1.0);
}

TEST(AdjustedRand, HandComputedCases) {
  // truth {0,1,2}{3,4,5}; run {0,1}{2,3}{4,5}: index 2, a 6, b 3, N 15,
  // expected 6*3/15 = 1.2, max 4.5: (2 - 1.2) / (4.5 - 1.2) = 0.8 / 3.3 = 8/33.
  EXPECT_NEAR(ari_of("AAABBB", "xxyyzz"), 8.0 / 33.0, 1e-15);
  // The near-zero case: three clusters of 3 against three clusters of 3 that
  // cut across them. truth {0,1,2}{3,4,5}{6,7,8}; run {0,1,6}{2,3,7}{4,5,8}:
  // intersections hold pairs {0,1} and {4,5} -> index 2; a = b = 9; N = 36;
  // expected 81/36 = 2.25; max 9: (2 - 2.25) / (9 - 2.25) = -0.25 / 6.75 = -1/27.
  EXPECT_NEAR(ari_of("AAABBBCCC", "xxyyzzxyz"), -1.0 / 27.0, 1e-15);
  // Splitting one cluster completely: index 0, a 6, b 0 -> expected 0, max 3, ARI 0.
  EXPECT_EQ(ari_of("AAAA", "wxyz"), 0.0);
}

TEST(AdjustedRand, SingletonsOnly) {
  // Truth says no document has a copy; the run pairs two: index 0, a 0, b 1:
  // expected 0, max 0.5 -> ARI 0 exactly; precision 0 (the one pair is wrong), recall 1.
  EXPECT_EQ(ari_of("ABCDE", "xxyzw"), 0.0);
  Scores s = score(clustering_truth("ABCDE"), letters("xxyzw"));
  EXPECT_EQ(s.true_pairs, 0u);
  EXPECT_EQ(s.predicted_pairs, 1u);
  EXPECT_EQ(s.precision, 0.0);
  EXPECT_EQ(s.recall, 1.0);
  EXPECT_EQ(s.ari, 0.0);
  EXPECT_EQ(s.true_clusters, 0u);
  EXPECT_EQ(s.clusters, 1u);
}

TEST(AdjustedRand, ExactForMillionsOfDocuments) {
  // Two truth clusters of m documents against one run cluster of 2m: index = a,
  // b = N, so index - expected = a - a*N/N = 0 exactly. The products (~10^24) do
  // not fit 64 bits; the result must still be exactly 0, and 1 for identical halves.
  const uint64_t m = 1'500'000;
  std::vector<uint64_t> halves(2 * m), one(2 * m, 7);
  for (uint64_t i = 0; i < 2 * m; ++i) halves[i] = i < m ? 0 : 1;
  PairCounts c = count_pairs(halves, one);
  EXPECT_EQ(c.together_run, m * (2 * m - 1));
  EXPECT_EQ(c.together_truth, 2 * (m * (m - 1) / 2));
  EXPECT_EQ(adjusted_rand_index(c), 0.0);
  EXPECT_EQ(adjusted_rand_index(count_pairs(halves, halves)), 1.0);
}

// ---------------------------------------------------------------- scoring

TEST(Score, ClusteringTruthCountsMissingDocumentsAsAloneAndReportsThem) {
  Truth t = clustering_truth("AAABB");  // d0..d4
  // The run lacks d1 and has an extra document "zz".
  auto run = make_partition({"d0", "d2", "d3", "d4", "zz"}, {"x", "x", "y", "y", "x"}, "run");
  ASSERT_TRUE(run.is_ok());
  Scores s = score(t, *run);
  EXPECT_EQ(s.documents, 5u);
  EXPECT_EQ(s.missing, 1u);
  EXPECT_EQ(s.missing_examples, std::vector<std::string>{"d1"});
  EXPECT_EQ(s.extra, 1u);
  // d1 alone: run pairs among truth docs {d0,d2}, {d3,d4} -> 2, both correct; truth pairs 4.
  EXPECT_EQ(s.predicted_pairs, 2u);
  EXPECT_EQ(s.correct_pairs, 2u);
  EXPECT_EQ(s.true_pairs, 4u);
  EXPECT_DOUBLE_EQ(s.precision, 1.0);
  EXPECT_DOUBLE_EQ(s.recall, 0.5);
  EXPECT_NEAR(s.f1, 2.0 / 3.0, 1e-15);
  // ARI over 5 documents: index 2, a 4, b 2, N 10: expected 0.8, max 3 -> 1.2 / 2.2 = 6/11.
  ASSERT_TRUE(s.ari.has_value());
  EXPECT_NEAR(*s.ari, 6.0 / 11.0, 1e-15);
  EXPECT_EQ(s.clusters, 2u);  // {d0,d2,zz}, {d3,d4} in the whole run
  EXPECT_EQ(s.true_clusters, 2u);
}

TEST(Score, PairTruthCountsOnlyLabelledPairs) {
  Truth t;
  t.kind = Truth::Kind::kPairs;
  t.pairs = {{"d0", "d1", true, "near"},   // together: true positive
             {"d0", "d2", true, "near"},   // apart: false negative
             {"d3", "d4", false, ""},      // together: false positive
             {"d2", "d5", false, ""},      // apart: true negative
             {"d0", "d9", true, "exact"}};  // d9 is missing: apart
  Partition run = letters("AABCC.");
  Scores s = score(t, run);
  EXPECT_EQ(s.labelled_pairs, 5u);
  EXPECT_EQ(s.true_pairs, 3u);
  EXPECT_EQ(s.predicted_pairs, 2u);
  EXPECT_EQ(s.correct_pairs, 1u);
  EXPECT_DOUBLE_EQ(s.precision, 0.5);
  EXPECT_NEAR(s.recall, 1.0 / 3.0, 1e-15);
  EXPECT_NEAR(s.f1, 0.4, 1e-15);
  EXPECT_FALSE(s.ari.has_value());
  EXPECT_EQ(s.documents, 7u);  // d0 d1 d2 d3 d4 d5 d9
  EXPECT_EQ(s.missing, 1u);
  EXPECT_EQ(s.missing_examples, std::vector<std::string>{"d9"});
  ASSERT_EQ(s.recall_by_kind.size(), 2u);
  EXPECT_EQ(s.recall_by_kind.at("near").found, 1u);
  EXPECT_EQ(s.recall_by_kind.at("near").total, 2u);
  EXPECT_EQ(s.recall_by_kind.at("exact").recall, 0.0);
}

TEST(Score, PlantedPairsGiveRecallPerKind) {
  Truth t = clustering_truth("AAAB..");
  Partition run = letters("xxy.zz");
  std::vector<LabelledPair> planted = {{"d1", "d0", true, "exact"},
                                       {"d2", "d0", true, "near"},
                                       {"d5", "d4", true, "contained"},
                                       {"d3", "d0", true, "contained"}};
  Scores s = score(t, run, planted);
  EXPECT_EQ(s.recall_by_kind.at("exact").recall, 1.0);
  EXPECT_EQ(s.recall_by_kind.at("near").recall, 0.0);
  EXPECT_EQ(s.recall_by_kind.at("contained").found, 1u);
  EXPECT_EQ(s.recall_by_kind.at("contained").total, 2u);
  EXPECT_DOUBLE_EQ(s.recall_by_kind.at("contained").recall, 0.5);
}

// ---------------------------------------------------------------- loading

TEST(Load, DetectsClusteringTruthWithStringNumberAndNullClusters) {
  TempDir d;
  write_file(d / "t.jsonl",
             "\xEF\xBB\xBF{\"id\":\"a\",\"cluster\":\"c1\"}\r\n"
             "{\"id\":\"b\",\"cluster\":\"c1\"}\n"
             "\n"
             "{\"id\":3,\"cluster\":1}\n"
             "{\"id\":\"d\",\"cluster\":\"1\"}\n"  // the string "1" is not the number 1
             "{\"id\":\"e\",\"cluster\":null}\n"
             "{\"id\":\"f\",\"cluster\":null}\n");
  auto t = load_truth((d / "t.jsonl").string());
  ASSERT_TRUE(t.is_ok()) << t.status().message();
  EXPECT_EQ(t->kind, Truth::Kind::kClustering);
  const Partition& p = t->clustering;
  ASSERT_EQ(p.ids, (std::vector<std::string>{"a", "b", "3", "d", "e", "f"}));
  EXPECT_EQ(p.labels[0], p.labels[1]);
  EXPECT_NE(p.labels[2], p.labels[3]);
  EXPECT_NE(p.labels[4], p.labels[5]);  // null: each alone
  EXPECT_EQ(p.label_count, 5u);
}

TEST(Load, PairTruthLabelsInEveryAcceptedSpelling) {
  TempDir d;
  write_file(d / "p.jsonl",
             "{\"a\":\"x\",\"b\":\"y\",\"label\":true}\n"
             "{\"a\":\"x\",\"b\":\"z\",\"label\":0}\n"
             "{\"a\":1,\"b\":2,\"label\":\"same\",\"kind\":\"near\"}\n"
             "{\"a\":\"y\",\"b\":\"z\",\"label\":\"different\"}\n");
  auto t = load_truth((d / "p.jsonl").string());
  ASSERT_TRUE(t.is_ok()) << t.status().message();
  ASSERT_EQ(t->kind, Truth::Kind::kPairs);
  ASSERT_EQ(t->pairs.size(), 4u);
  EXPECT_TRUE(t->pairs[0].positive);
  EXPECT_FALSE(t->pairs[1].positive);
  EXPECT_TRUE(t->pairs[2].positive);
  EXPECT_EQ(t->pairs[2].a, "1");
  EXPECT_EQ(t->pairs[2].kind, "near");
  EXPECT_FALSE(t->pairs[3].positive);
}

TEST(Load, NumericScoresWithPositiveMax) {
  TempDir d;
  // SemEval-style: "overall" 1 (very similar) .. 4; positive when <= 1.5. Strings holding numbers count too.
  write_file(d / "s.jsonl",
             "{\"a\":\"x\",\"b\":\"y\",\"overall\":1.0}\n"
             "{\"a\":\"x\",\"b\":\"z\",\"overall\":1.5}\n"
             "{\"a\":\"y\",\"b\":\"z\",\"overall\":1.6666}\n"
             "{\"a\":\"y\",\"b\":\"w\",\"overall\":\"4.0\"}\n");
  TruthOptions o;
  o.label_field = "overall";
  o.positive_max = 1.5;
  auto t = load_truth((d / "s.jsonl").string(), o);
  ASSERT_TRUE(t.is_ok()) << t.status().message();
  std::vector<bool> got;
  for (const auto& p : t->pairs) got.push_back(p.positive);
  EXPECT_EQ(got, (std::vector<bool>{true, true, false, false}));
  // Without --positive-max a score is not a label.
  o.positive_max.reset();
  auto bad = load_truth((d / "s.jsonl").string(), o);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("s.jsonl:2:"), std::string::npos) << bad.status().message();
  EXPECT_NE(bad.status().message().find("--positive-max"), std::string::npos);
}

// Loads `bytes` as truth and returns the error message ("" when it loaded).
std::string truth_error(const std::string& bytes, const TruthOptions& o = {}) {
  TempDir d;
  write_file(d / "t.jsonl", bytes);
  auto t = load_truth((d / "t.jsonl").string(), o);
  return t.is_ok() ? "" : t.status().message();
}

TEST(Load, ErrorsNameFileLineAndProblem) {
  auto has = [](const std::string& msg, const std::string& part) {
    return msg.find(part) != std::string::npos;
  };
  std::string m = truth_error("{\"id\":\"a\",\"cluster\":1}\n{\"id\":\"b\",\"cluster\":\n");
  EXPECT_TRUE(has(m, "t.jsonl:2: not valid JSON")) << m;
  m = truth_error("{\"id\":\"a\",\"cluster\":1}\n[1,2]\n");
  EXPECT_TRUE(has(m, "t.jsonl:2: expected a JSON object")) << m;
  m = truth_error("{\"id\":\"a\",\"cluster\":1}\n{\"id\":\"b\"}\n");
  EXPECT_TRUE(has(m, "t.jsonl:2: no \"cluster\" field")) << m;
  m = truth_error("{\"id\":\"a\",\"cluster\":1}\n{\"id\":\"b\",\"cluster\":{}}\n");
  EXPECT_TRUE(has(m, "t.jsonl:2: \"cluster\" is an object or array")) << m;
  m = truth_error("{\"id\":\"a\",\"cluster\":1}\n\n{\"id\":\"a\",\"cluster\":2}\n");
  EXPECT_TRUE(has(m, "t.jsonl:3: id \"a\" repeated (first on line 1)")) << m;
  m = truth_error("{\"id\":true,\"cluster\":1}\n");
  EXPECT_TRUE(has(m, "t.jsonl:1: \"id\" is a boolean")) << m;
  m = truth_error("{\"a\":\"x\",\"b\":\"y\"}\n");
  EXPECT_TRUE(has(m, "t.jsonl:1: no \"label\" field")) << m;
  m = truth_error("{\"a\":\"x\",\"b\":\"y\",\"label\":\"maybe\"}\n");
  EXPECT_TRUE(has(m, "t.jsonl:1: label \"maybe\"")) << m;
  m = truth_error("{\"a\":\"x\",\"b\":\"y\",\"label\":1}\n{\"a\":\"x\",\"label\":1}\n");
  EXPECT_TRUE(has(m, "t.jsonl:2: no \"b\" field")) << m;
  m = truth_error("{\"url\":\"x\"}\n");
  EXPECT_TRUE(has(m, "t.jsonl:1: neither a labelled pair")) << m;
  m = truth_error("\n\n");
  EXPECT_TRUE(has(m, "t.jsonl: no records")) << m;

  auto missing = load_truth("/nonexistent/truth.jsonl");
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(has(missing.status().message(), "/nonexistent/truth.jsonl: no such file"));
}

TEST(Load, PlantedPairsNeedAKind) {
  TempDir d;
  write_file(d / "p.jsonl", "{\"a\":\"x\",\"b\":\"y\",\"kind\":\"near\",\"jaccard\":0.9}\n{\"a\":\"x\",\"b\":\"z\"}\n");
  auto p = load_planted((d / "p.jsonl").string());
  ASSERT_FALSE(p.is_ok());
  EXPECT_NE(p.status().message().find("p.jsonl:2: no \"kind\""), std::string::npos) << p.status().message();
  write_file(d / "q.jsonl", "{\"a\":\"x\",\"b\":\"y\",\"kind\":\"near\"}\n");
  auto q = load_planted((d / "q.jsonl").string());
  ASSERT_TRUE(q.is_ok());
  ASSERT_EQ(q->size(), 1u);
  EXPECT_EQ((*q)[0].kind, "near");
  EXPECT_TRUE((*q)[0].positive);
}

TEST(Load, RunFromDirectoryOrFileAndByField) {
  TempDir d;
  write_file(d / "out/clusters.jsonl",
             "{\"id\":\"a\",\"cluster\":0,\"story\":5}\n"
             "{\"id\":\"b\",\"cluster\":1,\"story\":5}\n"
             "{\"id\":\"c\",\"cluster\":1,\"story\":null}\n");
  auto by_dir = load_run((d / "out").string());
  ASSERT_TRUE(by_dir.is_ok()) << by_dir.status().message();
  EXPECT_EQ(by_dir->field, "cluster");
  EXPECT_NE(by_dir->labels[0], by_dir->labels[1]);
  EXPECT_EQ(by_dir->labels[1], by_dir->labels[2]);
  auto by_story = load_run((d / "out/clusters.jsonl").string(), "story");
  ASSERT_TRUE(by_story.is_ok()) << by_story.status().message();
  EXPECT_EQ(by_story->labels[0], by_story->labels[1]);
  EXPECT_NE(by_story->labels[1], by_story->labels[2]);

  write_file(d / "plain/clusters.jsonl", "{\"id\":\"a\",\"cluster\":0}\n");
  auto no_story = load_run((d / "plain").string(), "story");
  ASSERT_FALSE(no_story.is_ok());
  EXPECT_NE(no_story.status().message().find("clusters.jsonl:1: no \"story\" field"), std::string::npos)
      << no_story.status().message();
  auto none = load_run((d / "nothing").string());
  ASSERT_FALSE(none.is_ok());
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
}

TEST(Load, MakePartitionRejectsRepeatedIds) {
  auto p = make_partition({"a", "b", "a"}, {std::string("x"), std::string("y"), std::string("x")}, "list");
  ASSERT_FALSE(p.is_ok());
  EXPECT_NE(p.status().message().find("\"a\" appears twice (positions 0 and 2)"), std::string::npos);
}

// ---------------------------------------------------------------- rendering

TEST(Render, JsonAndCsvCarryTheScores) {
  std::vector<LabelledPair> planted = {{"d1", "d0", true, "exact"}};
  Scores s = score(clustering_truth("AAABB"), letters("xxyyy"), planted);
  s.field = "cluster";
  simdjson::dom::parser parser;
  std::string json = scores_to_json(s);
  simdjson::dom::element e;
  ASSERT_EQ(parser.parse(json).get(e), simdjson::SUCCESS) << json;
  double precision = 0, ari = 0;
  ASSERT_EQ(e["precision"].get(precision), simdjson::SUCCESS);
  ASSERT_EQ(e["ari"].get(ari), simdjson::SUCCESS);
  EXPECT_EQ(precision, 0.5);
  EXPECT_NEAR(ari, 1.0 / 6.0, 1e-6);
  uint64_t found = 0;
  ASSERT_EQ(e["recall_by_kind"]["exact"]["found"].get(found), simdjson::SUCCESS);
  EXPECT_EQ(found, 1u);
  EXPECT_EQ(scores_to_csv(s), csv_header() + "\n0.500000,0.500000,0.500000,0.166667,4,4,2,1.000000,,,0\n");
  std::string text = scores_to_text(s);
  EXPECT_NE(text.find("precision         0.500000  2 of 4"), std::string::npos) << text;
}

TEST(Sweep, ThresholdsAreRoundedAndValidated) {
  auto t = sweep_thresholds(0.5, 0.95, 0.05);
  ASSERT_TRUE(t.is_ok());
  ASSERT_EQ(t->size(), 10u);
  EXPECT_EQ((*t)[3], 0.65);
  EXPECT_EQ(t->back(), 0.95);
  auto one = sweep_thresholds(0.8, 0.8, 0.1);
  ASSERT_TRUE(one.is_ok());
  EXPECT_EQ(*one, std::vector<double>{0.8});
  EXPECT_FALSE(sweep_thresholds(0.9, 0.5, 0.1).is_ok());
  EXPECT_FALSE(sweep_thresholds(0.5, 1.2, 0.1).is_ok());
  EXPECT_FALSE(sweep_thresholds(0.5, 0.9, 0).is_ok());
  EXPECT_FALSE(sweep_thresholds(0, 1, 0.0001).is_ok());  // 10001 points
}

// A minimal XML check: every tag closes in order, one root <svg>.
struct XmlShape {
  bool balanced = false;
  std::string root;
  std::map<std::string, int> count;
  std::vector<std::string> polyline_points;
};

XmlShape shape_of(const std::string& xml) {
  XmlShape s;
  std::vector<std::string> stack;
  int roots = 0;
  for (size_t i = xml.find('<'); i != std::string::npos; i = xml.find('<', i + 1)) {
    size_t end = xml.find('>', i);
    if (end == std::string::npos) return s;
    std::string tag = xml.substr(i + 1, end - i - 1);
    if (tag.empty() || tag[0] == '?') continue;  // the XML declaration
    if (tag[0] == '/') {
      if (stack.empty() || stack.back() != tag.substr(1)) return s;
      stack.pop_back();
      continue;
    }
    std::string name = tag.substr(0, tag.find_first_of(" /"));
    if (stack.empty()) {
      ++roots;
      s.root = name;
    }
    ++s.count[name];
    if (name == "polyline") {
      size_t p = tag.find("points=\"");
      if (p != std::string::npos) s.polyline_points.push_back(tag.substr(p + 8, tag.find('"', p + 8) - p - 8));
    }
    if (tag.back() != '/') stack.push_back(name);
  }
  s.balanced = stack.empty() && roots == 1;
  return s;
}

TEST(Svg, SweepPlotIsWellFormedWithOneCurvePerMetric) {
  Sweep sweep;
  sweep.parameter = "jaccard";
  const double recalls[] = {1.0, 0.9, 0.6};
  for (int i = 0; i < 3; ++i) {
    Scores s;
    s.precision = 0.8 + 0.1 * i;
    s.recall = recalls[i];
    s.f1 = 2 * s.precision * s.recall / (s.precision + s.recall);
    sweep.points.push_back({0.7 + 0.1 * i, s});
  }
  std::string svg = sweep_to_svg(sweep, "a <title> & more");
  XmlShape shape = shape_of(svg);
  EXPECT_TRUE(shape.balanced) << svg;
  EXPECT_EQ(shape.root, "svg");
  EXPECT_EQ(shape.count["polyline"], 3);
  ASSERT_EQ(shape.polyline_points.size(), 3u);
  for (const auto& pts : shape.polyline_points) {
    EXPECT_EQ(std::count(pts.begin(), pts.end(), ','), 3) << pts;  // three x,y points
  }
  EXPECT_NE(svg.find("a &lt;title&gt; &amp; more"), std::string::npos);
  for (const char* label : {">precision<", ">recall<", ">F1<", ">--jaccard<", ">score<"}) {
    EXPECT_NE(svg.find(label), std::string::npos) << label;
  }
  // Lowest value 0.6 -> the y axis runs from 0.60 to 1.00.
  EXPECT_NE(svg.find(">0.60<"), std::string::npos);
  EXPECT_NE(svg.find(">1.00<"), std::string::npos);
  EXPECT_EQ(svg.find(">0.50<"), std::string::npos);

  TempDir d;
  ASSERT_TRUE(doppel::eval::write_file((d / "plot.svg").string(), svg).is_ok());
  EXPECT_EQ(read_file(d / "plot.svg"), svg);
  EXPECT_FALSE(doppel::eval::write_file((d / "no/such/dir/plot.svg").string(), svg).is_ok());
}

}  // namespace
}  // namespace doppel::eval
