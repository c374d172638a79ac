// File: pipeline/dedup.cpp
//
// run_dedup(): the stages in order, each a named function.
//
//   read_and_sketch      documents -> per-document shingle set, exact hash, MinHash
//   group_exact          identical normalised texts -> one leader per group
//   find_candidates      Jaccard LSH (or SimHash tables) + containment index over the leaders
//   verify_candidates    exact Jaccard / containment on the full shingle sets
//   build_clusters       connected components, representatives, match chains
//   write_outputs        clusters, pairs, kept, rejected, summary (atomically)
//
// Determinism: parallel work always writes into slots indexed by document or
// candidate number and every merge is sorted, so results do not depend on the
// number of threads or on timing.
#include <fmt/format.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_sort.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <numeric>
#include <optional>
#include <thread>

#include <unistd.h>

#include "cluster/cluster.hpp"
#include "doppel/dedup.hpp"
#include "doppel/version.hpp"
#include "index/lsh.hpp"
#include "index/simhash_index.hpp"
#include "io/reader.hpp"
#include "match/verify.hpp"
#include "pipeline/document_stage.hpp"
#include "pipeline/exact_set.hpp"
#include "pipeline/id_index.hpp"
#include "pipeline/kept_copier.hpp"
#include "core/mapped_array.hpp"
#include "pipeline/quality_stages.hpp"
#include "pipeline/record_feed.hpp"
#include "pipeline/shingle_arena.hpp"
#include "report/json.hpp"
#include "report/output_file.hpp"
#include "sketch/minhash.hpp"
#include "sketch/oph.hpp"
#include "story/story.hpp"
#include "sketch/simhash.hpp"

