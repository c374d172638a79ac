// File: report/output_file.cpp
#include "report/output_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <vector>

namespace doppel::report {
namespace {
constexpr size_t kBufferSize = 1 << 20;
constexpr uint64_t kWritebackChunk = uint64_t{16} << 20;
constexpr std::string_view kTempInfix = ".tmp-";
constexpr std::string_view kScratchPrefix = ".doppel-";

Status errno_status(const std::string& what, const std::string& path) {
  return io_error(fmt::format("{} {}: {}", what, path, std::strerror(errno)));
}

#ifdef DOPPEL_FAULT_INJECTION
// Test-only, compiled into developer builds (see CMakeLists.txt and
// docs/reliability.md): with DOPPEL_FAULT_ENOSPC_AFTER=N in the environment, the
// OutputFiles of this process may write N bytes in all; the write that crosses
// the limit writes what still fits and then fails with ENOSPC, as a full disk
// does. Returns how many of `size` bytes may be written; `fail` says whether the
// write must then fail. The cost without the variable is one cached getenv.
size_t fault_allowance(size_t size, bool& fail) {
  static const int64_t limit = [] {
    const char* v = std::getenv("DOPPEL_FAULT_ENOSPC_AFTER");
    if (v == nullptr || *v == '\0') return int64_t{-1};
    char* end = nullptr;
    const long long n = std::strtoll(v, &end, 10);
    return (*end != '\0' || n < 0) ? int64_t{-1} : static_cast<int64_t>(n);
  }();
  static std::atomic<uint64_t> written{0};
  fail = false;
  if (limit < 0) return size;
  const uint64_t before = written.fetch_add(size);
  const auto cap = static_cast<uint64_t>(limit);
  if (before + size <= cap) return size;
  fail = true;
  return before >= cap ? 0 : static_cast<size_t>(cap - before);
}

// Test-only, like the above: with DOPPEL_FAULT_KILL_AT_RENAME=N the process
// kills itself (SIGKILL, no clean-up of any kind) just before its Nth rename
// into place, so a test can stop a run deterministically between two renames.
void fault_before_rename() {
  static const long long at = [] {
    const char* v = std::getenv("DOPPEL_FAULT_KILL_AT_RENAME");
    return v == nullptr ? 0LL : std::atoll(v);
  }();
  static std::atomic<long long> renames{0};
  if (at > 0 && ++renames == at) ::kill(::getpid(), SIGKILL);
}
#endif

// The pid in a doppel temporary or scratch name, or nothing for any other name:
// `.NAME.tmp-PID` or `.doppel-WHAT-PID[.EXT]`.
std::optional<pid_t> owner_pid(std::string_view name) {
  std::string_view digits;
  if (name.size() > 1 && name[0] == '.' && name.rfind(kTempInfix) != std::string_view::npos) {
    digits = name.substr(name.rfind(kTempInfix) + kTempInfix.size());
  } else if (name.substr(0, kScratchPrefix.size()) == kScratchPrefix) {
    const size_t dash = name.rfind('-');
    if (dash < kScratchPrefix.size()) return std::nullopt;  // no -PID part
    digits = name.substr(dash + 1);
    const size_t dot = digits.find('.');
    if (dot != std::string_view::npos) digits = digits.substr(0, dot);
  } else {
    return std::nullopt;
  }
  if (digits.empty() || digits.size() > 9) return std::nullopt;
  pid_t pid = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    pid = pid * 10 + (c - '0');
  }
  return pid > 0 ? std::optional<pid_t>(pid) : std::nullopt;
}

// Makes the renames durable; they are already visible, so a failure here
// (e.g. a filesystem without directory fsync) is not reported.
void sync_directory(const std::string& file_in_dir) {
  std::string dir = std::filesystem::path(file_in_dir).parent_path().string();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}
}  // namespace

Result<std::unique_ptr<OutputFile>> OutputFile::create(std::string final_path, Compression compression) {
  std::filesystem::path p(final_path);
  std::string temp = (p.parent_path() / ("." + p.filename().string() + std::string(kTempInfix) +
                                         std::to_string(::getpid())))
                         .string();
  std::FILE* f = std::fopen(temp.c_str(), "wb");
  if (!f) return errno_status("cannot create", temp);
  std::unique_ptr<OutputFile> out(new OutputFile(std::move(final_path), std::move(temp), f, compression));
  if (compression == Compression::kZstd) {
    out->zstd_ = ZSTD_createCCtx();
    if (!out->zstd_) return io_error("cannot allocate a zstd compression context");
    ZSTD_CCtx_setParameter(out->zstd_, ZSTD_c_compressionLevel, 3);
    ZSTD_CCtx_setParameter(out->zstd_, ZSTD_c_checksumFlag, 1);
    out->zbuffer_.resize(ZSTD_CStreamOutSize());
  }
  return out;
}

OutputFile::OutputFile(std::string final_path, std::string temp_path, std::FILE* file, Compression c)
    : final_path_(std::move(final_path)), temp_path_(std::move(temp_path)), file_(file), compression_(c) {
  buffer_.reserve(kBufferSize);
}

OutputFile::~OutputFile() {
  if (file_) std::fclose(file_);
  if (!committed_) ::unlink(temp_path_.c_str());
  if (zstd_) ZSTD_freeCCtx(zstd_);
}

// Names the output the user asked for, and the temporary that was being written.
Status OutputFile::write_error(const char* what) const {
  const int err = errno;
  return io_error(fmt::format("{} {}: {} (while writing its temporary {})", what, final_path_, std::strerror(err),
                              temp_path_));
}

