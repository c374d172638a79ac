// File: index/simhash_index.cpp
// Permuted-table candidate search over SimHash fingerprints (see simhash_index.hpp).
#include "index/simhash_index.hpp"

#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_sort.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <string>

namespace doppel::index {

namespace {

// Block i of B covers 64/B bits, one more for the first 64 % B blocks.
int block_width(int blocks, int i) { return 64 / blocks + (i < 64 % blocks ? 1 : 0); }

std::vector<uint64_t> block_masks(int blocks) {
  std::vector<uint64_t> masks(static_cast<std::size_t>(blocks));
  int start = 0;
  for (int i = 0; i < blocks; ++i) {
    const int w = block_width(blocks, i);
    masks[static_cast<std::size_t>(i)] = (w == 64 ? ~uint64_t{0} : ((uint64_t{1} << w) - 1)) << start;
    start += w;
  }
  return masks;
}

// The B - k narrowest blocks are the last ones, so the shortest key of any table.
int min_key_bits(int blocks, int radius) {
  int bits = 0;
  for (int i = radius; i < blocks; ++i) bits += block_width(blocks, i);
  return bits;
}

// C(n, k), or cap + 1 when it is larger than cap.
uint64_t binomial_capped(int n, int k, uint64_t cap) {
  k = std::min(k, n - k);
  uint64_t c = 1;
  for (int i = 0; i < k; ++i) {
    // C(n, i + 1) = C(n, i) * (n - i) / (i + 1) exactly; C(n, i) grows with i up to
    // n / 2, so once past the cap it stays past it.
    uint64_t product = 0;
    if (__builtin_mul_overflow(c, static_cast<uint64_t>(n - i), &product)) return cap + 1;
    c = product / static_cast<uint64_t>(i + 1);
    if (c > cap) return cap + 1;
  }
  return c;
}

struct KeyedDoc {
  uint64_t key;
  uint32_t doc;
};

bool key_doc_less(const KeyedDoc& x, const KeyedDoc& y) { return x.key != y.key ? x.key < y.key : x.doc < y.doc; }

// A table's key squeezed into its low `bits` bits: the runs of set bits of the
// mask, concatenated. Equal compact keys <=> equal masked fingerprints.
struct KeyCut {
  struct Run {
    int shift;
    uint64_t mask;
    int offset;
  };
  std::vector<Run> runs;
  int bits = 0;

  explicit KeyCut(uint64_t mask) {
    while (mask != 0) {
      const int start = std::countr_zero(mask);
      const uint64_t shifted = mask >> start;
      const int length = std::countr_one(shifted);
      const uint64_t run_mask = length == 64 ? ~uint64_t{0} : (uint64_t{1} << length) - 1;
      runs.push_back({start, run_mask, bits});
      bits += length;
      mask &= ~(run_mask << start);
    }
  }
  uint64_t compact(uint64_t x) const {
    uint64_t key = 0;
    for (const Run& r : runs) key |= ((x >> r.shift) & r.mask) << r.offset;
    return key;
  }
};

// Stable LSD radix sort of `values` by their top `key_bits` bits (above bit 32).
// Values enter in document order, so equal keys keep their documents ascending:
// the same order as sorting (key, doc) pairs, in a few linear passes.
void radix_sort_high_bits(std::vector<uint64_t>& values, std::vector<uint64_t>& scratch,
                          std::vector<uint32_t>& counts, int key_bits) {
  constexpr int kMaxDigitBits = 11;  // 2048 counters stay in L1
  if (key_bits <= 0) return;
  const int passes = (key_bits + kMaxDigitBits - 1) / kMaxDigitBits;
  const int digit_bits = (key_bits + passes - 1) / passes;
  const uint64_t digit_mask = (uint64_t{1} << digit_bits) - 1;
  scratch.resize(values.size());
  for (int p = 0; p < passes; ++p) {
    const int shift = 32 + p * digit_bits;
    counts.assign(std::size_t{1} << digit_bits, 0);
    for (uint64_t v : values) ++counts[(v >> shift) & digit_mask];
    uint32_t sum = 0;
    for (uint32_t& c : counts) {
      const uint32_t here = c;
      c = sum;
      sum += here;
    }
    for (uint64_t v : values) scratch[counts[(v >> shift) & digit_mask]++] = v;
    values.swap(scratch);
  }
}

// Pairs of one bucket (`docs` ascending, `prints` their fingerprints) that are within
// the radius. A small bucket tests every pair; a large one only the pairs of the
// Jaccard LSH rule (star on the first member plus a sliding window), so that a
// bucket of thousands of near-identical documents costs linear work.
void emit_close_pairs(std::span<const uint32_t> docs, std::span<const uint64_t> prints, int radius,
                      const BucketLimits& limits, std::vector<CandidatePair>& out) {
  const std::size_t n = docs.size();
  auto test = [&](std::size_t i, std::size_t j) {
    if (std::popcount(prints[i] ^ prints[j]) <= radius) out.push_back({docs[i], docs[j]});
  };
  if (n <= limits.max_full_bucket) {
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = i + 1; j < n; ++j) test(i, j);
    }
    return;
  }
  const std::size_t window = limits.window;
  for (std::size_t i = 0; i < n; ++i) {
    if (i > window) test(0, i);  // members within the first one's window pair with it below
    const std::size_t end = std::min(n, i + 1 + window);
    for (std::size_t j = i + 1; j < end; ++j) test(i, j);
  }
}

