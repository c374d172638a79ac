// File: index/lsh.cpp
// Banding choice and Jaccard LSH candidate generation (see lsh.hpp).
#include "index/lsh.hpp"

#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_sort.h>
#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <sstream>

#include "sketch/minhash.hpp"

namespace doppel::index {

namespace {

// Even, so Simpson's rule applies; P(s) is a smooth S-curve, so 200 panels put
// the integration error far below the differences between neighbouring (b, r).
constexpr int kSimpsonSteps = 200;

// Areas closer than this count as equal, so the "fewer bands" tie-break is not
// decided by rounding noise.
constexpr double kAreaTieTolerance = 1e-12;

double false_positive_area(double threshold, int bands, int rows) {
  const double h = threshold / kSimpsonSteps;
  double sum = banding_probability(0.0, bands, rows) + banding_probability(threshold, bands, rows);
  for (int i = 1; i < kSimpsonSteps; ++i) {
    sum += (i % 2 == 1 ? 4.0 : 2.0) * banding_probability(i * h, bands, rows);
  }
  return sum * h / 3.0;
}

// 16 bytes: the band key and the document; grouping these by key finds the buckets.
struct KeyedDoc {
  uint64_t key;
  uint32_t doc;
};

// Groups `in` (in document order) by key into `out`, members of a group in
// document order: a stable counting sort on the key's top bits, then a stable
// sort of each small run. The same buckets as sorting by (key, doc), without
// its comparisons; groups come out ordered by key too, which the caller does
// not need. Band keys are XXH3 hashes, so their top bits are uniform.
void group_by_key(std::span<const KeyedDoc> in, std::span<KeyedDoc> out, std::vector<uint32_t>& counts) {
  const std::size_t n = in.size();
  const int bits = std::clamp(static_cast<int>(std::bit_width(n)) - 2, 1, 20);
  const int shift = 64 - bits;
  const std::size_t runs = std::size_t{1} << bits;
  counts.assign(runs + 1, 0);
  for (const KeyedDoc& x : in) ++counts[(x.key >> shift) + 1];
  for (std::size_t r = 0; r < runs; ++r) counts[r + 1] += counts[r];
  for (const KeyedDoc& x : in) out[counts[x.key >> shift]++] = x;
  std::size_t begin = 0;
  for (std::size_t r = 0; r < runs; ++r) {
    const std::size_t end = counts[r];
    if (end - begin > 32) {
      // Many documents with one key (copies) or a few keys: insertion sort
      // could go quadratic when two big groups interleave.
      std::stable_sort(out.begin() + static_cast<std::ptrdiff_t>(begin), out.begin() + static_cast<std::ptrdiff_t>(end),
                       [](const KeyedDoc& x, const KeyedDoc& y) { return x.key < y.key; });
      begin = end;
      continue;
    }
    for (std::size_t i = begin + 1; i < end; ++i) {
      const KeyedDoc x = out[i];
      std::size_t j = i;
      for (; j > begin && out[j - 1].key > x.key; --j) out[j] = out[j - 1];
      out[j] = x;
    }
    begin = end;
  }
}

// Pairs of one bucket (`docs` ascending). Small buckets emit every pair; large ones
// a star on the first member plus a sliding window, which keeps the bucket one
// connected component with O(L * window) pairs. No pair is emitted twice.
void emit_bucket(std::span<const uint32_t> docs, const BucketLimits& limits,
                 std::vector<CandidatePair>& out) {
  const std::size_t n = docs.size();
  if (n < 2) return;
  if (n <= limits.max_full_bucket) {
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = i + 1; j < n; ++j) out.push_back({docs[i], docs[j]});
    }
    return;
  }
  const std::size_t window = limits.window;
  for (std::size_t i = 0; i < n; ++i) {
    // Members within the first member's window already pair with it below.
    if (i > window) out.push_back({docs[0], docs[i]});
    const std::size_t end = std::min(n, i + 1 + window);
    for (std::size_t j = i + 1; j < end; ++j) out.push_back({docs[i], docs[j]});
  }
}

void sort_unique(std::vector<CandidatePair>& pairs) {
  tbb::parallel_sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
}

}  // namespace

double banding_probability(double s, int bands, int rows) {
  if (bands < 1 || rows < 1) return 0.0;
  const double sr = std::pow(std::clamp(s, 0.0, 1.0), rows);
  // 1 - (1 - s^r)^b loses every digit when s^r is tiny; log1p/expm1 keep them.
  return -std::expm1(static_cast<double>(bands) * std::log1p(-sr));
}

