// File: regression_test.cpp
// The quality guard: recomputes every generated-corpus row of
// tests/regression/results.csv with `doppel eval` and fails when precision,
// recall, F1 or ARI drop below the stored value by more than kTolerance. It
// prints every recomputed row, so an improvement can be committed by running
// tests/regression/update_results.sh. Rows on ../shared corpora are skipped:
// the guard must run everywhere.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "integration_support.hpp"

namespace doppel::testing {
namespace {
namespace fs = std::filesystem;

// Absorbs nothing but rounding-level noise; any real loss of quality is larger.
constexpr double kTolerance = 0.002;

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cell;
  std::istringstream in(s);
  while (std::getline(in, cell, sep)) out.push_back(cell);
  if (!s.empty() && s.back() == sep) out.emplace_back();
  return out;
}

std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

struct Table {
  std::vector<std::string> columns;
  std::vector<std::map<std::string, std::string>> rows;
};

Table read_table(const fs::path& path) {
  Table t;
  auto lines = read_lines(path);
  if (lines.empty()) return t;
  t.columns = split(lines[0], ',');
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    auto cells = split(lines[i], ',');
    EXPECT_EQ(cells.size(), t.columns.size()) << path << " line " << i + 1 << ": " << lines[i];
    std::map<std::string, std::string> row;
    for (size_t c = 0; c < cells.size() && c < t.columns.size(); ++c) row[t.columns[c]] = cells[c];
    t.rows.push_back(row);
  }
  return t;
}

TEST(Regression, GeneratedCorporaScoreAtLeastTheStoredQuality) {
  const fs::path csv = repo_path("tests/regression/results.csv");
  Table table = read_table(csv);
  for (const char* column : {"corpus", "settings", "precision", "recall", "f1", "ari", "missing"}) {
    ASSERT_NE(std::find(table.columns.begin(), table.columns.end(), column), table.columns.end())
        << csv << " has no column " << column;
  }
  TempDir tmp;
  std::map<std::string, fs::path> corpora;  // gen-corpus arguments -> generated directory
  int checked = 0;
  for (const auto& row : table.rows) {
    const std::string& corpus = row.at("corpus");
    const std::string& settings = row.at("settings");
    if (corpus.rfind("gen-corpus ", 0) != 0) continue;  // ../shared rows: not guarded here
    SCOPED_TRACE(corpus + " | " + settings);

    if (!corpora.count(corpus)) {
      fs::path dir = tmp / ("corpus" + std::to_string(corpora.size()));
      std::string cmd = shell_quote(DOPPEL_GEN_CORPUS_PATH) + " --out " + shell_quote(dir.string());
      for (const auto& w : words(corpus.substr(std::string("gen-corpus ").size()))) cmd += " " + shell_quote(w);
      auto g = run_command(cmd);
      ASSERT_EQ(g.exit_code, 0) << g.err;
      corpora[corpus] = dir;
    }
    const fs::path dir = corpora[corpus];
    fs::path input = dir / "docs.jsonl";
    if (!fs::exists(input)) input = dir / "docs.jsonl.zst";
    if (!fs::exists(input)) input = dir / "docs";
    std::string args = "eval --truth " + shell_quote((dir / "truth.jsonl").string()) + " --planted " +
                       shell_quote((dir / "planted.jsonl").string()) + " " + shell_quote(input.string());
    if (settings != "defaults") {
      for (const auto& w : words(settings)) args += " " + shell_quote(w);
    }
    auto r = run_doppel(args + " --csv");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto lines = split(r.out, '\n');
    ASSERT_GE(lines.size(), 2u) << r.out;
    auto header = split(lines[0], ',');
    auto cells = split(lines[1], ',');
    ASSERT_EQ(header.size(), cells.size()) << r.out;
    std::map<std::string, std::string> now;
    for (size_t c = 0; c < header.size(); ++c) now[header[c]] = cells[c];

    std::cout << "regression: " << corpus << "," << settings << "," << lines[1] << "\n";
    for (const char* metric : {"precision", "recall", "f1", "ari"}) {
      if (row.at(metric).empty()) continue;  // ARI is empty for pair truth
      ASSERT_FALSE(now.at(metric).empty()) << metric << " is no longer computed";
      const double stored = std::stod(row.at(metric));
      const double got = std::stod(now.at(metric));
      EXPECT_GE(got, stored - kTolerance)
          << metric << " dropped from " << row.at(metric) << " to " << now.at(metric)
          << " (if the drop is intended, run tests/regression/update_results.sh and commit the table)";
      if (got > stored + kTolerance) {
        std::cout << "regression: " << metric << " improved from " << row.at(metric) << " to " << now.at(metric)
                  << "; run tests/regression/update_results.sh and commit tests/regression/results.csv\n";
      }
    }
    EXPECT_LE(std::stoull(now.at("missing")), std::stoull(row.at("missing"))) << "documents lost";
    ++checked;
  }
  // The table must keep guarding something: the default settings on the generated corpus at least.
  EXPECT_GE(checked, 4) << csv << " has too few gen-corpus rows";
}

}  // namespace
}  // namespace doppel::testing
