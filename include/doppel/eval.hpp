// File: doppel/eval.hpp
//
// Scoring a run of doppel against labelled truth: the library behind
// `doppel eval`. Truth is either a clustering ({"id","cluster"} a line, as
// gen-corpus writes truth.jsonl) or labelled pairs ({"a","b","label"} a line,
// e.g. human judgements). A run is the `clusters.jsonl` of `doppel dedup`, read
// through one of its fields ("cluster", or "story" for story-level runs).
//
//   DOPPEL_ASSIGN_OR_RETURN(auto truth, doppel::eval::load_truth("truth.jsonl"));
//   DOPPEL_ASSIGN_OR_RETURN(auto run, doppel::eval::load_run("out/clusters.jsonl"));
//   doppel::eval::Scores s = doppel::eval::score(truth, run);
//   std::cout << doppel::eval::scores_to_text(s);
//
// Every count is exact (integers; pairs are counted from a contingency table of
// cluster intersections, never by visiting all n^2 pairs). Documents of the
// truth that the run lacks are not dropped: each one is scored as a document
// the run left alone, and they are counted and named in `Scores::missing*`.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "doppel/status.hpp"

namespace doppel::eval {

// Documents with the cluster each belongs to, in file order. Labels are dense
// (0 .. label_count-1): two documents share a label iff they share a cluster.
struct Partition {
  std::vector<std::string> ids;
  std::vector<uint64_t> labels;
  uint64_t label_count = 0;
  std::unordered_map<std::string, uint64_t> position;  // id -> index into ids
  std::string source;                                  // file it came from (for messages)
  std::string field;                                   // the clusters.jsonl field it was read from (runs)
};

// Builds a Partition from parallel lists of ids and cluster names. A cluster
// name of nullopt puts the document in a cluster of its own. A repeated id is
// an error naming both positions.
Result<Partition> make_partition(const std::vector<std::string>& ids,
                                 const std::vector<std::optional<std::string>>& clusters, std::string source = {});

struct LabelledPair {
  std::string a, b;
  bool positive = true;  // the truth says a and b belong together
  std::string kind;      // optional match kind ("exact", "near", "contained", ...); empty when absent
};

struct Truth {
  enum class Kind { kClustering, kPairs };
  Kind kind = Kind::kClustering;
  Partition clustering;             // kClustering
  std::vector<LabelledPair> pairs;  // kPairs
  std::string path;
};

struct TruthOptions {
  // Pair files: the field holding the label. Accepted values: true/false, 1/0,
  // "same"/"different"; or any number when positive_max is set.
  std::string label_field = "label";
  // When set, a numeric label (a number or a string holding one) is positive
  // iff it is <= this value. SemEval-2022 task 8 scores "overall" similarity
  // from 1 (very similar) to 4; same story means overall <= 1.5.
  std::optional<double> positive_max;
};

// Reads a truth file and detects its kind from the first record: lines with
// "a" and "b" are pairs, lines with "id" are a clustering ("cluster" may be a
// string, a number or null). Errors name the file and line.
Result<Truth> load_truth(const std::string& path, const TruthOptions& options = {});

// Reads planted copies ({"a","b","kind"} a line, as gen-corpus writes
// planted.jsonl): every pair is positive, "kind" is required.
Result<std::vector<LabelledPair>> load_planted(const std::string& path);

// Reads a run: `path` is an output directory (its clusters.jsonl is read) or a
// clusters.jsonl file. `field` names the cluster field ("cluster", or "story"
// for --level story runs); a null value puts the document in a cluster of its own.
Result<Partition> load_run(const std::string& path, const std::string& field = "cluster");

// --- the arithmetic, exposed so it can be tested on hand-computed cases ---

// Pair counts of two labelings of the same n documents.
struct PairCounts {
  uint64_t documents = 0;       // n
  uint64_t together_both = 0;   // sum over cluster intersections of C(n_ij, 2)
  uint64_t together_truth = 0;  // sum over truth clusters of C(a_i, 2)
  uint64_t together_run = 0;    // sum over run clusters of C(b_j, 2)
};
// truth_labels[i] and run_labels[i] label document i. The lists must have the
// same size (score() guarantees it); only the first min(sizes) are counted.
PairCounts count_pairs(const std::vector<uint64_t>& truth_labels, const std::vector<uint64_t>& run_labels);

// Adjusted Rand index (Hubert & Arabie 1985). Computed on exact 128-bit
// integers and divided once. 1 for identical partitions (including the cases
// where the expected index equals the maximum: both all singletons, or both
// one cluster, or fewer than 2 documents).
double adjusted_rand_index(const PairCounts& counts);

struct Prf {
  double precision = 0, recall = 0, f1 = 0;
};
// precision = correct / predicted (1 when nothing was predicted: no false
// positive was made), recall = correct / actual (1 when there is nothing to
// find), F1 their harmonic mean (0 when both are 0).
Prf precision_recall_f1(uint64_t correct, uint64_t predicted, uint64_t actual);

// --- scoring ---

struct KindRecall {
  uint64_t found = 0;  // pairs whose two documents share a run cluster
  uint64_t total = 0;
  double recall = 0;
};

struct Scores {
  Truth::Kind truth_kind = Truth::Kind::kClustering;
  std::string truth_path;
  std::string run;    // what was scored: a path, or a description of the dedup run
  std::string field;  // clusters.jsonl field that was scored

