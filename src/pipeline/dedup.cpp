// File: pipeline/dedup.cpp
//
// run_dedup(): the stages in order, each a named function.
//
//   read_and_sketch      documents -> per-document shingle set, exact hash, MinHash
//   group_exact          identical normalised texts -> one leader per group
//   find_candidates      Jaccard LSH + containment index over the leaders
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

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <numeric>
#include <optional>
#include <thread>
#include <unordered_map>

#include <unistd.h>

#include "cluster/cluster.hpp"
#include "doppel/dedup.hpp"
#include "doppel/version.hpp"
#include "index/lsh.hpp"
#include "io/reader.hpp"
#include "match/verify.hpp"
#include "pipeline/document_stage.hpp"
#include "report/json.hpp"
#include "report/output_file.hpp"
#include "sketch/minhash.hpp"

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

// Records are processed in batches: large enough to keep both cores busy,
// small enough that the original texts of one batch are all we hold in memory.
constexpr size_t kBatchBytes = 16 << 20;
constexpr size_t kBatchDocs = 8192;

struct Doc {
  std::string id;
  io::SourcePos pos;
  uint64_t text_bytes = 0;        // original text
  uint64_t normalized_bytes = 0;  // what --keep longest compares: padding and markup do not count
  std::optional<io::FieldValue> keep_value;
  core::Hash128 exact;
  std::vector<uint64_t> shingles;
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
  explicit DedupRun(const DedupOptions& options) : opt_(options), hasher_(options.num_perm) {}

  Result<DedupSummary> run();

 private:
  Status validate();
  Status read_and_sketch();
  Status process_batch(std::vector<io::Record>& batch);
  Status reject(Rejection r);
  void group_exact();
  Status find_candidates(std::vector<index::CandidatePair>& candidates);
  void verify_candidates(const std::vector<index::CandidatePair>& candidates);
  void build_clusters();
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
  void message(const std::string& m) const {
    if (opt_.on_message) opt_.on_message(m);
  }

  const DedupOptions& opt_;
  sketch::MinHasher hasher_;
  ShingleConfig shingle_config_;
  std::unique_ptr<io::InputSet> inputs_;
  std::string stdin_spool_;

  std::vector<Doc> docs_;
  std::vector<uint32_t> signatures_;  // docs_.size() rows of num_perm values
  std::unordered_map<std::string, uint32_t> id_index_;
  std::vector<Rejection> rejected_;
  uint64_t records_seen_ = 0;
  uint64_t repaired_ = 0;
  uint64_t input_bytes_ = 0;

  std::vector<uint32_t> leader_of_;  // per doc: first doc with the same exact hash
  std::vector<uint32_t> leaders_;
  index::Banding banding_;
  uint64_t candidate_count_ = 0;
  std::vector<VerifiedPair> pairs_;

  cluster::Components components_;
  std::vector<uint32_t> representatives_;
  std::vector<cluster::Link> links_;
  std::vector<cluster::Edge> edges_;