void sort_unique(std::vector<CandidatePair>& pairs) {
  tbb::parallel_sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
}

}  // namespace

Result<SimHashLayout> choose_simhash_layout(int radius, uint64_t num_docs, const SimHashLayoutLimits& limits) {
  if (radius < 0 || radius > kMaxSimHashRadius) {
    return invalid_argument("SimHash radius " + std::to_string(radius) + " is out of range 0.." +
                            std::to_string(kMaxSimHashRadius));
  }
  if (limits.max_tables < 1) return invalid_argument("SimHash layout: max_tables must be at least 1");
  SimHashLayout best;
  bool have_best = false;
  for (int blocks = radius + 1; blocks <= 64; ++blocks) {
    const uint64_t tables = binomial_capped(blocks, radius, limits.max_tables);
    // C(B, k) grows with B, so no later layout fits either.
    if (tables > limits.max_tables) break;
    SimHashLayout layout{radius, blocks, tables, min_key_bits(blocks, radius), false};
    const double expected_bucket = std::ldexp(static_cast<double>(num_docs), -layout.min_key_bits);
    if (expected_bucket <= limits.target_bucket) return layout;
    if (!have_best || layout.min_key_bits > best.min_key_bits) {
      best = layout;
      have_best = true;
    }
  }
  if (!have_best) {
    return invalid_argument("SimHash radius " + std::to_string(radius) + " needs more than " +
                            std::to_string(limits.max_tables) + " tables");
  }
  best.crowded = std::ldexp(static_cast<double>(num_docs), -best.min_key_bits) > limits.crowded_bucket;
  return best;
}

std::vector<uint64_t> simhash_table_masks(const SimHashLayout& layout) {
  std::vector<uint64_t> out;
  const int blocks = layout.blocks;
  const int key_blocks = blocks - layout.radius;
  if (blocks < 1 || blocks > 64 || key_blocks < 1) return out;
  const std::vector<uint64_t> masks = block_masks(blocks);
  // Lexicographic enumeration of the key_blocks-subsets of {0, ..., blocks - 1}.
  std::vector<int> chosen(static_cast<std::size_t>(key_blocks));
  for (int i = 0; i < key_blocks; ++i) chosen[static_cast<std::size_t>(i)] = i;
  while (true) {
    uint64_t mask = 0;
    for (int c : chosen) mask |= masks[static_cast<std::size_t>(c)];
    out.push_back(mask);
    int i = key_blocks - 1;
    while (i >= 0 && chosen[static_cast<std::size_t>(i)] == blocks - key_blocks + i) --i;
    if (i < 0) break;
    ++chosen[static_cast<std::size_t>(i)];
    for (int j = i + 1; j < key_blocks; ++j) {
      chosen[static_cast<std::size_t>(j)] = chosen[static_cast<std::size_t>(j - 1)] + 1;
    }
  }
  return out;
}

