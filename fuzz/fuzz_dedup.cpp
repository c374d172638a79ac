// File: fuzz/fuzz_dedup.cpp
//
// The whole pipeline (doppel::run_dedup) on a small fuzz-built JSONL corpus:
// fresh texts, exact copies (with case and spacing changes), excerpts and
// edited copies of earlier documents, broken lines and invalid UTF-8, under
// fuzz-chosen parameters.
//
// Properties:
//  - every record is accounted for: clusters.jsonl + rejected.jsonl lines ==
//    records read == lines written;
//  - 1 and 2 threads give byte-identical outputs (summary.json minus runtime);
//  - reversing the input order gives the same clustering up to naming (the
//    same partition of ids into clusters, the same representatives under
//    --keep longest) and the same numbers of rejected and kept records.
#include <simdjson.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "doppel/dedup.hpp"
#include "fuzz_support.hpp"

namespace {

namespace fs = std::filesystem;

const char* kVocabulary[] = {"harbour", "lantern", "council", "meadow", "signal", "copper", "orchard", "bridge",
                             "winter", "archive", "Caf\xc3\xa9", "\xe4\xb8\xad\xe6\x96\x87", "station", "42",
                             "garden", "don't", "summit", "ledger", "timber", "beacon"};

std::string json_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      static const char* kHex = "0123456789abcdef";
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<std::string> words_of(const std::string& s) {
  std::vector<std::string> w;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = s.find(' ', i);
    if (j == std::string::npos) j = s.size();
    if (j > i) w.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return w;
}

std::string join(const std::vector<std::string>& w, size_t from, size_t to) {
  std::string s;
  for (size_t i = from; i < to && i < w.size(); ++i) {
    if (!s.empty()) s += ' ';
    s += w[i];
  }
  return s;
}

// The corpus as JSONL lines (no newline inside any line, none blank).
std::vector<std::string> make_corpus(FuzzedDataProvider& fdp) {
  std::vector<std::string> texts;
  std::vector<std::string> lines;
  const int n = fdp.ConsumeIntegralInRange<int>(1, 24);
  for (int i = 0; i < n; ++i) {
    const int op = texts.empty() ? 0 : fdp.ConsumeIntegralInRange<int>(0, 5);
    std::string text;
    if (op == 5) {  // a broken line
      std::string junk = fdp.ConsumeRandomLengthString(40);
      std::replace(junk.begin(), junk.end(), '\n', ' ');
      lines.push_back("{" + junk);
      continue;
    }
    if (op == 0) {
      const size_t words = fdp.ConsumeIntegralInRange<size_t>(0, 60);
      for (size_t k = 0; k < words; ++k) {
        if (k) text += ' ';
        text += kVocabulary[fdp.ConsumeIntegralInRange<size_t>(0, std::size(kVocabulary) - 1)];
      }
      if (fdp.ConsumeIntegralInRange<int>(0, 9) == 0) text += "\xff\xfe";  // invalid UTF-8: repaired
    } else {
      const std::string& src = texts[fdp.ConsumeIntegralInRange<size_t>(0, texts.size() - 1)];
      std::vector<std::string> w = words_of(src);
      if (op == 1) {  // exact after normalisation
        text = src;
        std::transform(text.begin(), text.end(), text.begin(), [](char c) { return c == 'a' ? 'A' : c; });
        text = "  " + text + " ";
      } else if (op == 2 && !w.empty()) {  // excerpt
        const size_t from = fdp.ConsumeIntegralInRange<size_t>(0, w.size() - 1);
        const size_t to = fdp.ConsumeIntegralInRange<size_t>(from, w.size());
        text = join(w, from, to);
      } else if (!w.empty()) {  // a few words changed
        const int edits = fdp.ConsumeIntegralInRange<int>(1, 3);
        for (int e = 0; e < edits; ++e) {
          w[fdp.ConsumeIntegralInRange<size_t>(0, w.size() - 1)] =
              kVocabulary[fdp.ConsumeIntegralInRange<size_t>(0, std::size(kVocabulary) - 1)];
        }
        text = join(w, 0, w.size());
      }
    }
    texts.push_back(text);
    lines.push_back("{\"id\":\"d" + std::to_string(i) + "\",\"text\":\"" + json_escape(text) + "\"}");
  }
  return lines;
}

std::string strip_runtime(std::string summary) {
  const size_t at = summary.find("\"runtime\":");
  FUZZ_CHECK(at != std::string::npos, "summary.json has no runtime object");
  return summary.substr(0, at);
}

struct Clustering {
  std::set<std::set<std::string>> partition;
  std::map<std::string, std::string> representative;  // id -> its representative
  size_t lines = 0;
};

Clustering read_clusters(const fs::path& path) {
  Clustering c;
  std::map<std::string, std::set<std::string>> by_cluster;
  simdjson::dom::parser parser;
  const std::string all = doppel::fuzz::read_bytes(path);
  size_t i = 0;
  while (i < all.size()) {
    size_t j = all.find('\n', i);
    FUZZ_CHECK(j != std::string::npos, "clusters.jsonl does not end with a newline");
    simdjson::dom::element row;
    FUZZ_CHECK(!parser.parse(all.data() + i, j - i).get(row), "clusters.jsonl line is not JSON");
    std::string_view id, rep;
    int64_t cluster = -1;
    FUZZ_CHECK(!row["id"].get(id) && !row["representative"].get(rep) && !row["cluster"].get(cluster),
               "clusters.jsonl line lacks id/cluster/representative");
    by_cluster[std::to_string(cluster)].insert(std::string(id));
    c.representative[std::string(id)] = std::string(rep);
    ++c.lines;
    i = j + 1;
  }
  for (auto& [k, ids] : by_cluster) c.partition.insert(std::move(ids));
  return c;
}

size_t count_lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider fdp(data, size);
  doppel::DedupOptions base;
  base.ngram = fdp.ConsumeIntegralInRange<int>(1, 5);
  static const int kPerms[] = {8, 16, 32, 128};
  base.num_perm = kPerms[fdp.ConsumeIntegralInRange<size_t>(0, 3)];
  static const double kThresholds[] = {0.5, 0.7, 0.8, 0.9, 1.0};
  base.jaccard = kThresholds[fdp.ConsumeIntegralInRange<size_t>(0, 4)];
  base.containment = kThresholds[fdp.ConsumeIntegralInRange<size_t>(0, 4)];
  base.shingle = fdp.ConsumeBool() ? doppel::ShingleUnit::kWord : doppel::ShingleUnit::kChar;
  base.keep = fdp.ConsumeBool() ? doppel::KeepPolicy::kLongest : doppel::KeepPolicy::kFirst;
  const std::vector<std::string> lines = make_corpus(fdp);

