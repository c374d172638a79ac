// File: pipeline/id_index.hpp
//
// Which document first used each id, so that dedup can reject a later record
// with the same id. dedup asks once per record on its serial accept stage,
// where std::unordered_map<std::string, uint32_t> cost a bucket, a node and a
// heap copy of every id, three cache misses a record (the largest part of that
// stage on the 1 GB benchmark). Here an open-addressing slot holds the id's
// 64-bit hash and the document number: the hash is computed by the parallel
// stage, a lookup is one miss (and the caller can prefetch it), and ids are
// compared, through the caller's own copy, only when two hashes are equal.
//
// Not thread-safe; answers depend only on the order of insert() calls.
#pragma once

#include <xxhash.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace doppel::pipeline {

class IdIndex {
 public:
  static uint64_t hash(std::string_view id) { return XXH3_64bits(id.data(), id.size()); }

  // The document already holding `id` (whose hash is `h`), or, if none,
  // nullopt after recording `doc` as its holder. `id_of(d)` returns document
  // d's id as a string_view.
  template <typename IdOf>
  std::optional<uint32_t> insert(uint64_t h, std::string_view id, uint32_t doc, IdOf&& id_of) {
    if (2 * (size_ + 1) > slots_.size()) grow();
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.doc == kEmpty) {
        s = {h, doc};
        ++size_;
        return std::nullopt;
      }
      if (s.hash == h && std::string_view(id_of(s.doc)) == id) return s.doc;
    }
  }

  // Brings the slot where a lookup of hash `h` starts into cache.
  void prefetch(uint64_t h) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[h & (slots_.size() - 1)]);
  }

  size_t size() const { return size_; }

 private:
  static constexpr uint32_t kEmpty = ~uint32_t{0};
  struct Slot {
    uint64_t hash = 0;
    uint32_t doc = kEmpty;
  };

  // Doubles the table (at most half full, so probe runs stay short).
  void grow() {
    std::vector<Slot> old(slots_.empty() ? size_t{1} << 12 : 2 * slots_.size());
    old.swap(slots_);
    const size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.doc == kEmpty) continue;
      size_t i = s.hash & mask;
      while (slots_[i].doc != kEmpty) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }

  std::vector<Slot> slots_;
  size_t size_ = 0;
};

}  // namespace doppel::pipeline
