// File: pipeline/shingle_arena.hpp
//
// Where dedup keeps every document's sorted shingle set until verification.
// One heap allocation per document made the allocator grow its per-thread heaps
// a few pages at a time (over 100,000 mprotect calls on a 1 GB corpus, 0.7 s
// of system time) and paid malloc's bookkeeping for sets that are never freed
// before the end. The arena hands out slices of a few large mappings instead.
// (Asking for transparent huge pages on them was tried: fewer faults, but the
// kernel's compaction cost as much system time as it saved, so it is not done.)
//
// Not thread-safe: give each worker thread its own (tbb::enumerable_thread_specific).
// Where a set lands depends on which thread stored it; what it holds does not.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace doppel::pipeline {

class ShingleArena {
 public:
  ShingleArena() = default;
  ~ShingleArena();
  ShingleArena(const ShingleArena&) = delete;
  ShingleArena& operator=(const ShingleArena&) = delete;
  ShingleArena(ShingleArena&& other) noexcept;
  ShingleArena& operator=(ShingleArena&&) = delete;

  // A copy of `values` that stays valid as long as the arena. The owner may
  // overwrite it (dedup re-sketches a document in place when the set fits).
  std::span<uint64_t> store(std::span<const uint64_t> values);

  // For writing a set in place instead of copying it in: room() is the unused
  // rest of the current block (a fresh block when none is left), and claim(n)
  // keeps the first n values of the last room() for good. Nothing else may be
  // stored in between; what is not claimed is offered again.
  std::span<uint64_t> room();
  std::span<uint64_t> claim(size_t values);

  // Bytes mapped so far (blocks, not just the slices handed out).
  size_t mapped_bytes() const { return mapped_bytes_; }

 private:
  struct Block {
    uint64_t* data = nullptr;
    size_t capacity = 0;  // values
  };
  uint64_t* allocate(size_t values);
  uint64_t* map_block(size_t values);
  void start_block(size_t values);  // a new current block of at least `values`
  void populate_ahead();            // faults in the current block's next pages

  std::vector<Block> blocks_;  // every mapping, for the destructor
  uint64_t* current_ = nullptr;  // the block being filled
  size_t current_capacity_ = 0;  // values it holds
  size_t used_ = 0;              // values used in it
  size_t populated_ = 0;         // values of it already faulted in
  size_t mapped_bytes_ = 0;
};

}  // namespace doppel::pipeline
