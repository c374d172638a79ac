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
#pragma once

#include <cstdio>
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
  Status commit();
  const std::string& path() const { return final_path_; }

 private:
  OutputFile(std::string final_path, std::string temp_path, std::FILE* file, Compression c);
  Status write_raw(const void* data, size_t size);
  Status flush_buffer();

  std::string final_path_;
  std::string temp_path_;
  std::FILE* file_ = nullptr;
  Compression compression_;
  ZSTD_CCtx* zstd_ = nullptr;
  std::string buffer_;
  std::string zbuffer_;
  bool committed_ = false;
};

}  // namespace doppel::report
