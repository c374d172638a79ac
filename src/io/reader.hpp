// File: io/reader.hpp
//
// Turns the user's INPUT arguments into a deterministic stream of documents.
//
// An input is a directory (walked recursively, entries in byte order of their
// relative path; `*.txt` files are one document each, `*.jsonl`, `*.ndjson`,
// `*.jsonl.gz`, `*.jsonl.zst` are JSONL; any other file is skipped and counted),
// a file (`.txt` -> one document; anything else is JSONL, compression detected
// from the magic bytes: gzip 1f 8b, zstd 28 b5 2f fd), or "-" for JSONL on stdin.
//
// Nothing is lost silently: each record becomes either a `Record` (possibly with
// repairs noted) or a `Problem` naming the file, line and byte offset.
//
//   doppel::io::ReaderOptions opts;
//   doppel::io::InputSet inputs({"corpus/", "extra.jsonl.zst"}, opts);
//   Status s = inputs.for_each([&](Record&& r) { ... return Status::ok(); },
//                              [&](const Problem& p) { ... return Status::ok(); });
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "doppel/status.hpp"

namespace doppel::io {

namespace detail {
struct ReadContext;  // buffers and parser reused across the files of one pass
class DecodedCopy;   // a compressed file's decompressed bytes (io/stream.hpp)
}  // namespace detail

enum class InputFormat { kText, kJsonl };

struct ReaderOptions {
  std::string id_field = "id";
  std::string text_field = "text";
  // Extra top-level JSON fields to capture per record (e.g. the FIELD of
  // --keep earliest:FIELD). Values land in Record::fields, same order.
  std::vector<std::string> extra_fields;
  // Records whose text is larger than this are rejected ("document too large").
  uint64_t max_doc_bytes = uint64_t{1} << 30;
  // Where stdin ("-") is spooled so it can be read twice (kept.jsonl pass).
  // Empty: stdin is read once, and `for_each_raw` on it fails.
  std::string stdin_spool_path;
  // Decompressed bytes of compressed JSONL inputs (gzip, zstd; stdin too) that
  // for_each keeps in memory, in all, so that later passes over those files
  // (for_each_at, with_record_bytes) read them from memory instead of
  // decompressing again. Files are kept in input order, each if it fits in
  // what the files before it left; a file whose stream was damaged or that
  // holds a line over the size limit is not kept. 0 keeps none.
  uint64_t keep_decompressed_bytes = 0;
};

// Where a record came from. Lines are 1-based; 0 means "not line-oriented"
// (a .txt document or a whole-file problem). Offsets are byte offsets into the
// (decompressed) stream of the record's first byte.
struct SourcePos {
  uint32_t file_index = 0;  // index into InputSet::files()
  uint64_t line = 0;
  uint64_t offset = 0;
  uint64_t length = 0;      // bytes of the raw record (line without '\n', or whole file)
};

// A captured extra field: strings are unescaped, numbers/bools keep their JSON spelling.
struct FieldValue {
  enum class Kind { kString, kNumber, kOther } kind = Kind::kOther;
  std::string text;
  double number = 0;  // valid when kind == kNumber
};

struct Record {
  std::string id;
  std::string text;  // always valid UTF-8 (repaired if needed)
  SourcePos pos;
  std::vector<std::optional<FieldValue>> fields;  // one per ReaderOptions::extra_fields
  uint32_t utf8_repairs = 0;  // invalid UTF-8 sequences replaced by U+FFFD
  uint32_t nul_repairs = 0;   // NUL characters replaced by U+FFFD
};

// A record (or file) that could not be used, or a repair worth telling the user about.
struct Problem {
  enum class Severity { kRejected, kRepaired, kSkippedFile };
  Severity severity = Severity::kRejected;
  std::string file;                  // display path of the input file
  std::optional<uint64_t> line;      // 1-based; nullopt when not line-oriented
  std::optional<uint64_t> offset;    // byte offset in the (decompressed) stream
  std::string id;                    // record id when known
  std::string reason;                // human-readable: what was wrong
};

// One input file after directory expansion.
struct InputFile {
  std::string path;          // path to open ("-" for stdin)
  std::string display;       // path as shown to users ("<stdin>" for stdin)
  std::string id_prefix;     // for .txt: id = relative path without extension
  InputFormat format = InputFormat::kJsonl;
};

using RecordFn = std::function<Status(Record&&)>;
using ProblemFn = std::function<Status(const Problem&)>;
// raw bytes of one line (JSONL) or whole file (.txt), with its position.
using RawFn = std::function<Status(const SourcePos&, std::string_view raw)>;

// The raw bytes of one JSONL input, readable at any record's offset: an
// uncompressed file on disk, or a compressed input's decompressed bytes that
// the first pass kept in memory (ReaderOptions::keep_decompressed_bytes).
class RecordBytes {
 public:
  explicit RecordBytes(int fd) : fd_(fd) {}
  explicit RecordBytes(std::string_view memory) : memory_(memory), in_memory_(true) {}
  // Bytes [offset, offset + length) into `out`. Returns 0 or the errno of a
  // failed read; `got` < length means the input ends first (it changed since
  // the offsets were taken).
  int read(uint64_t offset, char* out, size_t length, size_t& got) const;
  bool in_memory() const { return in_memory_; }

