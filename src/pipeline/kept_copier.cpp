// File: pipeline/kept_copier.cpp
#include "pipeline/kept_copier.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <memory>

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

// A growable byte buffer whose new room is not zero-filled: kept records are
// read straight into it, so filling it first would be a pass over most of the
// input for nothing.
class Chunk {
 public:
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void clear() { size_ = 0; }
  std::string_view view() const { return {data_.get(), size_}; }
  void reserve(size_t capacity) {
    if (capacity <= capacity_) return;
    capacity = std::max(capacity, capacity_ * 2);
    std::unique_ptr<char[]> grown(new char[capacity]);
    if (size_ > 0) std::memcpy(grown.get(), data_.get(), size_);
    data_ = std::move(grown);
    capacity_ = capacity;
  }
  // n more bytes at the end, left for the caller to write.
  char* extend(size_t n) {
    reserve(size_ + n);
    char* at = data_.get() + size_;
    size_ += n;
    return at;
  }
  void append(std::string_view bytes) {
    if (!bytes.empty()) std::memcpy(extend(bytes.size()), bytes.data(), bytes.size());
  }
  void push_back(char c) { *extend(1) = c; }

 private:
  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

class ChunkQueue {
 public:
  // Blocks while full; false once the consumer has given up.
  bool push(Chunk&& chunk) {
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
  bool pop(Chunk& chunk, Status& status) {
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
  // Written chunks go back to the producer, emptied but with their memory:
  // a fresh megabyte per chunk was faulted in page by page and given back
  // to the kernel again, hundreds of times on a large corpus.
  void recycle(Chunk&& chunk) {
    chunk.clear();
    std::lock_guard lock(mutex_);
    if (spare_.size() < kChunksInFlight + 1) spare_.push_back(std::move(chunk));
  }
  Chunk take_spare() {
    std::lock_guard lock(mutex_);
    if (spare_.empty()) return {};
    Chunk chunk = std::move(spare_.back());
    spare_.pop_back();
    return chunk;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Chunk> chunks_;
  std::vector<Chunk> spare_;
  bool closed_ = false;
  bool abandoned_ = false;
  Status status_;
};

// A JSONL input readable by offset (an uncompressed file, or a compressed one
// whose decompressed bytes the first pass kept): each run of kept records that
// follow one another (separated by a single '\n') is one range of its bytes,
// read at once, instead of reading the whole input and splitting every line.
// The last line break of a run is added, since the last line may lack it.
Status read_runs(const io::RecordBytes& bytes, const std::string& display, const std::vector<KeptRecord>& kept, Chunk& chunk,
                 const std::function<Status()>& flush) {
  for (size_t i = 0; i < kept.size();) {
    size_t j = i;
    while (j + 1 < kept.size() && kept[j + 1].offset == kept[j].offset + kept[j].length + 1) ++j;
    const uint64_t begin = kept[i].offset;
    const uint64_t length = kept[j].offset + kept[j].length - begin;
    char* const at = chunk.extend(length);
    size_t got = 0;
    if (const int err = bytes.read(begin, at, length, got)) {
      return io_error(fmt::format("cannot read {}: {}", display, std::strerror(err)));
    }
    if (got < length) {
      return io_error(fmt::format("input changed during the run: {} no longer holds record {} (the file is shorter)",
                                  display, *kept[i].id));
    }
    chunk.push_back('\n');
    if (chunk.size() >= kChunkBytes) DOPPEL_TRY(flush());
    i = j + 1;
  }
  return Status::ok();
}

Status produce(io::InputSet& inputs, const std::vector<std::vector<KeptRecord>>& kept_by_file, ChunkQueue& queue) {
  const auto& files = inputs.files();
  const Status abandoned = Status(StatusCode::kInternal, "kept.jsonl writer stopped");
  Chunk chunk;
  std::string text;
  std::string json;
  auto flush = [&]() -> Status {
    if (chunk.empty()) return Status::ok();
    if (!queue.push(std::move(chunk))) return abandoned;
    chunk = queue.take_spare();
    chunk.reserve(kChunkBytes + 4096);
    return Status::ok();
  };
  chunk.reserve(kChunkBytes + 4096);
  for (uint32_t fi = 0; fi < files.size() && fi < kept_by_file.size(); ++fi) {
    const auto& kept = kept_by_file[fi];
    if (kept.empty()) continue;
    DOPPEL_ASSIGN_OR_RETURN(const bool by_offsets, inputs.with_record_bytes(fi, [&](const io::RecordBytes& bytes) {
                              return read_runs(bytes, files[fi].display, kept, chunk, flush);
                            }));
    if (by_offsets) continue;
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
        json.clear();
        report::JsonObject o(json);
        o.field("id", *k.id).field("text", text);
        o.close();
        chunk.append(json);
        chunk.push_back('\n');
      }
      return chunk.size() >= kChunkBytes ? flush() : Status::ok();
    }));
    if (next != kept.size()) {
      return io_error(fmt::format("input changed during the run: {} no longer holds record {}", files[fi].display,
                                  *kept[next].id));
    }
  }
  return flush();
}

}  // namespace

Status copy_kept_records(io::InputSet& inputs, const std::vector<std::vector<KeptRecord>>& kept_by_file,
                         const std::function<Status(std::string_view)>& write) {
  ChunkQueue queue;
  std::thread reader([&] { queue.close(produce(inputs, kept_by_file, queue)); });
  Status written;
  Chunk chunk;
  Status produced;
  while (queue.pop(chunk, produced)) {
    if (written.is_ok()) written = write(chunk.view());
    if (!written.is_ok()) queue.abandon();
    queue.recycle(std::move(chunk));
  }
  reader.join();
  DOPPEL_TRY(written);
  return produced;
}

}  // namespace doppel::pipeline
