// File: index/lsh.cpp
// Banding choice and Jaccard LSH candidate generation (see lsh.hpp).
#include "index/lsh.hpp"

#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <sstream>

#include "sketch/minhash.hpp"

// One hash per band and document: the inlined XXH3 avoids a library call each.
#define XXH_INLINE_ALL
#include <xxhash.h>

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

// Sorts and deduplicates pairs whose first member is below num_docs: a counting
// sort on the first member, then a sort of each (short) run by the second.
// Linear, where a comparison sort of every band's pairs took most of the time
// after the bands themselves.
void sort_unique(std::vector<CandidatePair>& pairs, std::size_t num_docs) {
  std::vector<std::size_t> begin(num_docs + 1, 0);
  for (const CandidatePair& p : pairs) ++begin[p.a + 1];
  for (std::size_t d = 0; d < num_docs; ++d) begin[d + 1] += begin[d];
  std::vector<uint32_t> second(pairs.size());
  {
    std::vector<std::size_t> at(begin.begin(), begin.end() - 1);
    for (const CandidatePair& p : pairs) second[at[p.a]++] = p.b;
  }
  std::size_t out = 0;
  for (std::size_t a = 0; a < num_docs; ++a) {
    auto first = second.begin() + static_cast<std::ptrdiff_t>(begin[a]);
    auto last = second.begin() + static_cast<std::ptrdiff_t>(begin[a + 1]);
    if (first == last) continue;
    std::sort(first, last);
    last = std::unique(first, last);
    for (auto it = first; it != last; ++it) pairs[out++] = {static_cast<uint32_t>(a), *it};
  }
  pairs.resize(out);
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

namespace {

// Documents per task when computing or gathering band keys.
constexpr std::size_t kKeyBlock = 4096;

// One band's key: the hash of its `rows` signature values.
uint64_t band_key(const uint32_t* values, std::size_t rows) {
  return XXH3_64bits(values, rows * sizeof(uint32_t));
}

// Both entry points: `keys` is band-major (keys[band * n + i] is band `band` of
// the i-th live document), `live` holds those documents' numbers, ascending.
std::vector<CandidatePair> band_candidates(std::span<const uint64_t> keys, std::size_t bands,
                                           std::span<const uint32_t> live, const BucketLimits& limits) {
  std::vector<CandidatePair> result;
  if (live.size() < 2) return result;
  const std::size_t n = live.size();
  struct BandScratch {
    std::vector<uint64_t> filter;
    std::vector<KeyedDoc> hashed, keyed;  // in document order; grouped by key
    std::vector<uint32_t> counts, bucket;
  };
  // About 8 bits per document: a key held once collides with another with
  // probability ~1/8.
  const int filter_bits = std::clamp(static_cast<int>(std::bit_width(n)) + 3, 7, 30);
  const int filter_shift = 64 - filter_bits;
  tbb::enumerable_thread_specific<BandScratch> scratch;
  std::vector<std::vector<CandidatePair>> per_band(bands);
  tbb::parallel_for(std::size_t{0}, bands, [&](std::size_t band) {
    auto& [filter, hashed, keyed, counts, bucket] = scratch.local();
    const uint64_t* of_band = keys.data() + band * n;
    // Most documents share no band key with any other. A first pass marks which
    // key hashes occur twice (words 2w, 2w + 1: seen, seen twice) and only those
    // documents are grouped; a key held once is dropped for sure, the few kept by
    // a collision form buckets of one, which emit nothing.
    filter.assign(std::size_t{2} << (filter_bits - 6), 0);
    for (std::size_t i = 0; i < n; ++i) {
      const uint64_t h = of_band[i] >> filter_shift;
      uint64_t* word = filter.data() + 2 * (h >> 6);
      const uint64_t bit = uint64_t{1} << (h & 63);
      word[1] |= word[0] & bit;
      word[0] |= bit;
    }
    hashed.resize(n);
    std::size_t kept = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const uint64_t h = of_band[i] >> filter_shift;
      // Written always, kept when shared: no branch to mispredict.
      hashed[kept] = {of_band[i], live[i]};
      kept += (filter[2 * (h >> 6) + 1] >> (h & 63)) & 1;
    }
    hashed.resize(kept);
    keyed.resize(kept);
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
  sort_unique(result, live.back() + std::size_t{1});
  return result;
}

}  // namespace

std::vector<CandidatePair> jaccard_candidates(std::span<const uint32_t> signatures,
                                              uint32_t num_docs, int num_perm,
                                              const Banding& banding,
                                              const BucketLimits& limits) {
  // Document d is row d; rows past the end of `signatures` count as empty
  // documents, which trims a short signature array as the API promises.
  std::vector<uint32_t> rows(num_docs);
  std::iota(rows.begin(), rows.end(), uint32_t{0});
  return jaccard_candidates(signatures, rows, num_perm, banding, limits);
}

std::vector<CandidatePair> jaccard_candidates(std::span<const uint32_t> signatures,
                                              std::span<const uint32_t> rows, int num_perm,
                                              const Banding& banding,
                                              const BucketLimits& limits) {
  // The API cannot report an error, so a banding wider than the signature or a
  // short signature array is trimmed to what is there rather than read past.
  const std::size_t bands = usable_bands(num_perm, banding);
  const std::size_t docs = std::min(rows.size(), std::size_t{std::numeric_limits<uint32_t>::max()});
  if (bands == 0 || docs < 2) return {};
  const std::size_t k = static_cast<std::size_t>(num_perm);
  const std::size_t band_rows = static_cast<std::size_t>(banding.rows);
  const std::size_t stored = signatures.size() / k;

  std::vector<uint32_t> live, row_of;  // positions whose row has at least one shingle
  live.reserve(docs);
  row_of.reserve(docs);
  for (std::size_t i = 0; i < docs; ++i) {
    const uint32_t r = rows[i];
    if (r < stored && signatures[std::size_t{r} * k] != sketch::kEmpty) {
      live.push_back(static_cast<uint32_t>(i));
      row_of.push_back(r);
    }
  }
  // All bands' keys first, document by document, so each signature row is read
  // once and in order rather than once per band at a stride of a whole row.
  const std::size_t n = live.size();
  std::vector<uint64_t> keys(bands * n);
  tbb::parallel_for(std::size_t{0}, (n + kKeyBlock - 1) / kKeyBlock, [&](std::size_t block) {
    const std::size_t end = std::min(n, (block + 1) * kKeyBlock);
    for (std::size_t i = block * kKeyBlock; i < end; ++i) {
      const uint32_t* row = signatures.data() + std::size_t{row_of[i]} * k;
      for (std::size_t band = 0; band < bands; ++band) keys[band * n + i] = band_key(row + band * band_rows, band_rows);
    }
  });
  return band_candidates(keys, bands, live, limits);
}

std::size_t usable_bands(int num_perm, const Banding& banding) {
  if (num_perm < 1 || banding.rows < 1 || banding.bands < 1) return 0;
  return std::min(static_cast<std::size_t>(banding.bands),
                  static_cast<std::size_t>(num_perm) / static_cast<std::size_t>(banding.rows));
}

void band_keys(std::span<const uint32_t> signature, const Banding& banding, std::span<uint64_t> out) {
  const std::size_t rows = banding.rows < 1 ? 0 : static_cast<std::size_t>(banding.rows);
  for (std::size_t band = 0; band < out.size() && (band + 1) * rows <= signature.size(); ++band) {
    out[band] = band_key(signature.data() + band * rows, rows);
  }
}

std::vector<CandidatePair> jaccard_candidates_from_band_keys(std::span<const uint64_t> keys,
                                                             std::span<const uint32_t> rows, std::size_t bands,
                                                             const BucketLimits& limits) {
  const std::size_t docs = std::min(rows.size(), std::size_t{std::numeric_limits<uint32_t>::max()});
  if (bands == 0 || docs < 2) return {};
  // Each row is read once, in the order given, and spread into band-major order.
  std::vector<uint64_t> by_band(bands * docs);
  tbb::parallel_for(std::size_t{0}, (docs + kKeyBlock - 1) / kKeyBlock, [&](std::size_t block) {
    const std::size_t end = std::min(docs, (block + 1) * kKeyBlock);
    for (std::size_t i = block * kKeyBlock; i < end; ++i) {
      const uint64_t* row = keys.data() + std::size_t{rows[i]} * bands;
      for (std::size_t band = 0; band < bands; ++band) by_band[band * docs + i] = row[band];
    }
  });
  std::vector<uint32_t> live(docs);
  std::iota(live.begin(), live.end(), uint32_t{0});
  return band_candidates(by_band, bands, live, limits);
}

}  // namespace doppel::index
