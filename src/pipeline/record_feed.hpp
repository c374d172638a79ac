// File: pipeline/record_feed.hpp
//
// Reading runs ahead of processing: a reader thread walks the inputs
// (io::InputSet::for_each: decompression, line splitting, JSON parsing) and
// hands out batches of records through a bounded queue, so the cores that
// normalise and sketch never wait for the whole corpus and memory holds only a
// few batches of original text at a time.
//
// Problems (rejected or repaired records) travel inside the batches at their
// place in the stream, so a consumer can replay records and problems in exactly
// the order the reader met them, independently of batch sizes and timing.
//
//   RecordFeed feed(inputs, {});
//   feed.start();
//   FeedBatch b;
//   while (feed.next(b)) { ... }
//   DOPPEL_TRY(feed.finish());
#pragma once

#include <tbb/parallel_pipeline.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "doppel/status.hpp"
#include "io/reader.hpp"

namespace doppel::pipeline {

struct FeedBatch {
  std::vector<io::Record> records;
  // Each problem with the number of this batch's records that precede it.
  std::vector<std::pair<size_t, io::Problem>> problems;
  uint64_t text_bytes = 0;
};

struct FeedLimits {
  size_t batch_bytes = size_t{2} << 20;  // text per batch: small enough to balance two cores
  size_t batch_docs = 1024;
  size_t max_queued = 4;                 // batches read ahead of the consumer
};

class RecordFeed {
 public:
  // A walk over records and problems with io::InputSet::for_each's contract.
  using Walk = std::function<Status(const io::RecordFn&, const io::ProblemFn&)>;

  // Every record of `inputs` (InputSet::for_each).
  RecordFeed(io::InputSet& inputs, FeedLimits limits);
  // Whatever `walk` delivers, e.g. a second pass over some records (InputSet::for_each_at).
  RecordFeed(Walk walk, FeedLimits limits);
  ~RecordFeed();  // cancels and joins the reader
  RecordFeed(const RecordFeed&) = delete;
  RecordFeed& operator=(const RecordFeed&) = delete;

  void start();
  // The next batch in stream order (blocks until one is ready); false when the
  // inputs are exhausted, the reader failed, or the feed was cancelled.
  bool next(FeedBatch& out);
  // Stops the reader at its next record; next() then returns false.
  void cancel();
  // Joins the reader and returns its status (ok, unless reading itself failed).
  Status finish();

 private:
  void run();
  bool push(FeedBatch&& batch);  // false when cancelled

  Walk walk_;
  FeedLimits limits_;
  std::thread reader_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<FeedBatch> queue_;
  bool done_ = false;       // the reader has pushed its last batch
  bool cancelled_ = false;
  Status status_;
};

// The three overlapping stages every pass over a feed uses: batches leave the
// feed one at a time in input order (`prepare(work)`, serial), are worked on in
// parallel (`process(work)`), and are accepted one at a time in input order
// again (`accept(work) -> Status`), which keeps document numbers and messages
// canonical whatever the thread count. At most 2 * threads + 2 batches are in
// flight. Work holds `FeedBatch batch`. The first failed accept stops the
// pass: the feed is cancelled, later batches are neither processed nor
// accepted, and that Status is returned; otherwise the feed's own.
template <typename Work, typename Prepare, typename Process, typename Accept>
Status run_batches(RecordFeed& feed, int threads, Prepare prepare, Process process, Accept accept) {
  Status failure;
  // The parallel stage only needs "has the last stage failed": a flag of its own,
  // because reading `failure` while the last stage assigns it is a data race (TSan).
  std::atomic<bool> failed{false};
  tbb::parallel_pipeline(
      2 * static_cast<size_t>(std::max(threads, 1)) + 2,
      tbb::make_filter<void, Work*>(tbb::filter_mode::serial_in_order,
                                    [&](tbb::flow_control& fc) -> Work* {
                                      auto work = std::make_unique<Work>();
                                      if (!feed.next(work->batch)) {
                                        fc.stop();
                                        return nullptr;
                                      }
                                      prepare(*work);
                                      return work.release();
                                    }) &
          tbb::make_filter<Work*, Work*>(tbb::filter_mode::parallel,
                                         [&](Work* work) {
                                           if (!failed.load(std::memory_order_relaxed)) process(*work);
                                           return work;
                                         }) &
          tbb::make_filter<Work*, void>(tbb::filter_mode::serial_in_order, [&](Work* work) {
            std::unique_ptr<Work> owned(work);
            if (!failure.is_ok()) return;
            failure = accept(*owned);
            if (!failure.is_ok()) {
              failed.store(true, std::memory_order_relaxed);
              feed.cancel();
            }
          }));
  const Status read = feed.finish();
  DOPPEL_TRY(failure);
  return read;
}

}  // namespace doppel::pipeline
