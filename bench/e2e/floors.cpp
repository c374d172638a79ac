// File: bench/e2e/floors.cpp
//
// doppel-floors: the two throughput floors of the end-to-end benchmark, measured
// with doppel's own code on the same inputs as `doppel dedup`:
//
//   f1  read + decompress + JSON parse: io::InputSet::for_each, the exact reader
//       the pipeline's feed thread runs, with a callback that only counts.
//   f2  f1 + normalise + tokenise + hash every shingle once: the pipeline's own
//       reader thread, batches and TBB stages, with the per-document work cut
//       down to pipeline::hash_shingles_only (no exact hash, no sort, no sketch).
//
// Prints one JSON object: {"floor","documents","text_bytes","shingles","seconds"}.
// No other doppel work is done, so `dedup` time / floor time says how much the
// rest of the engine costs on top of the unavoidable part.
#include <fmt/format.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "io/reader.hpp"
#include "pipeline/document_stage.hpp"
#include "pipeline/record_feed.hpp"

namespace {

using namespace doppel;

struct Args {
  std::string floor;
  std::vector<std::string> inputs;
  std::string id_field = "id";
  std::string text_field = "text";
  pipeline::ShingleConfig shingle;
  int threads = 0;
};

int usage() {
  std::fputs(
      "usage: doppel-floors f1|f2 [--threads N] [--id-field F] [--text-field F] [--shingle word|char] [--ngram N] "
      "INPUT...\n",
      stderr);
  return 2;
}

struct Totals {
  uint64_t documents = 0;
  uint64_t text_bytes = 0;
  uint64_t shingles = 0;
};

Status floor_f1(io::InputSet& inputs, Totals& t) {
  return inputs.for_each(
      [&](io::Record&& r) {
        ++t.documents;
        t.text_bytes += r.text.size();
        return Status::ok();
      },
      [](const io::Problem&) { return Status::ok(); });
}

Status floor_f2(io::InputSet& inputs, const Args& args, Totals& t) {
  // The same stages as read_and_sketch in pipeline/dedup.cpp (run_batches).
  pipeline::RecordFeed feed(inputs, pipeline::FeedLimits{size_t{2} << 20, 1024, 4});
  feed.start();
  tbb::enumerable_thread_specific<pipeline::DocumentScratch> scratch;
  struct Work {
    pipeline::FeedBatch batch;
    uint64_t shingles = 0;
  };
  const int threads = args.threads > 0 ? args.threads : static_cast<int>(std::thread::hardware_concurrency());
  auto process = [&](Work& w) {
    auto& records = w.batch.records;
    std::atomic<uint64_t> shingles{0};
    tbb::parallel_for(tbb::blocked_range<size_t>(0, records.size()), [&](const tbb::blocked_range<size_t>& r) {
      auto& s = scratch.local();
      uint64_t local = 0;
      for (size_t i = r.begin(); i != r.end(); ++i) local += pipeline::hash_shingles_only(records[i].text, args.shingle, s);
      shingles += local;
    });
    w.shingles = shingles;
  };
  auto accept = [&](Work& w) {
    t.documents += w.batch.records.size();
    for (const auto& r : w.batch.records) t.text_bytes += r.text.size();
    t.shingles += w.shingles;
    return Status::ok();
  };
  return pipeline::run_batches<Work>(feed, threads, [](Work&) {}, process, accept);
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (argc < 3) return usage();
  args.floor = argv[1];
  if (args.floor != "f1" && args.floor != "f2") return usage();
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::exit(usage());
      }
      return argv[++i];
    };
    if (a == "--threads") {
      args.threads = std::atoi(value().c_str());
    } else if (a == "--id-field") {
      args.id_field = value();
    } else if (a == "--text-field") {
      args.text_field = value();
    } else if (a == "--shingle") {
      args.shingle.unit = value() == "char" ? ShingleUnit::kChar : ShingleUnit::kWord;
    } else if (a == "--ngram") {
      args.shingle.ngram = std::atoi(value().c_str());
    } else if (a.rfind("--", 0) == 0) {
      return usage();
    } else {
      args.inputs.push_back(a);
    }
  }
  if (args.inputs.empty()) return usage();
  std::optional<tbb::global_control> limit;
  if (args.threads > 0) limit.emplace(tbb::global_control::max_allowed_parallelism, args.threads);

  io::ReaderOptions ropt;
  ropt.id_field = args.id_field;
  ropt.text_field = args.text_field;
  io::InputSet inputs(args.inputs, ropt);
  const auto start = std::chrono::steady_clock::now();
  Status s = inputs.open();
  Totals t;
  if (s.is_ok()) s = args.floor == "f1" ? floor_f1(inputs, t) : floor_f2(inputs, args, t);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!s.is_ok()) {
    fmt::print(stderr, "doppel-floors: {}\n", s.message());
    return 2;
  }
  fmt::print("{{\"floor\":\"{}\",\"documents\":{},\"text_bytes\":{},\"shingles\":{},\"seconds\":{:.6f}}}\n", args.floor,
             t.documents, t.text_bytes, t.shingles, seconds);
  return 0;
}