std::vector<CandidatePair> simhash_candidates(std::span<const uint64_t> fingerprints, const SimHashLayout& layout,
                                              const BucketLimits& limits) {
  std::vector<CandidatePair> result;
  const std::size_t n = fingerprints.size();
  if (n < 2) return result;
  const std::vector<uint64_t> masks = simhash_table_masks(layout);
  const int radius = layout.radius;

  struct Local {
    std::vector<uint64_t> packed, scratch;  // (compact key << 32) | doc
    std::vector<KeyedDoc> keyed;            // keys of more than 32 bits
    std::vector<uint32_t> counts;
    std::vector<uint32_t> bucket_docs;
    std::vector<uint64_t> bucket_prints;
    std::vector<CandidatePair> pairs;
    std::size_t compacted = 0;  // pairs.size() after the last sort-unique
  };
  tbb::enumerable_thread_specific<Local> locals;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, masks.size(), 1), [&](const tbb::blocked_range<std::size_t>& r) {
    Local& l = locals.local();
    // Runs of equal keys, in key order, each with its documents ascending: the
    // buckets and their member order do not depend on the thread.
    auto scan = [&](auto key_at, auto doc_at) {
      for (std::size_t i = 0; i < n;) {
        std::size_t j = i + 1;
        while (j < n && key_at(j) == key_at(i)) ++j;
        if (j - i >= 2) {
          l.bucket_docs.clear();
          l.bucket_prints.clear();
          for (std::size_t m = i; m < j; ++m) {
            l.bucket_docs.push_back(doc_at(m));
            l.bucket_prints.push_back(fingerprints[doc_at(m)]);
          }
          emit_close_pairs(l.bucket_docs, l.bucket_prints, radius, limits, l.pairs);
        }
        i = j;
      }
    };
    for (std::size_t t = r.begin(); t != r.end(); ++t) {
      const KeyCut cut(masks[t]);
      if (cut.bits <= 32 && n <= UINT32_MAX) {
        l.packed.resize(n);
        for (std::size_t d = 0; d < n; ++d) l.packed[d] = (cut.compact(fingerprints[d]) << 32) | d;
        radix_sort_high_bits(l.packed, l.scratch, l.counts, cut.bits);
        scan([&](std::size_t i) { return l.packed[i] >> 32; },
             [&](std::size_t i) { return static_cast<uint32_t>(l.packed[i]); });
      } else {
        l.keyed.clear();
        for (std::size_t d = 0; d < n; ++d) l.keyed.push_back({fingerprints[d] & masks[t], static_cast<uint32_t>(d)});
        std::sort(l.keyed.begin(), l.keyed.end(), key_doc_less);
        scan([&](std::size_t i) { return l.keyed[i].key; }, [&](std::size_t i) { return l.keyed[i].doc; });
      }
      // A close pair is found again in every table whose key blocks it agrees on;
      // compacting now and then keeps those repeats from piling up.
      if (l.pairs.size() > 2 * l.compacted + (std::size_t{1} << 16)) {
        std::sort(l.pairs.begin(), l.pairs.end());
        l.pairs.erase(std::unique(l.pairs.begin(), l.pairs.end()), l.pairs.end());
        l.compacted = l.pairs.size();
      }
    }
  });

  std::size_t total = 0;
  for (const Local& l : locals) total += l.pairs.size();
  result.reserve(total);
  for (Local& l : locals) {
    result.insert(result.end(), l.pairs.begin(), l.pairs.end());
    std::vector<CandidatePair>().swap(l.pairs);
  }
  sort_unique(result);
  return result;
}

}  // namespace doppel::index