  Clock::time_point start_ = Clock::now();
  Clock::time_point write_start_;
  double t_read_ = 0, t_candidates_ = 0, t_verify_ = 0, t_cluster_ = 0, t_write_ = 0;
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
  if (opt_.keep == KeepPolicy::kEarliest && opt_.keep_field.empty()) {
    return invalid_argument("--keep earliest:FIELD needs a field name");
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
  if (opt_.keep == KeepPolicy::kEarliest) ropt.extra_fields.push_back(opt_.keep_field);
  if (std::find(opt_.inputs.begin(), opt_.inputs.end(), "-") != opt_.inputs.end()) {
    stdin_spool_ = (fs::path(opt_.output_dir) / fmt::format(".doppel-stdin-{}.jsonl", ::getpid())).string();
    ropt.stdin_spool_path = stdin_spool_;
  }
  inputs_ = std::make_unique<io::InputSet>(opt_.inputs, ropt);
  DOPPEL_TRY(inputs_->open());

  std::vector<io::Record> batch;
  size_t batch_bytes = 0;
  auto last_progress = Clock::now();
  auto on_record = [&](io::Record&& r) -> Status {
    ++records_seen_;
    batch_bytes += r.text.size();
    batch.push_back(std::move(r));
    if (batch.size() >= kBatchDocs || batch_bytes >= kBatchBytes) {
      DOPPEL_TRY(process_batch(batch));
      batch_bytes = 0;
      if (opt_.on_progress && seconds_since(last_progress) > 0.2) {
        last_progress = Clock::now();
        opt_.on_progress({records_seen_, input_bytes_, seconds_since(start_), false});
      }
    }
    return Status::ok();
  };
  auto on_problem = [&](const io::Problem& p) -> Status {
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
  };
  DOPPEL_TRY(inputs_->for_each(on_record, on_problem));
  DOPPEL_TRY(process_batch(batch));
  if (opt_.on_progress) opt_.on_progress({records_seen_, input_bytes_, seconds_since(start_), true});
  return Status::ok();
}

Status DedupRun::process_batch(std::vector<io::Record>& batch) {
  if (batch.empty()) return Status::ok();
  const int k = opt_.num_perm;
  std::vector<ProcessedDocument> processed(batch.size());
  std::vector<uint32_t> sigs(batch.size() * k);
  tbb::enumerable_thread_specific<DocumentScratch> scratch;
  tbb::parallel_for(tbb::blocked_range<size_t>(0, batch.size(), 16), [&](const tbb::blocked_range<size_t>& r) {
    DocumentScratch& s = scratch.local();
    for (size_t i = r.begin(); i != r.end(); ++i) {
      process_document(batch[i].text, shingle_config_, s, processed[i]);
      hasher_.sketch(processed[i].shingles, std::span<uint32_t>(sigs.data() + i * k, k));
    }
  });

  // Serial, in input order: id checks and appending keep the numbering canonical.
  for (size_t i = 0; i < batch.size(); ++i) {
    io::Record& r = batch[i];
    const std::string& file = inputs_->files()[r.pos.file_index].display;
    std::optional<uint64_t> line = r.pos.line ? std::optional<uint64_t>(r.pos.line) : std::nullopt;
    if (processed[i].empty) {
      DOPPEL_TRY(reject({file, line, r.pos.offset, r.id,
                         r.text.empty() ? "empty document: the text is empty"
                                        : "empty document: no words left after normalisation"}));
      continue;
    }
    auto [it, inserted] = id_index_.try_emplace(r.id, static_cast<uint32_t>(docs_.size()));
    if (!inserted) {
      const Doc& first = docs_[it->second];
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
    d.normalized_bytes = processed[i].normalized_bytes;
    if (!r.fields.empty()) d.keep_value = std::move(r.fields[0]);
    d.exact = processed[i].exact;
    d.shingles = std::move(processed[i].shingles);
    d.shingles.shrink_to_fit();
    input_bytes_ += d.text_bytes;
    docs_.push_back(std::move(d));
    signatures_.insert(signatures_.end(), sigs.begin() + i * k, sigs.begin() + (i + 1) * k);
  }
  batch.clear();
  return Status::ok();
}

void DedupRun::group_exact() {
  const uint32_t n = static_cast<uint32_t>(docs_.size());
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) {
    return std::tie(docs_[x].exact, x) < std::tie(docs_[y].exact, y);
  });
  leader_of_.assign(n, 0);
  for (uint32_t i = 0; i < n;) {
    uint32_t j = i;
    while (j < n && docs_[order[j]].exact == docs_[order[i]].exact) {
      leader_of_[order[j]] = order[i];  // order is ascending within a group
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
      p.overlap = {docs_[d].shingles.size(), docs_[d].shingles.size(), docs_[d].shingles.size()};
      pairs_.push_back(p);
    }
  }
}

