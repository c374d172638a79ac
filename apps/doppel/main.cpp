// File: apps/doppel/main.cpp
//
// The `doppel` command: glue between command-line flags and the library's
// public API (include/doppel/). No algorithm lives here.
//
// Exit codes: 0 success; 1 success but some input records were rejected;
// 2 error (bad flags, unreadable inputs, unwritable output, --strict problem).
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>
#include <utility>

#include "doppel/doppel.hpp"
#include "eval_command.hpp"

namespace {

constexpr int kExitError = 2;

// Flags shared by `dedup` and `explain`, so both read and shingle documents alike.
struct TextFlags {
  std::string id_field = "id";
  std::string text_field = "text";
  std::string shingle = "word";
  int ngram = 5;
  double jaccard = 0.8;
  double containment = 0.8;
  uint64_t max_doc_bytes = uint64_t{1} << 30;
};

void add_text_flags(CLI::App* cmd, TextFlags& f) {
  cmd->add_option("--id-field", f.id_field, "JSONL field holding the document id; records without it get FILE:LINE")
      ->capture_default_str();
  cmd->add_option("--text-field", f.text_field, "JSONL field holding the document text (must be a string)")
      ->capture_default_str();
  cmd->add_option("--shingle", f.shingle,
                  "Shingle unit: 'word' (word n-grams; scripts without spaces such as Chinese use one token per "
                  "character) or 'char' (character n-grams)")
      ->check(CLI::IsMember({"word", "char"}))
      ->capture_default_str();
  cmd->add_option("--ngram", f.ngram, "Tokens per shingle (n of the n-grams), 1..64")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--jaccard", f.jaccard, "Jaccard similarity at or above which two documents are near copies")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--containment", f.containment,
                  "Containment (share of the smaller document's shingles found in the larger) at or above which "
                  "the smaller is a contained copy")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--max-doc-bytes", f.max_doc_bytes, "Reject documents whose text is larger than this many bytes")
      ->capture_default_str();
}

doppel::ShingleUnit shingle_unit(const std::string& s) {
  return s == "char" ? doppel::ShingleUnit::kChar : doppel::ShingleUnit::kWord;
}

// How `dedup` finds near-copy candidates.
struct SketchFlags {
  std::string sketch = "oph";
  int simhash_radius = 3;
};

void add_sketch_flags(CLI::App* cmd, SketchFlags& f) {
  cmd->add_option("--sketch", f.sketch,
                  "How near-copy candidates are found (every candidate is then verified exactly): minhash (LSH "
                  "over --num-perm MinHash values, tuned so a pair at --jaccard is found with probability >= "
                  "0.99), oph (one-permutation hashing with optimal densification: the same LSH and accuracy "
                  "from one hash per shingle instead of --num-perm) or simhash (one 64-bit SimHash per document, pairs within --simhash-radius bits; less "
                  "time and memory, but recall at --jaccard depends on the radius, see docs/algorithms.md). "
                  "Contained copies are found by the containment index either way")
      ->check(CLI::IsMember({"minhash", "oph", "simhash"}))
      ->capture_default_str();
  cmd->add_option("--simhash-radius", f.simhash_radius,
                  "--sketch simhash: fingerprints at most this many bits apart are candidates, 0..16. Larger "
                  "finds less similar pairs (about 5 bits apart at Jaccard 0.95, 10 at 0.8) at the cost of more "
                  "tables and candidates")
      ->check(CLI::Range(0, 16))
      ->capture_default_str();
}

void apply_sketch_flags(const SketchFlags& f, doppel::DedupOptions& o) {
  o.sketch = f.sketch == "simhash" ? doppel::SketchKind::kSimHash
             : f.sketch == "oph"   ? doppel::SketchKind::kOph
                                   : doppel::SketchKind::kMinHash;
  o.simhash_radius = f.simhash_radius;
}

