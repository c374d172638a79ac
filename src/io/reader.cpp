// File: io/reader.cpp
//
// InputSet: expands inputs into files, then streams records (first pass) or
// raw record bytes (second pass). Per-file damage becomes a Problem and the
// walk goes on; only callback failures and broken stdin spooling stop a pass.
#include "io/reader.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "io/jsonl.hpp"
#include "io/stream.hpp"
#include "io/utf8.hpp"

namespace doppel::io {
namespace detail {

struct ReadContext {
  explicit ReadContext(const ReaderOptions& options) : parser(options) {}
  DecodedStream stream;
  ByteBuffer line_buffer;
  JsonlParser parser;
};

}  // namespace detail

namespace {

constexpr std::string_view kStdinDisplay = "<stdin>";
constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr uint64_t kLineSlack = uint64_t{1} << 20;  // JSON syntax around an accepted text
constexpr size_t kKeepLineBufferBelow = size_t{64} << 20;

// Owns a descriptor, except stdin which belongs to the process.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd, bool owned = true) : fd_(fd), owned_(owned) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
      owned_ = other.owned_;
    }
    return *this;
  }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0 && owned_) ::close(fd_);
    fd_ = -1;
  }
  // Closes now and reports a failed close (it can mean lost writes).
  int close_checked() {
    int err = 0;
    if (fd_ >= 0 && owned_ && ::close(fd_) != 0) err = errno;
    fd_ = -1;
    return err;
  }

 private:
  int fd_ = -1;
  bool owned_ = true;
};

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

enum class EntryKind { kText, kJsonl, kOther };

EntryKind classify(std::string_view name) {
  if (ends_with(name, ".txt")) return EntryKind::kText;
  for (const std::string_view ext : {".jsonl", ".ndjson", ".jsonl.gz", ".jsonl.zst", ".ndjson.gz",
                                     ".ndjson.zst"}) {
    if (ends_with(name, ext)) return EntryKind::kJsonl;
  }
  return EntryKind::kOther;
}

detail::Compression compression_hint(std::string_view path) {
  if (ends_with(path, ".gz")) return detail::Compression::kGzip;
  if (ends_with(path, ".zst")) return detail::Compression::kZstd;
  return detail::Compression::kUnknown;
}

uint64_t saturating_add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

std::string plural(uint64_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

// Opens for reading; a directory counts as unreadable (open() would accept it).
int open_for_reading(const std::string& path, Fd& fd, struct stat& st) {
  if (path == "-") {
    fd = Fd(STDIN_FILENO, /*owned=*/false);
  } else {
    const int raw = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (raw < 0) return errno;
    fd = Fd(raw);
  }
  if (::fstat(fd.get(), &st) != 0) return errno;
  if (S_ISDIR(st.st_mode)) return EISDIR;
  return 0;
}

}  // namespace

