// File: sketch/oph.hpp
//
// One-permutation hashing (Li, Owen & Zhang 2012) with optimal densification
// (Shrivastava 2017): a k-value sketch whose values collide between two sets
// with probability J(A, B), like k-permutation MinHash, for one hash per shingle
// instead of k.
//
// Each shingle x is mixed once, h = fmix64(x ^ seed); its high 32 bits choose a
// bin (multiply-shift range reduction onto 0..k-1) and its low 32 bits are the
// value; each bin keeps its smallest value. A bin that no shingle reached
// borrows the value of a non-empty bin found by probing a fixed pseudo-random
// sequence of bins for that bin index (the same sequence for every document),
// so two documents with the same non-empty bins borrow alike. Shrivastava
// shows that this keeps P[sig_A[i] == sig_B[i]] = J and gives a variance close
// to k-permutation MinHash; tests/unit/sketch_test.cpp measures both.
//
// Signatures use the same layout as MinHasher (k uint32 values, kEmpty for a set
// without shingles), so LSH banding works on either.
//
//   doppel::sketch::OnePermutationHasher oph(128);
//   oph.sketch(shingles, sig);   // sig.size() == 128
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "sketch/minhash.hpp"

namespace doppel::sketch {

inline constexpr uint64_t kOphSeed = 0x646f7070656c6f70ULL;  // "doppelop"

class OnePermutationHasher;
namespace internal {
void sketch_with(Isa isa, const OnePermutationHasher& hasher, std::span<const uint64_t> shingles,
                 std::span<uint32_t> out);
}  // namespace internal

class OnePermutationHasher {
 public:
  explicit OnePermutationHasher(int num_bins, uint64_t seed = kOphSeed);
  int num_perm() const { return static_cast<int>(k_); }

  // out.size() must equal num_perm(). Empty input -> every value kEmpty.
  // Duplicates and order in `shingles` do not matter.
  void sketch(std::span<const uint64_t> shingles, std::span<uint32_t> out) const;

 private:
  friend void internal::sketch_with(internal::Isa, const OnePermutationHasher&, std::span<const uint64_t>,
                                    std::span<uint32_t>);
  using BinKernel = void (*)(const uint64_t*, std::size_t, uint64_t, uint32_t, uint32_t*);
  void sketch_using(BinKernel kernel, std::span<const uint64_t> shingles, std::span<uint32_t> out) const;

  uint32_t k_ = 0;
  uint64_t seed_ = 0;
  // first_probe_[i * k + j]: the attempt at which bin i's probe sequence first
  // reaches bin j (kNever if not within the first 65534), for k <= 256. With few
  // filled bins a bin's donor is the filled j with the smallest entry, found
  // in f lookups instead of about k / f probes (a one-shingle document would
  // otherwise probe about k times per bin).
  std::vector<uint16_t> first_probe_;
  // probe_seq_[i * kSeq + t]: bin i's attempt t + 1, precomputed for the first
  // kSeq attempts (k <= 256), so common probing is a table read.
  static constexpr uint32_t kSeq = 32;
  std::vector<uint8_t> probe_seq_;
};

}  // namespace doppel::sketch
