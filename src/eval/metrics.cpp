// File: eval/metrics.cpp
//
// Pair counting, the adjusted Rand index and scoring a run against truth.
//
// Pairs are counted from cluster sizes: a cluster of k documents holds
// C(k, 2) pairs, and the pairs two partitions agree on are the pairs inside
// each non-empty intersection of a truth cluster with a run cluster. Sorting
// the (truth label, run label) of every document groups the intersections, so
// the cost is O(n log n) however large the clusters are.
#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "doppel/eval.hpp"

namespace doppel::eval {
namespace {

// __extension__ keeps -Wpedantic quiet about the GCC/Clang 128-bit integer.
__extension__ typedef __int128 Int128;

uint64_t choose2(uint64_t k) { return k < 2 ? 0 : (k % 2 == 0 ? (k / 2) * (k - 1) : k * ((k - 1) / 2)); }

// Clusters of two or more documents.
uint64_t clusters_of_two_or_more(const std::vector<uint64_t>& labels) {
  std::unordered_map<uint64_t, uint64_t> size;
  for (uint64_t l : labels) ++size[l];
  uint64_t n = 0;
  for (const auto& [label, k] : size) n += k >= 2;
  return n;
}

constexpr size_t kMissingExamples = 10;

}  // namespace

PairCounts count_pairs(const std::vector<uint64_t>& truth_labels, const std::vector<uint64_t>& run_labels) {
  PairCounts c;
  const size_t n = std::min(truth_labels.size(), run_labels.size());
  c.documents = n;
  std::vector<std::pair<uint64_t, uint64_t>> both(n);
  for (size_t i = 0; i < n; ++i) both[i] = {truth_labels[i], run_labels[i]};
  std::sort(both.begin(), both.end());
  std::vector<uint64_t> run_sorted(run_labels.begin(), run_labels.begin() + static_cast<std::ptrdiff_t>(n));
  std::sort(run_sorted.begin(), run_sorted.end());
  // Runs of equal (truth, run) give the intersections; runs of equal truth the truth clusters.
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && both[j].first == both[i].first) ++j;
    c.together_truth += choose2(j - i);
    for (size_t k = i; k < j;) {
      size_t m = k;
      while (m < j && both[m].second == both[k].second) ++m;
      c.together_both += choose2(m - k);
      k = m;
    }
    i = j;
  }
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && run_sorted[j] == run_sorted[i]) ++j;
    c.together_run += choose2(j - i);
    i = j;
  }
  return c;
}

double adjusted_rand_index(const PairCounts& c) {
  // ARI = (index - expected) / (max - expected) with expected = a*b/N and
  // max = (a+b)/2. Multiplying through by 2N keeps everything an integer:
  //   ARI = 2 (index*N - a*b) / ((a+b) N - 2 a b).
  // With n < 2^31 documents every product is below 2^124.
  const Int128 total = choose2(c.documents);
  const Int128 index = c.together_both, a = c.together_truth, b = c.together_run;
  const Int128 numerator = 2 * (index * total - a * b);
  const Int128 denominator = (a + b) * total - 2 * a * b;
  // The denominator is 0 only when a = b = 0 (both all singletons) or a = b = N
  // (both one cluster): identical partitions.
  if (total == 0 || denominator == 0) return 1.0;
  return static_cast<double>(static_cast<long double>(numerator) / static_cast<long double>(denominator));
}

Prf precision_recall_f1(uint64_t correct, uint64_t predicted, uint64_t actual) {
  Prf p;
  p.precision = predicted ? static_cast<double>(static_cast<long double>(correct) / predicted) : 1.0;
  p.recall = actual ? static_cast<double>(static_cast<long double>(correct) / actual) : 1.0;
  p.f1 = p.precision + p.recall > 0 ? 2 * p.precision * p.recall / (p.precision + p.recall) : 0.0;
  return p;
}

Scores score(const Truth& truth, const Partition& run, const std::vector<LabelledPair>& planted) {
  Scores s;
  s.truth_kind = truth.kind;
  s.truth_path = truth.path;
  s.run = run.source;
  s.field = run.field;
  s.clusters = clusters_of_two_or_more(run.labels);

  // Whether the run put a and b together; a document the run lacks is alone.
  auto together = [&](const std::string& a, const std::string& b) {
    auto ia = run.position.find(a), ib = run.position.find(b);
    if (ia == run.position.end() || ib == run.position.end()) return false;
    return run.labels[ia->second] == run.labels[ib->second];
  };
  auto note_missing = [&](const std::string& id) {
    ++s.missing;
    if (s.missing_examples.size() < kMissingExamples) s.missing_examples.push_back(id);
  };

  if (truth.kind == Truth::Kind::kClustering) {
    const Partition& t = truth.clustering;
    s.documents = t.ids.size();
    std::vector<uint64_t> run_labels(t.ids.size());
    uint64_t alone = run.label_count;  // fresh labels for documents the run lacks
    for (size_t i = 0; i < t.ids.size(); ++i) {
      auto it = run.position.find(t.ids[i]);
      if (it == run.position.end()) {
        note_missing(t.ids[i]);
        run_labels[i] = alone++;
      } else {
        run_labels[i] = run.labels[it->second];
      }
    }
    for (const auto& id : run.ids) s.extra += t.position.count(id) == 0;
    PairCounts c = count_pairs(t.labels, run_labels);
    s.true_pairs = c.together_truth;
    s.predicted_pairs = c.together_run;
    s.correct_pairs = c.together_both;
    s.ari = adjusted_rand_index(c);
    s.true_clusters = clusters_of_two_or_more(t.labels);
  } else {
    std::unordered_set<std::string> seen;
    for (const auto& p : truth.pairs) {
      for (const std::string* id : {&p.a, &p.b}) {
        if (!seen.insert(*id).second) continue;
        if (!run.position.count(*id)) note_missing(*id);
      }
      bool placed = together(p.a, p.b);
      ++s.labelled_pairs;
      s.true_pairs += p.positive;
      s.predicted_pairs += placed;
      s.correct_pairs += placed && p.positive;
      if (p.positive && !p.kind.empty()) {
        auto& k = s.recall_by_kind[p.kind];
        ++k.total;
        k.found += placed;
      }
    }
    s.documents = seen.size();
  }
  Prf prf = precision_recall_f1(s.correct_pairs, s.predicted_pairs, s.true_pairs);
  s.precision = prf.precision;
  s.recall = prf.recall;
  s.f1 = prf.f1;

  for (const auto& p : planted) {
    auto& k = s.recall_by_kind[p.kind];
    ++k.total;
    k.found += together(p.a, p.b);
  }
  for (auto& [kind, k] : s.recall_by_kind) {
    k.recall = k.total ? static_cast<double>(k.found) / static_cast<double>(k.total) : 1.0;
  }
  return s;
}

}  // namespace doppel::eval
