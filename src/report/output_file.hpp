// File: report/output_file.hpp
//
// An output file that either appears complete or not at all: bytes go to a
// hidden temporary name in the same directory and are renamed into place by
// commit() after a successful flush + fsync. A file that is destroyed without
// commit() (error, exception, early return) removes its temporary.
//
//   DOPPEL_ASSIGN_OR_RETURN(auto f, OutputFile::create(dir / "pairs.jsonl"));
//   DOPPEL_TRY(f->write(line));
//   DOPPEL_TRY(f->commit());
//
// A set of files that belong together is committed with commit_all(): every
// file is finished (flushed, synced, closed) before any is renamed, and the
// last one (summary.json for dedup) is the set's completion marker: its old
// version is removed before the others are renamed and it is renamed last, so
// a directory whose marker is present holds a complete set (docs/reliability.md).
//
// Temporary names are `.NAME.tmp-PID`. Scratch files of a run that follow the
// `.doppel-WHAT-PID[.EXT]` pattern (the stdin spool) are doppel's too:
// remove_stale_temporaries() deletes both kinds when the process that made them
// is gone (a killed run), and is called when a run starts.
#pragma once

#include <cstdio>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "doppel/status.hpp"

typedef struct ZSTD_CCtx_s ZSTD_CCtx;

namespace doppel::report {

enum class Compression { kNone, kZstd };

class OutputFile {
 public:
  static Result<std::unique_ptr<OutputFile>> create(std::string final_path,
                                                    Compression compression = Compression::kNone);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  Status write(std::string_view bytes);
  // finish() + rename into place.
  Status commit();
  // Flushes, syncs and closes the temporary; nothing is renamed yet.
  Status finish();
  const std::string& path() const { return final_path_; }
  const std::string& temp_path() const { return temp_path_; }

 private:
  friend Status commit_all(std::initializer_list<OutputFile*> files);
  OutputFile(std::string final_path, std::string temp_path, std::FILE* file, Compression c);
  Status write_raw(const void* data, size_t size);
  // Compresses (with --compress zst) and writes `bytes`, bypassing the buffer.
  Status emit(std::string_view bytes);
  Status flush_buffer();
  Status write_error(const char* what) const;
  Status rename_into_place();

  std::string final_path_;
  std::string temp_path_;
  std::FILE* file_ = nullptr;
  Compression compression_;
  ZSTD_CCtx* zstd_ = nullptr;
  std::string buffer_;
  std::string zbuffer_;
  uint64_t written_ = 0;             // bytes handed to the file so far
  uint64_t writeback_started_ = 0;   // of those, asked to go to disk already
  bool finished_ = false;
  bool committed_ = false;
};

// Commits `files` (null entries are skipped) as one set, the last being the
// completion marker (see above). On failure nothing more is renamed and every
// file not yet renamed keeps cleaning up its temporary.
Status commit_all(std::initializer_list<OutputFile*> files);

// Removes doppel's temporaries and scratch files (patterns above) left in `dir`
// by processes that no longer exist. Files it cannot remove are left alone:
// they are hidden and never mistaken for outputs. Fails only when `dir` cannot
// be listed.
Status remove_stale_temporaries(const std::string& dir);

}  // namespace doppel::report
