// File: report/output_file.cpp
#include "report/output_file.hpp"

#include <fmt/format.h>
#include <unistd.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace doppel::report {
namespace {
constexpr size_t kBufferSize = 1 << 20;

Status errno_status(const std::string& what, const std::string& path) {
  return io_error(fmt::format("{} {}: {}", what, path, std::strerror(errno)));
}
}  // namespace

Result<std::unique_ptr<OutputFile>> OutputFile::create(std::string final_path, Compression compression) {
  std::filesystem::path p(final_path);
  std::string temp = (p.parent_path() / ("." + p.filename().string() + ".tmp-" + std::to_string(::getpid())))
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

Status OutputFile::write_raw(const void* data, size_t size) {
  if (size && std::fwrite(data, 1, size, file_) != size) return errno_status("cannot write", temp_path_);
  return Status::ok();
}

Status OutputFile::flush_buffer() {
  if (compression_ == Compression::kNone) {
    DOPPEL_TRY(write_raw(buffer_.data(), buffer_.size()));
  } else {
    ZSTD_inBuffer in{buffer_.data(), buffer_.size(), 0};
    while (in.pos < in.size) {
      ZSTD_outBuffer out{zbuffer_.data(), zbuffer_.size(), 0};
      size_t rc = ZSTD_compressStream2(zstd_, &out, &in, ZSTD_e_continue);
      if (ZSTD_isError(rc)) return io_error(fmt::format("zstd compression failed: {}", ZSTD_getErrorName(rc)));
      DOPPEL_TRY(write_raw(zbuffer_.data(), out.pos));
    }
  }
  buffer_.clear();
  return Status::ok();
}

Status OutputFile::write(std::string_view bytes) {
  if (committed_) return internal_error("write after commit: " + final_path_);
  buffer_.append(bytes);
  if (buffer_.size() >= kBufferSize) return flush_buffer();
  return Status::ok();
}

Status OutputFile::commit() {
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
  if (std::fflush(file_) != 0) return errno_status("cannot write", temp_path_);
  if (::fsync(::fileno(file_)) != 0) return errno_status("cannot sync", temp_path_);
  int rc = std::fclose(file_);
  file_ = nullptr;
  if (rc != 0) return errno_status("cannot close", temp_path_);
  if (std::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
    return errno_status("cannot rename into place", final_path_);
  }
  committed_ = true;
  return Status::ok();
}

}  // namespace doppel::report
