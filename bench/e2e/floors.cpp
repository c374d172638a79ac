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
//   f5  the same promises kept by the other design, which keeps no full set
//       while reading: f2 + each set sorted for its size and bottom-k prefix,
//       only the prefix kept, the containment index over the prefixes, then
//       the documents of its pairs read again (InputSet::for_each_at) and their
//       sets sorted again and kept for verification.
//
// f3 and f4 are this design's own floor: parts of dedup that its promises
// (exact verification, contained copies) need, without the MinHash/OPH sketch,
// the LSH, boilerplate, verification, clusters or any output. So dedup / f4
// says how much the rest of the engine costs, and f2 / f4 is the most of F2
// that dedup could reach however fast the rest became; f2 / f5 is the same
// bound for the design that trades memory for a second read.
//
// Prints one JSON object: {"floor","documents","text_bytes","shingles","seconds"};
// f3, f4 and f5 print "sets" (distinct texts given a set) and "set_values" (f5:
// in the sets read again) in place of "shingles"; f4 and f5 also
// "containment_pairs", and f5 "read_again".
#include <fmt/format.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "doppel/dedup.hpp"
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
      "usage: doppel-floors f1|f2|f3|f4|f5 [--threads N] [--id-field F] [--text-field F] [--shingle word|char] [--ngram N] "
      "INPUT...\n",
      stderr);
  return 2;
}

struct Totals {
  uint64_t documents = 0;
  uint64_t text_bytes = 0;
  uint64_t shingles = 0;
  uint64_t sets = 0;               // f3, f4, f5: distinct texts given a set
  uint64_t set_values = 0;         // f3, f4: values in those sets; f5: in the sets read again
  uint64_t containment_pairs = 0;  // f4, f5
  uint64_t reread = 0;             // f5: documents read again
};

// Batches as dedup's passes make them: its kBatchBytes, kBatchDocs and
// kBatchesReadAhead are FeedLimits' defaults.
constexpr pipeline::FeedLimits kFeedLimits{};

int thread_count(const Args& args) {
  return args.threads > 0 ? args.threads : static_cast<int>(std::thread::hardware_concurrency());
}

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
  pipeline::RecordFeed feed(inputs, kFeedLimits);
  feed.start();
  tbb::enumerable_thread_specific<pipeline::DocumentScratch> scratch;
  struct Work {
    pipeline::FeedBatch batch;
    uint64_t shingles = 0;
  };
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
  return pipeline::run_batches<Work>(feed, thread_count(args), [](Work&) {}, process, accept);
}

struct SetWorker {
  pipeline::DocumentScratch document;
  pipeline::ProcessedDocument processed;
  pipeline::ShingleArena arena;
};

// A document's set as a floor keeps it: `kept` is its first values (all, or a
// prefix), stored in the worker's arena; size 0 when there is no set (an empty
// text, or an exact copy that skipped its shingles).
struct KeptSet {
  core::Hash128 exact;
  std::span<const uint64_t> kept;
  uint32_t size = 0;
};

// Every record of a batch through pipeline::process_document, its set sorted
// straight into the worker's arena as dedup's sketch_document does, then the
// first keep_count(set) values kept. With `accepted`, texts already accepted
// skip their shingles, as in dedup's main pass.
template <typename KeepCount>
void sort_batch(tbb::enumerable_thread_specific<SetWorker>& workers, const pipeline::ExactSet* accepted,
                const std::vector<io::Record>& records, const pipeline::ShingleConfig& config, KeepCount keep_count,
                std::vector<KeptSet>& out) {
  out.assign(records.size(), {});
  tbb::parallel_for(tbb::blocked_range<size_t>(0, records.size()), [&](const tbb::blocked_range<size_t>& r) {
    SetWorker& s = workers.local();
    if (accepted != nullptr) {
      s.document.skip_shingles = [accepted](const core::Hash128& h) { return accepted->contains(h); };
    }
    for (size_t i = r.begin(); i != r.end(); ++i) {
      s.document.sort_room = s.arena.room();
      pipeline::process_document(records[i].text, config, s.document, s.processed);
      const std::span<uint64_t> sorted_in_arena = std::exchange(s.document.sort_room, {});
      const pipeline::ProcessedDocument& p = s.processed;
      out[i].exact = p.exact;
      if (!p.shingled || p.empty) continue;
      const bool in_arena = p.shingles.empty();
      const std::span<const uint64_t> set = in_arena ? sorted_in_arena : std::span<const uint64_t>(p.shingles);
      const size_t keep = keep_count(set);
      out[i].size = static_cast<uint32_t>(std::min<size_t>(set.size(), UINT32_MAX));
      out[i].kept = in_arena ? s.arena.claim(keep) : s.arena.store(set.first(keep));
    }
    s.document.skip_shingles = nullptr;
  });
}

