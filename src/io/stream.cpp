// File: io/stream.cpp
//
// Streaming decompression (zlib inflate with gzip/zlib header detection and
// concatenated members; zstd with concatenated frames) and line splitting.
// Damage is reported only after every byte decoded before it has been handed
// out, so callers can deliver all complete records that precede it.
#include "io/stream.hpp"

#include <unistd.h>
#include <zstd.h>

#include <cerrno>
#include <climits>
#include <cstring>

namespace doppel::io::detail {
namespace {

constexpr size_t kInputChunk = size_t{1} << 20;  // compressed bytes per read()
constexpr size_t kLineBufferInitial = size_t{4} << 20;

// Writes everything or returns the errno that stopped it.
int write_all(int fd, const char* data, size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
  return 0;
}

bool is_blank(std::string_view s) {
  for (const char c : s) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

}  // namespace

void ByteBuffer::reserve(size_t n, size_t keep) {
  if (n <= capacity_) return;
  auto fresh = std::make_unique_for_overwrite<char[]>(n + kTailPadding);
  if (keep > 0) std::memcpy(fresh.get(), data_.get(), keep);
  data_ = std::move(fresh);
  capacity_ = n;
}

// ---- DecodedStream ------------------------------------------------------

DecodedStream::DecodedStream() = default;

DecodedStream::~DecodedStream() {
  if (zs_ready_) inflateEnd(&zs_);
  if (zd_ != nullptr) ZSTD_freeDCtx(zd_);
}

void DecodedStream::reset(int fd, int spool_fd, Compression hint, DecodedCopy* copy) {
  fd_ = fd;
  spool_fd_ = spool_fd;
  copy_ = copy;
  hint_ = hint;
  mode_ = Compression::kUnknown;
  in_pos_ = 0;
  in_len_ = 0;
  in_eof_ = false;
  done_ = false;
  gzip_member_open_ = false;
  zstd_pending_ = 0;
  zstd_started_ = false;
  failed_ = false;
  fatal_ = false;
  error_.clear();
  from_memory_ = false;
  memory_ = {};
  memory_pos_ = 0;
  if (zs_ready_) inflateReset(&zs_);
  if (zd_ != nullptr) ZSTD_DCtx_reset(zd_, ZSTD_reset_session_only);
  in_.reserve(kInputChunk, 0);
}

void DecodedStream::fail(std::string message, bool fatal) {
  if (failed_) return;
  failed_ = true;
  fatal_ = fatal;
  error_ = std::move(message);
}

bool DecodedStream::fill_input() {
  if (in_eof_ || failed_) return false;
  if (in_pos_ > 0) {
    std::memmove(in_.data(), in_.data() + in_pos_, in_len_ - in_pos_);
    in_len_ -= in_pos_;
    in_pos_ = 0;
  }
  while (true) {
    const ssize_t n = ::read(fd_, in_.data() + in_len_, in_.capacity() - in_len_);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(std::string("read error: ") + std::strerror(errno));
      return false;
    }
    if (n == 0) {
      in_eof_ = true;
      return false;
    }
    if (spool_fd_ >= 0) {
      if (const int err = write_all(spool_fd_, in_.data() + in_len_, static_cast<size_t>(n))) {
        fail(std::string("cannot write the stdin spool file: ") + std::strerror(err), true);
        return false;
      }
    }
    in_len_ += static_cast<size_t>(n);
    return true;
  }
}

bool DecodedStream::detect() {
  // Pipes may deliver fewer bytes than a magic number per read().
  while (in_len_ - in_pos_ < 4 && fill_input()) {
  }
  if (failed_) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(in_.data() + in_pos_);
  const size_t avail = in_len_ - in_pos_;
  if (avail >= 2 && p[0] == 0x1f && p[1] == 0x8b) {
    mode_ = Compression::kGzip;
  } else if (avail >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd) {
    mode_ = Compression::kZstd;
  } else if (hint_ == Compression::kGzip || hint_ == Compression::kZstd) {
    mode_ = hint_;
  } else {
    mode_ = Compression::kNone;
  }
  return true;
}

void DecodedStream::reset_memory(std::string_view bytes) {
  reset(-1, -1, Compression::kNone);
  from_memory_ = true;
  memory_ = bytes;
}

size_t DecodedStream::read(char* dst, size_t cap) {
  if (failed_ || done_ || cap == 0) return 0;
  if (from_memory_) {
    const size_t n = std::min(cap, memory_.size() - memory_pos_);
    std::memcpy(dst, memory_.data() + memory_pos_, n);
    memory_pos_ += n;
    done_ = n == 0;
    return n;
  }
  if (mode_ == Compression::kUnknown && !detect()) return 0;
  size_t n = 0;
  switch (mode_) {
    case Compression::kGzip: n = read_gzip(dst, cap); break;
    case Compression::kZstd: n = read_zstd(dst, cap); break;
    default: return read_plain(dst, cap);
  }
  if (copy_ != nullptr) copy_->add(dst, n);
  return n;
}

size_t DecodedStream::read_plain(char* dst, size_t cap) {
  if (in_pos_ < in_len_) {
    const size_t n = std::min(cap, in_len_ - in_pos_);
    std::memcpy(dst, in_.data() + in_pos_, n);
    in_pos_ += n;
    return n;
  }
  if (in_eof_) {
    done_ = true;
    return 0;
  }
  // Straight into the caller's buffer: no second copy for plain files.
  while (true) {
    const ssize_t n = ::read(fd_, dst, cap);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(std::string("read error: ") + std::strerror(errno));
      return 0;
    }
    if (n == 0) {
      in_eof_ = true;
      done_ = true;
      return 0;
    }
    if (spool_fd_ >= 0) {
      if (const int err = write_all(spool_fd_, dst, static_cast<size_t>(n))) {
        fail(std::string("cannot write the stdin spool file: ") + std::strerror(err), true);
        return 0;
      }
    }
    return static_cast<size_t>(n);
  }
}