int RecordBytes::read(uint64_t offset, char* out, size_t length, size_t& got) const {
  got = 0;
  if (in_memory_) {
    if (offset < memory_.size()) got = std::min<uint64_t>(length, memory_.size() - offset);
    if (got > 0) std::memcpy(out, memory_.data() + offset, got);
    return 0;
  }
  while (got < length) {
    const ssize_t n = ::pread(fd_, out + got, length - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  return 0;
}

namespace {

// Reads to end of file (regular files or pipes). Stops early once more than
// `limit` bytes arrived, setting `over_limit`.
int read_all(int fd, uint64_t size_hint, uint64_t limit, std::string& out, bool& over_limit) {
  out.clear();
  over_limit = false;
  size_t used = 0;
  out.resize(static_cast<size_t>(std::min<uint64_t>(size_hint, limit)) + 1);
  while (true) {
    if (used == out.size()) {
      if (used > limit) {
        over_limit = true;
        break;
      }
      out.resize(std::max<size_t>(out.size() * 2, size_t{1} << 16));
    }
    const ssize_t n = ::read(fd, out.data() + used, out.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  out.resize(used);
  if (used > limit) over_limit = true;
  return 0;
}

void fill_stamp(const struct stat& st, bool& known, bool& regular, uint64_t& size, int64_t& mtime_ns,
                uint64_t& device, uint64_t& inode) {
  known = true;
  regular = S_ISREG(st.st_mode);
  size = static_cast<uint64_t>(st.st_size);
  mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  device = st.st_dev;
  inode = st.st_ino;
}

Problem make_problem(Problem::Severity severity, const InputFile& file, std::string reason) {
  Problem p;
  p.severity = severity;
  p.file = file.display;
  p.reason = std::move(reason);
  return p;
}

}  // namespace

InputSet::InputSet(std::vector<std::string> inputs, ReaderOptions options)
    : inputs_(std::move(inputs)), options_(std::move(options)) {}

InputSet::~InputSet() = default;

void InputSet::release_decompressed() {
  for (auto& copy : decompressed_) copy.reset();
  decompressed_total_ = 0;
}

Status InputSet::open() {
  files_.clear();
  stamps_.clear();
  walk_problems_.clear();
  decompressed_.clear();
  decompressed_total_ = 0;
  skipped_files_ = 0;
  opened_ = false;
  bool stdin_seen = false;
  for (const std::string& input : inputs_) {
    if (input == "-") {
      if (stdin_seen) return invalid_argument("stdin (\"-\") can be given only once");
      stdin_seen = true;
      files_.push_back(InputFile{"-", std::string(kStdinDisplay), "", InputFormat::kJsonl});
      stamps_.emplace_back();
      continue;
    }
    struct stat st;
    if (::stat(input.c_str(), &st) != 0) {
      const int err = errno;
      if (err == ENOENT || err == ENOTDIR) return not_found(fmt::format("input not found: {}", input));
      return io_error(fmt::format("cannot access input {}: {}", input, std::strerror(err)));
    }
    if (S_ISDIR(st.st_mode)) {
      DOPPEL_TRY(walk_directory(input));
      continue;
    }
    if (!S_ISREG(st.st_mode)) {
      // A named pipe or device cannot be read a second time for kept.jsonl, and
      // reopening a FIFO would wait for a new writer forever (docs/reliability.md).
      return invalid_argument(fmt::format(
          "input {} is not a regular file (a pipe or device): doppel reads its inputs twice; "
          "pipe JSONL to its standard input with - instead", input));
    }
    const std::string_view name = std::string_view(input).substr(input.rfind('/') + 1);
    InputFile file{input, input, "", InputFormat::kJsonl};
    if (ends_with(name, ".txt")) {
      file.format = InputFormat::kText;
      file.id_prefix = std::string(name.substr(0, name.size() - 4));
    }
    files_.push_back(std::move(file));
    FileStamp stamp;
    fill_stamp(st, stamp.known, stamp.regular, stamp.size, stamp.mtime_ns, stamp.device, stamp.inode);
    stamps_.push_back(stamp);
  }
  decompressed_.resize(files_.size());
  opened_ = true;
  return Status::ok();
}

Status InputSet::walk_directory(const std::string& root) {
  struct Entry {
    std::string rel;
    EntryKind kind = EntryKind::kOther;
    int open_error = 0;  // a directory that could not be listed
  };
  std::vector<Entry> entries;
  const std::string base = ends_with(root, "/") ? root : root + "/";

  // Iterative, so deep trees cannot exhaust the stack. Symlinks are not
  // followed into directories (no cycles); a link whose name looks like an
  // input is opened like a file later, and fails there if it is not one.
  std::vector<std::string> pending{""};
  while (!pending.empty()) {
    const std::string rel_dir = std::move(pending.back());
    pending.pop_back();
    const std::string dir_path = rel_dir.empty() ? root : base + rel_dir;
    DIR* dir = ::opendir(dir_path.c_str());
    if (dir == nullptr) {
      entries.push_back(Entry{rel_dir, EntryKind::kOther, errno});
      continue;
    }
    errno = 0;
    while (const dirent* de = ::readdir(dir)) {
      const std::string_view name = de->d_name;
      if (name == "." || name == "..") continue;
      std::string rel = rel_dir.empty() ? std::string(name) : rel_dir + "/" + std::string(name);
      unsigned char type = de->d_type;
      if (type == DT_UNKNOWN) {
        struct stat st;
        if (::lstat((base + rel).c_str(), &st) == 0) {
          type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : S_ISLNK(st.st_mode) ? DT_LNK : DT_FIFO;
        }
      }
      if (type == DT_DIR) {
        pending.push_back(std::move(rel));
        continue;
      }
      const EntryKind kind = classify(name);
      if ((type != DT_REG && type != DT_LNK && type != DT_UNKNOWN) || kind == EntryKind::kOther) {
        ++skipped_files_;
        continue;
      }
      entries.push_back(Entry{std::move(rel), kind, 0});
    }
    ::closedir(dir);
  }
  // std::string compares bytes as unsigned char: byte order of relative paths.
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.rel < b.rel; });

  for (Entry& e : entries) {
    if (e.open_error != 0) {
      Problem p;
      p.severity = Problem::Severity::kRejected;
      p.file = e.rel.empty() ? root : base + e.rel;
      p.reason = fmt::format("cannot open: {}", std::strerror(e.open_error));
      walk_problems_.push_back(PendingProblem{files_.size(), std::move(p)});
      continue;
    }
    InputFile file;
    file.path = base + e.rel;
    file.display = file.path;
    if (e.kind == EntryKind::kText) {
      file.format = InputFormat::kText;
      file.id_prefix = e.rel.substr(0, e.rel.size() - 4);
    }
    FileStamp stamp;
    struct stat st;
    if (::stat(file.path.c_str(), &st) == 0) {
      // A link to a pipe, socket or device is no document file (and opening a
      // FIFO would block until a writer appears): skipped like one met directly.
      if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
        ++skipped_files_;
        continue;
      }
      fill_stamp(st, stamp.known, stamp.regular, stamp.size, stamp.mtime_ns, stamp.device,
                 stamp.inode);
    }
    files_.push_back(std::move(file));
    stamps_.push_back(stamp);
  }
  if (files_.size() > UINT32_MAX) return invalid_argument("too many input files");
  return Status::ok();
}

Status InputSet::for_each(const RecordFn& on_record, const ProblemFn& on_problem) {
  if (!opened_) DOPPEL_TRY(open());
  detail::ReadContext context(options_);
  size_t next_pending = 0;
  for (size_t i = 0; i < files_.size(); ++i) {
    while (next_pending < walk_problems_.size() && walk_problems_[next_pending].before_file <= i) {
      DOPPEL_TRY(on_problem(walk_problems_[next_pending++].problem));
    }
    const auto index = static_cast<uint32_t>(i);
    if (files_[i].format == InputFormat::kText) {
      DOPPEL_TRY(read_text_file(index, on_record, on_problem));
    } else {
      DOPPEL_TRY(read_jsonl_file(index, context, on_record, on_problem, /*first_pass=*/true));
    }
  }
  while (next_pending < walk_problems_.size()) {
    DOPPEL_TRY(on_problem(walk_problems_[next_pending++].problem));
  }
  return Status::ok();
}


Status InputSet::read_text_file(uint32_t index, const RecordFn& on_record,
                                const ProblemFn& on_problem) {
  const InputFile& file = files_[index];
  FileStamp& stamp = stamps_[index];
  Fd fd;
  struct stat st;
  if (const int err = open_for_reading(file.path, fd, st)) {
    Problem p = make_problem(Problem::Severity::kRejected, file,
                             fmt::format("cannot open: {}", std::strerror(err)));
    p.id = file.id_prefix;
    return on_problem(p);
  }
  fill_stamp(st, stamp.known, stamp.regular, stamp.size, stamp.mtime_ns, stamp.device, stamp.inode);

  const uint64_t limit = saturating_add(options_.max_doc_bytes, kBom.size());
  std::string raw;
  bool over_limit = false;
  const uint64_t size_hint = S_ISREG(st.st_mode) ? static_cast<uint64_t>(st.st_size) : 0;
  if (S_ISREG(st.st_mode) && size_hint > limit) {
    over_limit = true;  // no need to read what will be rejected
  } else if (const int err = read_all(fd.get(), size_hint, limit, raw, over_limit)) {
    Problem p = make_problem(Problem::Severity::kRejected, file,
                             fmt::format("read error: {}", std::strerror(err)));
    p.id = file.id_prefix;
    return on_problem(p);
  }
  auto too_large = [&](uint64_t bytes, bool at_least) {
    Problem p = make_problem(
        Problem::Severity::kRejected, file,
        fmt::format("document too large ({}{} bytes > limit {})", at_least ? "at least " : "", bytes,
                    options_.max_doc_bytes));
    p.id = file.id_prefix;
    return on_problem(p);
  };
  if (over_limit) return too_large(S_ISREG(st.st_mode) ? size_hint : raw.size(), !S_ISREG(st.st_mode));

  Record rec;
  rec.id = file.id_prefix;
  rec.pos = SourcePos{index, 0, 0, raw.size()};
  const size_t skip = std::string_view(raw).substr(0, kBom.size()) == kBom ? kBom.size() : 0;
  const std::string_view body = std::string_view(raw).substr(skip);
  detail::Utf8RepairDetail repair;
  if (simdjson::validate_utf8(body.data(), body.size()) &&
      std::memchr(body.data(), '\0', body.size()) == nullptr) {
    raw.erase(0, skip);
    rec.text = std::move(raw);
  } else {
    repair = detail::repair_utf8_detail(body, rec.text, /*replace_nul=*/true);
    rec.utf8_repairs = repair.invalid_sequences;
    rec.nul_repairs = repair.nuls;
  }
  if (rec.text.size() > options_.max_doc_bytes) return too_large(rec.text.size(), false);
  if (rec.utf8_repairs > 0) {
    Problem p = make_problem(Problem::Severity::kRepaired, file,
                             fmt::format("invalid UTF-8 ({}) replaced with U+FFFD",
                                         plural(rec.utf8_repairs, "sequence", "sequences")));
    p.offset = skip + repair.first_invalid_offset;
    p.id = rec.id;
    DOPPEL_TRY(on_problem(p));
  }
  if (rec.nul_repairs > 0) {
    Problem p = make_problem(Problem::Severity::kRepaired, file,
                             fmt::format("{} replaced with U+FFFD",
                                         plural(rec.nul_repairs, "NUL character", "NUL characters")));
    p.offset = skip + repair.first_nul_offset;
    p.id = rec.id;
    DOPPEL_TRY(on_problem(p));
  }
  return on_record(std::move(rec));
}

Status InputSet::read_jsonl_file(uint32_t index, detail::ReadContext& context,
                                 const RecordFn& on_record, const ProblemFn& on_problem, bool first_pass) {
  const InputFile& file = files_[index];
  FileStamp& stamp = stamps_[index];
  const bool is_stdin = file.path == "-";
  // stdin can only be consumed once; a later pass (e.g. re-reading the documents
  // that hold boilerplate) replays it from the spool file written by the first.
  const bool replay = is_stdin && stamp.known && !options_.stdin_spool_path.empty();
  // A compressed file whose decompressed bytes an earlier whole pass kept (a
  // pass learning boilerplate first) is read from them: the same records, and
  // no second decompression. Its stamp stays the one that pass took.
  const detail::DecodedCopy* kept_copy = first_pass && !is_stdin ? decompressed_[index].get() : nullptr;
  Fd fd;
  struct stat st;
  if (kept_copy != nullptr) {
    // No file to open.
  } else if (const int err = open_for_reading(replay ? options_.stdin_spool_path : file.path, fd, st)) {
    return on_problem(make_problem(Problem::Severity::kRejected, file,
                                   fmt::format("cannot open: {}", std::strerror(err))));
  }
  Fd spool;
  if (kept_copy != nullptr || replay) {
    // The stamp the first pass took (of the spool, or of the file it kept) stays valid.
  } else if (is_stdin) {
    stamp = FileStamp{};
    if (!options_.stdin_spool_path.empty()) {
      const int raw = ::open(options_.stdin_spool_path.c_str(),
                             O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (raw < 0) {
        return io_error(fmt::format("cannot create the stdin spool file {}: {}",
                                    options_.stdin_spool_path, std::strerror(errno)));
      }
      spool = Fd(raw);
    }
  } else {
    fill_stamp(st, stamp.known, stamp.regular, stamp.size, stamp.mtime_ns, stamp.device,
               stamp.inode);
  }
  stamp.damage_line = 0;

  // One giant line earlier must not pin a giant buffer for every later file.
  if (context.line_buffer.capacity() > kKeepLineBufferBelow) context.line_buffer.release();
  // The first pass may keep a compressed file's decompressed bytes, within
  // what the files before it left of the limit.
  std::unique_ptr<detail::DecodedCopy> copy;
  if (first_pass && kept_copy == nullptr) {
    if (decompressed_[index]) decompressed_total_ -= decompressed_[index]->bytes().size();
    decompressed_[index].reset();
    const uint64_t kept = decompressed_total_;
    if (kept < options_.keep_decompressed_bytes) {
      copy = std::make_unique<detail::DecodedCopy>(options_.keep_decompressed_bytes - kept);
    }
  }
  detail::DecodedStream& stream = context.stream;
  if (kept_copy != nullptr) {
    stream.reset_memory(kept_copy->bytes());
  } else {
    stream.reset(fd.get(), spool.get(), compression_hint(file.path), copy.get());
  }
  detail::LineReader lines(stream, context.line_buffer,
                           saturating_add(options_.max_doc_bytes, kLineSlack));
  detail::Line line;
  while (true) {
    const detail::LineReader::Next next = lines.next(line);
    if (next == detail::LineReader::Next::kEnd) break;
    if (next == detail::LineReader::Next::kError) {
      if (stream.fatal()) return io_error(stream.error());
      Problem p = make_problem(Problem::Severity::kRejected, file, stream.error());
      if (lines.error_in_partial_line()) p.reason += " (the last record is incomplete)";
      p.line = lines.error_line();
      p.offset = lines.error_offset();
      stamp.damage_line = lines.error_line();
      DOPPEL_TRY(on_problem(p));
      break;
    }
    if (line.too_long) {
      Problem p = make_problem(Problem::Severity::kRejected, file,
                               fmt::format("document too large (line of {} bytes > limit {})",
                                           line.length, options_.max_doc_bytes));
      p.line = line.number;
      p.offset = line.offset;
      DOPPEL_TRY(on_problem(p));
      continue;
    }
    Record rec;
    rec.pos = SourcePos{index, line.number, line.offset, line.length};
    const detail::LineOutcome outcome = context.parser.parse(line.bytes, rec, /*in_byte_buffer=*/true);
    if (!outcome.ok) {
      Problem p = make_problem(Problem::Severity::kRejected, file, outcome.reason);
      p.line = line.number;
      p.offset = line.offset;
      if (outcome.has_id) p.id = rec.id;
      DOPPEL_TRY(on_problem(p));
      continue;
    }
    if (!outcome.has_id) rec.id = fmt::format("{}:{}", file.display, line.number);
    if (rec.utf8_repairs > 0) {
      Problem p = make_problem(Problem::Severity::kRepaired, file,
                               fmt::format("invalid UTF-8 ({}) replaced with U+FFFD",
                                           plural(rec.utf8_repairs, "sequence", "sequences")));
      p.line = line.number;
      p.offset = line.offset + outcome.first_invalid_utf8;
      p.id = rec.id;
      DOPPEL_TRY(on_problem(p));
    }
    if (rec.nul_repairs > 0) {
      // The NUL came from a \u0000 escape: its place in the line is not
      // known, so the line start is given.
      Problem p = make_problem(Problem::Severity::kRepaired, file,
                               fmt::format("{} in the text replaced with U+FFFD",
                                           plural(rec.nul_repairs, "NUL character", "NUL characters")));
      p.line = line.number;
      p.offset = line.offset;
      p.id = rec.id;
      DOPPEL_TRY(on_problem(p));
    }
    DOPPEL_TRY(on_record(std::move(rec)));
  }
  if (stream.fatal()) return io_error(stream.error());
  // Only a whole, undamaged stream is kept: records are then read back from
  // it exactly as this pass delivered them.
  if (copy && stream.compressed() && !stream.failed() && stamp.damage_line == 0 && !copy->overflowed()) {
    decompressed_total_ += copy->bytes().size();
    decompressed_[index] = std::move(copy);
  }

  if (is_stdin && spool.get() >= 0) {
    if (const int err = spool.close_checked()) {
      return io_error(fmt::format("cannot write the stdin spool file {}: {}",
                                  options_.stdin_spool_path, std::strerror(err)));
    }
    struct stat spool_st;
    if (::stat(options_.stdin_spool_path.c_str(), &spool_st) == 0) {
      const uint64_t damage = stamp.damage_line;
      fill_stamp(spool_st, stamp.known, stamp.regular, stamp.size, stamp.mtime_ns, stamp.device,
                 stamp.inode);
      stamp.damage_line = damage;
    }
  }
  return Status::ok();
}

Status InputSet::for_each_raw(uint32_t file_index, const RawFn& on_raw) {
  if (!opened_) DOPPEL_TRY(open());
  if (file_index >= files_.size()) {
    return invalid_argument(fmt::format("no input file with index {}", file_index));
  }
  const InputFile& file = files_[file_index];
  const FileStamp& stamp = stamps_[file_index];
  std::string path = file.path;
  if (path == "-") {
    if (options_.stdin_spool_path.empty()) {
      return invalid_argument("stdin cannot be read twice: no spool file was configured");
    }
    if (!stamp.known) return invalid_argument("stdin has not been read (and spooled) yet");
    path = options_.stdin_spool_path;
  }
  Fd fd;
  struct stat st;
  if (const int err = open_for_reading(path, fd, st)) {
    return io_error(fmt::format("cannot open {}: {}", file.display, std::strerror(err)));
  }
  DOPPEL_TRY(check_unchanged(file_index, fd.get()));

  if (file.format == InputFormat::kText) {
    std::string raw;
    bool over_limit = false;
    if (const int err = read_all(fd.get(), stamp.size, UINT64_MAX - 1, raw, over_limit)) {
      return io_error(fmt::format("cannot read {}: {}", file.display, std::strerror(err)));
    }
    if (raw.size() != stamp.size) {
      return io_error(fmt::format("input changed during the run: {}", file.display));
    }
    return on_raw(SourcePos{file_index, 0, 0, raw.size()}, raw);
  }

  detail::DecodedStream stream;
  detail::ByteBuffer buffer;
  stream.reset(fd.get(), -1, compression_hint(file.path));
  detail::LineReader lines(stream, buffer, saturating_add(options_.max_doc_bytes, kLineSlack));
  detail::Line line;
  while (true) {
    const detail::LineReader::Next next = lines.next(line);
    if (next == detail::LineReader::Next::kEnd) return Status::ok();
    if (next == detail::LineReader::Next::kError) {
      // The first pass met the same damage and reported it: every record
      // before it has now been delivered, as then.
      if (stamp.damage_line == lines.error_line()) return Status::ok();
      return data_error(fmt::format("{}: line {}: {}", file.display, lines.error_line(), stream.error()));
    }
    // Over-long lines were rejected unread in the first pass; they have no raw bytes.
    if (line.too_long) continue;
    DOPPEL_TRY(on_raw(SourcePos{file_index, line.number, line.offset, line.length}, line.bytes));
  }
}

Status InputSet::check_unchanged(uint32_t index, int fd) const {
  const InputFile& file = files_[index];
  const FileStamp& stamp = stamps_[index];
  struct stat st;
  if (::fstat(fd, &st) != 0) return io_error(fmt::format("cannot read {}: {}", file.display, std::strerror(errno)));
  if (!S_ISREG(st.st_mode)) {
    return invalid_argument(fmt::format("cannot read {} twice: not a regular file", file.display));
  }
  FileStamp now;
  fill_stamp(st, now.known, now.regular, now.size, now.mtime_ns, now.device, now.inode);
  if (!stamp.known || stamp.size != now.size || stamp.mtime_ns != now.mtime_ns ||
      stamp.device != now.device || stamp.inode != now.inode) {
    return io_error(fmt::format("input changed during the run: {}", file.display));
  }
  return Status::ok();
}

Status InputSet::for_each_at(std::span<const SourcePos> positions, const RecordFn& on_record) {
  if (!opened_) DOPPEL_TRY(open());
  detail::ReadContext context(options_);
  for (size_t i = 0; i < positions.size();) {
    const uint32_t index = positions[i].file_index;
    size_t j = i;
    while (j < positions.size() && positions[j].file_index == index) ++j;
    if (index >= files_.size()) return invalid_argument(fmt::format("no input file with index {}", index));
    DOPPEL_TRY(read_again(index, positions.subspan(i, j - i), context, on_record));
    i = j;
  }
  return Status::ok();
}

Result<bool> InputSet::with_record_bytes(uint32_t index, const std::function<Status(const RecordBytes&)>& use) {
  if (!opened_) DOPPEL_TRY(open());
  if (index >= files_.size()) return invalid_argument(fmt::format("no input file with index {}", index));
  if (decompressed_[index]) {
    // Kept by the first pass: no need to look at the file again.
    DOPPEL_TRY(use(RecordBytes(decompressed_[index]->bytes())));
    return true;
  }
  const InputFile& file = files_[index];
  if (file.format == InputFormat::kText || file.path == "-" ||
      compression_hint(file.path) != detail::Compression::kUnknown) {
    return false;
  }
  Fd fd;
  struct stat st;
  if (const int err = open_for_reading(file.path, fd, st)) {
    return io_error(fmt::format("cannot open {}: {}", file.display, std::strerror(err)));
  }
  DOPPEL_TRY(check_unchanged(index, fd.get()));
  unsigned char magic[4] = {0, 0, 0, 0};
  const ssize_t got = ::pread(fd.get(), magic, sizeof magic, 0);
  if (got < 0) return io_error(fmt::format("cannot read {}: {}", file.display, std::strerror(errno)));
  if ((got >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) ||
      (got >= 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)) {
    return false;  // compressed under a plain name
  }
  // Plain JSONL: a record's raw bytes are the file's bytes [offset, offset + length)
  // (LineReader counts offsets in the file, after any BOM, without the '\r' of "\r\n").
  DOPPEL_TRY(use(RecordBytes(fd.get())));
  return true;
}

Status InputSet::read_again(uint32_t index, std::span<const SourcePos> positions, detail::ReadContext& context,
                            const RecordFn& on_record) {
  const InputFile& file = files_[index];
  auto gone = [&](const SourcePos& pos) {
    return io_error(fmt::format("input changed during the run: {}{} no longer holds the record read there first",
                                file.display, pos.line ? fmt::format(":{}", pos.line) : std::string()));
  };
  auto same_place = [](const SourcePos& a, const SourcePos& b) { return a.offset == b.offset && a.line == b.line; };
  // Everything but an uncompressed JSONL file on disk: one more streaming pass
  // over the file, picking out the listed records and stopping after the last.
  auto stream = [&]() -> Status {
    size_t next = 0;
    const Status enough(StatusCode::kInternal, "all listed records delivered");
    auto pick = [&](Record&& r) -> Status {
      if (next < positions.size() && same_place(r.pos, positions[next])) {
        DOPPEL_TRY(on_record(std::move(r)));
        if (++next == positions.size()) return enough;
      }
      return Status::ok();
    };
    auto ignore = [](const Problem&) { return Status::ok(); };
    const Status s = file.format == InputFormat::kText ? read_text_file(index, pick, ignore)
                                                       : read_jsonl_file(index, context, pick, ignore);
    if (next == positions.size()) return Status::ok();  // `s` is `enough`
    DOPPEL_TRY(s);
    return gone(positions[next]);
  };
  auto read_at_offsets = [&](const RecordBytes& bytes) -> Status {
    // Read into a padded buffer, so the parser takes each record where it lies
    // instead of copying it into padded memory of its own first.
    detail::ByteBuffer line;
    for (const SourcePos& pos : positions) {
      line.reserve(std::max<uint64_t>(pos.length, 1), 0);  // never a null buffer, even for an empty record
      size_t got = 0;
      if (const int err = bytes.read(pos.offset, line.data(), pos.length, got)) {
        return io_error(fmt::format("cannot read {}: {}", file.display, std::strerror(err)));
      }
      if (got < pos.length) return gone(pos);
      Record rec;
      rec.pos = pos;
      const detail::LineOutcome outcome =
          context.parser.parse(std::string_view(line.data(), pos.length), rec, /*in_byte_buffer=*/true);
      if (!outcome.ok) return gone(pos);
      if (!outcome.has_id) rec.id = fmt::format("{}:{}", file.display, pos.line);
      DOPPEL_TRY(on_record(std::move(rec)));
    }
    return Status::ok();
  };
  DOPPEL_ASSIGN_OR_RETURN(const bool by_offsets, with_record_bytes(index, read_at_offsets));
  return by_offsets ? Status::ok() : stream();
}

}  // namespace doppel::io
