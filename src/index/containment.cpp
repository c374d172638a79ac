// File: index/containment.cpp
// Containment candidates from bottom-k sketches with a hypergeometric rule for
// how many shared values a pair needs (see lsh.hpp).
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <limits>
#include <memory>
#include <utility>

#include "index/lsh.hpp"

namespace doppel::index {

namespace {

// ln(x!) from a table for small x and Stirling's series above it. A table plus a
// closed form instead of calling std::lgamma per pair: glibc's lgamma writes the
// global `signgam`, a data race when many threads test pairs at once.
constexpr std::size_t kLogFactorialTable = 1024;

double log_factorial(uint64_t x) {
  static const std::array<double, kLogFactorialTable> table = [] {
    std::array<double, kLogFactorialTable> t{};
    for (std::size_t i = 0; i < t.size(); ++i) t[i] = std::lgamma(static_cast<double>(i) + 1.0);
    return t;
  }();
  if (x < kLogFactorialTable) return table[x];
  // Truncation error below 1e-19 for x >= 1024, far under double rounding here.
  const double n = static_cast<double>(x);
  const double inv = 1.0 / n;
  const double inv2 = inv * inv;
  constexpr double kHalfLog2Pi = 0.91893853320467274178;
  return n * std::log(n) - n + 0.5 * std::log(n) + kHalfLog2Pi +
         inv * (1.0 / 12.0 - inv2 * (1.0 / 360.0 - inv2 * (1.0 / 1260.0)));
}

double log_choose(uint64_t n, uint64_t r) {
  return log_factorial(n) - log_factorial(r) - log_factorial(n - r);
}

struct SanitizedParams {
  double threshold;
  uint64_t k;
  double min_probability;
  double sample_rate;  // in [0, 1]
};

// The functions taking ContainmentParams cannot fail, so out-of-range values are
// clamped to the nearest meaningful one instead of producing NaNs.
SanitizedParams sanitize(const ContainmentParams& params) {
  SanitizedParams s{};
  s.threshold = std::isnan(params.threshold) ? 1.0 : std::clamp(params.threshold, 1e-9, 1.0);
  s.k = params.k > 0 ? static_cast<uint64_t>(params.k) : 1;
  s.min_probability = std::isnan(params.min_probability) ? 1.0 : params.min_probability;
  s.sample_rate = std::isnan(params.sample_rate) ? 0.0 : std::clamp(params.sample_rate, 0.0, 1.0);
  return s;
}

// Y ~ Hypergeometric(population u, successes i, draws n): how many of the n smallest
// values of A u B fall in A n B for a pair exactly at the containment threshold.
// cdf(y) is accumulated term by term in one fixed order so that min_shared_values()
// and the per-pair test below agree to the last bit.
class SharedValueModel {
 public:
  SharedValueModel(uint64_t small, uint64_t large, const SanitizedParams& p) {
    if (small > large) std::swap(small, large);
    // The epsilon keeps 0.8 * 5 = 4.000000000000001 from rounding up to 5.
    const double at_threshold = std::ceil(p.threshold * static_cast<double>(small) - 1e-9);
    i_ = std::clamp<uint64_t>(static_cast<uint64_t>(std::max(at_threshold, 1.0)), 1, small);
    u_ = small + large - i_;
    n_ = std::min(p.k, u_);
    y_low_ = n_ > u_ - i_ ? n_ - (u_ - i_) : 0;
    y_high_ = std::min(i_, n_);
    log_pmf_low_ = log_choose(i_, y_low_) + log_choose(u_ - i_, n_ - y_low_) - log_choose(u_, n_);
    log_pmf_ = log_pmf_low_;
    y_ = y_low_;
    cdf_ = std::exp(log_pmf_);
  }

  uint64_t y_low() const { return y_low_; }
  uint64_t y_high() const { return y_high_; }
  double log_pmf_low() const { return log_pmf_low_; }

  // P(Y <= y); calls must not decrease y.
  double cdf(uint64_t y) {
    if (y < y_low_) return 0.0;
    while (y_ < y && y_ < y_high_) {
      const double num = static_cast<double>(i_ - y_) * static_cast<double>(n_ - y_);
      const double den = static_cast<double>(y_ + 1) * static_cast<double>(u_ - i_ - n_ + y_ + 1);
      log_pmf_ += std::log(num / den);
      cdf_ += std::exp(log_pmf_);
      ++y_;
    }
    return cdf_;
  }

