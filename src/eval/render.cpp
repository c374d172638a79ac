// File: eval/render.cpp
//
// Scores as a text table, JSON and CSV; sweep thresholds; atomic file writes.
// Numbers have fixed formats (6 decimals) so outputs compare byte for byte.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "doppel/eval.hpp"
#include "report/json.hpp"
#include "report/output_file.hpp"

namespace doppel::eval {
namespace {

// The kinds gen-corpus plants; CSV always has these columns so rows line up.
constexpr const char* kCsvKinds[] = {"exact", "near", "contained"};

std::string fixed6(double v) { return fmt::format("{:.6f}", v); }

std::string kind_cell(const Scores& s, const std::string& kind) {
  auto it = s.recall_by_kind.find(kind);
  return it == s.recall_by_kind.end() ? "" : fixed6(it->second.recall);
}

std::string scores_json_object(const Scores& s, const std::optional<double>& threshold) {
  std::string out;
  report::JsonObject o(out);
  if (threshold) o.field("threshold", *threshold);
  o.field("truth", s.truth_path)
      .field("truth_kind", s.truth_kind == Truth::Kind::kClustering ? "clustering" : "pairs")
      .field("run", s.run)
      .field("field", s.field)
      .field("documents", s.documents)
      .field("missing", s.missing);
  std::string missing = "[";
  for (size_t i = 0; i < s.missing_examples.size(); ++i) {
    if (i) missing += ',';
    report::append_json_string(missing, s.missing_examples[i]);
  }
  missing += ']';
  o.raw_field("missing_examples", missing).field("extra", s.extra);
  o.field("precision", s.precision).field("recall", s.recall).field("f1", s.f1).optional_field("ari", s.ari);
  o.field("true_pairs", s.true_pairs).field("predicted_pairs", s.predicted_pairs).field("correct_pairs", s.correct_pairs);
  if (s.truth_kind == Truth::Kind::kPairs) {
    o.field("labelled_pairs", s.labelled_pairs);
  } else {
    o.null_field("labelled_pairs");
  }
  o.field("clusters", s.clusters).optional_field("true_clusters", s.true_clusters);
  std::string kinds;
  report::JsonObject k(kinds);
  for (const auto& [kind, r] : s.recall_by_kind) {
    std::string one;
    report::JsonObject ko(one);
    ko.field("found", r.found).field("total", r.total).field("recall", r.recall).close();
    k.raw_field(kind, one);
  }
  k.close();
  o.raw_field("recall_by_kind", kinds);
  o.close();
  return out;
}

std::string csv_cells(const Scores& s) {
  std::string row = fmt::format("{},{},{},{},{},{},{}", fixed6(s.precision), fixed6(s.recall), fixed6(s.f1),
                                s.ari ? fixed6(*s.ari) : "", s.predicted_pairs, s.true_pairs, s.clusters);
  for (const char* kind : kCsvKinds) row += "," + kind_cell(s, kind);
  row += fmt::format(",{}", s.missing);
  return row;
}

// Thresholds are rounded to 6 decimals; the shortest spelling reads best ("0.85").
std::string threshold_text(double t) { return fmt::format("{}", t); }

}  // namespace

std::string scores_to_text(const Scores& s) {
  std::string out;
  const bool pairs = s.truth_kind == Truth::Kind::kPairs;
  if (pairs) {
    out += fmt::format("truth      {}: {} labelled pairs ({} positive) over {} documents\n", s.truth_path,
                       s.labelled_pairs, s.true_pairs, s.documents);
  } else {
    out += fmt::format("truth      {}: clustering of {} documents, {} clusters of 2 or more\n", s.truth_path,
                       s.documents, s.true_clusters.value_or(0));
  }
  out += fmt::format("run        {} (field \"{}\"): {} clusters of 2 or more\n", s.run, s.field, s.clusters);
  out += "\n";
  const char* predicted_what = pairs ? "labelled pairs the run puts together are positive"
                                     : "pairs the run puts together are together in the truth";
  const char* actual_what = pairs ? "positive pairs are together in the run"
                                  : "pairs together in the truth are together in the run";
  out += fmt::format("{:<18}{}  {} of {} {}\n", "precision", fixed6(s.precision), s.correct_pairs,
                     s.predicted_pairs, predicted_what);
  out += fmt::format("{:<18}{}  {} of {} {}\n", "recall", fixed6(s.recall), s.correct_pairs, s.true_pairs,
                     actual_what);
  out += fmt::format("{:<18}{}\n", "f1", fixed6(s.f1));
  if (s.ari) {
    out += fmt::format("{:<18}{}  adjusted Rand index over all {} documents\n", "ari", fixed6(*s.ari), s.documents);
  } else {
    out += fmt::format("{:<18}{}\n", "ari", "-         (needs a clustering as truth)");
  }
  for (const auto& [kind, r] : s.recall_by_kind) {
    out += fmt::format("{:<18}{}  {} of {} {} pairs share a cluster\n", "recall " + kind, fixed6(r.recall), r.found,
                       r.total, kind);
  }
  if (s.missing) {
    out += fmt::format("{:<18}{} of {} truth documents are not in the run (scored as alone), e.g. {}\n", "missing",
                       s.missing, s.documents, fmt::join(s.missing_examples, ", "));
  } else {
    out += fmt::format("{:<18}0 (every truth document is in the run)\n", "missing");
  }
  if (s.extra) {
    out += fmt::format("{:<18}{} run documents are not in the truth (not scored)\n", "extra", s.extra);
  }
  return out;
}

std::string scores_to_json(const Scores& s) { return scores_json_object(s, std::nullopt) + "\n"; }

std::string csv_header() {
  return "precision,recall,f1,ari,pairs,true_pairs,clusters,recall_exact,recall_near,recall_contained,missing";
}

std::string scores_to_csv(const Scores& s) { return csv_header() + "\n" + csv_cells(s) + "\n"; }

Result<std::vector<double>> sweep_thresholds(double from, double to, double step) {
  if (!(from >= 0 && from <= 1 && to >= 0 && to <= 1)) {
    return invalid_argument(fmt::format("sweep range {}..{} must lie within [0, 1]", from, to));
  }
  if (from > to) return invalid_argument(fmt::format("sweep starts at {}, after its end {}", from, to));
  if (!(step > 0)) return invalid_argument(fmt::format("sweep step must be positive, got {}", step));
  const double count = std::floor((to - from) / step + 1e-9) + 1;
  if (count > 1000) return invalid_argument(fmt::format("sweep of {} points is too long (at most 1000)", count));
  std::vector<double> out;
  for (int i = 0; i < static_cast<int>(count); ++i) {
    // Rounded so 0.5 + 3 * 0.05 is 0.65, not 0.6500000000000001, on the command line and in outputs.
    out.push_back(std::round((from + i * step) * 1e6) / 1e6);
  }
  return out;
}

std::string sweep_to_text(const Sweep& sweep) {
  std::string out;
  if (sweep.points.empty()) return out;
  const Scores& first = sweep.points.front().scores;
  out += fmt::format("truth      {}\n", first.truth_path);
  out += fmt::format("sweep      {} (field \"{}\")\n\n", sweep.parameter, first.field);
  std::set<std::string> kinds;
  for (const auto& p : sweep.points) {
    for (const auto& [kind, r] : p.scores.recall_by_kind) kinds.insert(kind);
  }
  const size_t width = std::max<size_t>(12, sweep.parameter.size() + 2);  // first column
  out += fmt::format("{:<{}}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}", sweep.parameter, width, "precision", "recall", "f1",
                     "ari", "pairs", "clusters");
  for (const auto& k : kinds) out += fmt::format("{:>12}", "r_" + k);
  out += fmt::format("{:>9}\n", "missing");
  for (const auto& p : sweep.points) {
    const Scores& s = p.scores;
    out += fmt::format("{:<{}}{:>10.4f}{:>10.4f}{:>10.4f}{:>10}{:>10}{:>10}", threshold_text(p.threshold), width, s.precision,
                       s.recall, s.f1, s.ari ? fmt::format("{:.4f}", *s.ari) : "-", s.predicted_pairs, s.clusters);
    for (const auto& k : kinds) {
      auto it = s.recall_by_kind.find(k);
      out += it == s.recall_by_kind.end() ? fmt::format("{:>12}", "-") : fmt::format("{:>12.4f}", it->second.recall);
    }
    out += fmt::format("{:>9}\n", s.missing);
  }
  return out;
}

std::string sweep_to_json(const Sweep& sweep) {
  std::string out;
  report::JsonObject o(out);
  o.field("parameter", sweep.parameter);
  std::string points = "[";
  for (size_t i = 0; i < sweep.points.size(); ++i) {
    if (i) points += ',';
    points += scores_json_object(sweep.points[i].scores, sweep.points[i].threshold);
  }
  points += ']';
  o.raw_field("points", points).close();
  return out + "\n";
}

std::string sweep_to_csv(const Sweep& sweep) {
  std::string out = "threshold," + csv_header() + "\n";
  for (const auto& p : sweep.points) out += fmt::format("{},{}\n", p.threshold, csv_cells(p.scores));
  return out;
}

Status write_file(const std::string& path, const std::string& bytes) {
  DOPPEL_ASSIGN_OR_RETURN(auto file, report::OutputFile::create(path));
  DOPPEL_TRY(file->write(bytes));
  return file->commit();
}

}  // namespace doppel::eval