size_t DecodedStream::read_gzip(char* dst, size_t cap) {
  if (!zs_ready_) {
    zs_ = z_stream{};
    if (inflateInit2(&zs_, 15 + 32) != Z_OK) {  // +32: accept gzip and zlib headers
      fail("cannot initialise zlib");
      return 0;
    }
    zs_ready_ = true;
  }
  const uInt out_cap = static_cast<uInt>(std::min<size_t>(cap, UINT_MAX));
  zs_.next_out = reinterpret_cast<Bytef*>(dst);
  zs_.avail_out = out_cap;
  while (zs_.avail_out > 0) {
    if (in_pos_ == in_len_ && !in_eof_) fill_input();
    if (failed_) break;
    const bool at_eof = in_pos_ == in_len_ && in_eof_;
    if (at_eof && !gzip_member_open_) {
      done_ = true;
      break;
    }
    const uInt in_avail = static_cast<uInt>(in_len_ - in_pos_);
    zs_.next_in = reinterpret_cast<Bytef*>(in_.data() + in_pos_);
    zs_.avail_in = in_avail;
    const uInt out_before = zs_.avail_out;
    const int ret = inflate(&zs_, Z_NO_FLUSH);
    const uInt consumed = in_avail - zs_.avail_in;
    in_pos_ += consumed;
    if (consumed > 0) gzip_member_open_ = true;
    if (ret == Z_STREAM_END) {
      // Another member may follow (concatenated .gz files are one stream).
      gzip_member_open_ = false;
      inflateReset(&zs_);
      continue;
    }
    if (ret == Z_OK || ret == Z_BUF_ERROR) {
      if (consumed == 0 && zs_.avail_out == out_before && at_eof) {
        fail("truncated gzip stream: unexpected end of input");
        break;
      }
      continue;
    }
    fail(std::string("corrupt gzip data: ") +
         (zs_.msg != nullptr ? zs_.msg : "inflate error " + std::to_string(ret)));
    break;
  }
  return out_cap - zs_.avail_out;
}

size_t DecodedStream::read_zstd(char* dst, size_t cap) {
  if (zd_ == nullptr) {
    zd_ = ZSTD_createDCtx();
    if (zd_ == nullptr) {
      fail("cannot initialise zstd");
      return 0;
    }
    // Accept archives made with --long (windows up to 2 GiB).
    ZSTD_DCtx_setParameter(zd_, ZSTD_d_windowLogMax, 31);
  }
  ZSTD_outBuffer out{dst, cap, 0};
  while (out.pos < out.size) {
    if (in_pos_ == in_len_ && !in_eof_) fill_input();
    if (failed_) break;
    const bool at_eof = in_pos_ == in_len_ && in_eof_;
    if (at_eof && zstd_pending_ == 0) {
      done_ = true;
      break;
    }
    ZSTD_inBuffer in{in_.data() + in_pos_, in_len_ - in_pos_, 0};
    const size_t out_before = out.pos;
    const size_t ret = ZSTD_decompressStream(zd_, &out, &in);
    in_pos_ += in.pos;
    if (ZSTD_isError(ret)) {
      fail(std::string("corrupt zstd data: ") + ZSTD_getErrorName(ret));
      break;
    }
    zstd_pending_ = ret;
    if (in.pos == 0 && out.pos == out_before) {
      if (at_eof) {
        fail("truncated zstd stream: unexpected end of input");
      } else {
        fail("corrupt zstd data: the decoder made no progress");
      }
      break;
    }
  }
  return out.pos;
}

