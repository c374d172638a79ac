// File: bench/e2e/floors.cpp
//
// doppel-floors: the throughput floors of the end-to-end benchmark, measured
// with doppel's own code on the same inputs as `doppel dedup`:
//
//   f1  read + decompress + JSON parse: io::InputSet::for_each, the exact reader
//       the pipeline's feed thread runs, with a callback that only counts.
//   f2  f1 + normalise + tokenise + hash every shingle once: the pipeline's own
//       reader thread, batches and TBB stages, with the per-document work cut
//       down to pipeline::hash_shingles_only (no exact hash, no sort, no sketch).
//   f3  f2 + the exact sets: what exact verification costs before a single pair
//       is verified. Each document's shingles are sorted into a set that stays
//       in memory (a ShingleArena per thread) until the end, as dedup keeps them;
//       exact copies of a text already accepted skip their set as in dedup (the
//       same ExactSet, asked by the parallel stage, filled in input order).
//   f4  f3 + the containment index: index::containment_candidates over the
//       sets' bottom-k prefixes of every distinct text, as dedup's
//       find_candidates runs it over the leaders of exact-copy groups.
//
// f3 and f4 are this design's own floor: parts of dedup that its promises
// (exact verification, contained copies) need, without the MinHash/OPH sketch,
// the LSH, boilerplate, verification, clusters or any output. So dedup / f4
// says how much the rest of the engine costs, and f2 / f4 is the most of F2
// that dedup could reach however fast the rest became.
//
// Prints one JSON object: {"floor","documents","text_bytes","shingles","seconds"};
// f3 and f4 print "sets" (distinct texts given a set) and "set_values" in place
// of "shingles", and f4 also "containment_pairs".
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

#include "index/lsh.hpp"
#include "io/reader.hpp"
#include "pipeline/document_stage.hpp"
#include "pipeline/exact_set.hpp"
#include "pipeline/record_feed.hpp"
#include "pipeline/shingle_arena.hpp"

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
      "usage: doppel-floors f1|f2|f3|f4 [--threads N] [--id-field F] [--text-field F] [--shingle word|char] [--ngram N] "
      "INPUT...\n",
      stderr);
  return 2;
}

struct Totals {
  uint64_t documents = 0;
  uint64_t text_bytes = 0;
  uint64_t shingles = 0;
  uint64_t sets = 0;               // f3, f4: distinct texts given a set
  uint64_t set_values = 0;         // f3, f4: values in those sets
  uint64_t containment_pairs = 0;  // f4
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


// f3, and with `containment` f4. The same stages as f2; each document goes
// through pipeline::process_document with its set sorted straight into the
// worker's arena, as dedup's sketch_document does.
Status floor_sets(io::InputSet& inputs, const Args& args, bool containment, Totals& t) {
  pipeline::RecordFeed feed(inputs, pipeline::FeedLimits{size_t{2} << 20, 1024, 4});
  feed.start();
  struct Worker {
    pipeline::DocumentScratch document;
    pipeline::ProcessedDocument processed;
    pipeline::ShingleArena arena;
  };
  tbb::enumerable_thread_specific<Worker> workers;
  pipeline::ExactSet accepted;
  struct Work {
    pipeline::FeedBatch batch;
    std::vector<core::Hash128> exact;
    std::vector<std::span<const uint64_t>> sets;  // empty: an empty text, or a copy that skipped its set
  };
  std::vector<std::span<const uint64_t>> sets;  // of each distinct text, in input order
  const int threads = args.threads > 0 ? args.threads : static_cast<int>(std::thread::hardware_concurrency());
  auto process = [&](Work& w) {
    auto& records = w.batch.records;
    w.exact.resize(records.size());
    w.sets.assign(records.size(), {});
    tbb::parallel_for(tbb::blocked_range<size_t>(0, records.size()), [&](const tbb::blocked_range<size_t>& r) {
      Worker& s = workers.local();
      s.document.skip_shingles = [&accepted](const core::Hash128& h) { return accepted.contains(h); };
      for (size_t i = r.begin(); i != r.end(); ++i) {
        s.document.sort_room = s.arena.room();
        pipeline::process_document(records[i].text, args.shingle, s.document, s.processed);
        const std::span<uint64_t> sorted_in_arena = std::exchange(s.document.sort_room, {});
        const pipeline::ProcessedDocument& p = s.processed;
        w.exact[i] = p.exact;
        if (!p.shingled || p.empty) continue;
        w.sets[i] = p.shingles.empty() ? s.arena.claim(sorted_in_arena.size()) : s.arena.store(p.shingles);
      }
      s.document.skip_shingles = nullptr;
    });
  };
  auto accept = [&](Work& w) {
    t.documents += w.batch.records.size();
    for (size_t i = 0; i < w.batch.records.size(); ++i) {
      t.text_bytes += w.batch.records[i].text.size();
      if (w.sets[i].empty() || accepted.contains(w.exact[i])) continue;
      accepted.insert(w.exact[i]);
      t.set_values += w.sets[i].size();
      sets.push_back(w.sets[i]);
    }
    return Status::ok();
  };
  const Status read = pipeline::run_batches<Work>(feed, threads, [](Work&) {}, process, accept);
  if (!read.is_ok()) return read;
  t.sets = sets.size();
  if (!containment) return Status::ok();
  // As in dedup's find_candidates: default parameters, bottoms read where the sets are.
  index::ContainmentParams cp;
  const size_t m = sets.size();
  std::vector<std::span<const uint64_t>> bottoms(m);
  std::vector<uint32_t> sizes(m);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, m, 4096), [&](const tbb::blocked_range<size_t>& r) {
    for (size_t i = r.begin(); i != r.end(); ++i) {
      bottoms[i] = sets[i].first(index::containment_sketch_length(sets[i], cp));
      sizes[i] = static_cast<uint32_t>(std::min<size_t>(sets[i].size(), UINT32_MAX));
    }
  });
  t.containment_pairs = index::containment_candidates(bottoms, sizes, cp).size();
  return Status::ok();
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (argc < 3) return usage();
  args.floor = argv[1];
  if (args.floor != "f1" && args.floor != "f2" && args.floor != "f3" && args.floor != "f4") return usage();
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
  if (s.is_ok()) {
    if (args.floor == "f1") {
      s = floor_f1(inputs, t);
    } else if (args.floor == "f2") {
      s = floor_f2(inputs, args, t);
    } else {
      s = floor_sets(inputs, args, args.floor == "f4", t);
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!s.is_ok()) {
    fmt::print(stderr, "doppel-floors: {}\n", s.message());
    return 2;
  }
  // f3 and f4 do not count the shingles hashed, only what their sets keep.
  std::string counts = fmt::format("\"shingles\":{}", t.shingles);
  if (args.floor == "f3" || args.floor == "f4") counts = fmt::format("\"sets\":{},\"set_values\":{}", t.sets, t.set_values);
  if (args.floor == "f4") counts += fmt::format(",\"containment_pairs\":{}", t.containment_pairs);
  fmt::print("{{\"floor\":\"{}\",\"documents\":{},\"text_bytes\":{},{},\"seconds\":{:.6f}}}\n", args.floor,
             t.documents, t.text_bytes, counts, seconds);
  return 0;
}