// The sets of every distinct text, in input order, as far as keep_count keeps them.
struct DistinctSets {
  std::vector<std::span<const uint64_t>> kept;
  std::vector<uint32_t> sizes;
  std::vector<io::SourcePos> positions;
};

template <typename KeepCount>
Status read_distinct_sets(io::InputSet& inputs, const Args& args, tbb::enumerable_thread_specific<SetWorker>& workers,
                          KeepCount keep_count, DistinctSets& sets, Totals& t) {
  pipeline::RecordFeed feed(inputs, kFeedLimits);
  feed.start();
  pipeline::ExactSet accepted;
  struct Work {
    pipeline::FeedBatch batch;
    std::vector<KeptSet> sets;
  };
  auto process = [&](Work& w) { sort_batch(workers, &accepted, w.batch.records, args.shingle, keep_count, w.sets); };
  auto accept = [&](Work& w) {
    t.documents += w.batch.records.size();
    for (size_t i = 0; i < w.batch.records.size(); ++i) {
      t.text_bytes += w.batch.records[i].text.size();
      const KeptSet& s = w.sets[i];
      if (s.size == 0 || accepted.contains(s.exact)) continue;
      accepted.insert(s.exact);
      sets.kept.push_back(s.kept);
      sets.sizes.push_back(s.size);
      sets.positions.push_back(w.batch.records[i].pos);
    }
    return Status::ok();
  };
  DOPPEL_TRY((pipeline::run_batches<Work>(feed, thread_count(args), [](Work&) {}, process, accept)));
  t.sets = sets.kept.size();
  return Status::ok();
}

// f3, and with `containment` f4.
Status floor_sets(io::InputSet& inputs, const Args& args, bool containment, Totals& t) {
  tbb::enumerable_thread_specific<SetWorker> workers;
  DistinctSets sets;
  DOPPEL_TRY(read_distinct_sets(
      inputs, args, workers, [](std::span<const uint64_t> set) { return set.size(); }, sets, t));
  for (const auto& s : sets.kept) t.set_values += s.size();
  if (!containment) return Status::ok();
  // As in dedup's find_candidates: default parameters, bottoms read where the sets are.
  const index::ContainmentParams cp;
  std::vector<std::span<const uint64_t>> bottoms(sets.kept.size());
  tbb::parallel_for(tbb::blocked_range<size_t>(0, bottoms.size(), 4096), [&](const tbb::blocked_range<size_t>& r) {
    for (size_t i = r.begin(); i != r.end(); ++i) {
      bottoms[i] = sets.kept[i].first(index::containment_sketch_length(sets.kept[i], cp));
    }
  });
  t.containment_pairs = index::containment_candidates(bottoms, sets.sizes, cp).size();
  return Status::ok();
}

