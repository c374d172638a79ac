// File: core/hash.hpp
// Fixed, seeded hashing used everywhere a hash is persisted or compared across
// runs. Never a per-process random seed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace doppel::core {

struct Hash128 {
  uint64_t low = 0;
  uint64_t high = 0;
  friend bool operator==(const Hash128&, const Hash128&) = default;
  friend auto operator<=>(const Hash128&, const Hash128&) = default;
  std::string hex() const;  // 32 lowercase hex digits, high word first
};

inline constexpr uint64_t kExactSeed = 0x646f7070656c6578ULL;  // "doppelex"

// XXH3-128 of the bytes with kExactSeed: the identity of a normalised text.
Hash128 exact_hash(std::string_view bytes);

// splitmix64 step: a documented way to derive many constants from one seed.
uint64_t splitmix64(uint64_t& state);

}  // namespace doppel::core