// --keep POLICY into the options; false with `error` naming what is wrong. The
// library checks what it can (empty list entries, missing field) itself.
bool parse_keep(const std::string& keep, doppel::DedupOptions& o, std::string& error) {
  if (keep == "longest" || keep == "first") {
    o.keep = keep == "longest" ? doppel::KeepPolicy::kLongest : doppel::KeepPolicy::kFirst;
    return true;
  }
  if (keep.rfind("source:", 0) == 0) {
    // source:FIELD=A,B,C: FIELD ends at the first '='; the values are split on ','.
    const std::string rest = keep.substr(7);
    const size_t eq = rest.find('=');
    if (eq == std::string::npos || eq == 0) {
      error = fmt::format("--keep source: needs FIELD=A,B,... (got '{}')", keep);
      return false;
    }
    o.keep = doppel::KeepPolicy::kSourcePriority;
    o.keep_field = rest.substr(0, eq);
    o.keep_priority.clear();
    for (size_t start = eq + 1;;) {
      const size_t comma = rest.find(',', start);
      o.keep_priority.push_back(rest.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return true;
  }
  const std::pair<const char*, doppel::KeepPolicy> with_field[] = {{"earliest:", doppel::KeepPolicy::kEarliest},
                                                                   {"max:", doppel::KeepPolicy::kMax},
                                                                   {"min:", doppel::KeepPolicy::kMin}};
  for (const auto& [prefix, policy] : with_field) {
    const std::string p = prefix;
    if (keep.rfind(p, 0) == 0 && keep.size() > p.size()) {
      o.keep = policy;
      o.keep_field = keep.substr(p.size());
      return true;
    }
  }
  error = fmt::format(
      "--keep must be longest, first, earliest:FIELD, max:FIELD, min:FIELD or source:FIELD=A,B,... (got '{}')", keep);
  return false;
}

std::string human_bytes(uint64_t b) {
  if (b >= (uint64_t{1} << 30)) return fmt::format("{:.2f} GB", double(b) / double(uint64_t{1} << 30));
  if (b >= (1u << 20)) return fmt::format("{:.1f} MB", double(b) / double(1u << 20));
  if (b >= 1024) return fmt::format("{:.1f} KB", double(b) / 1024.0);
  return fmt::format("{} B", b);
}

// Boilerplate-aware matching and story grouping.
struct QualityFlags {
  std::string boilerplate = "auto";
  uint32_t boilerplate_min_docs = 20;
  uint32_t boilerplate_min_source_docs = 3;
  std::string boilerplate_learning = "auto";
  std::string source_field;
  std::string level = "copy";
  double story_threshold = 0.2;
  std::string date_field;
  int story_window_days = 0;
};

void add_boilerplate_flags(CLI::App* cmd, QualityFlags& f) {
  cmd->add_option("--boilerplate", f.boilerplate,
                  "auto: lines found in many documents (navigation, bylines, footers) are left out of matching "
                  "and listed in boilerplate.jsonl; off: every line counts")
      ->check(CLI::IsMember({"auto", "off"}))
      ->capture_default_str();
  cmd->add_option("--boilerplate-min-docs", f.boilerplate_min_docs,
                  "A line in at least this many documents is boilerplate")
      ->check(CLI::Range(2u, 1000000000u))
      ->capture_default_str();
  cmd->add_option("--source-field", f.source_field,
                  "JSONL field naming each document's source (outlet, domain); a line repeated within one source "
                  "is boilerplate from --boilerplate-min-source-docs documents on");
  cmd->add_option("--boilerplate-min-source-docs", f.boilerplate_min_source_docs,
                  "With --source-field: a line in at least this many documents of one source is boilerplate")
      ->check(CLI::Range(2u, 1000000000u))
      ->capture_default_str();
}

// dedup only: explain has no pass to choose.
void add_boilerplate_learning_flag(CLI::App* cmd, QualityFlags& f) {
  cmd->add_option("--boilerplate-learning", f.boilerplate_learning,
                  "How --boilerplate auto learns its lines (speed only; the output is the same): first: a pass "
                  "that only reads lines, then one that sketches without them; alongside: one pass, then the "
                  "documents holding boilerplate are read and sketched again; auto: first when the first "
                  "records show boilerplate in documents holding over half of the text")
      ->check(CLI::IsMember({"auto", "first", "alongside"}))
      ->capture_default_str();
}

void add_story_flags(CLI::App* cmd, QualityFlags& f) {
  cmd->add_option("--level", f.level,
                  "copy: copy clusters only; story: also group documents that report the same story (field "
                  "'story' in clusters.jsonl)")
      ->check(CLI::IsMember({"copy", "story"}))
      ->capture_default_str();
  cmd->add_option("--story-threshold", f.story_threshold,
                  "With --level story: TF-IDF cosine at or above which two copy clusters tell the same story")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--date-field", f.date_field,
                  "With --level story: JSONL field with a date (YYYY-MM-DD...) used by --story-window-days");
  cmd->add_option("--story-window-days", f.story_window_days,
                  "With --level story and --date-field: documents further apart than this are never one story "
                  "(0: no window)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
}

// DedupOptions and ExplainOptions share these fields, so both commands read the flags alike.
template <typename Options>
void apply_boilerplate_flags(const QualityFlags& f, Options& o) {
  o.boilerplate = f.boilerplate == "off" ? doppel::BoilerplateMode::kOff : doppel::BoilerplateMode::kAuto;
  o.boilerplate_min_docs = f.boilerplate_min_docs;
  o.boilerplate_min_source_docs = f.boilerplate_min_source_docs;
  o.source_field = f.source_field;
}

void apply_quality_flags(const QualityFlags& f, doppel::DedupOptions& o) {
  apply_boilerplate_flags(f, o);
  o.boilerplate_learning = f.boilerplate_learning == "first"       ? doppel::BoilerplateLearning::kFirst
                           : f.boilerplate_learning == "alongside" ? doppel::BoilerplateLearning::kAlongside
                                                                   : doppel::BoilerplateLearning::kAuto;
  o.level = f.level == "story" ? doppel::Level::kStory : doppel::Level::kCopy;
  o.story_threshold = f.story_threshold;
  o.date_field = f.date_field;
  o.story_window_days = f.story_window_days;
}

int run_dedup_command(const std::vector<std::string>& inputs, const std::string& output, const TextFlags& tf,
                      int num_perm, const SketchFlags& sketch, const std::string& keep, const std::string& compress,
                      uint64_t decompressed_cache, int threads, bool strict,
                      const std::string& progress, bool quiet, const QualityFlags& quality) {
  doppel::DedupOptions o;
  apply_quality_flags(quality, o);
  o.inputs = inputs;
  o.output_dir = output;
  o.id_field = tf.id_field;
  o.text_field = tf.text_field;
  o.shingle = shingle_unit(tf.shingle);
  o.ngram = tf.ngram;
  o.num_perm = num_perm;
  apply_sketch_flags(sketch, o);
  o.jaccard = tf.jaccard;
  o.containment = tf.containment;
  o.max_doc_bytes = tf.max_doc_bytes;
  o.threads = threads;
  o.strict = strict;
  o.compress_kept = compress == "zst";
  o.decompressed_cache_bytes = decompressed_cache;
  if (std::string error; !parse_keep(keep, o, error)) {
    fmt::print(stderr, "doppel: {}\n", error);
    return kExitError;
  }

  // Messages about individual records: the first ones verbatim, then a count, so
  // a corpus with a million bad lines does not bury the summary.
  constexpr uint64_t kMaxMessages = 20;
  uint64_t messages = 0;
  bool show_progress = progress == "always" || (progress == "auto" && ::isatty(2));
  bool progress_line = false;
  o.on_message = [&](const std::string& m) {
    if (quiet) return;
    if (++messages <= kMaxMessages) {
      if (progress_line) std::fputs("\r\033[K", stderr);
      fmt::print(stderr, "doppel: {}\n", m);
    }
  };
  if (show_progress) {
    o.on_progress = [&](const doppel::DedupOptions::Progress& p) {
      double rate = p.seconds > 0 ? double(p.bytes) / double(1 << 20) / p.seconds : 0;
      fmt::print(stderr, "\r\033[Kdoppel: {} documents, {}, {:.1f} MB/s{}", p.documents, human_bytes(p.bytes), rate,
                 p.done ? "\n" : "");
      progress_line = !p.done;
    };
  }
  auto r = doppel::run_dedup(o);
  if (!r) {
    fmt::print(stderr, "doppel: error: {}\n", r.status().message());
    return kExitError;
  }
  const auto& s = *r;
  if (!quiet) {
    if (messages > kMaxMessages) {
      fmt::print(stderr, "doppel: ... and {} more problems (all listed in {}/rejected.jsonl or counted as repaired)\n",
                 messages - kMaxMessages, output);
    }
    uint64_t dups = s.duplicates_exact + s.duplicates_near + s.duplicates_contained;
    fmt::print(stderr,
               "doppel: {} documents ({}) in {:.2f} s: {} kept, {} duplicates ({} exact, {} near, {} contained) "
               "in {} clusters, {} rejected, {} repaired -> {}/\n",
               s.documents_read, human_bytes(s.input_bytes), s.seconds, s.kept, dups, s.duplicates_exact,
               s.duplicates_near, s.duplicates_contained, s.clusters, s.rejected, s.repaired, output);
  }
  return s.exit_code();
}

int run_explain_command(const std::vector<std::string>& args, const TextFlags& tf, bool json,
                        const QualityFlags& quality) {
  if (args.size() < 3) {
    fmt::print(stderr, "doppel explain: give two document ids and at least one input (doppel explain A B INPUT...)\n");
    return kExitError;
  }
  doppel::ExplainOptions o;
  o.a = args[0];
  o.b = args[1];
  o.inputs.assign(args.begin() + 2, args.end());
  o.id_field = tf.id_field;
  o.text_field = tf.text_field;
  o.shingle = shingle_unit(tf.shingle);
  o.ngram = tf.ngram;
  o.jaccard = tf.jaccard;
  o.containment = tf.containment;
  o.max_doc_bytes = tf.max_doc_bytes;
  apply_boilerplate_flags(quality, o);
  auto r = doppel::explain(o);
  if (!r) {
    fmt::print(stderr, "doppel: error: {}\n", r.status().message());
    return kExitError;
  }
  std::string out = json ? doppel::explain_to_json(*r) : doppel::explain_to_text(*r);
  if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
    // A closed pipe (doppel explain ... | head) is not an error.
    return errno == EPIPE ? 0 : kExitError;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"doppel: find exact, near and partial copies in text collections, and show why they match."};
  app.set_version_flag("--version", std::string("doppel ") + doppel::version());
  app.require_subcommand(1);
  app.footer(
      "Run 'doppel COMMAND --help' for a command's flags.\n"
      "Exit codes: 0 ok, 1 ok but some records were rejected, 2 error.");

  TextFlags dedup_flags;
  std::vector<std::string> inputs;
  std::string output;
  int num_perm = 128;
  SketchFlags sketch_flags;
  std::string keep = "longest";
  std::string compress = "none";
  uint64_t decompressed_cache = uint64_t{2} << 30;
  int threads = 0;
  bool strict = false;
  std::string progress = "auto";
  bool quiet = false;

  CLI::App* dedup = app.add_subcommand(
      "dedup",
      "Find copies among all documents of the inputs and write clusters.jsonl, pairs.jsonl, kept.jsonl, "
      "rejected.jsonl and summary.json to the output directory.");
  dedup->add_option("INPUT", inputs,
                    "Directories (.txt files are documents; .jsonl/.ndjson[.gz|.zst] files are read as JSONL), "
                    "JSONL files (plain, gzip or zstd), or - for JSONL on stdin")
      ->required();
  dedup->add_option("-o,--output", output, "Output directory (created if missing)")->required();
  add_text_flags(dedup, dedup_flags);
  QualityFlags quality_flags;
  add_boilerplate_flags(dedup, quality_flags);
  add_boilerplate_learning_flag(dedup, quality_flags);
  add_story_flags(dedup, quality_flags);
  dedup->add_option("--num-perm", num_perm, "MinHash permutations per document (sketch size), 8..1024")
      ->check(CLI::Range(8, 1024))
      ->capture_default_str();
  add_sketch_flags(dedup, sketch_flags);
  dedup->add_option("--keep", keep,
                    "Which document of a cluster is kept: longest (most text); first (input order); "
                    "earliest:FIELD (smallest value of a JSONL field, e.g. a date; missing last); max:FIELD / "
                    "min:FIELD (largest / smallest JSON number in FIELD; other or missing values lose); "
                    "source:FIELD=A,B,... (FIELD's value earliest in the list wins, unlisted values lose; then "
                    "longest). Remaining ties go to the smaller id")
      ->capture_default_str();
  dedup->add_option("--compress", compress, "Compress kept documents: none (kept.jsonl) or zst (kept.jsonl.zst)")
      ->check(CLI::IsMember({"none", "zst"}))
      ->capture_default_str();
  dedup->add_option("--decompressed-cache", decompressed_cache,
                    "Keep up to this much of compressed inputs' decompressed JSONL in memory after the first read "
                    "(e.g. 512M, 4G; 0 keeps none), so that documents read again and kept.jsonl need not decompress "
                    "it again. Files are kept in input order, each if it fits in what the ones before it left. Results do not "
                    "depend on it")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  dedup->add_option("-t,--threads", threads, "Worker threads; 0 uses every core. Results do not depend on it")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  dedup->add_flag("--strict", strict, "Stop with exit code 2 at the first bad or repaired record");
  dedup->add_option("--progress", progress, "Progress line on stderr: auto (only on a terminal), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  dedup->add_flag("-q,--quiet", quiet, "Print nothing on stderr except errors");

  TextFlags explain_flags;
  std::vector<std::string> explain_args;
  bool json = false;
  CLI::App* explain = app.add_subcommand(
      "explain", "Show why two documents match: scores and the shared passages with their offsets in each text.");
  explain->add_option("ARGS", explain_args, "A B INPUT...: the two document ids, then the same inputs as for dedup")
      ->required();
  add_text_flags(explain, explain_flags);
  QualityFlags explain_quality_flags;
  add_boilerplate_flags(explain, explain_quality_flags);
  explain->add_flag("--json", json, "Print JSON instead of text");

  doppel::cli::EvalCommand eval_command(app);  // `doppel eval` (apps/doppel/eval_command.cpp)

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitError;
  }

  if (eval_command.parsed()) return eval_command.run();
  if (dedup->parsed()) {
    return run_dedup_command(inputs, output, dedup_flags, num_perm, sketch_flags, keep, compress, decompressed_cache, threads, strict, progress,
                             quiet, quality_flags);
  }
  return run_explain_command(explain_args, explain_flags, json, explain_quality_flags);
}
