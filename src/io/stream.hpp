// File: io/stream.hpp
//
// Private to the io module: a decompressing byte stream over a file
// descriptor and a line splitter on top of it. Both work in large chunks and
// keep their buffers between files so the steady state allocates nothing.
#pragma once

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/mapped_array.hpp"

struct ZSTD_DCtx_s;

namespace doppel::io::detail {

enum class Compression { kUnknown, kNone, kGzip, kZstd };

// A heap block that only grows (contents are not preserved by grow_to).
class ByteBuffer {
 public:
  // Readable bytes allocated past capacity(): any slice of the buffer can go
  // to a parser that reads ahead of what it parses (simdjson), as it is.
  static constexpr size_t kTailPadding = 64;

  char* data() { return data_.get(); }
  size_t capacity() const { return capacity_; }
  // Ensures capacity >= n, keeping the first `keep` bytes.
  void reserve(size_t n, size_t keep);
  void release() {
    data_.reset();
    capacity_ = 0;
  }

 private:
  std::unique_ptr<char[]> data_;
  size_t capacity_ = 0;
};

// A compressed file's decompressed bytes, kept as they are read so that later
// passes can take records from memory instead of decompressing again. It stops
// keeping (and frees what it held) once it would exceed `limit`, and when the
// line reader meets a line too long to be a record: a decompression bomb must
// not fill memory up to the limit with bytes no pass will read.
class DecodedCopy {
 public:
  explicit DecodedCopy(uint64_t limit) : limit_(limit) {}
  void add(const char* bytes, size_t n) {
    if (overflowed_ || n == 0) return;
    if (n > limit_ - bytes_.size()) {
      drop();
      return;
    }
    bytes_.append(bytes, n);
  }
  // Stops keeping, as when over the limit.
  void drop() {
    overflowed_ = true;
    bytes_.release();
  }
  bool overflowed() const { return overflowed_; }
  std::string_view bytes() const { return {bytes_.data(), bytes_.size()}; }

 private:
  uint64_t limit_;
  bool overflowed_ = false;
  core::MappedArray<char> bytes_;
};

// Decompressed bytes of one file. Errors (damaged archive, failed read) are
// sticky: read() returns 0 and failed() tells why; a clean end returns 0 with
// failed() false. The stream never owns the descriptors it is given.
class DecodedStream {
 public:
  DecodedStream();
  ~DecodedStream();
  DecodedStream(const DecodedStream&) = delete;
  DecodedStream& operator=(const DecodedStream&) = delete;

  // `hint` comes from the file name; the magic bytes win when they name a
  // format, the hint decides otherwise (so a damaged .gz still reads as gzip).
  // Every byte read from `fd` is also written to `spool_fd` when it is >= 0.
  // When `copy` is given and the file turns out to be compressed, every
  // decompressed byte is also added to it.
  void reset(int fd, int spool_fd, Compression hint, DecodedCopy* copy = nullptr);
  // Streams `bytes`, a compressed file's decompressed bytes that an earlier
  // pass kept (they must outlive the reading), as if decompressing it again.
  void reset_memory(std::string_view bytes);
  size_t read(char* dst, size_t cap);
  // The copy given to reset() keeps nothing more and frees what it held.
  void drop_copy() {
    if (copy_ != nullptr) copy_->drop();
  }

  bool failed() const { return failed_; }
  // Whether the bytes read so far were decompressed (gzip or zstd).
  bool compressed() const { return from_memory_ || mode_ == Compression::kGzip || mode_ == Compression::kZstd; }
  // A failure that should stop the whole run (the stdin spool cannot be written).
  bool fatal() const { return fatal_; }
  const std::string& error() const { return error_; }

 private:
  bool fill_input();  // false at end of file or on error
  void fail(std::string message, bool fatal = false);
  bool detect();
  size_t read_plain(char* dst, size_t cap);
  size_t read_gzip(char* dst, size_t cap);
  size_t read_zstd(char* dst, size_t cap);

  int fd_ = -1;
  int spool_fd_ = -1;
  DecodedCopy* copy_ = nullptr;
  Compression hint_ = Compression::kUnknown;
  Compression mode_ = Compression::kUnknown;
  ByteBuffer in_;
  size_t in_pos_ = 0;
  size_t in_len_ = 0;
  bool in_eof_ = false;
  bool done_ = false;

  z_stream zs_{};
  bool zs_ready_ = false;
  bool gzip_member_open_ = false;
  ZSTD_DCtx_s* zd_ = nullptr;
  size_t zstd_pending_ = 0;  // last ZSTD_decompressStream hint; 0 = at a frame boundary
  bool zstd_started_ = false;

  bool failed_ = false;
  bool fatal_ = false;
  std::string error_;

  bool from_memory_ = false;  // reset_memory: memory_ is the stream
  std::string_view memory_;
  size_t memory_pos_ = 0;
};

// One line of the decompressed stream: '\n' removed, a trailing '\r' removed.
struct Line {
  uint64_t number = 0;  // 1-based, counting every line
  uint64_t offset = 0;  // stream offset of its first byte
  uint64_t length = 0;  // bytes in `bytes` (or in the discarded line when too_long)
  std::string_view bytes;
  bool too_long = false;  // longer than the limit: bytes were dropped, not buffered
};

// Splits a DecodedStream into lines, skipping blank ones and a leading BOM.
class LineReader {
 public:
  enum class Next { kLine, kEnd, kError };

  LineReader(DecodedStream& stream, ByteBuffer& buffer, uint64_t max_line_bytes);
  // The returned bytes stay valid until the next call.
  Next next(Line& line);

  // After kError: where the damage was met.
  uint64_t error_line() const { return line_number_ + 1; }
  uint64_t error_offset() const { return discarding_ ? discard_start_ : base_offset_; }
  bool error_in_partial_line() const { return partial_ > 0; }

 private:
  bool refill();  // false at end or error

  DecodedStream& stream_;
  ByteBuffer& buf_;
  uint64_t max_line_bytes_;
  size_t begin_ = 0;  // first byte of the current line in buf_
  size_t end_ = 0;    // end of valid data in buf_
  size_t scan_ = 0;   // bytes in [begin_, scan_) hold no '\n'
  uint64_t base_offset_ = 0;  // stream offset of buf_[begin_]
  uint64_t line_number_ = 0;  // lines completed so far
  bool eof_ = false;
  bool bom_checked_ = false;
  // A line beyond max_line_bytes_: its bytes are counted and dropped.
  bool discarding_ = false;
  uint64_t discarded_ = 0;
  uint64_t discard_start_ = 0;
  bool discarded_cr_ = false;
  uint64_t partial_ = 0;
};

}  // namespace doppel::io::detail
