// File: pipeline/record_feed.cpp
#include "pipeline/record_feed.hpp"

namespace doppel::pipeline {

RecordFeed::RecordFeed(io::InputSet& inputs, FeedLimits limits)
    : RecordFeed([&inputs](const io::RecordFn& r, const io::ProblemFn& p) { return inputs.for_each(r, p); },
                 limits) {}

RecordFeed::RecordFeed(Walk walk, FeedLimits limits) : walk_(std::move(walk)), limits_(limits) {
  if (limits_.max_queued == 0) limits_.max_queued = 1;
  if (limits_.batch_docs == 0) limits_.batch_docs = 1;
}

RecordFeed::~RecordFeed() {
  cancel();
  if (reader_.joinable()) reader_.join();
}

void RecordFeed::start() { reader_ = std::thread([this] { run(); }); }

bool RecordFeed::push(FeedBatch&& batch) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return cancelled_ || queue_.size() < limits_.max_queued; });
  if (cancelled_) return false;
  queue_.push_back(std::move(batch));
  changed_.notify_all();
  return true;
}

void RecordFeed::run() {
  FeedBatch current;
  const Status cancelled = Status(StatusCode::kInternal, "reading cancelled");
  auto on_record = [&](io::Record&& r) -> Status {
    current.text_bytes += r.text.size();
    current.records.push_back(std::move(r));
    if (current.records.size() >= limits_.batch_docs || current.text_bytes >= limits_.batch_bytes) {
      if (!push(std::move(current))) return cancelled;
      current = FeedBatch{};
    }
    return Status::ok();
  };
  auto on_problem = [&](const io::Problem& p) -> Status {
    current.problems.emplace_back(current.records.size(), p);
    return Status::ok();
  };
  Status s = walk_(on_record, on_problem);
  if (s.is_ok() && (!current.records.empty() || !current.problems.empty())) {
    if (!push(std::move(current))) s = cancelled;
  }
  std::lock_guard lock(mutex_);
  if (!cancelled_) status_ = s;
  done_ = true;
  changed_.notify_all();
}

bool RecordFeed::next(FeedBatch& out) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return cancelled_ || done_ || !queue_.empty(); });
  if (cancelled_ || queue_.empty()) return false;
  out = std::move(queue_.front());
  queue_.pop_front();
  changed_.notify_all();
  return true;
}

void RecordFeed::cancel() {
  std::lock_guard lock(mutex_);
  cancelled_ = true;
  changed_.notify_all();
}

Status RecordFeed::finish() {
  if (reader_.joinable()) reader_.join();
  std::lock_guard lock(mutex_);
  return status_;
}

}  // namespace doppel::pipeline