  const fs::path dir = doppel::fuzz::fresh_dir("dedup");
  std::string forward, backward;
  for (const auto& l : lines) forward += l + "\n";
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) backward += *it + "\n";
  doppel::fuzz::write_bytes(dir / "forward.jsonl", forward);
  doppel::fuzz::write_bytes(dir / "backward.jsonl", backward);

  auto run = [&](const char* input, const char* out, int threads) {
    doppel::DedupOptions o = base;
    o.inputs = {(dir / input).string()};
    o.output_dir = (dir / out).string();
    o.threads = threads;
    doppel::Result<doppel::DedupSummary> r = doppel::run_dedup(o);
    FUZZ_CHECK(r.is_ok(), std::string("run_dedup failed: ") + r.status().message());
    return r.value();
  };
  // Banding can be infeasible for some (threshold, num_perm): then every run must fail alike.
  {
    doppel::DedupOptions probe = base;
    probe.inputs = {(dir / "forward.jsonl").string()};
    probe.output_dir = (dir / "probe").string();
    probe.threads = 1;
    doppel::Result<doppel::DedupSummary> r = doppel::run_dedup(probe);
    if (!r.is_ok()) {
      FUZZ_CHECK(r.status().code() == doppel::StatusCode::kInvalidArgument,
                 std::string("unexpected failure: ") + r.status().message());
      FUZZ_CHECK(!fs::exists(dir / "probe" / "clusters.jsonl"), "a failed run left outputs");
      return 0;
    }
  }
  const doppel::DedupSummary s1 = run("forward.jsonl", "one", 1);
  run("forward.jsonl", "two", 2);
  const doppel::DedupSummary sr = run("backward.jsonl", "reversed", 2);

  for (const char* f : {"clusters.jsonl", "pairs.jsonl", "kept.jsonl", "rejected.jsonl"}) {
    FUZZ_CHECK(doppel::fuzz::read_bytes(dir / "one" / f) == doppel::fuzz::read_bytes(dir / "two" / f),
               std::string(f) + " differs between 1 and 2 threads");
  }
  FUZZ_CHECK(strip_runtime(doppel::fuzz::read_bytes(dir / "one/summary.json")) ==
                 strip_runtime(doppel::fuzz::read_bytes(dir / "two/summary.json")),
             "summary.json differs between 1 and 2 threads");

  const Clustering c1 = read_clusters(dir / "one/clusters.jsonl");
  const Clustering cr = read_clusters(dir / "reversed/clusters.jsonl");
  const size_t rejected = count_lines(doppel::fuzz::read_bytes(dir / "one/rejected.jsonl"));
  FUZZ_CHECK(s1.documents_read == lines.size(), "records read != lines written");
  FUZZ_CHECK(c1.lines + rejected == lines.size(), "a record is neither clustered nor rejected");
  FUZZ_CHECK(c1.partition == cr.partition, "input order changed the clustering");
  FUZZ_CHECK(s1.rejected == sr.rejected && s1.kept == sr.kept, "input order changed the counts");
  if (base.keep == doppel::KeepPolicy::kLongest) {
    FUZZ_CHECK(c1.representative == cr.representative, "input order changed a representative");
  }
  FUZZ_CHECK(count_lines(doppel::fuzz::read_bytes(dir / "one/kept.jsonl")) == s1.kept, "kept.jsonl count");
  return 0;
}
