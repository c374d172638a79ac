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
#include <vector>

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

// For a pair with set sizes small <= large and containment exactly at the
// threshold: i shared shingles, u = |A u B|, n = min(k, u) values drawn.
struct ThresholdDraw {
  uint64_t i, u, n;
};
ThresholdDraw draw_at_threshold(uint64_t small, uint64_t large, const SanitizedParams& p) {
  // The epsilon keeps 0.8 * 5 = 4.000000000000001 from rounding up to 5.
  const double at_threshold = std::ceil(p.threshold * static_cast<double>(small) - 1e-9);
  const uint64_t i = std::clamp<uint64_t>(static_cast<uint64_t>(std::max(at_threshold, 1.0)), 1, small);
  const uint64_t u = small + large - i;
  return {i, u, std::min(p.k, u)};
}

// Whether the rule also counts the consistent sample (SampledValueModel).
bool samples(const SanitizedParams& p) { return p.sample_rate > 0.0 && p.sample_rate < 1.0; }

// Y ~ Hypergeometric(population u, successes i, draws n): how many of the n smallest
// values of A u B fall in A n B for a pair exactly at the containment threshold.
// cdf(y) is accumulated term by term in one fixed order so that min_shared_values()
// and the per-pair test below agree to the last bit.
class SharedValueModel {
 public:
  SharedValueModel(uint64_t small, uint64_t large, const SanitizedParams& p) {
    if (small > large) std::swap(small, large);
    const ThresholdDraw d = draw_at_threshold(small, large, p);
    i_ = d.i;
    u_ = d.u;
    n_ = d.n;
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
  SampledValueModel(uint64_t small, const SanitizedParams& p) : rate_(p.sample_rate), enabled_(samples(p)) {
    i_ = draw_at_threshold(small, small, p).i;  // i depends on the smaller size only
    if (!enabled_) return;
    log_pmf_ = static_cast<double>(i_) * std::log1p(-rate_);  // P(Z = 0), kept in log space
    cdf_ = std::exp(log_pmf_);
  }
  bool enabled() const { return enabled_; }
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
  bool enabled_;
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

// A cheap test that a pair certainly fails the rule, run before required_shared(),
// whose logs and exps dominate the per-pair cost: most pairs sharing a value share
// it by coincidence (one value between documents of similar size). The Chernoff
// bound holds for sampling without replacement too (Hoeffding 1963, section 6):
// P(Y <= shared) <= exp(-n D(shared/n || q)), q = i/u, D the Bernoulli relative
// entropy, itself >= 2 t^2 (t = q - shared/n), which is tried first as it needs no
// logarithm. When the bound is below 1e-6 * (1 - min_probability), the model's
// computed cdf stays under 1 - min_probability for every m <= shared (its
// relative error, from log-factorials of up to 2^33 differenced in doubles, is
// below 1e-3), so the loop in required_shared() runs past `shared` and the pair
// fails: the same answer, only sooner. The unit tests compare with the rule itself.
class CertainMiss {
 public:
  explicit CertainMiss(const SanitizedParams& p) : p_(p) {
    // Outside this range 1 - cdf >= p is decided by rounding, not by the bound.
    enabled_ = p.min_probability > 0.0 && p.min_probability < 1.0 - 1e-9;
    if (enabled_) min_exponent_ = -std::log(1e-6 * (1.0 - p.min_probability));
  }

  bool operator()(uint64_t small, uint64_t large, uint64_t shared) const {
    if (!enabled_) return false;
    const auto [i, u, n] = draw_at_threshold(small, large, p_);
    // The loop also stops at y_high = min(i, n) whatever the probabilities.
    if (std::min(i, n) <= shared) return false;
    const double dn = static_cast<double>(n);
    const double q = static_cast<double>(i) / static_cast<double>(u);
    const double x = static_cast<double>(shared) / dn;
    const double t = q - x;
    if (!(t > 0.0)) return false;
    if (2.0 * dn * t * t > min_exponent_) return true;
    if (q >= 1.0) return true;  // Y = n > shared always (the entropy would be infinite)
    const double entropy = x * std::log(x / q) + (1.0 - x) * std::log((1.0 - x) / (1.0 - q));
    return dn * entropy > min_exponent_;
  }

 private:
  SanitizedParams p_;
  bool enabled_ = false;
  double min_exponent_ = 0.0;
};

// The converse of CertainMiss: a test that a pair certainly passes, for the
// pairs of real copies, which share many more values than a pair at the
// threshold would, and for which required_shared() stepped through dozens of
// terms. Hoeffding's bound on the upper tail (which holds for sampling without
// replacement too) gives P(Y >= shared + 1) <= exp(-2 t^2 / n) with
// t = shared + 1 - E[Y]; when that is at most min_probability - 0.01, the
// computed 1 - cdf(shared) (error below 1e-3, see above) is below
// min_probability, so the loop in required_shared() stops by m = shared. The same
// bound for Z ~ Binomial(i, rate), exp(-2 t^2 / i) with t = shared + 1 - i * rate,
// stops the sampled loop there too. So the pair passes: the same answer, sooner.
class CertainHit {
 public:
  explicit CertainHit(const SanitizedParams& p) : p_(p) {
    enabled_ = p.min_probability > 0.02;
    if (enabled_) min_exponent_ = -std::log(p.min_probability - 0.01);
  }

  bool operator()(uint64_t small, uint64_t large, uint64_t shared) const {
    if (!enabled_) return false;
    const auto [i, u, n] = draw_at_threshold(small, large, p_);
    const double above = static_cast<double>(shared) + 1.0;
    const double dn = static_cast<double>(n);
    const double ty = above - dn * static_cast<double>(i) / static_cast<double>(u);
    if (!(ty > 0.0) || 2.0 * ty * ty / dn < min_exponent_) return false;
    if (samples(p_)) {
      const double di = static_cast<double>(i);
      const double tz = above - di * p_.sample_rate;
      if (!(tz > 0.0) || 2.0 * tz * tz / di < min_exponent_) return false;
    }
    return true;
  }

 private:
  SanitizedParams p_;
  bool enabled_ = false;
  double min_exponent_ = 0.0;
};

// A value and its document while one partition is grouped (in cache): 12 bytes,
// 4-byte aligned. The key is v * kMix (a bijection, so equal values stay equal
// while the partition and radix bits come out well mixed; bottom-k values are
// all small, so their own high bits hardly differ) without the partition's bits.
struct Posting {
  uint32_t lo;
  uint32_t hi;
  uint32_t doc;
  uint64_t key() const { return uint64_t{hi} << 32 | lo; }
};

// A posting that survived the max_posting filter: its document and how many
// postings follow it in the same value's list (all with larger document ids).
struct Slot {
  uint32_t doc;
  uint32_t after;
};

// The scattered postings take 8 bytes each, not 12: the key's top
// partition_bits are implied by its partition, and those bits hold the
// document's offset from the first document of its scatter range instead
// (ranges hold at most 2^partition_bits documents; a partition keeps each
// range's postings together, so the range is known from the position).
// A partition's slots are written over its own postings once these are grouped
// (a partition never has more slots than postings), so the slots need no
// allocation of their own and no copy into one array.
union Cell {
  uint64_t packed;  // key << partition_bits | document offset
  Slot slot;
};
static_assert(sizeof(Cell) == 8);

// Counting sorts below let each of `tasks` tasks count its items per bucket
// (counts[task * buckets + bucket]), then give every task its own range inside
// each bucket, tasks in order, so the layout never depends on scheduling.
// Turns the counts into those write cursors in place and returns where each
// bucket begins (buckets + 1 entries, the last one the total).
std::vector<std::size_t> counts_to_cursors(std::vector<std::size_t>& counts, std::size_t tasks, std::size_t buckets) {
  std::vector<std::size_t> begin(buckets + 1, 0);
  std::size_t at = 0;
  for (std::size_t b = 0; b < buckets; ++b) {
    begin[b] = at;
    for (std::size_t t = 0; t < tasks; ++t) {
      const std::size_t n = counts[t * buckets + b];
      counts[t * buckets + b] = at;
      at += n;
    }
  }
  begin[buckets] = at;
  return begin;
}

// Query documents per parallel task: fixed, so the split (and with it the order
// of the concatenated output) never depends on the thread count.
constexpr std::size_t kDocBlock = 128;

// A slot with at most this many documents after it in its list hands them to
// its document directly; a longer list is read from the slots when queried.
constexpr uint32_t kMaxDirect = 4;

// Postings per hash partition when grouping them by value: 768 KB at most, so a
// partition and its sorted copy fit in a core's L2 cache, while the scatter
// into partitions writes to few enough places at once that its TLB entries and
// write buffers keep up.
constexpr std::size_t kPostingsPerPartition = std::size_t{1} << 16;

// The scatter into partitions runs over document ranges of at least this many
// postings, and at most about kScatterChunks of them: enough tasks to keep every
// core busy, few enough that the per-range partition counts stay small.
constexpr std::size_t kMinChunkPostings = std::size_t{1} << 18;
constexpr std::size_t kScatterChunks = 64;

// Tasks (each a run of partitions) when sorting slot references by document
// block; their slot counts per block fix where each task writes.
constexpr std::size_t kSlotGroups = 64;

constexpr uint64_t kMix = 0x9e3779b97f4a7c15ULL;  // odd: v -> v * kMix is a bijection

// Sketches are prefixes of shingle sets, so consecutive ones usually lie far
// apart and the hardware prefetcher loses the stream at every document; the
// two passes over all sketches (count, scatter) spent a third of their time
// waiting for memory. They ask for the sketch this many documents ahead.
constexpr std::size_t kPrefetchDocs = 4;

void prefetch_sketch(std::span<const uint64_t> sketch) {
  const char* begin = reinterpret_cast<const char*>(sketch.data());
  const char* end = begin + sketch.size_bytes();
  for (const char* at = begin; at < end; at += 64) __builtin_prefetch(at);
}

// One scatter range's postings within a partition: cells [begin, end), their
// document offsets counted from first_doc.
struct Segment {
  std::size_t begin;
  std::size_t end;
  uint32_t first_doc;
};

// Per-thread buffers of the grouping, reused across partitions.
struct GroupScratch {
  std::vector<Segment> segments;
  std::vector<uint64_t> filter;
  std::vector<Posting> kept;
  std::vector<Posting> grouped;
  std::vector<uint32_t> counts;
};

// Orders the postings of one partition (its segments in range order, so in
// document order) that may share their value with another posting, by key,
// into `out`, keeping document order among equal keys; returns how many.
// Most values are held by one document only, and their postings can never
// form a pair, so a first pass marks which key hashes occur more than once
// (two bitmaps small enough for L2) and only those postings are sorted: a
// stable counting sort on the bits below the partition's own, then a stable
// insertion sort of each small run. A value seen once is dropped for sure; a
// few others survive by a hash collision and are dropped by the caller as
// lists of one document. Equal keys end up adjacent, which is all the caller
// needs.
std::size_t group_shared_values(const Cell* cells, std::span<const Segment> segments, std::size_t len,
                                int partition_bits, Posting* out, GroupScratch& scratch) {
  const uint64_t doc_mask = (uint64_t{1} << partition_bits) - 1;
  // About 16 bits per posting: a single value then collides with another with
  // probability ~1/16.
  const int filter_bits = std::clamp(static_cast<int>(std::bit_width(len)) + 4, 7, 24);
  const int filter_shift = 64 - filter_bits;
  std::vector<uint64_t>& filter = scratch.filter;  // words 2w and 2w + 1: seen and seen twice
  filter.assign(std::size_t{2} << (filter_bits - 6), 0);
  for (const Segment& g : segments) {
    for (std::size_t i = g.begin; i < g.end; ++i) {
      const uint64_t h = cells[i].packed >> filter_shift;
      uint64_t* word = filter.data() + 2 * (h >> 6);
      const uint64_t bit = uint64_t{1} << (h & 63);
      word[1] |= word[0] & bit;
      word[0] |= bit;
    }
  }
  std::vector<Posting>& kept = scratch.kept;
  kept.resize(len);
  std::size_t n = 0;
  for (const Segment& g : segments) {
    for (std::size_t i = g.begin; i < g.end; ++i) {
      const uint64_t packed = cells[i].packed;
      const uint64_t h = packed >> filter_shift;
      const uint64_t key = packed >> partition_bits;
      // Written always, kept when shared: no branch to mispredict.
      kept[n] = {static_cast<uint32_t>(key), static_cast<uint32_t>(key >> 32),
                 g.first_doc + static_cast<uint32_t>(packed & doc_mask)};
      n += (filter[2 * (h >> 6) + 1] >> (h & 63)) & 1;
    }
  }
  if (n == 0) return 0;

  const int bits = std::clamp(static_cast<int>(std::bit_width(n)) - 2, 1, 16);
  // kept[] holds keys without the partition bits, so its top bits are below 64 - partition_bits.
  const int shift = 64 - partition_bits - bits;
  const std::size_t runs = std::size_t{1} << bits;
  std::vector<uint32_t>& counts = scratch.counts;
  counts.assign(runs + 1, 0);
  auto bucket = [&](const Posting& x) { return static_cast<std::size_t>(x.key() >> shift); };
  for (std::size_t i = 0; i < n; ++i) ++counts[bucket(kept[i]) + 1];
  for (std::size_t r = 0; r < runs; ++r) counts[r + 1] += counts[r];
  for (std::size_t i = 0; i < n; ++i) out[counts[bucket(kept[i])]++] = kept[i];
  std::size_t begin = 0;
  for (std::size_t r = 0; r < runs; ++r) {
    const std::size_t end = counts[r];
    if (end - begin > 32) {
      // A value held by many documents (shared boilerplate) makes a long run;
      // insertion sort could go quadratic there.
      std::stable_sort(out + begin, out + end, [](const Posting& x, const Posting& y) { return x.key() < y.key(); });
      begin = end;
      continue;
    }
    for (std::size_t i = begin + 1; i < end; ++i) {
      const Posting x = out[i];
      const uint64_t kx = x.key();
      std::size_t j = i;
      for (; j > begin && out[j - 1].key() > kx; --j) out[j] = out[j - 1];
      out[j] = x;
    }
    begin = end;
  }
  return n;
}

// The query side. Every slot becomes entries of its document's block: a slot
// with few documents after it in its list (nearly all of them) one entry per such
// partner, any other a reference to the slot itself, read when its document is
// queried. So nearly all partners are copied out of the slots in one sequential
// pass, only long lists are followed at random, and memory stays within
// kMaxDirect entries per slot. Then, per document, the partners are counted and
// tested. Entry is uint32_t whenever the postings fit (document ids always do),
// which halves the entries' memory.
template <typename Entry>
std::vector<CandidatePair> query_blocks(const Cell* cells, std::size_t num_docs,
                                        std::span<const std::size_t> bounds,
                                        std::span<const std::size_t> slot_counts,
                                        std::span<const uint64_t> sizes, const SanitizedParams& p) {
  std::vector<CandidatePair> result;
  const std::size_t partitions = slot_counts.size();
  const std::size_t per_group = (partitions + kSlotGroups - 1) / kSlotGroups;
  const std::size_t groups = (partitions + per_group - 1) / per_group;
  const std::size_t num_blocks = (num_docs + kDocBlock - 1) / kDocBlock;
  auto for_each_slot = [&](std::size_t group, auto&& f) {
    const std::size_t q_end = std::min(partitions, (group + 1) * per_group);
    for (std::size_t q = group * per_group; q < q_end; ++q) {
      for (std::size_t s = bounds[q]; s < bounds[q] + slot_counts[q]; ++s) f(s);
    }
  };
  auto entries_of = [](const Slot& slot) -> std::size_t { return slot.after <= kMaxDirect ? slot.after : 1; };

  // Counting sort of the entries by block, tasks and their order fixed.
  std::vector<std::size_t> cursor(groups * num_blocks, 0);
  tbb::parallel_for(std::size_t{0}, groups, [&](std::size_t g) {
    std::size_t* row = cursor.data() + g * num_blocks;
    for_each_slot(g, [&](std::size_t s) { row[cells[s].slot.doc / kDocBlock] += entries_of(cells[s].slot); });
  });
  const std::vector<std::size_t> block_begin = counts_to_cursors(cursor, groups, num_blocks);
  // Each entry is tagged with its document's place in the block (and whether it
  // is a reference), so the block's own sort by document reads these arrays in
  // order instead of the slots.
  static_assert(2 * kDocBlock <= 256);
  constexpr uint8_t kRefTag = kDocBlock;
  std::unique_ptr<Entry[]> entries(new Entry[block_begin[num_blocks]]);
  std::unique_ptr<uint8_t[]> tags(new uint8_t[block_begin[num_blocks]]);
  tbb::parallel_for(std::size_t{0}, groups, [&](std::size_t g) {
    std::size_t* row = cursor.data() + g * num_blocks;
    for_each_slot(g, [&](std::size_t s) {
      const Slot slot = cells[s].slot;
      std::size_t& r = row[slot.doc / kDocBlock];
      const auto local = static_cast<uint8_t>(slot.doc % kDocBlock);
      if (slot.after > kMaxDirect) {
        entries[r] = static_cast<Entry>(s);
        tags[r++] = local | kRefTag;
        return;
      }
      for (std::size_t t = 1; t <= slot.after; ++t) {
        entries[r] = cells[s + t].slot.doc;
        tags[r++] = local;
      }
    });
  });
  std::vector<std::size_t>().swap(cursor);

  const CertainMiss certain_miss(p);
  const CertainHit certain_hit(p);
  struct QueryScratch {
    std::vector<Entry> by_doc;
    std::vector<uint8_t> ref;
    std::vector<uint32_t> partners;
  };
  tbb::enumerable_thread_specific<QueryScratch> scratch;
  std::vector<std::vector<CandidatePair>> per_block(num_blocks);
  tbb::parallel_for(std::size_t{0}, num_blocks, [&](std::size_t block) {
    const std::size_t first_doc = block * kDocBlock;
    const std::size_t end_doc = std::min(num_docs, first_doc + kDocBlock);
    const Entry* begin = entries.get() + block_begin[block];
    const uint8_t* tag = tags.get() + block_begin[block];
    const std::size_t len = block_begin[block + 1] - block_begin[block];
    if (len == 0) return;
    auto& [by_doc, ref, partners] = scratch.local();
    std::array<std::size_t, kDocBlock + 1> offsets{};
    for (std::size_t r = 0; r < len; ++r) ++offsets[(tag[r] & (kRefTag - 1)) + 1];
    for (std::size_t d = 0; d < kDocBlock; ++d) offsets[d + 1] += offsets[d];
    by_doc.resize(len);
    ref.resize(len);
    {
      std::array<std::size_t, kDocBlock> at{};
      std::copy_n(offsets.begin(), kDocBlock, at.begin());
      for (std::size_t r = 0; r < len; ++r) {
        const std::size_t o = at[tag[r] & (kRefTag - 1)]++;
        by_doc[o] = begin[r];
        ref[o] = tag[r] & kRefTag;
      }
    }
    std::vector<CandidatePair>& out = per_block[block];
    for (std::size_t a = first_doc; a < end_doc; ++a) {
      const std::size_t local = a - first_doc;
      if (offsets[local] == offsets[local + 1]) continue;
      // Every later document in a shared value's list is one piece of evidence;
      // sorting the partners turns counting them into counting runs.
      partners.clear();
      for (std::size_t o = offsets[local]; o < offsets[local + 1]; ++o) {
        if (ref[o] == 0) {
          partners.push_back(static_cast<uint32_t>(by_doc[o]));
          continue;
        }
        const std::size_t s = by_doc[o];
        const uint32_t after = cells[s].slot.after;
        for (std::size_t t = 1; t <= after; ++t) partners.push_back(cells[s + t].slot.doc);
      }
      std::sort(partners.begin(), partners.end());
      const uint64_t size_a = sizes[a];
      for (std::size_t i = 0; i < partners.size();) {
        std::size_t j = i + 1;
        while (j < partners.size() && partners[j] == partners[i]) ++j;
        const uint32_t b = partners[i];
        const uint64_t shared = j - i;
        const uint64_t size_b = sizes[b];
        const uint64_t small = std::min(size_a, size_b);
        const uint64_t large = std::max(size_a, size_b);
        if (certain_hit(small, large, shared) ||
            (!certain_miss(small, large, shared) && required_shared(small, large, p, shared) <= shared)) {
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
  for (auto& v : per_block) result.insert(result.end(), v.begin(), v.end());
  return result;
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
    // Only a set with more than n values below the bound extends the sketch. The
    // search starts at n and gallops, so a large set is read next to the values
    // its sketch holds anyway rather than at a binary search's scattered probes.
    if (n == sorted_set.size() || sorted_set[n] >= bound) return n;
    size_t low = n + 1;  // sorted_set[low - 1] < bound
    size_t step = 1;
    while (low + step <= sorted_set.size() && sorted_set[low + step - 1] < bound) {
      low += step;
      step *= 2;
    }
    const size_t high = std::min(sorted_set.size(), low + step - 1);
    n = std::lower_bound(sorted_set.begin() + low, sorted_set.begin() + high, bound) - sorted_set.begin();
  }
  return n;
}

std::vector<CandidatePair> containment_candidates(
    std::span<const std::span<const uint64_t>> bottoms, std::span<const uint32_t> set_sizes,
    const ContainmentParams& params, const BucketLimits& limits) {
  const SanitizedParams p = sanitize(params);
  const std::size_t num_docs = std::min({bottoms.size(), set_sizes.size(),
                                         std::size_t{std::numeric_limits<uint32_t>::max()}});

  auto live = [&](std::size_t d) { return set_sizes[d] > 0 && !bottoms[d].empty(); };
  // A caller's set size smaller than its own sketch would be inconsistent; the
  // sketch length is a hard lower bound on the set size, so use the larger.
  std::vector<uint64_t> sizes(num_docs);
  std::size_t total = 0;
  for (std::size_t d = 0; d < num_docs; ++d) {
    sizes[d] = std::max<uint64_t>(set_sizes[d], bottoms[d].size());
    if (live(d)) total += bottoms[d].size();
  }
  if (total < 2) return {};
  // Below kPostingsPerPartition per partition on small inputs (down to ~1024):
  // a range may hold at most 2^partition_bits documents (see Cell), and very few
  // partitions would make for many tiny ranges and few tasks.
  const int partition_bits =
      std::clamp(std::max(static_cast<int>(std::bit_width(total / kPostingsPerPartition)),
                          std::min(8, static_cast<int>(std::bit_width(total >> 10)))),
                 0, 16);
  const std::size_t partitions = std::size_t{1} << partition_bits;
  // Document ranges for the scatter, each starting where the previous one
  // reached its share of postings or 2^partition_bits documents (the offsets a
  // packed posting can hold): they depend on the input only.
  const std::size_t chunk_target = std::max(kMinChunkPostings, (total + kScatterChunks - 1) / kScatterChunks);
  const std::size_t max_chunk_docs = partitions;
  std::vector<uint32_t> chunk_first{0};
  {
    std::size_t in_chunk = 0;
    for (std::size_t d = 0; d < num_docs; ++d) {
      if (in_chunk >= chunk_target || d - chunk_first.back() == max_chunk_docs) {
        chunk_first.push_back(static_cast<uint32_t>(d));
        in_chunk = 0;
      }
      if (live(d)) in_chunk += bottoms[d].size();
    }
    chunk_first.push_back(static_cast<uint32_t>(num_docs));
  }
  const std::size_t chunks = chunk_first.size() - 1;

  // Postings are grouped by value in hash partitions small enough to sort in
  // cache rather than by one global comparison sort. Every document range counts
  // its postings per partition, then scatters them to its own place within each
  // partition: ranges ascend, so a partition holds its postings in document
  // order whatever thread wrote them, and sorting by value inside it gives
  // every value's list in ascending document order. Lists end up ordered by
  // partition, not by value, which nothing below depends on: each query's
  // partners are sorted anyway.
  const int partition_shift = 64 - partition_bits;
  auto partition_of = [&](uint64_t key) -> std::size_t {
    return partition_bits == 0 ? 0 : static_cast<std::size_t>(key >> partition_shift);
  };
  std::vector<std::size_t> at(chunks * partitions, 0);
  tbb::parallel_for(std::size_t{0}, chunks, [&](std::size_t c) {
    std::size_t* row = at.data() + c * partitions;
    for (std::size_t d = chunk_first[c]; d < chunk_first[c + 1]; ++d) {
      if (d + kPrefetchDocs < num_docs) prefetch_sketch(bottoms[d + kPrefetchDocs]);
      if (!live(d)) continue;
      for (uint64_t v : bottoms[d]) ++row[partition_of(v * kMix)];
    }
  });
  const std::vector<std::size_t> bounds = counts_to_cursors(at, chunks, partitions);
  // Every cell is written by the scatter below, so no zero-filling first.
  std::unique_ptr<Cell[]> cells(new Cell[total]);
  tbb::parallel_for(std::size_t{0}, chunks, [&](std::size_t c) {
    std::size_t* row = at.data() + c * partitions;
    for (std::size_t d = chunk_first[c]; d < chunk_first[c + 1]; ++d) {
      if (d + kPrefetchDocs < num_docs) prefetch_sketch(bottoms[d + kPrefetchDocs]);
      if (!live(d)) continue;
      const uint64_t offset = d - chunk_first[c];
      for (uint64_t v : bottoms[d]) {
        const uint64_t key = v * kMix;
        cells[row[partition_of(key)]++].packed = key << partition_bits | offset;
      }
    }
  });
  // `at` now holds where each range's postings end in each partition.

  // Keep the lists that can contribute evidence: at least two distinct documents
  // and no more than max_posting (boilerplate values would make the work quadratic
  // in the number of documents sharing them).
  std::vector<std::size_t> slot_counts(partitions, 0);
  tbb::enumerable_thread_specific<GroupScratch> scratch;
  tbb::parallel_for(std::size_t{0}, partitions, [&](std::size_t q) {
    GroupScratch& local = scratch.local();
    std::vector<Segment>& segments = local.segments;
    std::vector<Posting>& grouped = local.grouped;
    std::size_t len = bounds[q + 1] - bounds[q];
    if (len < 2) return;
    segments.clear();
    for (std::size_t c = 0, begin = bounds[q]; c < chunks; ++c) {
      const std::size_t end = at[c * partitions + q];
      if (end > begin) segments.push_back({begin, end, chunk_first[c]});
      begin = end;
    }
    grouped.resize(len);
    len = group_shared_values(cells.get(), segments, len, partition_bits, grouped.data(), local);
    Cell* region = cells.get() + bounds[q];
    const Posting* g = grouped.data();
    std::size_t written = 0;
    for (std::size_t i = 0; i < len;) {
      const uint64_t key = g[i].key();
      std::size_t j = i + 1;
      std::size_t distinct = 1;
      for (; j < len && g[j].key() == key; ++j) distinct += g[j].doc != g[j - 1].doc;
      if (distinct >= 2 && distinct <= limits.max_posting) {
        auto after = static_cast<uint32_t>(distinct - 1);
        for (std::size_t m = i; m < j; ++m) {
          if (m > i && g[m].doc == g[m - 1].doc) continue;
          region[written++].slot = {g[m].doc, after--};
        }
      }
      i = j;
    }
    slot_counts[q] = written;
  });

  std::vector<std::size_t>().swap(at);

  if (std::all_of(slot_counts.begin(), slot_counts.end(), [](std::size_t n) { return n == 0; })) return {};
  if (total <= std::numeric_limits<uint32_t>::max()) {
    return query_blocks<uint32_t>(cells.get(), num_docs, bounds, slot_counts, sizes, p);
  }
  return query_blocks<uint64_t>(cells.get(), num_docs, bounds, slot_counts, sizes, p);
}

}  // namespace doppel::index
