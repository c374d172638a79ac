// File: sketch/oph.cpp
// One-permutation hashing with optimal densification (see oph.hpp).
#include "sketch/oph.hpp"

#include <algorithm>
#include <cstddef>

#include "sketch/sketch_internal.hpp"

namespace doppel::sketch {
namespace {

uint64_t fmix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// Multiply-shift range reduction of 32 uniform bits onto 0..k-1.
inline uint32_t reduce(uint32_t bits, uint32_t k) {
  return static_cast<uint32_t>((static_cast<uint64_t>(bits) * k) >> 32);
}

// Shrivastava's densification draws candidate bins for empty bin i from a
// 2-universal family indexed by attempt; any fixed pseudo-random sequence that
// depends only on (i, attempt) keeps the estimate unbiased.
inline uint32_t probe(uint64_t seed, uint32_t bin, uint32_t attempt, uint32_t k) {
  const uint64_t h = fmix64(seed ^ ((static_cast<uint64_t>(bin) << 32) | attempt) ^ 0x9e3779b97f4a7c15ULL);
  return reduce(static_cast<uint32_t>(h >> 32), k);
}

constexpr uint16_t kNever = 0xFFFF;
constexpr uint32_t kMaxTableBins = 256;

// Each bin's minimum value, kEmpty where no shingle fell (a value never takes
// it). The hashes of a block of shingles are computed first, in a loop without
// stores into the bins, which the compiler vectorises where 64-bit lanes
// multiply natively (AVX-512); the minima are then folded in by a scalar loop
// whose bin addresses are loads, known early, instead of the ends of a chain
// of three multiplies (with those, the bins' loads and stores waited on each
// other).
constexpr std::size_t kHashBlock = 256;

__attribute__((always_inline)) inline void fill_bins_impl(const uint64_t* __restrict x, std::size_t n, uint64_t seed,
                                                          uint32_t k, uint32_t* __restrict bins) {
  uint32_t bin_of[kHashBlock];
  uint32_t value_of[kHashBlock];
  for (std::size_t base = 0; base < n; base += kHashBlock) {
    const std::size_t m = std::min(kHashBlock, n - base);
    const uint64_t* block = x + base;
    for (std::size_t i = 0; i < m; ++i) {
      const uint64_t h = fmix64(block[i] ^ seed);
      bin_of[i] = reduce(static_cast<uint32_t>(h >> 32), k);
      value_of[i] = std::min<uint32_t>(static_cast<uint32_t>(h), kEmpty - 1);
    }
    for (std::size_t i = 0; i < m; ++i) {
      uint32_t& bin = bins[bin_of[i]];
      // Whether a value lowers its bin is a coin toss in a typical document (a
      // bin of ~5 values is lowered ~2.3 times), so the minimum must not be a
      // branch: GCC makes it one (and skips the store), which mispredicted on
      // about every other value and made this loop 3x slower on real input
      // than on a benchmark repeating one set. A cmov and an unconditional store.
      uint32_t lower = bin;
#if defined(__x86_64__) && defined(__GNUC__)
      asm("cmpl %[v], %[m]\n\tcmova %[v], %[m]" : [m] "+r"(lower) : [v] "r"(value_of[i]) : "cc");
#else
      lower = std::min(lower, value_of[i]);
#endif
      bin = lower;
    }
  }
}

// One copy per x86-64 level, picked at run time like MinHash's kernels; every
// copy computes the same integers.
void fill_bins_baseline(const uint64_t* x, std::size_t n, uint64_t seed, uint32_t k, uint32_t* bins) {
  fill_bins_impl(x, n, seed, k, bins);
}
#ifdef DOPPEL_X86_LEVELS
__attribute__((target("arch=x86-64-v3"))) void fill_bins_v3(const uint64_t* x, std::size_t n, uint64_t seed,
                                                            uint32_t k, uint32_t* bins) {
  fill_bins_impl(x, n, seed, k, bins);
}
__attribute__((target("arch=x86-64-v4"))) void fill_bins_v4(const uint64_t* x, std::size_t n, uint64_t seed,
                                                            uint32_t k, uint32_t* bins) {
  fill_bins_impl(x, n, seed, k, bins);
}
#endif

using FillBins = void (*)(const uint64_t*, std::size_t, uint64_t, uint32_t, uint32_t*);

FillBins fill_bins_for(internal::Isa isa) {
  switch (isa) {
#ifdef DOPPEL_X86_LEVELS
    case internal::Isa::kX86V4: return fill_bins_v4;
    case internal::Isa::kX86V3: return fill_bins_v3;
#endif
    default: return fill_bins_baseline;
  }
}

FillBins best_fill_bins() {
  static const FillBins kernel = fill_bins_for(internal::supported_isas().front());
  return kernel;
}

}  // namespace

OnePermutationHasher::OnePermutationHasher(int num_bins, uint64_t seed)
    : k_(num_bins > 0 ? static_cast<uint32_t>(num_bins) : 0), seed_(seed) {
  if (k_ == 0 || k_ > kMaxTableBins) return;
  probe_seq_.resize(static_cast<size_t>(k_) * kSeq);
  for (uint32_t i = 0; i < k_; ++i) {
    for (uint32_t t = 0; t < kSeq; ++t) probe_seq_[i * kSeq + t] = static_cast<uint8_t>(probe(seed_, i, t + 1, k_));
  }
  first_probe_.assign(static_cast<size_t>(k_) * k_, kNever);
  for (uint32_t i = 0; i < k_; ++i) {
    uint16_t* row = first_probe_.data() + static_cast<size_t>(i) * k_;
    uint32_t seen = 0;
    // Every bin shows up within a few times k ln k attempts; the cap only
    // guards the table's range (kNever falls back to probing, still exact).
    for (uint32_t attempt = 1; attempt < kNever && seen < k_; ++attempt) {
      uint16_t& slot = row[probe(seed_, i, attempt, k_)];
      if (slot == kNever) {
        slot = static_cast<uint16_t>(attempt);
        ++seen;
      }
    }
  }
}

void OnePermutationHasher::sketch(std::span<const uint64_t> shingles, std::span<uint32_t> out) const {
  sketch_using(best_fill_bins(), shingles, out);
}

namespace internal {
void sketch_with(Isa isa, const OnePermutationHasher& hasher, std::span<const uint64_t> shingles,
                 std::span<uint32_t> out) {
  hasher.sketch_using(fill_bins_for(isa), shingles, out);
}
}  // namespace internal

void OnePermutationHasher::sketch_using(BinKernel kernel, std::span<const uint64_t> shingles,
                                        std::span<uint32_t> out) const {
  std::fill(out.begin(), out.end(), kEmpty);
  const uint32_t k = static_cast<uint32_t>(std::min<size_t>(out.size(), k_));
  if (k == 0 || shingles.empty()) return;

  // Values are clamped below kEmpty, so kEmpty marks a bin no shingle reached.
  constexpr uint32_t kUnset = kEmpty;
  // The bins are filled in `out` itself. A document fills every bin only when
  // its shingles far outnumber the bins (of 500 shingles, a given bin of 128
  // stays empty with probability ~2%, so about 3 bins of most such documents
  // do), and its sketch is then the bins as they are. Otherwise densification
  // needs the bins apart from `out`, as it must tell bins that a shingle
  // reached from bins it has filled in; a filled bin's value is already in
  // `out`, so only the empty ones are written below.
  kernel(shingles.data(), shingles.size(), seed_, k, out.data());
  uint32_t empty_bins = 0;
  for (uint32_t i = 0; i < k; ++i) empty_bins += out[i] == kUnset;
  if (empty_bins == 0) return;
  uint32_t stack_bins[1024];
  std::vector<uint32_t> heap_bins;
  uint32_t* bins = stack_bins;
  if (k > std::size(stack_bins)) {
    heap_bins.resize(k);
    bins = heap_bins.data();
  }
  std::copy_n(out.data(), k, bins);
  const uint32_t filled = k - empty_bins;
  const bool use_table = k == k_ && !first_probe_.empty();
  // The argmin costs f lookups per empty bin, probing about k / f: the argmin
  // wins while f * f < k. Only then does it need the list of filled bins.
  const bool by_table = use_table && filled * filled < k;
  uint32_t filled_bins[kMaxTableBins];
  if (by_table) {
    uint32_t f = 0;
    for (uint32_t i = 0; i < k; ++i) {
      if (bins[i] != kUnset) filled_bins[f++] = i;
    }
  }
  for (uint32_t i = 0; i < k; ++i) {
    if (bins[i] != kUnset) continue;
    if (by_table) {
      const uint16_t* row = first_probe_.data() + static_cast<size_t>(i) * k;
      // (attempt, bin) packed into one key, so the argmin is a plain minimum
      // without a data-dependent branch; ties go to the lower bin, as the first
      // one met (filled_bins ascends). Bins are < 256 here.
      uint32_t best = uint32_t{kNever} << 16;
      for (uint32_t f = 0; f < filled; ++f) {
        best = std::min(best, (uint32_t{row[filled_bins[f]]} << 16) | filled_bins[f]);
      }
      if ((best >> 16) != kNever) {
        out[i] = bins[best & 0xFFFF];
        continue;
      }
    }
    // At least one bin is filled (the set is not empty), so this ends; the
    // expected number of probes is k / (filled bins).
    uint32_t attempt = 1;
    if (use_table) {
      const uint8_t* seq = probe_seq_.data() + static_cast<size_t>(i) * kSeq;
      for (; attempt <= kSeq; ++attempt) {
        const uint32_t donor = seq[attempt - 1];
        if (bins[donor] != kUnset) {
          out[i] = bins[donor];
          break;
        }
      }
      if (attempt <= kSeq) continue;
    }
    for (;; ++attempt) {
      const uint32_t donor = probe(seed_, i, attempt, k);
      if (bins[donor] != kUnset) {
        out[i] = bins[donor];
        break;
      }
    }
  }
}

}  // namespace doppel::sketch