namespace doppel {

const char* to_string(MatchKind kind) {
  switch (kind) {
    case MatchKind::kExact: return "exact";
    case MatchKind::kNear: return "near";
    case MatchKind::kContained: return "contained";
  }
  return "?";
}

const char* version() { return DOPPEL_VERSION; }

namespace pipeline {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Records are read ahead in batches (pipeline/record_feed.hpp): small enough
// that both cores stay busy from the first batch to the last, large enough that
// handing a batch between threads costs nothing. Original text is held only for
// the batches read ahead and in flight, never for the whole corpus.
constexpr size_t kBatchBytes = size_t{2} << 20;
constexpr size_t kBatchDocs = 1024;
constexpr size_t kBatchesReadAhead = 4;

struct Doc {
  std::string id;
  io::SourcePos pos;
  uint64_t text_bytes = 0;        // original text
  uint64_t normalized_bytes = 0;  // what --keep longest compares: padding and markup do not count
  std::optional<io::FieldValue> keep_value;
  core::Hash128 exact;
  std::span<uint64_t> shingles;  // sorted unique, in a worker's ShingleArena
  float boilerplate_fraction = 0;
  bool only_boilerplate = false;
  std::optional<int64_t> day;  // --date-field, for the story window
  story::TermVector terms;     // --level story only
};

struct Rejection {
  std::string file;
  std::optional<uint64_t> line, offset;
  std::string id;
  std::string reason;
};

struct VerifiedPair {
  uint32_t a = 0, b = 0;  // document indices, a < b
  MatchKind kind = MatchKind::kExact;
  match::Overlap overlap;
};

// Writes one JSON object per line for items [0, n): `fill(i, object)` adds the fields.
template <typename Fill>
Status write_jsonl(report::OutputFile& f, size_t n, Fill fill) {
  std::string line;
  for (size_t i = 0; i < n; ++i) {
    line.clear();
    report::JsonObject o(line);
    fill(i, o);
    o.close();
    line.push_back('\n');
    DOPPEL_TRY(f.write(line));
  }
  return Status::ok();
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string where(const std::string& file, std::optional<uint64_t> line, std::optional<uint64_t> offset) {
  std::string s = file;
  if (line && *line) s += fmt::format(":{}", *line);
  if (offset) s += fmt::format(" (byte {})", *offset);
  return s;
}

class DedupRun {
 public:
  explicit DedupRun(const DedupOptions& options)
      : opt_(options), hasher_(options.num_perm), oph_(options.num_perm) {}

  Result<DedupSummary> run();

 private:
  // What process_document() found, with the shingle set already in an arena.
  struct SketchedDoc {
    core::Hash128 exact;
    bool empty = true;
    uint64_t normalized_bytes = 0;
    std::span<uint64_t> shingles;
    double boilerplate_fraction = 0;
    bool only_boilerplate = false;
  };
  // One batch on its way through read_and_sketch's pipeline.
  struct BatchWork {
    FeedBatch batch;
    std::vector<SketchedDoc> processed;
    std::vector<uint64_t> keys;  // batch.records.size() rows of band_count() LSH band keys
    std::vector<uint64_t> id_hashes;  // IdIndex::hash of each record's id
    // --boilerplate auto: each record's distinct line keys, counted in input order.
    std::vector<std::vector<uint64_t>> line_keys;
    // Boilerplate learned first: the (line key, original line) of each record's
    // boilerplate lines, for boilerplate.jsonl's first-seen examples.
    std::vector<std::vector<std::pair<uint64_t, std::string>>> boilerplate_examples;
    std::vector<story::TermVector> terms;  // --level story only
  };
  // One batch of learn_boilerplate_first's pass: each record's distinct line keys.
  struct LineWork {
    FeedBatch batch;
    std::vector<std::vector<uint64_t>> line_keys;
  };
  // Warm buffers and the arena of one worker thread.
  struct WorkerScratch {
    DocumentScratch document;
    ProcessedDocument processed;
    ShingleArena arena;
    std::vector<uint32_t> sig;  // the signature of the document at hand
  };
  // A document read again (boilerplate_pass): its record's position in the batch,
  // its document number, and what sketching it again gave.
  struct Refetched {
    size_t record = 0;
    uint32_t doc = 0;
    SketchedDoc sketched;
    bool changed_input = false;  // the text is no longer the one read first
    std::vector<std::pair<uint64_t, std::string>> boilerplate_examples;
  };
  struct RefetchWork {
    FeedBatch batch;
    std::vector<Refetched> wanted;
  };

  Status validate();
  Status read_and_sketch();
  void process_batch(BatchWork& work);
  // Sketches one document and puts its LSH band keys into `keys` (band_count()
  // values; none for SimHash). The set goes to `reuse` when it fits there, else
  // to the worker's arena.
  SketchedDoc sketch_document(std::string_view text, WorkerScratch& w, std::span<uint64_t> keys,
                              std::vector<std::pair<uint64_t, std::string>>* boilerplate_examples,
                              std::span<uint64_t> reuse = {});
  // The key of a record's --source-field value, when there is one.
  std::optional<uint64_t> source_of(const io::Record& r) const;
  boilerplate::Options boilerplate_options() const {
    return {opt_.boilerplate_min_docs, opt_.boilerplate_min_source_docs};
  }
  bool boilerplate_first();
  Status learn_boilerplate_first();
  Status boilerplate_pass();
  void add_boilerplate_examples(std::vector<std::pair<uint64_t, std::string>>& examples);
  Status accept_batch(BatchWork& work);
  Status handle_problem(const io::Problem& p);
  Status reject(Rejection r);
  void group_exact();
  Status find_candidates(std::vector<index::CandidatePair>& candidates);
  void verify_candidates(const std::vector<index::CandidatePair>& candidates);
  void release_shingle_sets();
  void build_clusters();
  void group_stories();
  Status write_boilerplate(report::OutputFile& f);
  Status write_outputs();
  Status write_clusters(report::OutputFile& f);
  Status write_pairs(report::OutputFile& f);
  Status write_kept(report::OutputFile& f);
  Status write_rejected(report::OutputFile& f);
  std::string summary_json() const;
  struct KindCounts {
    uint64_t exact = 0, near = 0, contained = 0, clusters_with_duplicates = 0;
  };
  KindCounts count_duplicates() const;
  bool keep_better(uint32_t x, uint32_t y) const;
  bool keep_uses_field() const;
  size_t keep_priority_rank(const std::optional<io::FieldValue>& v) const;
  std::string keep_description() const;
  // --sketch simhash, kept apart from the MinHash path: the leaders' fingerprints and
  // their pairs within --simhash-radius, by leader index.
  Result<std::vector<index::CandidatePair>> simhash_candidates();
  // MinHash values stored per document: none when SimHash finds the near candidates.
  size_t signature_width() const {
    return opt_.sketch == SketchKind::kSimHash ? 0 : static_cast<size_t>(opt_.num_perm);
  }
  // LSH band keys stored per document: only these of a signature are ever read
  // again, and they take a quarter of its room.
  size_t band_count() const { return signature_width() == 0 ? 0 : index::usable_bands(opt_.num_perm, banding_); }
  // --threads, or every core the machine has.
  int worker_threads() const {
    return opt_.threads > 0 ? opt_.threads : static_cast<int>(std::thread::hardware_concurrency());
  }
  void message(const std::string& m) const {
    if (opt_.on_message) opt_.on_message(m);
  }

  const DedupOptions& opt_;
  sketch::MinHasher hasher_;
  sketch::OnePermutationHasher oph_;  // --sketch oph
  ShingleConfig shingle_config_;
  std::unique_ptr<io::InputSet> inputs_;
  std::string stdin_spool_;
  tbb::enumerable_thread_specific<WorkerScratch> scratch_;  // one per worker; owns the shingle sets
  Clock::time_point last_progress_ = Clock::now();

  // Indices into each record's captured fields (io::ReaderOptions::extra_fields).
  int keep_field_index_ = -1, source_field_index_ = -1, date_field_index_ = -1;
  boilerplate::BoilerplateSet boilerplate_;
  boilerplate::LineStats line_stats_;  // --boilerplate auto, filled by read_and_sketch
  // The boilerplate set was learned before the main pass (learn_boilerplate_first).
  bool boilerplate_learned_first_ = false;
  // Each accepted document's distinct line keys (doc_line_keys_end_[d] ends document d's),
  // kept only until the boilerplate lines are known.
  core::MappedArray<uint64_t> doc_line_keys_;
  core::MappedArray<uint64_t> doc_line_keys_end_;
  std::vector<std::pair<uint64_t, std::string>> boilerplate_examples_;  // sorted by key, first seen
  std::vector<uint32_t> story_of_component_;
  uint32_t stories_ = 0;
  double t_boilerplate_ = 0, t_story_ = 0;

  std::vector<Doc> docs_;
  core::MappedArray<uint64_t> band_keys_;  // docs_.size() rows of band_count() values
  IdIndex id_index_;  // the first document with each id
  // The exact hashes of the documents accepted so far, while they are read:
  // a later exact copy is not shingled (see ExactSet).
  std::unique_ptr<ExactSet> accepted_exact_ = std::make_unique<ExactSet>();
  std::vector<Rejection> rejected_;
  uint64_t records_seen_ = 0;
  uint64_t repaired_ = 0;
  uint64_t input_bytes_ = 0;

  std::vector<uint32_t> leader_of_;  // per doc: first doc with the same exact hash
  std::vector<uint32_t> leaders_;
  index::Banding banding_;
  index::SimHashLayout simhash_layout_;  // --sketch simhash only
  uint64_t candidate_count_ = 0;
  uint64_t sketch_candidate_count_ = 0;  // of those, from the near-copy sketch (--sketch)
  std::vector<VerifiedPair> pairs_;

  cluster::Components components_;
  std::vector<uint32_t> representatives_;
  std::vector<cluster::Link> links_;
  std::vector<cluster::Edge> edges_;

  Clock::time_point start_ = Clock::now();
  Clock::time_point write_start_;

  double t_read_ = 0, t_candidates_ = 0, t_verify_ = 0, t_cluster_ = 0, t_write_ = 0;
  // Unmaps the shingle arenas once verification is done (release_shingle_sets);
  // declared last, so it is joined before anything else is destroyed.
  std::jthread releaser_;
};

Status DedupRun::validate() {
  if (opt_.inputs.empty()) return invalid_argument("no input given: name at least one directory, file or -");
  if (opt_.output_dir.empty()) return invalid_argument("no output directory given (-o DIR)");
  if (opt_.ngram < 1 || opt_.ngram > 64) return invalid_argument(fmt::format("--ngram {} is out of range 1..64", opt_.ngram));
  if (opt_.num_perm < 8 || opt_.num_perm > 1024) {
    return invalid_argument(fmt::format("--num-perm {} is out of range 8..1024", opt_.num_perm));
  }
  if (!(opt_.jaccard > 0 && opt_.jaccard <= 1)) return invalid_argument("--jaccard must be in (0, 1]");
  if (!(opt_.containment > 0 && opt_.containment <= 1)) return invalid_argument("--containment must be in (0, 1]");
  if (keep_uses_field() && opt_.keep_field.empty()) {
    return invalid_argument(fmt::format("--keep {} needs a field name", keep_description()));
  }
  if (opt_.keep == KeepPolicy::kSourcePriority) {
    if (opt_.keep_priority.empty()) return invalid_argument("--keep source:FIELD=A,B,... needs at least one value");
    for (const auto& v : opt_.keep_priority) {
      if (v.empty()) return invalid_argument("--keep source:FIELD=A,B,...: an empty value in the priority list");
    }
  }
  if (opt_.sketch == SketchKind::kSimHash &&
      (opt_.simhash_radius < 0 || opt_.simhash_radius > index::kMaxSimHashRadius)) {
    return invalid_argument(
        fmt::format("--simhash-radius {} is out of range 0..{}", opt_.simhash_radius, index::kMaxSimHashRadius));
  }
  if (std::count(opt_.inputs.begin(), opt_.inputs.end(), "-") > 1) {
    return invalid_argument("stdin (-) can be given only once");
  }
  DOPPEL_ASSIGN_OR_RETURN(banding_, index::choose_banding(opt_.jaccard, opt_.num_perm));
  shingle_config_ = {opt_.shingle, opt_.ngram};
  return Status::ok();
}

Status DedupRun::reject(Rejection r) {
  std::string m = fmt::format("{}: {}", where(r.file, r.line, r.offset), r.reason);
  if (opt_.strict) return data_error(m + " (--strict: stopping at the first problem)");
  message("rejected: " + m);
  rejected_.push_back(std::move(r));
  return Status::ok();
}

Status DedupRun::read_and_sketch() {
  io::ReaderOptions ropt;
  ropt.id_field = opt_.id_field;
  ropt.text_field = opt_.text_field;
  ropt.max_doc_bytes = opt_.max_doc_bytes;
  ropt.keep_decompressed_bytes = opt_.decompressed_cache_bytes;
  auto capture = [&](const std::string& field) {
    ropt.extra_fields.push_back(field);
    return static_cast<int>(ropt.extra_fields.size() - 1);
  };
  if (keep_uses_field()) keep_field_index_ = capture(opt_.keep_field);
  if (!opt_.source_field.empty()) source_field_index_ = capture(opt_.source_field);
  if (opt_.level == Level::kStory && !opt_.date_field.empty()) date_field_index_ = capture(opt_.date_field);
  if (std::find(opt_.inputs.begin(), opt_.inputs.end(), "-") != opt_.inputs.end()) {
    stdin_spool_ = (fs::path(opt_.output_dir) / fmt::format(".doppel-stdin-{}.jsonl", ::getpid())).string();
    ropt.stdin_spool_path = stdin_spool_;
  }
  inputs_ = std::make_unique<io::InputSet>(opt_.inputs, ropt);
  DOPPEL_TRY(inputs_->open());
  // With --boilerplate auto, either the boilerplate is learned first, from a
  // pass that only keys lines, and this pass sketches every document without
  // its boilerplate lines; or this pass also counts every line's documents and
  // the documents that turn out to hold boilerplate lines are sketched again
  // afterwards (boilerplate_pass). Both give the same sets; boilerplate_first()
  // says which costs less.
  const auto t = Clock::now();
  if (boilerplate_first()) DOPPEL_TRY(learn_boilerplate_first());
  t_boilerplate_ += seconds_since(t);

  // Three stages overlap: the feed's reader thread decompresses and parses
  // ahead; batches are normalised, shingled and sketched in parallel; and they
  // are accepted one at a time in input order, which keeps document numbers,
  // id checks and rejections canonical whatever the thread count.
  RecordFeed feed(*inputs_, FeedLimits{kBatchBytes, kBatchDocs, kBatchesReadAhead});
  feed.start();
  DOPPEL_TRY(run_batches<BatchWork>(
      feed, worker_threads(), [](BatchWork&) {}, [&](BatchWork& work) { process_batch(work); },
      [&](BatchWork& work) { return accept_batch(work); }));
  accepted_exact_.reset();  // needed only while documents are read
  if (opt_.on_progress) opt_.on_progress({records_seen_, input_bytes_, seconds_since(start_), true});
  return Status::ok();
}

Status DedupRun::handle_problem(const io::Problem& p) {
  switch (p.severity) {
    case io::Problem::Severity::kRejected:
      // A problem without a line is a whole file or the tail of a damaged
      // archive; it is still one entry in rejected.jsonl so it is not lost.
      if (p.line) ++records_seen_;
      return reject({p.file, p.line, p.offset, p.id, p.reason});
    case io::Problem::Severity::kRepaired: {
      ++repaired_;
      std::string m = fmt::format("{}: {}", where(p.file, p.line, p.offset), p.reason);
      if (opt_.strict) return data_error(m + " (--strict: stopping at the first problem)");
      message("repaired: " + m);
      return Status::ok();
    }
    case io::Problem::Severity::kSkippedFile:
      return Status::ok();
  }
  return Status::ok();
}

DedupRun::SketchedDoc DedupRun::sketch_document(std::string_view text, WorkerScratch& w, std::span<uint64_t> keys,
                                                 std::vector<std::pair<uint64_t, std::string>>* boilerplate_examples,
                                                 std::span<uint64_t> reuse) {
  // Once the boilerplate is known (examples are wanted), only the content's
  // shingles are: nothing here needs the scratch to describe the whole text.
  const bool stripping = boilerplate_examples != nullptr;
  // A set of a text without boilerplate is sorted straight into the arena (see
  // DocumentScratch::sort_room); sketching a document again rewrites `reuse`
  // when the set fits there.
  if (reuse.empty()) w.document.sort_room = w.arena.room();
  process_document(text, shingle_config_, w.document, w.processed, false,
                   {&boilerplate_, boilerplate_examples, /*whole_text_tokens=*/!stripping});
  const std::span<uint64_t> sorted_in_arena = std::exchange(w.document.sort_room, {});
  const ProcessedDocument& p = w.processed;
  SketchedDoc d;
  d.exact = p.exact;
  d.empty = p.empty;
  d.normalized_bytes = p.normalized_bytes;
  if (!p.shingled) {
    // An exact copy of an accepted document, which has words (an empty one is
    // rejected): never the first of its group, so no set, sketch or keys.
    d.empty = false;
    std::fill(keys.begin(), keys.end(), 0);
    return d;
  }
  if (p.shingles.empty() && !sorted_in_arena.empty()) {
    d.shingles = w.arena.claim(sorted_in_arena.size());
  } else if (!p.shingles.empty() && p.shingles.size() <= reuse.size()) {
    std::copy(p.shingles.begin(), p.shingles.end(), reuse.begin());
    d.shingles = reuse.first(p.shingles.size());
  } else {
    d.shingles = w.arena.store(p.shingles);
  }
  d.boilerplate_fraction = p.boilerplate_fraction;
  d.only_boilerplate = p.only_boilerplate;
  if (keys.empty()) return d;  // --sketch simhash: fingerprints come later, from the sets
  w.sig.resize(signature_width());
  if (opt_.sketch == SketchKind::kOph) {
    oph_.sketch(d.shingles, w.sig);
  } else {
    hasher_.sketch(d.shingles, w.sig);
  }
  index::band_keys(w.sig, banding_, keys);
  return d;
}

void DedupRun::process_batch(BatchWork& work) {
  auto& records = work.batch.records;
  const size_t k = band_count();
  const bool learn_boilerplate = opt_.boilerplate == BoilerplateMode::kAuto && !boilerplate_learned_first_;
  const bool strip_boilerplate = boilerplate_learned_first_ && !boilerplate_.empty();
  work.processed.resize(records.size());
  if (strip_boilerplate) work.boilerplate_examples.resize(records.size());
  work.keys.resize(records.size() * k);
  work.id_hashes.resize(records.size());
  if (learn_boilerplate) work.line_keys.resize(records.size());
  if (opt_.level == Level::kStory) work.terms.resize(records.size());
  tbb::parallel_for(tbb::blocked_range<size_t>(0, records.size()), [&](const tbb::blocked_range<size_t>& r) {
    WorkerScratch& w = scratch_.local();
    // The line keys come out of sketching's own normalisation of the text.
    w.document.line_keys_wanted = learn_boilerplate;
    // Story terms are computed below from the text and need no set, so the
    // copies of accepted documents can skip their shingles in every mode.
    const ExactSet& accepted = *accepted_exact_;
    w.document.skip_shingles = [&accepted](const core::Hash128& h) { return accepted.contains(h); };
    for (size_t i = r.begin(); i != r.end(); ++i) {
      const std::span<uint64_t> keys(work.keys.data() + i * k, k);
      std::vector<std::pair<uint64_t, std::string>>* examples = nullptr;
      if (strip_boilerplate) {
        examples = &work.boilerplate_examples[i];
        examples->clear();
      }
      work.processed[i] = sketch_document(records[i].text, w, keys, examples);
      work.id_hashes[i] = IdIndex::hash(records[i].id);
      // Copied, not swapped: the scratch keeps its capacity for the next document.
      if (learn_boilerplate) work.line_keys[i].assign(w.document.line_keys.begin(), w.document.line_keys.end());
      if (opt_.level == Level::kStory) {
        // Story terms come from the whole text: idf already discounts template words.
        DocumentScratch& s = w.document;
        text::normalize(records[i].text, s.normalized);
        text::tokenize(s.normalized.text, text::TokenMode::kWord, s.tokens);
        story::extract_terms(s.normalized.text, s.tokens, work.terms[i]);
      }
    }
    w.document.line_keys_wanted = false;
    w.document.skip_shingles = nullptr;
  });
}

Status DedupRun::accept_batch(BatchWork& work) {
  auto& records = work.batch.records;
  auto& problems = work.batch.problems;
  const size_t k = band_count();
  size_t next_problem = 0;
  // The id and exact-hash lookups below are cache misses; a batch's slots fit in L2.
  for (const uint64_t h : work.id_hashes) id_index_.prefetch(h);
  for (const SketchedDoc& d : work.processed) accepted_exact_->prefetch(d.exact);
  // Records and problems in the order the reader met them.
  for (size_t i = 0; i <= records.size(); ++i) {
    while (next_problem < problems.size() && problems[next_problem].first == i) {
      DOPPEL_TRY(handle_problem(problems[next_problem++].second));
    }
    if (i == records.size()) break;
    ++records_seen_;
    io::Record& r = records[i];
    if (!work.line_keys.empty()) {
      // Every record counts, as a document of its own, even one rejected below.
      line_stats_.add(work.line_keys[i], source_of(r));
    }
    SketchedDoc& processed = work.processed[i];
    const std::string& file = inputs_->files()[r.pos.file_index].display;
    std::optional<uint64_t> line = r.pos.line ? std::optional<uint64_t>(r.pos.line) : std::nullopt;
    if (processed.empty) {
      DOPPEL_TRY(reject({file, line, r.pos.offset, r.id,
                         r.text.empty() ? "empty document: the text is empty"
                                        : "empty document: no words left after normalisation"}));
      continue;
    }
    const std::optional<uint32_t> holder = id_index_.insert(
        work.id_hashes[i], r.id, static_cast<uint32_t>(docs_.size()),
        [&](uint32_t d) -> const std::string& { return docs_[d].id; });
    if (holder) {
      const Doc& first = docs_[*holder];
      const std::string& first_file = inputs_->files()[first.pos.file_index].display;
      DOPPEL_TRY(reject({file, line, r.pos.offset, r.id,
                         fmt::format("duplicate id \"{}\" (first seen at {})", r.id,
                                     where(first_file, first.pos.line ? std::optional<uint64_t>(first.pos.line)
                                                                      : std::nullopt,
                                           std::nullopt))}));
      continue;
    }
    Doc d;
    d.id = std::move(r.id);
    d.pos = r.pos;
    d.text_bytes = r.text.size();
    d.normalized_bytes = processed.normalized_bytes;
    if (keep_field_index_ >= 0) d.keep_value = std::move(r.fields[static_cast<size_t>(keep_field_index_)]);
    if (date_field_index_ >= 0) {
      const auto& f = r.fields[static_cast<size_t>(date_field_index_)];
      if (f) d.day = story::parse_day(f->text);
    }
    d.boilerplate_fraction = static_cast<float>(processed.boilerplate_fraction);
    d.only_boilerplate = processed.only_boilerplate;
    if (opt_.level == Level::kStory) d.terms = std::move(work.terms[i]);
    if (!work.line_keys.empty()) {
      doc_line_keys_.append(work.line_keys[i].data(), work.line_keys[i].size());
      doc_line_keys_end_.push_back(doc_line_keys_.size());
    }
    d.exact = processed.exact;
    d.shingles = processed.shingles;
    input_bytes_ += d.text_bytes;
    accepted_exact_->insert(d.exact);
    docs_.push_back(std::move(d));
    band_keys_.append(work.keys.data() + i * k, k);
    if (!work.boilerplate_examples.empty()) add_boilerplate_examples(work.boilerplate_examples[i]);
  }
  if (opt_.on_progress && seconds_since(last_progress_) > 0.2) {
    last_progress_ = Clock::now();
    opt_.on_progress({records_seen_, input_bytes_, seconds_since(start_), false});
  }
  return Status::ok();
}

std::optional<uint64_t> DedupRun::source_of(const io::Record& r) const {
  if (source_field_index_ < 0) return std::nullopt;
  const auto& f = r.fields[static_cast<size_t>(source_field_index_)];
  return f ? std::optional<uint64_t>(boilerplate::source_key(f->text)) : std::nullopt;
}

// A text's distinct line keys, read off one normalisation of it (as the main
// pass's process_document reads them), for the passes that want only the keys.
void key_lines(std::string_view text, text::NormalizedText& normalized, std::vector<uint64_t>& keys) {
  text::normalize(text, normalized, false, /*with_line_breaks=*/true);
  boilerplate::line_keys_of_normalized(normalized, keys);
}

bool DedupRun::boilerplate_first() {
  if (opt_.boilerplate != BoilerplateMode::kAuto) return false;
  // stdin is spooled by the pass that reads it first; that must be the main one.
  if (std::find(opt_.inputs.begin(), opt_.inputs.end(), "-") != opt_.inputs.end()) return false;
  if (opt_.boilerplate_learning != BoilerplateLearning::kAuto) return opt_.boilerplate_learning == BoilerplateLearning::kFirst;
  // Learning first costs a pass that parses every record and keys its lines
  // (1.3-1.5 s for 1 GB of text on 2 cores; compressed files are decompressed
  // once, the main pass reads the bytes this pass kept); learning alongside
  // costs sketching again the documents that hold a boilerplate line (2.6-3 s
  // for 1 GB of them). So learning first pays when those documents hold over
  // half of the text. Which they are is known only at the end; the first
  // records tell: the share of their text in records holding a line that is
  // boilerplate among them already (with the same thresholds). Measured on the
  // shared corpora, that share was 0.75-1 where learning first was 5-22%
  // faster (20 Newsgroups, Reuters-21578, Gutenberg, Aozora) and 0.27 where it
  // was 18% slower (Korean), docs/performance.md. Both ways give the same
  // output; this only picks the cheaper, from the input alone.
  constexpr uint64_t kSampleRecords = 5000;
  constexpr uint64_t kSampleBytes = uint64_t{16} << 20;
  boilerplate::LineStats stats;
  std::vector<std::vector<uint64_t>> keys;
  std::vector<uint64_t> sizes;
  uint64_t bytes = 0;
  bool full = false;
  text::NormalizedText normalized;
  (void)inputs_->for_each(
      [&](io::Record&& r) {
        keys.emplace_back();
        key_lines(r.text, normalized, keys.back());
        stats.add(keys.back(), source_of(r));
        sizes.push_back(r.text.size());
        bytes += r.text.size();
        full = keys.size() >= kSampleRecords || bytes >= kSampleBytes;
        // Any error stops the walk; this one is recognised below by `full`.
        return full ? Status(StatusCode::kInternal, "sample complete") : Status::ok();
      },
      [](const io::Problem&) { return Status::ok(); });
  // A failed walk is the main pass's to report, and without a full sample the
  // input is small: either way is cheap then.
  if (!full) return false;
  const boilerplate::BoilerplateSet set = stats.finish(boilerplate_options());
  uint64_t holding = 0;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (std::any_of(keys[i].begin(), keys[i].end(), [&](uint64_t k) { return set.contains(k); })) holding += sizes[i];
  }
  return holding * 2 > bytes;
}

Status DedupRun::learn_boilerplate_first() {
  RecordFeed feed(*inputs_, FeedLimits{kBatchBytes, kBatchDocs, kBatchesReadAhead});
  feed.start();
  auto process = [&](LineWork& work) {
    auto& records = work.batch.records;
    work.line_keys.resize(records.size());
    tbb::parallel_for(tbb::blocked_range<size_t>(0, records.size()), [&](const tbb::blocked_range<size_t>& r) {
      text::NormalizedText& normalized = scratch_.local().document.normalized;
      for (size_t i = r.begin(); i != r.end(); ++i) key_lines(records[i].text, normalized, work.line_keys[i]);
    });
  };
  // Counted as accept_batch counts them: every record, in input order. The
  // problems are the main pass's to report.
  auto count = [&](LineWork& work) -> Status {
    for (size_t i = 0; i < work.batch.records.size(); ++i) {
      line_stats_.add(work.line_keys[i], source_of(work.batch.records[i]));
    }
    return Status::ok();
  };
  DOPPEL_TRY(run_batches<LineWork>(feed, worker_threads(), [](LineWork&) {}, process, count));
  boilerplate_ = line_stats_.finish(boilerplate_options());
  boilerplate_learned_first_ = true;
  return Status::ok();
}

void DedupRun::add_boilerplate_examples(std::vector<std::pair<uint64_t, std::string>>& examples) {
  for (auto& [line_key, line_text] : examples) {
    auto at = std::lower_bound(boilerplate_examples_.begin(), boilerplate_examples_.end(), line_key,
                               [](const auto& e, uint64_t k2) { return e.first < k2; });
    if (at == boilerplate_examples_.end() || at->first != line_key) {
      boilerplate_examples_.insert(at, {line_key, std::move(line_text)});
    }
  }
}

Status DedupRun::boilerplate_pass() {
  if (boilerplate_learned_first_) return Status::ok();  // the main pass stripped it already
  boilerplate_ = line_stats_.finish(boilerplate_options());
  // The documents holding a boilerplate line: their sets must leave those lines out.
  std::vector<uint32_t> wanted;
  if (!boilerplate_.empty()) {
    // Every line key of every document is looked up: in parallel, flagged per
    // document, then listed in document order.
    const uint32_t n = static_cast<uint32_t>(docs_.size());
    std::vector<uint8_t> holds(n, 0);
    tbb::parallel_for(tbb::blocked_range<uint32_t>(0, n, 4096), [&](const tbb::blocked_range<uint32_t>& r) {
      for (uint32_t d = r.begin(); d != r.end(); ++d) {
        const uint64_t begin = d == 0 ? 0 : doc_line_keys_end_[d - 1];
        const uint64_t end = doc_line_keys_end_[d];
        for (uint64_t j = begin; j < end && holds[d] == 0; ++j) holds[d] = boilerplate_.contains(doc_line_keys_[j]);
      }
    });
    for (uint32_t d = 0; d < n; ++d) {
      if (holds[d]) wanted.push_back(d);
    }
  }
  doc_line_keys_.release();
  doc_line_keys_end_.release();
  if (wanted.empty()) return Status::ok();

  // Read just those documents again (io::InputSet::for_each_at: at their offsets
  // where the file allows it) and sketch them in parallel with the boilerplate
  // set; results are applied in document order, so boilerplate.jsonl's
  // first-seen examples are the same for any thread count.
  std::vector<io::SourcePos> positions(wanted.size());
  for (size_t i = 0; i < wanted.size(); ++i) positions[i] = docs_[wanted[i]].pos;
  const size_t k = band_count();
  size_t next = 0;
  RecordFeed feed([&](const io::RecordFn& on_record, const io::ProblemFn&) { return inputs_->for_each_at(positions, on_record); },
                  FeedLimits{kBatchBytes, kBatchDocs, kBatchesReadAhead});
  feed.start();
  auto prepare = [&](RefetchWork& work) {
    // for_each_at delivers exactly the listed records, in order.
    for (size_t i = 0; i < work.batch.records.size(); ++i) work.wanted.push_back({i, wanted[next++]});
  };
  auto process = [&](RefetchWork& work) {
    WorkerScratch& w = scratch_.local();
    for (Refetched& r : work.wanted) {
      Doc& doc = docs_[r.doc];
      const std::string& text = work.batch.records[r.record].text;
      const std::span<uint64_t> keys(band_keys_.data() + size_t{r.doc} * k, k);
      r.sketched = sketch_document(text, w, keys, &r.boilerplate_examples, doc.shingles);
      r.changed_input = r.sketched.exact != doc.exact;
    }
  };
  auto apply = [&](RefetchWork& work) -> Status {
    for (Refetched& r : work.wanted) {
      Doc& d = docs_[r.doc];
      if (r.changed_input) {
        return io_error(fmt::format("input changed during the run: {} no longer holds the text of \"{}\"",
                                    where(inputs_->files()[d.pos.file_index].display,
                                          d.pos.line ? std::optional<uint64_t>(d.pos.line) : std::nullopt,
                                          std::nullopt),
                                    d.id));
      }
      d.shingles = r.sketched.shingles;
      d.boilerplate_fraction = static_cast<float>(r.sketched.boilerplate_fraction);
      d.only_boilerplate = r.sketched.only_boilerplate;
      add_boilerplate_examples(r.boilerplate_examples);
    }
    return Status::ok();
  };
  return run_batches<RefetchWork>(feed, worker_threads(), prepare, process, apply);
}

void DedupRun::group_exact() {
  const uint32_t n = static_cast<uint32_t>(docs_.size());
  // Sorted as compact (hash, document) records, in parallel: sorting document
  // numbers by a hash read out of each Doc was a serial stretch of random reads
  // between two parallel stages. The order is total, so it is the same for any
  // thread count.
  struct Keyed {
    core::Hash128 exact;
    uint32_t doc;
    auto operator<=>(const Keyed&) const = default;
  };
  std::vector<Keyed> order(n);
  tbb::parallel_for(tbb::blocked_range<uint32_t>(0, n, 4096), [&](const tbb::blocked_range<uint32_t>& r) {
    for (uint32_t d = r.begin(); d != r.end(); ++d) order[d] = {docs_[d].exact, d};
  });
  tbb::parallel_sort(order.begin(), order.end());
  leader_of_.assign(n, 0);
  for (uint32_t i = 0; i < n;) {
    uint32_t j = i;
    while (j < n && order[j].exact == order[i].exact) {
      leader_of_[order[j].doc] = order[i].doc;  // ascending within a group
      ++j;
    }
    i = j;
  }
  for (uint32_t d = 0; d < n; ++d) {
    if (leader_of_[d] == d) {
      leaders_.push_back(d);
    } else {
      VerifiedPair p;
      p.a = leader_of_[d];
      p.b = d;
      p.kind = MatchKind::kExact;
      // The leader's set: a copy's own may have been skipped (ExactSet).
      const size_t size = docs_[p.a].shingles.size();
      p.overlap = {size, size, size};
      pairs_.push_back(p);
    }
  }
}

Status DedupRun::find_candidates(std::vector<index::CandidatePair>& candidates) {
  const int k = opt_.num_perm;
  const uint32_t m = static_cast<uint32_t>(leaders_.size());
  index::ContainmentParams cp;
  cp.threshold = opt_.containment;
  cp.k = k;
  std::vector<std::span<const uint64_t>> bottoms(m);
  std::vector<uint32_t> sizes(m);
  tbb::parallel_for(tbb::blocked_range<uint32_t>(0, m, 4096), [&](const tbb::blocked_range<uint32_t>& r) {
    for (uint32_t i = r.begin(); i != r.end(); ++i) {
      const auto& s = docs_[leaders_[i]].shingles;
      bottoms[i] = std::span<const uint64_t>(s.data(), index::containment_sketch_length(s, cp));
      sizes[i] = static_cast<uint32_t>(std::min<size_t>(s.size(), UINT32_MAX));
    }
  });
  std::vector<index::CandidatePair> jc;
  if (opt_.sketch == SketchKind::kSimHash) {
    DOPPEL_ASSIGN_OR_RETURN(jc, simhash_candidates());
  } else {
    // The leaders' rows are read where they are: no serial pass moving them together.
    jc = index::jaccard_candidates_from_band_keys(band_keys_, leaders_, band_count());
  }
  sketch_candidate_count_ = jc.size();
  band_keys_.release();  // no longer needed: free before the containment index grows
  auto cc = index::containment_candidates(bottoms, sizes, cp);
  candidates.reserve(jc.size() + cc.size());
  std::set_union(jc.begin(), jc.end(), cc.begin(), cc.end(), std::back_inserter(candidates));
  for (auto& c : candidates) {
    c.a = leaders_[c.a];
    c.b = leaders_[c.b];
  }
  candidate_count_ = candidates.size();
  return Status::ok();
}

Result<std::vector<index::CandidatePair>> DedupRun::simhash_candidates() {
  // Fingerprints are computed here, from the shingle sets every document keeps for
  // verification, and only for exact-group leaders: 8 bytes each, and read_and_sketch
  // skips MinHash in this mode.
  const size_t m = leaders_.size();
  std::vector<uint64_t> prints(m);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, m, 64), [&](const tbb::blocked_range<size_t>& r) {
    for (size_t i = r.begin(); i != r.end(); ++i) prints[i] = sketch::simhash(docs_[leaders_[i]].shingles);
  });
  DOPPEL_ASSIGN_OR_RETURN(simhash_layout_, index::choose_simhash_layout(opt_.simhash_radius, m));
  if (simhash_layout_.crowded) {
    message(fmt::format("--simhash-radius {} over {} documents: within {} tables the key is only {} bits, so "
                        "unrelated documents crowd the buckets and pairs in buckets of more than {} documents are "
                        "only partly tested; a smaller radius keeps full recall within it",
                        opt_.simhash_radius, m, index::SimHashLayoutLimits{}.max_tables,
                        simhash_layout_.min_key_bits, index::BucketLimits{}.max_full_bucket));
  }
  return index::simhash_candidates(prints, simhash_layout_);
}