 private:
  int fd_ = -1;
  std::string_view memory_;
  bool in_memory_ = false;
};

class InputSet {
 public:
  InputSet(std::vector<std::string> inputs, ReaderOptions options);
  ~InputSet();

  // Expands directories. Missing inputs are a hard error (kNotFound naming the path).
  // Unreadable files found while walking are reported as Problems later, not here.
  Status open();
  const std::vector<InputFile>& files() const { return files_; }
  uint64_t skipped_files() const { return skipped_files_; }

  // Streams every record of every file, in order. A callback returning a non-ok
  // Status stops the walk and that Status is returned. Read errors (truncated
  // archive, unreadable file) are reported through `on_problem` and the walk
  // continues with the next file.
  Status for_each(const RecordFn& on_record, const ProblemFn& on_problem);

  // Second pass: streams the raw bytes of the records of file `file_index`
  // (JSONL lines, blank lines excluded; whole .txt files). Used to write kept
  // records byte for byte without keeping them in memory.
  Status for_each_raw(uint32_t file_index, const RawFn& on_raw);

  // Another pass over some records only: those at `positions` (as an earlier
  // for_each delivered them, in stream order), delivered again in that order
  // with the same id, text and fields. Uncompressed JSONL files are read at each
  // record's offset, so a few records of a large file cost a few reads; .txt
  // files are read whole; compressed files and stdin (its spool) stream up to
  // their last listed record. Problems are not reported again. A listed record
  // that is no longer there means the input changed: an io error naming it.
  Status for_each_at(std::span<const SourcePos> positions, const RecordFn& on_record);

  // For a JSONL input whose records can be read by offset: an uncompressed
  // file on disk (not stdin, not compressed under any name), opened again and
  // checked to be unchanged since the first pass, or a compressed input whose
  // decompressed bytes for_each kept. Calls `use(bytes)`, in which a record's
  // raw bytes (as for_each_raw delivers them) are [offset, offset + length), so
  // a caller can read just the records it needs. Any other file: false, `use`
  // is not called.
  Result<bool> with_record_bytes(uint32_t file_index, const std::function<Status(const RecordBytes&)>& use);

  // Decompressed bytes kept in memory now (see keep_decompressed_bytes).
  uint64_t kept_decompressed_bytes() const { return decompressed_total_; }
  // Frees them; later passes decompress again.
  void release_decompressed();

 private:
  // What a file looked like when it was first read, so the second pass can
  // tell that it changed; damage_line remembers where for_each met damage.
  struct FileStamp {
    bool known = false;
    bool regular = false;
    uint64_t size = 0;
    int64_t mtime_ns = 0;
    uint64_t device = 0;
    uint64_t inode = 0;
    uint64_t damage_line = 0;  // 0: none seen
  };
  // An unreadable directory met while walking, reported in for_each before files_[before_file].
  struct PendingProblem {
    size_t before_file = 0;
    Problem problem;
  };

  // `first_pass`: for_each's pass, which may keep the decompressed bytes.
  Status read_jsonl_file(uint32_t index, detail::ReadContext& context, const RecordFn& on_record,
                         const ProblemFn& on_problem, bool first_pass = false);
  // for_each_at() for the records of one file.
  Status read_again(uint32_t index, std::span<const SourcePos> positions, detail::ReadContext& context,
                    const RecordFn& on_record);
  // Ok when `fd` (file `index`, opened again) is a regular file and still the one the first pass read.
  Status check_unchanged(uint32_t index, int fd) const;
  Status read_text_file(uint32_t index, const RecordFn& on_record, const ProblemFn& on_problem);
  Status walk_directory(const std::string& root);

  std::vector<std::string> inputs_;
  ReaderOptions options_;
  std::vector<InputFile> files_;
  std::vector<FileStamp> stamps_;
  std::vector<PendingProblem> walk_problems_;
  // Per file: its decompressed bytes when for_each kept them, else null.
  std::vector<std::unique_ptr<detail::DecodedCopy>> decompressed_;
  uint64_t decompressed_total_ = 0;  // their bytes, in all
  uint64_t skipped_files_ = 0;
  bool opened_ = false;
};


// Replaces every invalid UTF-8 sequence in `bytes` with U+FFFD (maximal-subpart
// rule, as in the Unicode standard) and NUL with U+FFFD. Returns the counts.
struct Utf8Repair {
  uint32_t invalid_sequences = 0;
  uint32_t nuls = 0;
  uint64_t first_bad_offset = 0;  // offset in `bytes` of the first problem
};
Utf8Repair repair_utf8(std::string_view bytes, std::string& out);

}  // namespace doppel::io