  uint64_t documents = 0;  // truth documents (clustering) or distinct ids in the labelled pairs
  uint64_t missing = 0;    // of those, how many the run lacks (scored as alone)
  std::vector<std::string> missing_examples;  // the first few, in truth order
  uint64_t extra = 0;      // run documents the truth does not mention (clustering truth; not scored)

  // Clustering truth: pairs of truth documents placed together by the truth
  // (true_pairs), by the run (predicted_pairs), by both (correct_pairs).
  // Pair truth: positive labelled pairs, labelled pairs placed together by the
  // run, and positive ones among those; labelled_pairs counts all of them.
  uint64_t true_pairs = 0;
  uint64_t predicted_pairs = 0;
  uint64_t correct_pairs = 0;
  uint64_t labelled_pairs = 0;
  double precision = 0, recall = 0, f1 = 0;
  std::optional<double> ari;  // clustering truth only

  uint64_t clusters = 0;                     // run clusters with 2 or more documents
  std::optional<uint64_t> true_clusters;     // truth clusters with 2 or more documents
  std::map<std::string, KindRecall> recall_by_kind;  // from planted pairs or pairs with a "kind"
};

// Scores `run` against `truth`. `planted` (may be empty) adds recall per kind.
Scores score(const Truth& truth, const Partition& run, const std::vector<LabelledPair>& planted = {});

// --- rendering ---

std::string scores_to_text(const Scores& s);
std::string scores_to_json(const Scores& s);

// CSV: a fixed header so rows from different runs line up (tests/regression/results.csv).
// Columns: precision,recall,f1,ari,pairs,true_pairs,clusters,recall_exact,recall_near,
// recall_contained,missing ("pairs" = predicted_pairs; empty cells where a value does not apply).
std::string csv_header();
std::string scores_to_csv(const Scores& s);

// One run per threshold value.
struct SweepPoint {
  double threshold = 0;
  Scores scores;
};
struct Sweep {
  std::string parameter;  // "jaccard", "containment", "both" (the two together) or another dedup flag's name
  std::vector<SweepPoint> points;
};

// The thresholds from..to (inclusive, within 1e-9) in steps of `step`, rounded
// to 6 decimals. Errors when the range is empty, out of [0, 1], or over 1000 points.
Result<std::vector<double>> sweep_thresholds(double from, double to, double step);

std::string sweep_to_text(const Sweep& sweep);
std::string sweep_to_json(const Sweep& sweep);
std::string sweep_to_csv(const Sweep& sweep);  // the CSV columns above, after a "threshold" column

// A self-contained SVG plot of precision, recall and F1 against the threshold:
// axes with ticks and labels, a legend, one polyline per metric.
std::string sweep_to_svg(const Sweep& sweep, const std::string& title);

// Writes `bytes` to `path` atomically (complete or not at all).
Status write_file(const std::string& path, const std::string& bytes);

}  // namespace doppel::eval