// f5 (see the top of the file). Only the containment pairs are read again: in
// that design the sketch's pairs would add their documents too, so this is a floor.
Status floor_reread(io::InputSet& inputs, const Args& args, Totals& t) {
  const index::ContainmentParams cp;
  tbb::enumerable_thread_specific<SetWorker> workers;
  DistinctSets sets;
  DOPPEL_TRY(read_distinct_sets(
      inputs, args, workers,
      [&cp](std::span<const uint64_t> set) { return index::containment_sketch_length(set, cp); }, sets, t));
  const auto pairs = index::containment_candidates(sets.kept, sets.sizes, cp);
  t.containment_pairs = pairs.size();
  std::vector<uint32_t> wanted;
  wanted.reserve(2 * pairs.size());
  for (const auto& c : pairs) {
    wanted.push_back(c.a);
    wanted.push_back(c.b);
  }
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  std::vector<io::SourcePos> again(wanted.size());
  for (size_t i = 0; i < wanted.size(); ++i) again[i] = sets.positions[wanted[i]];
  t.reread = wanted.size();
  pipeline::RecordFeed feed(
      [&](const io::RecordFn& on_record, const io::ProblemFn&) { return inputs.for_each_at(again, on_record); },
      kFeedLimits);
  feed.start();
  struct Again {
    pipeline::FeedBatch batch;
    std::vector<KeptSet> sets;
  };
  auto process = [&](Again& w) {
    sort_batch(workers, nullptr, w.batch.records, args.shingle,
               [](std::span<const uint64_t> set) { return set.size(); }, w.sets);
  };
  // Each document read again must give the set the first pass saw: the same
  // size and bottom-k prefix (so a floor that read the wrong records fails).
  size_t next = 0;
  auto accept = [&](Again& w) {
    for (const KeptSet& s : w.sets) {
      const uint32_t d = wanted[next++];
      const std::span<const uint64_t> prefix = sets.kept[d];
      if (s.size != sets.sizes[d] || s.kept.size() < prefix.size() ||
          !std::equal(prefix.begin(), prefix.end(), s.kept.begin())) {
        return internal_error(fmt::format("f5: document {} read again does not give the set it had", d));
      }
      t.set_values += s.kept.size();
    }
    return Status::ok();
  };
  return pipeline::run_batches<Again>(feed, thread_count(args), [](Again&) {}, process, accept);
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (argc < 3) return usage();
  args.floor = argv[1];
  if (args.floor != "f1" && args.floor != "f2" && args.floor != "f3" && args.floor != "f4" &&
      args.floor != "f5")
    return usage();
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
  // f5 reads documents again, from memory where dedup would: its default
  // --decompressed-cache (f1 to f4 read once and keep nothing).
  if (args.floor == "f5") ropt.keep_decompressed_bytes = DedupOptions{}.decompressed_cache_bytes;
  io::InputSet inputs(args.inputs, ropt);
  const auto start = std::chrono::steady_clock::now();
  Status s = inputs.open();
  Totals t;
  if (s.is_ok()) {
    if (args.floor == "f1") {
      s = floor_f1(inputs, t);
    } else if (args.floor == "f2") {
      s = floor_f2(inputs, args, t);
    } else if (args.floor == "f5") {
      s = floor_reread(inputs, args, t);
    } else {
      s = floor_sets(inputs, args, args.floor == "f4", t);
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!s.is_ok()) {
    fmt::print(stderr, "doppel-floors: {}\n", s.message());
    return 2;
  }
  // f3, f4 and f5 do not count the shingles hashed, only what their sets keep.
  std::string counts = fmt::format("\"shingles\":{}", t.shingles);
  if (args.floor == "f3" || args.floor == "f4" || args.floor == "f5") counts = fmt::format("\"sets\":{},\"set_values\":{}", t.sets, t.set_values);
  if (args.floor == "f4" || args.floor == "f5") counts += fmt::format(",\"containment_pairs\":{}", t.containment_pairs);
  if (args.floor == "f5") counts += fmt::format(",\"read_again\":{}", t.reread);
  fmt::print("{{\"floor\":\"{}\",\"documents\":{},\"text_bytes\":{},{},\"seconds\":{:.6f}}}\n", args.floor,
             t.documents, t.text_bytes, counts, seconds);
  return 0;
}