 private:
  uint64_t i_ = 0, u_ = 0, n_ = 0;
  uint64_t y_low_ = 0, y_high_ = 0;
  uint64_t y_ = 0;
  double log_pmf_low_ = 0;
  double log_pmf_ = 0;
  double cdf_ = 0;
};

// Z ~ Binomial(i, rate): how many values of A n B fall in the consistent sample
// (all hashes below rate * 2^64), each of which both documents index.
class SampledValueModel {
 public:
  SampledValueModel(uint64_t small, const SanitizedParams& p) : rate_(p.sample_rate) {
    const double at_threshold = std::ceil(p.threshold * static_cast<double>(small) - 1e-9);
    i_ = std::clamp<uint64_t>(static_cast<uint64_t>(std::max(at_threshold, 1.0)), 1, small);
    if (rate_ <= 0.0 || rate_ >= 1.0) return;
    log_pmf_ = static_cast<double>(i_) * std::log1p(-rate_);  // P(Z = 0), kept in log space
    cdf_ = std::exp(log_pmf_);
  }
  bool enabled() const { return rate_ > 0.0 && rate_ < 1.0; }
  uint64_t trials() const { return i_; }
  double log_p_zero() const { return log_pmf_; }

  // P(Z <= z); calls must not decrease z.
  double cdf(uint64_t z) {
    while (z_ < z && z_ < i_) {
      log_pmf_ += std::log(static_cast<double>(i_ - z_) / static_cast<double>(z_ + 1) * rate_ / (1.0 - rate_));
      cdf_ += std::exp(log_pmf_);
      ++z_;
    }
    return cdf_;
  }

