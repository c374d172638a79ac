// File: pipeline/kept_copier.cpp
#include "pipeline/kept_copier.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "report/json.hpp"

namespace doppel::pipeline {
namespace {

// Lines are handed over in chunks of about this size; a few chunks in flight
// keep both threads busy without holding much.
constexpr size_t kChunkBytes = size_t{1} << 20;
constexpr size_t kChunksInFlight = 4;
// Runs of kept JSONL lines at least this long are copied inside the kernel.
constexpr uint64_t kCopyRunBytes = uint64_t{1} << 20;

class ChunkQueue {
 public:
  // Blocks while full; false once the consumer has given up.
  bool push(std::string&& chunk) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return abandoned_ || chunks_.size() < kChunksInFlight; });
    if (abandoned_) return false;
    chunks_.push_back(std::move(chunk));
    changed_.notify_all();
    return true;
  }
  void close(Status status) {
    std::lock_guard lock(mutex_);
    closed_ = true;
    status_ = std::move(status);
    changed_.notify_all();
  }
  // False when closed and drained; `status` is then the producer's.
  bool pop(std::string& chunk, Status& status) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return closed_ || !chunks_.empty(); });
    if (chunks_.empty()) {
      status = status_;
      return false;
    }
    chunk = std::move(chunks_.front());
    chunks_.pop_front();
    changed_.notify_all();
    return true;
  }
  void abandon() {
    std::lock_guard lock(mutex_);
    abandoned_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::string> chunks_;
  bool closed_ = false;
  bool abandoned_ = false;
  Status status_;
};

Status produce(io::InputSet& inputs, uint32_t fi, const std::vector<KeptRecord>& kept, ChunkQueue& queue) {
  const auto& files = inputs.files();
  const Status abandoned = Status(StatusCode::kInternal, "kept.jsonl writer stopped");
  std::string chunk;
  std::string text;
  auto flush = [&]() -> Status {
    if (chunk.empty()) return Status::ok();
    if (!queue.push(std::move(chunk))) return abandoned;
    chunk = std::string();
    chunk.reserve(kChunkBytes + 4096);
    return Status::ok();
  };
  chunk.reserve(kChunkBytes + 4096);
  size_t next = 0;  // kept records of a file are in stream order, as for_each_raw
  DOPPEL_TRY(inputs.for_each_raw(fi, [&](const io::SourcePos& pos, std::string_view raw) -> Status {
    if (next >= kept.size() || kept[next].offset != pos.offset || kept[next].line != pos.line) {
      return Status::ok();
    }
    const KeptRecord& k = kept[next++];
    if (files[fi].format == io::InputFormat::kJsonl) {
      chunk.append(raw);
      chunk.push_back('\n');
    } else {
      text.clear();
      io::repair_utf8(raw, text);
      if (text.size() >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0) text.erase(0, 3);
      report::JsonObject o(chunk);
      o.field("id", *k.id).field("text", text);
      o.close();
      chunk.push_back('\n');
    }
    return chunk.size() >= kChunkBytes ? flush() : Status::ok();
  }));
  if (next != kept.size()) {
    return io_error(fmt::format("input changed during the run: {} no longer holds record {}", files[fi].display,
                                *kept[next].id));
  }
  return flush();
}

// Streams file `fi`: decompressing and splitting on a thread of its own, writing here.
Status stream_file(io::InputSet& inputs, uint32_t fi, const std::vector<KeptRecord>& kept, const WriteFn& write) {
  ChunkQueue queue;
  std::thread reader([&] { queue.close(produce(inputs, fi, kept, queue)); });
  Status written;
  std::string chunk;
  Status produced;
  while (queue.pop(chunk, produced)) {
    if (written.is_ok()) written = write(chunk);
    if (!written.is_ok()) queue.abandon();
  }
  reader.join();
  DOPPEL_TRY(written);
  return produced;
}

// An uncompressed JSONL file: each run of records that follow one another in
// the file (separated by a single '\n') is one range of bytes, with the last
// line break written separately, since the last line of a file may lack its own.
// Long ranges go file to file inside the kernel; short ones (a few kept records
// between duplicates: most of them) are read into a chunk, since setting up an
// in-kernel copy costs more than copying a few kilobytes.
Status copy_runs(int fd, const std::string& display, const std::vector<KeptRecord>& kept, const WriteFn& write,
                 const CopyFn& copy) {
  auto changed = [&](const KeptRecord& k, const std::string& why) {
    return io_error(fmt::format("input changed during the run: {} no longer holds record {} ({})", display, *k.id, why));
  };
  std::string chunk;
  for (size_t i = 0; i < kept.size();) {
    size_t j = i;
    while (j + 1 < kept.size() && kept[j + 1].offset == kept[j].offset + kept[j].length + 1) ++j;
    const uint64_t begin = kept[i].offset;
    const uint64_t length = kept[j].offset + kept[j].length - begin;
    if (length >= kCopyRunBytes) {
      DOPPEL_TRY(write(chunk));
      chunk.clear();
      const Status s = copy(fd, begin, length);
      if (s.code() == StatusCode::kDataError) return changed(kept[i], s.message());
      DOPPEL_TRY(s);
    } else {
      const size_t at = chunk.size();
      chunk.resize(at + length);
      size_t done = 0;
      while (done < length) {
        const ssize_t n = ::pread(fd, chunk.data() + at + done, length - done, static_cast<off_t>(begin + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return io_error(fmt::format("cannot read {}: {}", display, std::strerror(errno)));
        if (n == 0) return changed(kept[i], "the file is shorter");
        done += static_cast<size_t>(n);
      }
    }
    chunk.push_back('\n');
    if (chunk.size() >= kChunkBytes) {
      DOPPEL_TRY(write(chunk));
      chunk.clear();
    }
    i = j + 1;
  }
  return write(chunk);
}

}  // namespace

Status copy_kept_records(io::InputSet& inputs, const std::vector<std::vector<KeptRecord>>& kept_by_file,
                         const WriteFn& write, const CopyFn& copy) {
  const auto& files = inputs.files();
  for (uint32_t fi = 0; fi < files.size() && fi < kept_by_file.size(); ++fi) {
    const auto& kept = kept_by_file[fi];
    if (kept.empty()) continue;
    if (copy) {
      DOPPEL_ASSIGN_OR_RETURN(const bool copied, inputs.with_plain_jsonl(fi, [&](int fd) {
                                return copy_runs(fd, files[fi].display, kept, write, copy);
                              }));
      if (copied) continue;
    }
    DOPPEL_TRY(stream_file(inputs, fi, kept, write));
  }
  return Status::ok();
}

}  // namespace doppel::pipeline
