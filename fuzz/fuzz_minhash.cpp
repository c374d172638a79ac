// File: fuzz/fuzz_minhash.cpp
//
// MinHash signatures. The production kernel is written to be vectorised (and,
// with GCC, cloned per CPU level); this target compares it with a plain scalar
// reference computed here from the documented definition:
//   a_i = splitmix64(seed) | 1, b_i = splitmix64(seed), h_i(x) = (a_i x + b_i) >> 32
// Properties: equal to the reference for every k and length (including spans
// that start at odd element offsets); independent of shingle order and of
// duplicates; a signature with fewer permutations is a prefix of a longer one;
// empty input gives kEmpty everywhere; the Jaccard estimate is symmetric, in
// [0, 1], and 1 for a signature with itself unless it is empty.
#include <algorithm>
#include <vector>

#include "core/hash.hpp"
#include "fuzz_support.hpp"
#include "sketch/minhash.hpp"

namespace {

using doppel::sketch::MinHasher;

std::vector<uint32_t> reference(std::span<const uint64_t> xs, int k, uint64_t seed) {
  std::vector<uint32_t> out(k, doppel::sketch::kEmpty);
  uint64_t state = seed;
  for (int i = 0; i < k; ++i) {
    const uint64_t a = doppel::core::splitmix64(state) | 1u;
    const uint64_t b = doppel::core::splitmix64(state);
    for (uint64_t x : xs) out[i] = std::min(out[i], static_cast<uint32_t>((a * x + b) >> 32));
  }
  return out;
}

std::vector<uint32_t> sketch(const MinHasher& h, std::span<const uint64_t> xs) {
  std::vector<uint32_t> out(h.num_perm());
  h.sketch(xs, out);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider fdp(data, size);
  const int k = fdp.ConsumeIntegralInRange<int>(1, 256);
  const int fewer = fdp.ConsumeIntegralInRange<int>(1, k);
  const size_t skip = fdp.ConsumeIntegralInRange<size_t>(0, 3);
  const uint64_t seed = fdp.ConsumeBool() ? doppel::sketch::kMinHashSeed : fdp.ConsumeIntegral<uint64_t>();
  std::vector<uint64_t> xs;
  while (fdp.remaining_bytes() >= 1 && xs.size() < 1024) {
    // Small values collide often (duplicates); full-width values cover the range.
    xs.push_back(fdp.ConsumeBool() ? fdp.ConsumeIntegral<uint8_t>() : fdp.ConsumeIntegral<uint64_t>());
  }

  const MinHasher h(k, seed);
  FUZZ_CHECK(h.num_perm() == k, "num_perm");
  const std::vector<uint32_t> sig = sketch(h, xs);
  FUZZ_CHECK(sig == reference(xs, k, seed), "vectorised kernel differs from the scalar reference");

  const std::span<const uint64_t> tail = std::span<const uint64_t>(xs).subspan(std::min(skip, xs.size()));
  FUZZ_CHECK(sketch(h, tail) == reference(tail, k, seed), "differs from the reference on an offset span");

  std::vector<uint64_t> shuffled(xs.rbegin(), xs.rend());
  shuffled.insert(shuffled.end(), xs.begin(), xs.begin() + static_cast<std::ptrdiff_t>(xs.size() / 2));
  FUZZ_CHECK(sketch(h, shuffled) == sig, "depends on order or duplicates");
  std::sort(shuffled.begin(), shuffled.end());
  shuffled.erase(std::unique(shuffled.begin(), shuffled.end()), shuffled.end());
  FUZZ_CHECK(sketch(h, shuffled) == sig, "the sorted set sketches differently");

  const std::vector<uint32_t> prefix = sketch(MinHasher(fewer, seed), xs);
  FUZZ_CHECK(std::equal(prefix.begin(), prefix.end(), sig.begin()), "fewer permutations is not a prefix");

  if (xs.empty()) {
    FUZZ_CHECK(std::all_of(sig.begin(), sig.end(), [](uint32_t v) { return v == doppel::sketch::kEmpty; }),
               "empty input must give kEmpty");
  }
  const std::vector<uint32_t> other = sketch(h, tail);
  const double j = doppel::sketch::estimate_jaccard(sig, other);
  FUZZ_CHECK(j >= 0.0 && j <= 1.0, "estimate outside [0, 1]");
  FUZZ_CHECK(j == doppel::sketch::estimate_jaccard(other, sig), "estimate is not symmetric");
  // (A non-empty set whose every minimum is 0xffffffff is indistinguishable from
  // an empty one; it needs all its values to hash to the top, chance 2^-32 each.)
  const bool looks_empty = std::all_of(sig.begin(), sig.end(), [](uint32_t v) { return v == doppel::sketch::kEmpty; });
  FUZZ_CHECK(doppel::sketch::estimate_jaccard(sig, sig) == (looks_empty ? 0.0 : 1.0), "self estimate");
  return 0;
}