Status OutputFile::write_raw(const void* data, size_t size) {
  if (size == 0) return Status::ok();
  size_t allowed = size;
  bool inject = false;
#ifdef DOPPEL_FAULT_INJECTION
  allowed = fault_allowance(size, inject);
#endif
  if (allowed > 0 && std::fwrite(data, 1, allowed, file_) != allowed) return write_error("cannot write");
  if (inject) {
    errno = ENOSPC;
    return write_error("cannot write");
  }
  written_ += allowed;
  if (written_ - writeback_started_ >= kWritebackChunk) {
    // Large outputs (kept.jsonl is most of the input) would otherwise all reach
    // the disk in finish()'s fsync, after the run's work is done; starting each
    // chunk's writeback now overlaps it with the rest of the writing. Advice
    // only: the fsync still decides, so a failure here changes nothing.
    if (std::fflush(file_) != 0) return write_error("cannot write");
    (void)::sync_file_range(::fileno(file_), static_cast<off64_t>(writeback_started_),
                            static_cast<off64_t>(written_ - writeback_started_), SYNC_FILE_RANGE_WRITE);
    writeback_started_ = written_;
  }
  return Status::ok();
}

Status OutputFile::emit(std::string_view bytes) {
  if (compression_ == Compression::kNone) return write_raw(bytes.data(), bytes.size());
  ZSTD_inBuffer in{bytes.data(), bytes.size(), 0};
  while (in.pos < in.size) {
    ZSTD_outBuffer out{zbuffer_.data(), zbuffer_.size(), 0};
    size_t rc = ZSTD_compressStream2(zstd_, &out, &in, ZSTD_e_continue);
    if (ZSTD_isError(rc)) return io_error(fmt::format("zstd compression failed: {}", ZSTD_getErrorName(rc)));
    DOPPEL_TRY(write_raw(zbuffer_.data(), out.pos));
  }
  return Status::ok();
}

Status OutputFile::flush_buffer() {
  DOPPEL_TRY(emit(buffer_));
  buffer_.clear();
  return Status::ok();
}

Status OutputFile::write(std::string_view bytes) {
  if (finished_) return internal_error("write after finish: " + final_path_);
  if (bytes.size() >= kBufferSize) {
    // kept.jsonl arrives in pieces of a megabyte: copying them into the
    // buffer first would only add a pass over most of the input.
    DOPPEL_TRY(flush_buffer());
    return emit(bytes);
  }
  buffer_.append(bytes);
  if (buffer_.size() >= kBufferSize) return flush_buffer();
  return Status::ok();
}

Status OutputFile::finish() {
  if (finished_) return Status::ok();
  DOPPEL_TRY(flush_buffer());
  if (compression_ == Compression::kZstd) {
    ZSTD_inBuffer in{nullptr, 0, 0};
    size_t remaining;
    do {
      ZSTD_outBuffer out{zbuffer_.data(), zbuffer_.size(), 0};
      remaining = ZSTD_compressStream2(zstd_, &out, &in, ZSTD_e_end);
      if (ZSTD_isError(remaining)) return io_error("zstd compression failed");
      DOPPEL_TRY(write_raw(zbuffer_.data(), out.pos));
    } while (remaining != 0);
  }
  if (std::fflush(file_) != 0) return write_error("cannot write");
  if (::fsync(::fileno(file_)) != 0) return write_error("cannot sync");
  int rc = std::fclose(file_);
  file_ = nullptr;
  if (rc != 0) return write_error("cannot close");
  finished_ = true;
  return Status::ok();
}

Status OutputFile::rename_into_place() {
#ifdef DOPPEL_FAULT_INJECTION
  fault_before_rename();
#endif
  if (std::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
    return errno_status("cannot rename into place", final_path_);
  }
  committed_ = true;
  return Status::ok();
}

Status OutputFile::commit() {
  DOPPEL_TRY(finish());
  DOPPEL_TRY(rename_into_place());
  sync_directory(final_path_);
  return Status::ok();
}

Status commit_all(std::initializer_list<OutputFile*> files) {
  std::vector<OutputFile*> set;
  for (OutputFile* f : files) {
    if (f != nullptr) set.push_back(f);
  }
  if (set.empty()) return Status::ok();
  // Everything that can fail for lack of space happens before the first rename,
  // and so does the one rename failure that can be foreseen: a name taken by a directory.
  for (OutputFile* f : set) DOPPEL_TRY(f->finish());
  for (OutputFile* f : set) {
    struct stat st;
    if (::stat(f->final_path_.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      return io_error(fmt::format("cannot replace {}: it is a directory", f->final_path_));
    }
  }
  OutputFile* marker = set.back();
  // An old marker would vouch for a mix of old and new files if the renames
  // stopped half-way, so it goes first and comes back last.
  if (::unlink(marker->final_path_.c_str()) != 0 && errno != ENOENT) {
    return errno_status("cannot replace", marker->final_path_);
  }
  for (OutputFile* f : set) {
    if (f != marker) DOPPEL_TRY(f->rename_into_place());
  }
  DOPPEL_TRY(marker->rename_into_place());
  sync_directory(marker->final_path_);
  return Status::ok();
}

Status remove_stale_temporaries(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return errno_status("cannot list output directory", dir);
  const pid_t self = ::getpid();
  std::vector<std::string> stale;
  while (const dirent* e = ::readdir(d)) {
    const std::optional<pid_t> pid = owner_pid(e->d_name);
    // ESRCH: no such process. A live one (EPERM included) may still be writing.
    if (pid && *pid != self && ::kill(*pid, 0) != 0 && errno == ESRCH) stale.emplace_back(e->d_name);
  }
  ::closedir(d);
  for (const std::string& name : stale) ::unlink((std::filesystem::path(dir) / name).c_str());
  return Status::ok();
}

}  // namespace doppel::report