 private:
  double rate_;
  uint64_t i_ = 1, z_ = 0;
  double log_pmf_ = 0, cdf_ = 0;
};

// min(m, stop_above + 1) where m is min_shared_values(): the per-pair test only
// needs to know whether m exceeds the observed count, so it stops there.
// Shared values >= max(Y, Z), so P(shared >= m) >= max(P(Y >= m), P(Z >= m)) and
// the requirement is the larger of the two counts each bound guarantees.
uint64_t required_shared(uint64_t small, uint64_t large, const SanitizedParams& p,
                         uint64_t stop_above) {
  SharedValueModel model(small, large, p);
  const uint64_t cap = std::max<uint64_t>(1, model.y_high());
  uint64_t m = 1;
  // P(Y >= m + 1) = 1 - P(Y <= m); it only falls as m grows, so the first failure
  // marks the largest m that still holds.
  while (m < cap && m <= stop_above && 1.0 - model.cdf(m) >= p.min_probability) ++m;
  SampledValueModel sample(std::min(small, large), p);
  if (sample.enabled() && m <= stop_above) {
    uint64_t z = m;
    while (z < sample.trials() && z <= stop_above && 1.0 - sample.cdf(z) >= p.min_probability) ++z;
    m = std::max(m, z);
  }
  return m;
}

struct Posting {
  uint64_t value;
  uint32_t doc;
};

// A posting that survived the max_posting filter: its document and how many
// postings follow it in the same value's list (all with larger document ids).
struct Slot {
  uint32_t doc;
  uint32_t after;
};

// Query documents per parallel task: fixed, so the split (and with it the order
// of the concatenated output) never depends on the thread count.
constexpr std::size_t kDocBlock = 256;

// Postings per hash partition when grouping them by value: 64 KB, sorted in cache.
constexpr std::size_t kPostingsPerPartition = 4096;

constexpr uint64_t kMix = 0x9e3779b97f4a7c15ULL;  // odd: v -> v * kMix is a bijection

// Orders one partition's postings (in document order) by v * kMix into `out`,
// keeping document order among equal values: a stable counting sort on the
// bits below the partition's own, then a stable insertion sort of each small
// run. Equal values end up adjacent (their products are equal and no other
// value's is), which is all the caller needs; v * kMix rather than v because
// bottom-k values are all small, so their own high bits hardly differ.
void group_by_value(const Posting* in, std::size_t len, int partition_bits, Posting* out,
                    std::vector<uint32_t>& counts) {
  const int bits = std::clamp(static_cast<int>(std::bit_width(len)) - 2, 1, 12);
  const int shift = std::max(0, 64 - partition_bits - bits);
  const uint64_t mask = (uint64_t{1} << bits) - 1;
  const std::size_t runs = std::size_t{1} << bits;
  counts.assign(runs + 1, 0);
  auto key = [&](const Posting& p) { return static_cast<std::size_t>(((p.value * kMix) >> shift) & mask); };
  for (std::size_t i = 0; i < len; ++i) ++counts[key(in[i]) + 1];
  for (std::size_t r = 0; r < runs; ++r) counts[r + 1] += counts[r];
  for (std::size_t i = 0; i < len; ++i) out[counts[key(in[i])]++] = in[i];
  std::size_t begin = 0;
  for (std::size_t r = 0; r < runs; ++r) {
    const std::size_t end = counts[r];
    if (end - begin > 32) {
      // A value held by many documents (shared boilerplate) makes a long run;
      // insertion sort could go quadratic there.
      std::stable_sort(out + begin, out + end,
                       [](const Posting& x, const Posting& y) { return x.value * kMix < y.value * kMix; });
      begin = end;
      continue;
    }
    for (std::size_t i = begin + 1; i < end; ++i) {
      const Posting x = out[i];
      const uint64_t hx = x.value * kMix;
      std::size_t j = i;
      for (; j > begin && out[j - 1].value * kMix > hx; --j) out[j] = out[j - 1];
      out[j] = x;
    }
    begin = end;
  }
}

}  // namespace

uint32_t min_shared_values(uint32_t small, uint32_t large, const ContainmentParams& params) {
  if (small == 0 || large == 0) return 1;
  const uint64_t m = required_shared(small, large, sanitize(params),
                                     std::numeric_limits<uint64_t>::max());
  return static_cast<uint32_t>(m);
}

double containment_detection_probability(uint32_t small, uint32_t large,
                                         const ContainmentParams& params) {
  if (small == 0 || large == 0) return 0.0;
  const SanitizedParams p = sanitize(params);
  SharedValueModel model(small, large, p);
  if (model.y_low() >= 1) return 1.0;
  SampledValueModel sample(std::min(small, large), p);
  // 1 - P(no shared value) via expm1 keeps precision when that is tiny or near 1.
  double miss = model.log_pmf_low();
  if (sample.enabled()) miss = std::min(miss, sample.log_p_zero());
  return -std::expm1(miss);
}

size_t containment_sketch_length(std::span<const uint64_t> sorted_set, const ContainmentParams& params) {
  const SanitizedParams p = sanitize(params);
  size_t n = std::min<size_t>(sorted_set.size(), p.k);
  if (p.sample_rate > 0.0) {
    // rate * 2^64 as an exclusive bound; rate 1 samples everything.
    if (p.sample_rate >= 1.0) return sorted_set.size();
    const uint64_t bound = static_cast<uint64_t>(std::ldexp(p.sample_rate, 64));
    n = std::max<size_t>(n, std::lower_bound(sorted_set.begin(), sorted_set.end(), bound) - sorted_set.begin());
  }
  return n;
}

std::vector<CandidatePair> containment_candidates(
    std::span<const std::span<const uint64_t>> bottoms, std::span<const uint32_t> set_sizes,
    const ContainmentParams& params, const BucketLimits& limits) {
  std::vector<CandidatePair> result;
  const SanitizedParams p = sanitize(params);
  const std::size_t num_docs = std::min({bottoms.size(), set_sizes.size(),
                                         std::size_t{std::numeric_limits<uint32_t>::max()}});

  // A caller's set size smaller than its own sketch would be inconsistent; the
  // sketch length is a hard lower bound on the set size, so use the larger.
  auto doc_size = [&](std::size_t d) -> uint64_t {
    return std::max<uint64_t>(set_sizes[d], bottoms[d].size());
  };
  auto live = [&](std::size_t d) { return set_sizes[d] > 0 && !bottoms[d].empty(); };

  std::size_t total = 0;
  for (std::size_t d = 0; d < num_docs; ++d) {
    if (live(d)) total += bottoms[d].size();
  }
  if (total < 2) return result;

  // Postings are grouped by value in hash partitions small enough to sort in
  // cache (one scatter pass, then independent sorts in parallel) rather than
  // by one global comparison sort. Scattering keeps document order inside a
  // partition, and (value, doc) sorting inside it gives every value's list in
  // ascending document order. Lists end up ordered by partition, not by value,
  // which nothing below depends on: each query's partners are sorted anyway.
  const int partition_bits = std::clamp(static_cast<int>(std::bit_width(total / kPostingsPerPartition)), 0, 16);
  const std::size_t partitions = std::size_t{1} << partition_bits;
  auto partition_of = [&](uint64_t v) -> std::size_t {
    // Bottom-k values are all small, so their top bits say little: mix first.
    return partition_bits == 0 ? 0 : static_cast<std::size_t>((v * kMix) >> (64 - partition_bits));
  };
  std::vector<std::size_t> bounds(partitions + 1, 0);
  for (std::size_t d = 0; d < num_docs; ++d) {
    if (!live(d)) continue;
    for (uint64_t v : bottoms[d]) ++bounds[partition_of(v) + 1];
  }
  for (std::size_t q = 0; q < partitions; ++q) bounds[q + 1] += bounds[q];
  // Every slot is written by the scatter below, so no zero-filling first.
  std::unique_ptr<Posting[]> postings(new Posting[total]);
  {
    std::vector<std::size_t> cursor(bounds.begin(), bounds.end() - 1);
    for (std::size_t d = 0; d < num_docs; ++d) {
      if (!live(d)) continue;
      for (uint64_t v : bottoms[d]) postings[cursor[partition_of(v)]++] = {v, static_cast<uint32_t>(d)};
    }
  }

  // Keep the lists that can contribute evidence: at least two distinct documents
  // and no more than max_posting (boilerplate values would make the work quadratic
  // in the number of documents sharing them).
  std::vector<std::vector<Slot>> partition_slots(partitions);
  tbb::enumerable_thread_specific<std::pair<std::vector<Posting>, std::vector<uint32_t>>> scratch;
  tbb::parallel_for(std::size_t{0}, partitions, [&](std::size_t q) {
    auto& [grouped, counts] = scratch.local();
    const std::size_t len = bounds[q + 1] - bounds[q];
    grouped.resize(len);
    group_by_value(postings.get() + bounds[q], len, partition_bits, grouped.data(), counts);
    Posting* begin = grouped.data();
    Posting* end = begin + len;
    std::vector<uint32_t> run;
    std::vector<Slot>& out = partition_slots[q];
    for (Posting* i = begin; i < end;) {
      Posting* j = i;
      run.clear();
      for (; j < end && j->value == i->value; ++j) {
        if (run.empty() || run.back() != j->doc) run.push_back(j->doc);
      }
      if (run.size() >= 2 && run.size() <= limits.max_posting) {
        for (std::size_t r = 0; r < run.size(); ++r) out.push_back({run[r], static_cast<uint32_t>(run.size() - 1 - r)});
      }
      i = j;
    }
  });
  std::vector<Slot> slots;
  {
    std::size_t count = 0;
    for (const auto& v : partition_slots) count += v.size();
    slots.reserve(count);
    for (auto& v : partition_slots) {
      slots.insert(slots.end(), v.begin(), v.end());
      std::vector<Slot>().swap(v);
    }
  }
  postings.reset();
  if (slots.empty()) return result;

  // Slot indices grouped by document (CSR), so each query document finds its
  // lists directly.
  std::vector<std::size_t> offsets(num_docs + 1, 0);
  for (const Slot& s : slots) ++offsets[s.doc + 1];
  for (std::size_t d = 0; d < num_docs; ++d) offsets[d + 1] += offsets[d];
  std::vector<std::size_t> by_doc(slots.size());
  {
    std::vector<std::size_t> cursor(offsets.begin(), offsets.end() - 1);
    for (std::size_t s = 0; s < slots.size(); ++s) by_doc[cursor[slots[s].doc]++] = s;
  }

  const std::size_t num_blocks = (num_docs + kDocBlock - 1) / kDocBlock;
  std::vector<std::vector<CandidatePair>> per_block(num_blocks);
  tbb::parallel_for(std::size_t{0}, num_blocks, [&](std::size_t block) {
    std::vector<uint32_t> partners;
    std::vector<CandidatePair>& out = per_block[block];
    const std::size_t end = std::min(num_docs, (block + 1) * kDocBlock);
    for (std::size_t a = block * kDocBlock; a < end; ++a) {
      if (offsets[a] == offsets[a + 1]) continue;
      // Every later document in a shared value's list is one piece of evidence;
      // sorting the partners turns counting them into counting runs.
      partners.clear();
      for (std::size_t o = offsets[a]; o < offsets[a + 1]; ++o) {
        const std::size_t s = by_doc[o];
        for (std::size_t t = 1; t <= slots[s].after; ++t) partners.push_back(slots[s + t].doc);
      }
      std::sort(partners.begin(), partners.end());
      const uint64_t size_a = doc_size(a);
      for (std::size_t i = 0; i < partners.size();) {
        std::size_t j = i + 1;
        while (j < partners.size() && partners[j] == partners[i]) ++j;
        const uint32_t b = partners[i];
        const uint64_t shared = j - i;
        const uint64_t size_b = doc_size(b);
        const uint64_t small = std::min(size_a, size_b);
        const uint64_t large = std::max(size_a, size_b);
        if (required_shared(small, large, p, shared) <= shared) {
          out.push_back({static_cast<uint32_t>(a), b});
        }
        i = j;
      }
    }
  });

  std::size_t count = 0;
  for (const auto& v : per_block) count += v.size();
  result.reserve(count);
  // Blocks cover ascending documents and each block's pairs are ascending, so the
  // concatenation is already sorted and unique.
  for (auto& v : per_block) {
    result.insert(result.end(), v.begin(), v.end());
    std::vector<CandidatePair>().swap(v);
  }
  return result;
}

}  // namespace doppel::index