void DedupRun::verify_candidates(const std::vector<index::CandidatePair>& candidates) {
  std::vector<VerifiedPair> slots(candidates.size());
  std::vector<uint8_t> keep(candidates.size(), 0);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, candidates.size(), 64), [&](const tbb::blocked_range<size_t>& r) {
    for (size_t i = r.begin(); i != r.end(); ++i) {
      const auto& c = candidates[i];
      // Stops early once the pair cannot reach either threshold; pairs that do
      // are counted in full, so their scores are exact.
      const match::Decision decision =
          match::decide(docs_[c.a].shingles, docs_[c.b].shingles, opt_.jaccard, opt_.containment);
      if (!decision.reaches) continue;
      const match::Overlap& o = decision.overlap;
      VerifiedPair& p = slots[i];
      p.a = c.a;
      p.b = c.b;
      p.overlap = o;
      if (o.jaccard() >= opt_.jaccard) {
        p.kind = MatchKind::kNear;
        keep[i] = 1;
      } else if (o.max_containment() >= opt_.containment) {
        p.kind = MatchKind::kContained;
        keep[i] = 1;
      }
    }
  });
  for (size_t i = 0; i < slots.size(); ++i) {
    if (keep[i]) pairs_.push_back(slots[i]);
  }
  std::sort(pairs_.begin(), pairs_.end(),
            [](const VerifiedPair& x, const VerifiedPair& y) { return std::tie(x.a, x.b) < std::tie(y.a, y.b); });
}

