// File: pipeline/exact_set.hpp
//
// The exact hashes of the documents dedup has accepted so far, for its
// parallel stage to ask whether a text is an exact copy of one already kept.
// Only the first document of a group of exact copies is ever compared with
// others, so a later copy needs no shingles, sketch or stored set: on corpora
// that repeat pages many times that is most of the work.
//
// One thread inserts (dedup's serial accept stage) while others look up. A
// lookup that races with an insert may miss it, which costs only the work of
// shingling a copy; it never finds a hash that was not inserted. So what the
// parallel stage skips depends on timing, but never which document is the
// first of its group: that one was not yet accepted when it was looked up.
//
// Open addressing on the whole 128-bit hash, at most half full. Growing
// publishes a new table; the old ones stay allocated until the set is
// destroyed, as a reader may still be probing one (together they are no
// larger than the newest). A hash whose low word is 0 is never stored.
// In front of the table, one bit per hash in a megabyte that stays in cache:
// most texts are not copies, and most lookups end there instead of waiting on
// a table far larger than the cache (a lookup in the table alone cost 1.5% of
// dedup's time on the 1 GB benchmark, where only 5% of documents are copies).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/hash.hpp"

namespace doppel::pipeline {

class ExactSet {
 public:
  ExactSet() : filter_(std::make_unique<std::atomic<uint64_t>[]>(kFilterBits / 64)) { publish(kInitialSlots); }
  ExactSet(const ExactSet&) = delete;
  ExactSet& operator=(const ExactSet&) = delete;

  // Safe to call from any thread, also while insert() runs.
  bool contains(const core::Hash128& h) const {
    if (h.low == 0) return false;
    const uint64_t bit = h.low & (kFilterBits - 1);
    if (((filter_[bit / 64].load(std::memory_order_acquire) >> (bit % 64)) & 1) == 0) return false;
    const Table* t = current_.load(std::memory_order_acquire);
    for (size_t i = h.high & t->mask;; i = (i + 1) & t->mask) {
      const uint64_t low = t->slots[2 * i].load(std::memory_order_acquire);
      if (low == 0) return false;
      if (low == h.low && t->slots[2 * i + 1].load(std::memory_order_relaxed) == h.high) return true;
    }
  }

  // From one thread at a time.
  void insert(const core::Hash128& h) {
    if (h.low == 0) return;
    if (2 * (size_ + 1) > tables_.back()->mask + 1) publish(2 * (tables_.back()->mask + 1));
    if (!place(*tables_.back(), h)) return;
    ++size_;
    // After the slot (and any new table): a reader that sees the bit sees them.
    const uint64_t bit = h.low & (kFilterBits - 1);
    filter_[bit / 64].fetch_or(uint64_t{1} << (bit % 64), std::memory_order_release);
  }

  // Brings the slot where insert(h) starts probing into cache (the caller
  // knows its hashes ahead, as dedup's accept stage knows a batch's).
  void prefetch(const core::Hash128& h) const {
    const Table& t = *tables_.back();
    __builtin_prefetch(&t.slots[2 * (h.high & t.mask)]);
  }

  size_t size() const { return size_; }

 private:
  static constexpr size_t kInitialSlots = size_t{1} << 12;
  static constexpr uint64_t kFilterBits = uint64_t{1} << 23;

  // Slot i is words 2i (low, 0 when empty) and 2i + 1 (high).
  struct Table {
    size_t mask = 0;
    std::unique_ptr<std::atomic<uint64_t>[]> slots;
  };

  // Stores h unless present; the high word is written before the low word
  // that marks the slot taken, so a reader that sees the low word sees both.
  static bool place(Table& t, const core::Hash128& h) {
    for (size_t i = h.high & t.mask;; i = (i + 1) & t.mask) {
      const uint64_t low = t.slots[2 * i].load(std::memory_order_relaxed);
      if (low == h.low && t.slots[2 * i + 1].load(std::memory_order_relaxed) == h.high) return false;
      if (low == 0) {
        t.slots[2 * i + 1].store(h.high, std::memory_order_relaxed);
        t.slots[2 * i].store(h.low, std::memory_order_release);
        return true;
      }
    }
  }

  // A new table of `slots` slots holding everything the current one holds,
  // then made current.
  void publish(size_t slots) {
    auto t = std::make_unique<Table>();
    t->mask = slots - 1;
    t->slots = std::make_unique<std::atomic<uint64_t>[]>(2 * slots);  // zeroed: every slot empty
    if (!tables_.empty()) {
      const Table& old = *tables_.back();
      for (size_t i = 0; i <= old.mask; ++i) {
        const uint64_t low = old.slots[2 * i].load(std::memory_order_relaxed);
        if (low != 0) place(*t, {low, old.slots[2 * i + 1].load(std::memory_order_relaxed)});
      }
    }
    current_.store(t.get(), std::memory_order_release);
    tables_.push_back(std::move(t));
  }

  std::unique_ptr<std::atomic<uint64_t>[]> filter_;  // zeroed: nothing inserted
  std::atomic<const Table*> current_{nullptr};
  std::vector<std::unique_ptr<Table>> tables_;  // every table made, the newest last
  size_t size_ = 0;
};

}  // namespace doppel::pipeline