Status DedupRun::find_candidates(std::vector<index::CandidatePair>& candidates) {
  const int k = opt_.num_perm;
  const uint32_t m = static_cast<uint32_t>(leaders_.size());
  std::vector<uint32_t> sigs(static_cast<size_t>(m) * k);
  index::ContainmentParams cp;
  cp.threshold = opt_.containment;
  cp.k = k;
  std::vector<std::span<const uint64_t>> bottoms(m);
  std::vector<uint32_t> sizes(m);
  for (uint32_t i = 0; i < m; ++i) {
    uint32_t d = leaders_[i];
    std::copy_n(signatures_.begin() + static_cast<size_t>(d) * k, k, sigs.begin() + static_cast<size_t>(i) * k);
    const auto& s = docs_[d].shingles;
    bottoms[i] = std::span<const uint64_t>(s.data(), index::containment_sketch_length(s, cp));
    sizes[i] = static_cast<uint32_t>(std::min<size_t>(s.size(), UINT32_MAX));
  }
  std::vector<uint32_t>().swap(signatures_);  // no longer needed: free before the index grows
  auto jc = index::jaccard_candidates(sigs, m, k, banding_);
  std::vector<uint32_t>().swap(sigs);
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

void DedupRun::verify_candidates(const std::vector<index::CandidatePair>& candidates) {
  std::vector<VerifiedPair> slots(candidates.size());
  std::vector<uint8_t> keep(candidates.size(), 0);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, candidates.size(), 64), [&](const tbb::blocked_range<size_t>& r) {
    for (size_t i = r.begin(); i != r.end(); ++i) {
      const auto& c = candidates[i];
      match::Overlap o = match::overlap(docs_[c.a].shingles, docs_[c.b].shingles);
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

int compare_keep_values(const std::optional<io::FieldValue>& x, const std::optional<io::FieldValue>& y) {
  // Missing values sort last; numbers before strings; numbers numerically.
  if (!x || !y) return x ? -1 : (y ? 1 : 0);
  bool xn = x->kind == io::FieldValue::Kind::kNumber, yn = y->kind == io::FieldValue::Kind::kNumber;
  if (xn != yn) return xn ? -1 : 1;
  if (xn) return x->number < y->number ? -1 : (x->number > y->number ? 1 : 0);
  int c = x->text.compare(y->text);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
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
  }
  return false;
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

Status DedupRun::write_clusters(report::OutputFile& f) {
  return write_jsonl(f, docs_.size(), [&](size_t d, report::JsonObject& o) {
    uint32_t c = components_.component_of[d];
    uint32_t rep = representatives_[c];
    o.field("id", docs_[d].id).field("cluster", c).field("representative", docs_[rep].id);
    o.field("duplicate", rep != d);
    const cluster::Link& link = links_[d];
    if (link.parent == cluster::kNone) {
      o.null_field("match").null_field("matched_with").null_field("jaccard").null_field("containment");
      return;
    }
    const VerifiedPair& p = pairs_[link.edge];
    o.field("match", to_string(p.kind)).field("matched_with", docs_[link.parent].id);
    o.field("jaccard", p.overlap.jaccard()).field("containment", p.overlap.max_containment());
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
  // Kept documents are re-read from the inputs instead of being held in memory;
  // JSONL records are copied byte for byte.
  const auto& files = inputs_->files();
  std::vector<std::vector<const Doc*>> kept_by_file(files.size());
  for (uint32_t d = 0; d < docs_.size(); ++d) {
    if (representatives_[components_.component_of[d]] == d) kept_by_file[docs_[d].pos.file_index].push_back(&docs_[d]);
  }
  std::string line;
  for (uint32_t fi = 0; fi < files.size(); ++fi) {
    const auto& kept = kept_by_file[fi];
    if (kept.empty()) continue;
    size_t next = 0;  // kept docs of a file are in stream order, as for_each_raw
    DOPPEL_TRY(inputs_->for_each_raw(fi, [&](const io::SourcePos& pos, std::string_view raw) -> Status {
      if (next >= kept.size() || kept[next]->pos.offset != pos.offset || kept[next]->pos.line != pos.line) {
        return Status::ok();
      }
      const Doc& d = *kept[next++];
      if (files[fi].format == io::InputFormat::kJsonl) {
        DOPPEL_TRY(f.write(raw));
        return f.write("\n");
      }
      line.clear();
      std::string text;
      io::repair_utf8(raw, text);
      if (text.size() >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0) text.erase(0, 3);
      report::JsonObject o(line);
      o.field("id", d.id).field("text", text);
      o.close();
      line.push_back('\n');
      return f.write(line);
    }));
    if (next != kept.size()) {
      return io_error(fmt::format("input changed during the run: {} no longer holds record {}", files[fi].display,
                                  kept[next]->id));
    }
  }
  return Status::ok();
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
    o.field("lsh_bands", banding_.bands).field("lsh_rows", banding_.rows);
    o.field("lsh_probability_at_threshold", banding_.p_at_threshold);
    std::string keep = opt_.keep == KeepPolicy::kLongest ? "longest"
                       : opt_.keep == KeepPolicy::kFirst ? "first"
                                                         : "earliest:" + opt_.keep_field;
    o.field("keep", keep).field("id_field", opt_.id_field).field("text_field", opt_.text_field);
    o.field("minhash_seed", fmt::format("{:#018x}", sketch::kMinHashSeed));
    o.close();
  }
  {
    report::JsonObject o(timings);
    o.field("read_and_sketch", t_read_).field("candidates", t_candidates_).field("verify", t_verify_);
    o.field("cluster", t_cluster_).field("write", t_write_).field("total", seconds_since(start_)).close();
  }
  {
    // Everything that may differ between two runs on the same input lives here.
    report::JsonObject o(runtime);
    int threads = opt_.threads > 0 ? opt_.threads : static_cast<int>(std::thread::hardware_concurrency());
    o.field("threads", threads).raw_field("seconds", timings).close();
  }
  report::JsonObject o(s);
  o.field("version", version());
  o.field("documents_read", records_seen_).field("documents", static_cast<uint64_t>(docs_.size()));
  o.field("kept", static_cast<uint64_t>(components_.members.size()));
  o.raw_field("duplicates", dups);
  o.field("rejected", static_cast<uint64_t>(rejected_.size())).field("repaired", repaired_);
  o.field("clusters", static_cast<uint64_t>(components_.members.size())).field("clusters_with_duplicates", counts.clusters_with_duplicates);
  o.field("pairs", static_cast<uint64_t>(pairs_.size())).field("candidate_pairs", candidate_count_);
  o.field("input_bytes", input_bytes_).field("skipped_files", inputs_ ? inputs_->skipped_files() : 0);
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
  DOPPEL_TRY(write_clusters(*clusters));
  DOPPEL_ASSIGN_OR_RETURN(auto pairs, create("pairs.jsonl"));
  DOPPEL_TRY(write_pairs(*pairs));
  DOPPEL_ASSIGN_OR_RETURN(auto kept, opt_.compress_kept ? create("kept.jsonl.zst", report::Compression::kZstd)
                                                        : create("kept.jsonl"));
  DOPPEL_TRY(write_kept(*kept));
  DOPPEL_ASSIGN_OR_RETURN(auto rejected, create("rejected.jsonl"));
  DOPPEL_TRY(write_rejected(*rejected));
  DOPPEL_ASSIGN_OR_RETURN(auto summary, create("summary.json"));
  t_write_ = seconds_since(write_start_);
  DOPPEL_TRY(summary->write(summary_json()));
  for (auto* f : {clusters.get(), pairs.get(), kept.get(), rejected.get(), summary.get()}) DOPPEL_TRY(f->commit());
  return Status::ok();
}

Result<DedupSummary> DedupRun::run() {
  DOPPEL_TRY(validate());
  std::error_code ec;
  fs::create_directories(opt_.output_dir, ec);
  if (ec || !fs::is_directory(opt_.output_dir)) {
    return io_error(fmt::format("cannot create output directory {}: {}", opt_.output_dir,
                                ec ? ec.message() : "not a directory"));
  }
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
  t_read_ = seconds_since(t);

  t = Clock::now();
  group_exact();
  std::vector<index::CandidatePair> candidates;
  DOPPEL_TRY(find_candidates(candidates));
  t_candidates_ = seconds_since(t);

  t = Clock::now();
  verify_candidates(candidates);
  std::vector<index::CandidatePair>().swap(candidates);
  t_verify_ = seconds_since(t);

  t = Clock::now();
  build_clusters();
  t_cluster_ = seconds_since(t);

  write_start_ = Clock::now();
  DOPPEL_TRY(write_outputs());

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