void DedupRun::release_shingle_sets() {
  // Nothing after verification reads a set. Giving back ~8 bytes per shingle
  // (2 GB for 1 GB of text) keeps the kernel busy for a third of a second; on a
  // thread of its own that happens while the outputs are written, which mostly
  // waits on the disk, instead of at exit.
  for (Doc& d : docs_) d.shingles = {};
  std::vector<ShingleArena> arenas;
  for (WorkerScratch& w : scratch_) arenas.push_back(std::move(w.arena));
  releaser_ = std::jthread([owned = std::move(arenas)]() mutable { owned.clear(); });
}

int compare_keep_values(const std::optional<io::FieldValue>& x, const std::optional<io::FieldValue>& y) {
  // Missing values sort last; numbers before strings; numbers numerically.
  if (!x || !y) return x ? -1 : (y ? 1 : 0);
  bool xn = x->kind == io::FieldValue::Kind::kNumber, yn = y->kind == io::FieldValue::Kind::kNumber;
  if (xn != yn) return xn ? -1 : 1;
  if (xn) return x->number < y->number ? -1 : (x->number > y->number ? 1 : 0);
  int c = x->text.compare(y->text);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

// --keep max:/min:FIELD: only JSON numbers compete, larger (max) or smaller (min)
// first; anything else (a string, even "12", a boolean, no value) loses to every
// number and ties with the other losers.
int compare_keep_numbers(const std::optional<io::FieldValue>& x, const std::optional<io::FieldValue>& y,
                         bool largest_first) {
  const bool xn = x && x->kind == io::FieldValue::Kind::kNumber;
  const bool yn = y && y->kind == io::FieldValue::Kind::kNumber;
  if (xn != yn) return xn ? -1 : 1;
  if (!xn || x->number == y->number) return 0;
  return (x->number > y->number) == largest_first ? -1 : 1;
}

bool DedupRun::keep_better(uint32_t x, uint32_t y) const {
  const Doc& a = docs_[x];
  const Doc& b = docs_[y];
  switch (opt_.keep) {
    case KeepPolicy::kFirst:
      return x < y;
    case KeepPolicy::kLongest:
      if (a.normalized_bytes != b.normalized_bytes) return a.normalized_bytes > b.normalized_bytes;
      return a.id < b.id;
    case KeepPolicy::kEarliest: {
      int c = compare_keep_values(a.keep_value, b.keep_value);
      if (c != 0) return c < 0;
      return a.id < b.id;
    }
    case KeepPolicy::kMax:
    case KeepPolicy::kMin: {
      int c = compare_keep_numbers(a.keep_value, b.keep_value, opt_.keep == KeepPolicy::kMax);
      if (c != 0) return c < 0;
      return a.id < b.id;
    }
    case KeepPolicy::kSourcePriority: {
      const size_t ra = keep_priority_rank(a.keep_value), rb = keep_priority_rank(b.keep_value);
      if (ra != rb) return ra < rb;
      if (a.normalized_bytes != b.normalized_bytes) return a.normalized_bytes > b.normalized_bytes;
      return a.id < b.id;
    }
  }
  return false;
}

bool DedupRun::keep_uses_field() const {
  return opt_.keep == KeepPolicy::kEarliest || opt_.keep == KeepPolicy::kMax || opt_.keep == KeepPolicy::kMin ||
         opt_.keep == KeepPolicy::kSourcePriority;
}

// --keep source:FIELD=A,B,C: the value's position in the list; a value not in it, or
// no value, ranks after every listed one. Values match by their text (strings
// unescaped, numbers and booleans as spelled in the JSON).
size_t DedupRun::keep_priority_rank(const std::optional<io::FieldValue>& v) const {
  const auto& list = opt_.keep_priority;
  if (!v) return list.size();
  return static_cast<size_t>(std::find(list.begin(), list.end(), v->text) - list.begin());
}

std::string DedupRun::keep_description() const {
  switch (opt_.keep) {
    case KeepPolicy::kLongest: return "longest";
    case KeepPolicy::kFirst: return "first";
    case KeepPolicy::kEarliest: return "earliest:" + opt_.keep_field;
    case KeepPolicy::kMax: return "max:" + opt_.keep_field;
    case KeepPolicy::kMin: return "min:" + opt_.keep_field;
    case KeepPolicy::kSourcePriority: {
      std::string s = "source:" + opt_.keep_field + "=";
      for (size_t i = 0; i < opt_.keep_priority.size(); ++i) s += (i ? "," : "") + opt_.keep_priority[i];
      return s;
    }
  }
  return "?";
}

void DedupRun::build_clusters() {
  const uint32_t n = static_cast<uint32_t>(docs_.size());
  edges_.reserve(pairs_.size());
  for (const auto& p : pairs_) edges_.push_back({p.a, p.b, static_cast<uint8_t>(p.kind)});
  components_ = cluster::connected_components(n, edges_);
  representatives_ =
      cluster::choose_representatives(components_, [this](uint32_t x, uint32_t y) { return keep_better(x, y); });
  links_ = cluster::link_to_representatives(n, edges_, components_, representatives_);
}

void DedupRun::group_stories() {
  // Stories group copy clusters: each cluster takes part once, through its
  // representative, so a story is not inflated by its own copies.
  std::vector<story::TermVector> terms(representatives_.size());
  std::vector<std::optional<int64_t>> days(representatives_.size());
  for (size_t c = 0; c < representatives_.size(); ++c) {
    terms[c] = std::move(docs_[representatives_[c]].terms);
    days[c] = docs_[representatives_[c]].day;
  }
  story::StoryOptions so;
  so.threshold = opt_.story_threshold;
  if (opt_.story_window_days > 0) so.window_days = opt_.story_window_days;
  story::StoryGroups g = story::group_stories(terms, days, so);
  story_of_component_ = std::move(g.story_of);
  std::vector<uint32_t> size(g.stories, 0);
  for (uint32_t s : story_of_component_) ++size[s];
  stories_ = static_cast<uint32_t>(std::count_if(size.begin(), size.end(), [](uint32_t n) { return n > 1; }));
}

Status DedupRun::write_boilerplate(report::OutputFile& f) {
  // Most widespread first; ties by key so the order is fixed.
  std::vector<const boilerplate::Line*> lines;
  for (const auto& l : boilerplate_.lines()) lines.push_back(&l);
  std::sort(lines.begin(), lines.end(), [](const boilerplate::Line* a, const boilerplate::Line* b) {
    return a->documents != b->documents ? a->documents > b->documents : a->key < b->key;
  });
  return write_jsonl(f, lines.size(), [&](size_t i, report::JsonObject& o) {
    const boilerplate::Line& l = *lines[i];
    auto ex = std::lower_bound(boilerplate_examples_.begin(), boilerplate_examples_.end(), l.key,
                               [](const auto& e, uint64_t k) { return e.first < k; });
    std::string example = ex != boilerplate_examples_.end() && ex->first == l.key ? ex->second : std::string();
    o.field("hash", fmt::format("{:016x}", l.key)).field("text", example).field("documents", l.documents);
    if (source_field_index_ >= 0) o.field("source_documents", l.source_documents);
  });
}

Status DedupRun::write_clusters(report::OutputFile& f) {
  return write_jsonl(f, docs_.size(), [&](size_t d, report::JsonObject& o) {
    uint32_t c = components_.component_of[d];
    uint32_t rep = representatives_[c];
    o.field("id", docs_[d].id).field("cluster", c).field("representative", docs_[rep].id);
    o.field("duplicate", rep != d);
    const cluster::Link& link = links_[d];
    if (link.parent == cluster::kNone) {
      o.null_field("match").null_field("matched_with").null_field("jaccard").null_field("containment");
    } else {
      const VerifiedPair& p = pairs_[link.edge];
      o.field("match", to_string(p.kind)).field("matched_with", docs_[link.parent].id);
      o.field("jaccard", p.overlap.jaccard()).field("containment", p.overlap.max_containment());
    }
    if (opt_.boilerplate == BoilerplateMode::kAuto) {
      // 1 means nothing but boilerplate: that document was compared on its full text.
      o.field("boilerplate", docs_[d].only_boilerplate ? 1.0 : static_cast<double>(docs_[d].boilerplate_fraction));
    }
    if (opt_.level == Level::kStory) o.field("story", story_of_component_[c]);
  });
}

Status DedupRun::write_pairs(report::OutputFile& f) {
  return write_jsonl(f, pairs_.size(), [&](size_t i, report::JsonObject& o) {
    const VerifiedPair& p = pairs_[i];
    o.field("a", docs_[p.a].id).field("b", docs_[p.b].id).field("kind", to_string(p.kind));
    o.field("jaccard", p.overlap.jaccard());
    o.field("containment_a_in_b", p.overlap.containment_a_in_b());
    o.field("containment_b_in_a", p.overlap.containment_b_in_a());
  });
}

Status DedupRun::write_kept(report::OutputFile& f) {
  // Kept documents are re-read from the inputs instead of being held in memory
  // (pipeline/kept_copier.hpp); JSONL records are copied byte for byte.
  std::vector<std::vector<KeptRecord>> kept_by_file(inputs_->files().size());
  for (uint32_t d = 0; d < docs_.size(); ++d) {
    if (representatives_[components_.component_of[d]] != d) continue;
    const Doc& doc = docs_[d];
    kept_by_file[doc.pos.file_index].push_back({doc.pos.line, doc.pos.offset, doc.pos.length, &doc.id});
  }
  return copy_kept_records(*inputs_, kept_by_file, [&](std::string_view chunk) { return f.write(chunk); });
}

Status DedupRun::write_rejected(report::OutputFile& f) {
  return write_jsonl(f, rejected_.size(), [&](size_t i, report::JsonObject& o) {
    const Rejection& r = rejected_[i];
    o.field("file", r.file).optional_field("line", r.line).optional_field("offset", r.offset);
    if (r.id.empty()) o.null_field("id"); else o.field("id", r.id);
    o.field("reason", r.reason);
  });
}

DedupRun::KindCounts DedupRun::count_duplicates() const {
  KindCounts c;
  for (uint32_t d = 0; d < docs_.size(); ++d) {
    if (links_[d].parent == cluster::kNone) continue;
    switch (pairs_[links_[d].edge].kind) {
      case MatchKind::kExact: ++c.exact; break;
      case MatchKind::kNear: ++c.near; break;
      case MatchKind::kContained: ++c.contained; break;
    }
  }
  for (const auto& m : components_.members) c.clusters_with_duplicates += m.size() > 1;
  return c;
}

std::string DedupRun::summary_json() const {
  const KindCounts counts = count_duplicates();

  std::string dups, params, guarantees, runtime, timings, s;
  {
    report::JsonObject o(dups);
    o.field("exact", counts.exact).field("near", counts.near).field("contained", counts.contained).close();
  }
  {
    report::JsonObject o(params);
    o.field("shingle", opt_.shingle == ShingleUnit::kWord ? "word" : "char").field("ngram", opt_.ngram);
    o.field("num_perm", opt_.num_perm).field("jaccard", opt_.jaccard).field("containment", opt_.containment);
    if (opt_.sketch == SketchKind::kSimHash) {
      // The LSH banding is not used in this mode; the table layout is what was searched.
      o.field("sketch", "simhash").field("simhash_radius", opt_.simhash_radius);
      o.field("simhash_blocks", simhash_layout_.blocks).field("simhash_tables", simhash_layout_.tables);
      o.field("simhash_seed", fmt::format("{:#018x}", sketch::kSimHashSeed));
    } else {
      o.field("sketch", opt_.sketch == SketchKind::kOph ? "oph" : "minhash");
      o.field("lsh_bands", banding_.bands).field("lsh_rows", banding_.rows);
      o.field("lsh_probability_at_threshold", banding_.p_at_threshold);
    }
    o.field("keep", keep_description()).field("id_field", opt_.id_field).field("text_field", opt_.text_field);
    if (opt_.sketch == SketchKind::kOph) {
      o.field("oph_seed", fmt::format("{:#018x}", sketch::kOphSeed));
    } else if (opt_.sketch == SketchKind::kMinHash) {  // --sketch simhash wrote simhash_seed above
      o.field("minhash_seed", fmt::format("{:#018x}", sketch::kMinHashSeed));
    }
    o.field("boilerplate", opt_.boilerplate == BoilerplateMode::kAuto ? "auto" : "off");
    if (opt_.boilerplate == BoilerplateMode::kAuto) {
      o.field("boilerplate_min_docs", opt_.boilerplate_min_docs);
      o.field("boilerplate_min_source_docs", opt_.boilerplate_min_source_docs);
    }
    if (!opt_.source_field.empty()) o.field("source_field", opt_.source_field);
    o.field("level", opt_.level == Level::kStory ? "story" : "copy");
    if (opt_.level == Level::kStory) {
      o.field("story_threshold", opt_.story_threshold);
      if (!opt_.date_field.empty()) o.field("date_field", opt_.date_field);
      if (opt_.story_window_days > 0) o.field("story_window_days", opt_.story_window_days);
    }
    o.close();
  }
  {
    report::JsonObject o(timings);
    o.field("read_and_sketch", t_read_).field("candidates", t_candidates_).field("verify", t_verify_);
    o.field("boilerplate", t_boilerplate_).field("cluster", t_cluster_).field("story", t_story_);
    o.field("write", t_write_).field("total", seconds_since(start_)).close();
  }
  {
    // Everything that may differ between two runs on the same input lives here.
    report::JsonObject o(runtime);
    o.field("threads", worker_threads());
    if (opt_.boilerplate == BoilerplateMode::kAuto) {
      o.field("boilerplate_learning", boilerplate_learned_first_ ? "first" : "alongside");
    }
    o.raw_field("seconds", timings).close();
  }
  report::JsonObject o(s);
  o.field("version", version());
  o.field("documents_read", records_seen_).field("documents", static_cast<uint64_t>(docs_.size()));
  o.field("kept", static_cast<uint64_t>(components_.members.size()));
  o.raw_field("duplicates", dups);
  o.field("rejected", static_cast<uint64_t>(rejected_.size())).field("repaired", repaired_);
  o.field("clusters", static_cast<uint64_t>(components_.members.size())).field("clusters_with_duplicates", counts.clusters_with_duplicates);
  o.field("pairs", static_cast<uint64_t>(pairs_.size())).field("candidate_pairs", candidate_count_);
  o.field("sketch_candidate_pairs", sketch_candidate_count_);
  o.field("input_bytes", input_bytes_).field("skipped_files", inputs_ ? inputs_->skipped_files() : 0);
  if (opt_.boilerplate == BoilerplateMode::kAuto) {
    o.field("boilerplate_lines", static_cast<uint64_t>(boilerplate_.lines().size()));
    o.field("documents_only_boilerplate", static_cast<uint64_t>(std::count_if(
                                              docs_.begin(), docs_.end(), [](const Doc& d) { return d.only_boilerplate; })));
  }
  if (opt_.level == Level::kStory) {
    o.field("stories", static_cast<uint64_t>(story_of_component_.empty() ? 0 : 1 + *std::max_element(story_of_component_.begin(), story_of_component_.end())));
    o.field("stories_with_several_clusters", static_cast<uint64_t>(stories_));
  }
  o.raw_field("parameters", params).raw_field("runtime", runtime);
  o.close();
  s.push_back('\n');
  return s;
}

Status DedupRun::write_outputs() {
  fs::path dir(opt_.output_dir);
  auto create = [&](const char* name, report::Compression c = report::Compression::kNone) {
    return report::OutputFile::create((dir / name).string(), c);
  };
  // All files are completed under temporary names first and renamed only when
  // every one of them has been written, so a failure leaves no partial set.
  DOPPEL_ASSIGN_OR_RETURN(auto clusters, create("clusters.jsonl"));
  DOPPEL_ASSIGN_OR_RETURN(auto pairs, create("pairs.jsonl"));
  DOPPEL_ASSIGN_OR_RETURN(auto kept, opt_.compress_kept ? create("kept.jsonl.zst", report::Compression::kZstd)
                                                        : create("kept.jsonl"));
  // kept.jsonl is mostly reading and copying the inputs, clusters and pairs are
  // formatting: written side by side, a third of the writing hides behind kept.
  Status listed;
  {
    std::jthread lists([&] {
      try {
        listed = write_clusters(*clusters);
        if (listed.is_ok()) listed = write_pairs(*pairs);
      } catch (const std::bad_alloc&) {
        listed = io_error("out of memory while writing clusters.jsonl and pairs.jsonl");
      }
    });
    const Status copied = write_kept(*kept);
    lists.join();
    DOPPEL_TRY(listed);
    DOPPEL_TRY(copied);
  }
  DOPPEL_ASSIGN_OR_RETURN(auto rejected, create("rejected.jsonl"));
  DOPPEL_TRY(write_rejected(*rejected));
  std::unique_ptr<report::OutputFile> boilerplate;
  if (opt_.boilerplate == BoilerplateMode::kAuto) {
    DOPPEL_ASSIGN_OR_RETURN(boilerplate, create("boilerplate.jsonl"));
    DOPPEL_TRY(write_boilerplate(*boilerplate));
  }
  DOPPEL_ASSIGN_OR_RETURN(auto summary, create("summary.json"));
  t_write_ = seconds_since(write_start_);
  DOPPEL_TRY(summary->write(summary_json()));
  // summary.json last: it is the marker of a complete set (report::commit_all).
  return report::commit_all({clusters.get(), pairs.get(), kept.get(), rejected.get(), boilerplate.get(), summary.get()});
}

Result<DedupSummary> DedupRun::run() {
  DOPPEL_TRY(validate());
  std::error_code ec;
  fs::create_directories(opt_.output_dir, ec);
  if (ec || !fs::is_directory(opt_.output_dir)) {
    return io_error(fmt::format("cannot create output directory {}: {}", opt_.output_dir,
                                ec ? ec.message() : "not a directory"));
  }
  DOPPEL_TRY(report::remove_stale_temporaries(opt_.output_dir));  // left by a killed run
  std::optional<tbb::global_control> threads;
  if (opt_.threads > 0) threads.emplace(tbb::global_control::max_allowed_parallelism, opt_.threads);
  struct SpoolCleanup {
    std::string* path;
    ~SpoolCleanup() {
      if (!path->empty()) fs::remove(*path);
    }
  } cleanup{&stdin_spool_};

  auto t = Clock::now();
  DOPPEL_TRY(read_and_sketch());
  t_read_ = seconds_since(t) - t_boilerplate_;  // less learn_boilerplate_first's pass

  if (opt_.boilerplate == BoilerplateMode::kAuto) {
    t = Clock::now();
    DOPPEL_TRY(boilerplate_pass());
    t_boilerplate_ += seconds_since(t);
  }

  t = Clock::now();
  group_exact();
  std::vector<index::CandidatePair> candidates;
  DOPPEL_TRY(find_candidates(candidates));
  t_candidates_ = seconds_since(t);

  t = Clock::now();
  verify_candidates(candidates);
  std::vector<index::CandidatePair>().swap(candidates);
  t_verify_ = seconds_since(t);
  release_shingle_sets();

  t = Clock::now();
  build_clusters();
  t_cluster_ = seconds_since(t);

  if (opt_.level == Level::kStory) {
    t = Clock::now();
    group_stories();
    t_story_ = seconds_since(t);
  }

  write_start_ = Clock::now();
  DOPPEL_TRY(write_outputs());
  inputs_->release_decompressed();

  DedupSummary s;
  s.documents_read = records_seen_;
  s.documents = docs_.size();
  s.kept = components_.members.size();
  const KindCounts counts = count_duplicates();
  s.duplicates_exact = counts.exact;
  s.duplicates_near = counts.near;
  s.duplicates_contained = counts.contained;
  s.clusters = counts.clusters_with_duplicates;
  s.rejected = rejected_.size();
  s.repaired = repaired_;
  s.pairs = pairs_.size();
  s.boilerplate_lines = boilerplate_.lines().size();
  s.mostly_boilerplate = static_cast<uint64_t>(std::count_if(docs_.begin(), docs_.end(), [](const Doc& d) { return d.only_boilerplate; }));
  s.stories = stories_;
  s.input_bytes = input_bytes_;
  s.seconds = seconds_since(start_);
  s.output_dir = opt_.output_dir;
  return s;
}

}  // namespace
}  // namespace pipeline

Result<DedupSummary> run_dedup(const DedupOptions& options) {
  pipeline::DedupRun run(options);
  return run.run();
}

}  // namespace doppel