// ---- LineReader ---------------------------------------------------------

LineReader::LineReader(DecodedStream& stream, ByteBuffer& buffer, uint64_t max_line_bytes)
    : stream_(stream), buf_(buffer), max_line_bytes_(max_line_bytes) {
  buf_.reserve(kLineBufferInitial, 0);
}

bool LineReader::refill() {
  if (eof_) return false;
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    scan_ -= begin_;
    begin_ = 0;
  }
  // Keep reads large: grow once a partial line fills half the buffer.
  if (buf_.capacity() - end_ < buf_.capacity() / 2) buf_.reserve(buf_.capacity() * 2, end_);
  const size_t n = stream_.read(buf_.data() + end_, buf_.capacity() - end_);
  if (n == 0) {
    eof_ = true;
    return false;
  }
  end_ += n;
  return true;
}

LineReader::Next LineReader::next(Line& line) {
  if (!bom_checked_) {
    while (end_ - begin_ < 3 && refill()) {
    }
    if (end_ - begin_ >= 3 && std::memcmp(buf_.data() + begin_, "\xEF\xBB\xBF", 3) == 0) {
      begin_ += 3;
      scan_ = begin_;
      base_offset_ += 3;
    }
    bom_checked_ = true;
  }
  while (true) {
    if (discarding_) {
      const char* start = buf_.data() + begin_;
      const auto* nl = static_cast<const char*>(std::memchr(start, '\n', end_ - begin_));
      if (nl == nullptr) {
        if (end_ > begin_) {
          discarded_ += end_ - begin_;
          discarded_cr_ = buf_.data()[end_ - 1] == '\r';
          base_offset_ += end_ - begin_;
          begin_ = end_ = scan_ = 0;
        }
        if (refill()) continue;
        if (stream_.failed()) {
          partial_ = discarded_;
          return Next::kError;
        }
      }
      uint64_t len = discarded_;
      bool cr = discarded_cr_;
      if (nl != nullptr) {
        const auto seg = static_cast<size_t>(nl - start);
        len += seg;
        if (seg > 0) cr = start[seg - 1] == '\r';
        base_offset_ += seg + 1;
        begin_ = scan_ = begin_ + seg + 1;
      }
      line.number = ++line_number_;
      line.offset = discard_start_;
      line.length = cr ? len - 1 : len;
      line.bytes = {};
      line.too_long = true;
      discarding_ = false;
      discarded_ = 0;
      return Next::kLine;
    }

    const auto* nl =
        static_cast<const char*>(std::memchr(buf_.data() + scan_, '\n', end_ - scan_));
    if (nl != nullptr || (eof_ && begin_ < end_ && !stream_.failed())) {
      const size_t stop = nl != nullptr ? static_cast<size_t>(nl - buf_.data()) : end_;
      size_t len = stop - begin_;
      const char* start = buf_.data() + begin_;
      line.number = ++line_number_;
      line.offset = base_offset_;
      base_offset_ += len + (nl != nullptr ? 1 : 0);
      begin_ = scan_ = nl != nullptr ? stop + 1 : end_;
      if (len > 0 && start[len - 1] == '\r') --len;
      line.bytes = std::string_view(start, len);
      line.length = len;
      // Decided by length alone, so both passes agree whatever got buffered.
      line.too_long = len > max_line_bytes_;
      if (line.too_long) line.bytes = {};
      if (!line.too_long && is_blank(line.bytes)) continue;
      return Next::kLine;
    }
    scan_ = end_;
    if (eof_) {
      if (stream_.failed()) {
        partial_ = end_ - begin_;
        return Next::kError;
      }
      return Next::kEnd;
    }
    // The +1 leaves room for a '\r' that would not count: both paths must agree.
    if (end_ > begin_ && end_ - begin_ - 1 > max_line_bytes_) {
      // Too long to be accepted anyway: count it instead of buffering it. Nor
      // is the file's copy kept: it would hold the line after all.
      discarding_ = true;
      stream_.drop_copy();
      discard_start_ = base_offset_;
      discarded_ = end_ - begin_;
      discarded_cr_ = buf_.data()[end_ - 1] == '\r';
      base_offset_ += end_ - begin_;
      begin_ = end_ = scan_ = 0;
      continue;
    }
    refill();
  }
}

}  // namespace doppel::io::detail