Result<Banding> choose_banding(double threshold, int num_perm, double min_probability) {
  if (!(threshold > 0.0 && threshold <= 1.0)) {
    std::ostringstream msg;
    msg << "LSH threshold must be in (0, 1], got " << threshold;
    return invalid_argument(msg.str());
  }
  if (num_perm < 1) {
    std::ostringstream msg;
    msg << "num_perm must be at least 1, got " << num_perm;
    return invalid_argument(msg.str());
  }
  if (!(min_probability > 0.0 && min_probability < 1.0)) {
    std::ostringstream msg;
    msg << "LSH minimum probability must be in (0, 1), got " << min_probability;
    return invalid_argument(msg.str());
  }

  Banding best;
  double best_area = 0.0;
  for (int rows = 1; rows <= num_perm; ++rows) {
    for (int bands = 1; bands <= num_perm / rows; ++bands) {
      const double p = banding_probability(threshold, bands, rows);
      if (p < min_probability) continue;
      const double area = false_positive_area(threshold, bands, rows);
      const bool better = best.bands == 0 || area < best_area - kAreaTieTolerance ||
                          (area <= best_area + kAreaTieTolerance && bands < best.bands);
      if (better) {
        best = Banding{bands, rows, p};
        best_area = area;
      }
      // More bands only raise P(s) everywhere, so the rest of this row is worse.
      break;
    }
  }
  if (best.bands == 0) {
    std::ostringstream msg;
    msg << "no LSH banding with num_perm=" << num_perm << " reaches probability "
        << min_probability << " at threshold " << threshold
        << "; raise --num-perm (or lower the probability)";
    return invalid_argument(msg.str());
  }
  return best;
}

std::vector<CandidatePair> jaccard_candidates(std::span<const uint32_t> signatures,
                                              uint32_t num_docs, int num_perm,
                                              const Banding& banding,
                                              const BucketLimits& limits) {
  std::vector<CandidatePair> result;
  if (num_perm < 1 || banding.rows < 1 || banding.bands < 1) return result;
  const std::size_t k = static_cast<std::size_t>(num_perm);
  const std::size_t rows = static_cast<std::size_t>(banding.rows);
  // The API cannot report an error, so a banding wider than the signature or a
  // short signature array is trimmed to what is there rather than read past.
  const std::size_t bands = std::min(static_cast<std::size_t>(banding.bands), k / rows);
  const std::size_t docs =
      std::min(static_cast<std::size_t>(num_docs), signatures.size() / k);
  if (bands == 0 || docs < 2) return result;

  std::vector<uint32_t> live;  // documents with at least one shingle
  live.reserve(docs);
  for (std::size_t d = 0; d < docs; ++d) {
    if (signatures[d * k] != sketch::kEmpty) live.push_back(static_cast<uint32_t>(d));
  }
  if (live.size() < 2) return result;

  struct BandScratch {
    std::vector<KeyedDoc> hashed, keyed;  // in document order; grouped by key
    std::vector<uint32_t> counts, bucket;
  };
  tbb::enumerable_thread_specific<BandScratch> scratch;
  std::vector<std::vector<CandidatePair>> per_band(bands);
  tbb::parallel_for(std::size_t{0}, bands, [&](std::size_t band) {
    auto& [hashed, keyed, counts, bucket] = scratch.local();
    hashed.resize(live.size());
    keyed.resize(live.size());
    for (std::size_t i = 0; i < live.size(); ++i) {
      const uint32_t d = live[i];
      const uint32_t* row = signatures.data() + d * k + band * rows;
      hashed[i] = {XXH3_64bits(row, rows * sizeof(uint32_t)), d};
    }
    // The buckets and their member order depend only on the keys, so they are
    // the same whichever thread groups them.
    group_by_key(hashed, keyed, counts);

    std::vector<CandidatePair>& out = per_band[band];
    for (std::size_t i = 0; i < keyed.size();) {
      std::size_t j = i + 1;
      while (j < keyed.size() && keyed[j].key == keyed[i].key) ++j;
      if (j - i >= 2) {
        bucket.clear();
        for (std::size_t m = i; m < j; ++m) bucket.push_back(keyed[m].doc);
        emit_bucket(bucket, limits, out);
      }
      i = j;
    }
  });

  std::size_t total = 0;
  for (const auto& v : per_band) total += v.size();
  result.reserve(total);
  for (auto& v : per_band) {
    result.insert(result.end(), v.begin(), v.end());
    std::vector<CandidatePair>().swap(v);
  }
  sort_unique(result);
  return result;
}

}  // namespace doppel::index
