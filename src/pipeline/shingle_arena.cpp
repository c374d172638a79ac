// File: pipeline/shingle_arena.cpp
#include "pipeline/shingle_arena.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <new>

namespace doppel::pipeline {
namespace {

// Blocks grow from 2 MB to 32 MB: few enough mappings that mapping them costs
// nothing, and a small input does not map much.
constexpr size_t kMinBlockValues = size_t{256} << 10;
constexpr size_t kBlockValues = size_t{4} << 20;
constexpr size_t kPageRound = size_t{2} << 20;  // mappings are whole 2 MB units
// Pages are faulted in this far ahead of the used part of the current block, in
// one madvise call per step instead of one trap per 4 KB page (about a fifth of
// dedup's system time on the 1 GB corpus). Ahead by a step, not a whole block:
// the unused end of each thread's last block is never touched.
constexpr size_t kPopulateValues = size_t{512} << 10;  // 4 MB

size_t round_up(size_t bytes, size_t to) { return (bytes + to - 1) / to * to; }

}  // namespace

ShingleArena::~ShingleArena() {
  for (const Block& b : blocks_) ::munmap(b.data, round_up(b.capacity * sizeof(uint64_t), kPageRound));
}

ShingleArena::ShingleArena(ShingleArena&& other) noexcept
    : blocks_(std::move(other.blocks_)),
      current_(other.current_),
      current_capacity_(other.current_capacity_),
      used_(other.used_),
      populated_(other.populated_),
      mapped_bytes_(other.mapped_bytes_) {
  other.blocks_.clear();
  other.current_ = nullptr;
  other.current_capacity_ = 0;
  other.used_ = 0;
  other.populated_ = 0;
  other.mapped_bytes_ = 0;
}

uint64_t* ShingleArena::map_block(size_t values) {
  const size_t bytes = round_up(values * sizeof(uint64_t), kPageRound);
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  blocks_.push_back({static_cast<uint64_t*>(p), bytes / sizeof(uint64_t)});
  mapped_bytes_ += bytes;
  return blocks_.back().data;
}

void ShingleArena::start_block(size_t values) {
  current_capacity_ = std::clamp(mapped_bytes_ / sizeof(uint64_t), kMinBlockValues, kBlockValues);
  current_capacity_ = std::max(current_capacity_, values);
  current_ = map_block(current_capacity_);
  used_ = 0;
  populated_ = 0;
  populate_ahead();
}

void ShingleArena::populate_ahead() {
  const size_t want = std::min(current_capacity_, used_ + kPopulateValues);
  if (want <= populated_ + kPopulateValues / 2 && populated_ != 0) return;
  const size_t from = populated_ / 512 * 512;  // whole 4 KB pages
#ifdef MADV_POPULATE_WRITE
  // Kernels before 5.14 refuse the advice; the pages are then faulted in as
  // they are written.
  if (want > from) ::madvise(current_ + from, (want - from) * sizeof(uint64_t), MADV_POPULATE_WRITE);
#endif
  populated_ = want;
}

uint64_t* ShingleArena::allocate(size_t values) {
  // A set larger than a block gets a mapping of its own; the current block
  // stays current, so no space is abandoned.
  if (values > kBlockValues) return map_block(values);
  if (current_ == nullptr || current_capacity_ - used_ < values) start_block(values);
  uint64_t* at = current_ + used_;
  used_ += values;
  populate_ahead();
  return at;
}

std::span<uint64_t> ShingleArena::store(std::span<const uint64_t> values) {
  if (values.empty()) return {};
  uint64_t* at = allocate(values.size());
  std::memcpy(at, values.data(), values.size_bytes());
  return {at, values.size()};
}

std::span<uint64_t> ShingleArena::room() {
  if (current_ == nullptr || used_ == current_capacity_) start_block(0);
  return {current_ + used_, current_capacity_ - used_};
}

std::span<uint64_t> ShingleArena::claim(size_t values) {
  if (values == 0) return {};
  uint64_t* at = current_ + used_;
  used_ += values;
  populate_ahead();
  return {at, values};
}

}  // namespace doppel::pipeline
