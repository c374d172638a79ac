// File: doppel/dedup.hpp
//
// The whole copy-finding job in one call: read documents, find exact, near and
// contained copies, cluster them and write the outputs. The CLI's `doppel dedup`
// is a thin wrapper around run_dedup(); other front ends call the same function
// and so get identical results.
//
//   doppel::DedupOptions opts;
//   opts.inputs = {"corpus/"};
//   opts.output_dir = "out";
//   doppel::Result<doppel::DedupSummary> r = doppel::run_dedup(opts);
//   if (!r) std::cerr << r.status().message() << "\n";
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "doppel/status.hpp"

namespace doppel {

enum class ShingleUnit { kWord, kChar };
// How candidate pairs for near copies are found (all are verified exactly afterwards).
enum class SketchKind { kMinHash, kOph, kSimHash };
// Whether lines repeated across many documents are left out of matching.
enum class BoilerplateMode { kOff, kAuto };
// How BoilerplateMode::kAuto learns its lines; every way gives the same output.
//   kFirst:     a pass that only keys every record's lines, then the main pass
//               sketches each document without its boilerplate lines;
//   kAlongside: the main pass keys the lines too, and the documents that turn
//               out to hold a boilerplate line are read and sketched again;
//   kAuto:      kFirst when the first records (5,000 or 16 MB) say that
//               documents holding boilerplate carry over half of the text.
enum class BoilerplateLearning { kAuto, kFirst, kAlongside };
// kCopy: copy clusters only. kStory: also group documents that report the same story.
enum class Level { kCopy, kStory };
// Which document of a cluster is kept (README, --keep): kEarliest/kMax/kMin compare
// the value of keep_field; kSourcePriority ranks it by its position in keep_priority.
enum class KeepPolicy { kLongest, kFirst, kEarliest, kMax, kMin, kSourcePriority };
enum class MatchKind { kExact, kNear, kContained };

const char* to_string(MatchKind kind);

struct DedupOptions {
  std::vector<std::string> inputs;  // directories, files, or "-" for JSONL on stdin
  std::string output_dir;

  std::string id_field = "id";
  std::string text_field = "text";

  ShingleUnit shingle = ShingleUnit::kWord;
  int ngram = 5;
  int num_perm = 128;
  SketchKind sketch = SketchKind::kOph;  // same LSH and results as kMinHash, one hash per shingle
  int simhash_radius = 3;  // SketchKind::kSimHash: Hamming radius of candidate pairs, 0..16
  double jaccard = 0.8;      // pairs with Jaccard >= this are "near"
  double containment = 0.8;  // pairs with max containment >= this are "contained"

  // Boilerplate: a line in >= boilerplate_min_docs documents, or in >=
  // boilerplate_min_source_docs documents of one source (source_field), is left out
  // of the shingles used for matching and listed in boilerplate.jsonl.
  BoilerplateMode boilerplate = BoilerplateMode::kAuto;
  uint32_t boilerplate_min_docs = 20;
  uint32_t boilerplate_min_source_docs = 3;
  BoilerplateLearning boilerplate_learning = BoilerplateLearning::kAuto;  // speed only
  std::string source_field;  // e.g. an outlet or domain; empty: no per-source rule

  // Story grouping (Level::kStory): TF-IDF cosine >= story_threshold between copy
  // clusters' representatives, optionally only within story_window_days of each
  // other by date_field (YYYY-MM-DD...).
  Level level = Level::kCopy;
  double story_threshold = 0.2;
  std::string date_field;
  int story_window_days = 0;  // 0: no window

  KeepPolicy keep = KeepPolicy::kLongest;
  std::string keep_field;  // for KeepPolicy::kEarliest, kMax, kMin, kSourcePriority
  std::vector<std::string> keep_priority;  // for kSourcePriority: field values, best first

  bool compress_kept = false;  // kept.jsonl.zst instead of kept.jsonl
  int threads = 0;             // 0: all hardware threads
  bool strict = false;         // stop at the first problem (exit code 2)
  uint64_t max_doc_bytes = uint64_t{1} << 30;
  // Decompressed bytes of compressed inputs (.gz, .zst, compressed stdin) kept in
  // memory after the first read, in all, so that the documents read again
  // (boilerplate) and kept.jsonl need not decompress them again. Files are kept
  // in input order, each if it fits in what the ones before it left; 0 keeps
  // none. Outputs do not depend on it.
  uint64_t decompressed_cache_bytes = uint64_t{2} << 30;

  // Reported to the caller as the run goes; may be empty.
  struct Progress {
    uint64_t documents = 0;
    uint64_t bytes = 0;
    double seconds = 0;
    bool done = false;
  };
  std::function<void(const Progress&)> on_progress;
  // One line per problem worth telling a person (bad record, repaired text).
  std::function<void(const std::string&)> on_message;
};

struct DedupSummary {
  uint64_t documents_read = 0;  // records seen: accepted + rejected
  uint64_t documents = 0;       // accepted documents (lines in clusters.jsonl)
  uint64_t kept = 0;
  uint64_t duplicates_exact = 0;
  uint64_t duplicates_near = 0;
  uint64_t duplicates_contained = 0;
  uint64_t rejected = 0;
  uint64_t repaired = 0;
  uint64_t clusters = 0;  // clusters with more than one document
  uint64_t boilerplate_lines = 0;
  uint64_t mostly_boilerplate = 0;  // documents compared on full text: nothing else left
  uint64_t stories = 0;             // stories with more than one copy cluster (Level::kStory)
  uint64_t pairs = 0;
  uint64_t input_bytes = 0;  // bytes of document text read
  double seconds = 0;
  std::string output_dir;
  // 0: all fine; 1: finished but some records were rejected.
  int exit_code() const { return rejected ? 1 : 0; }
};

Result<DedupSummary> run_dedup(const DedupOptions& options);

}  // namespace doppel
