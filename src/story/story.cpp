// File: story/story.cpp
#include "story/story.hpp"

#include <tbb/parallel_for.h>
#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_map>

#include "cluster/cluster.hpp"

namespace doppel::story {
namespace {

// English function words: frequent enough to add noise to cosine on short
// documents even after idf. Other languages rely on idf alone.
constexpr std::string_view kStopWords[] = {
    "the",   "a",     "an",    "and",   "or",    "of",    "to",    "in",    "on",    "for",   "with",  "at",
    "by",    "from",  "as",    "is",    "are",   "was",   "were",  "be",    "been",  "it",    "its",   "this",
    "that",  "these", "those", "he",    "she",   "they",  "we",    "you",   "his",   "her",   "their", "our",
    "your",  "not",   "but",   "if",    "than",  "then",  "so",    "which", "who",   "whom",  "what",  "when",
    "where", "why",   "how",   "all",   "any",   "each",  "more",  "most",  "other", "some",  "no",    "nor",
    "only",  "own",   "same",  "too",   "very",  "can",   "will",  "just",  "should", "now",  "said",  "says",
    "say",   "also",  "after", "before", "about", "into", "over",  "under", "again", "once",  "here",  "there",
    "both",  "during", "while", "up",   "down",  "out",   "off",   "has",   "have",  "had",   "would", "could",
    "do",    "does",  "did",   "him",   "them",  "i",     "me",    "my",    "us"};

const std::vector<uint64_t>& stop_hashes() {
  static const std::vector<uint64_t> hashes = [] {
    std::vector<uint64_t> h;
    for (std::string_view w : kStopWords) h.push_back(XXH3_64bits_withSeed(w.data(), w.size(), text::kTokenSeed));
    std::sort(h.begin(), h.end());
    return h;
  }();
  return hashes;
}

// One code point of 3+ bytes: a character of a script written without spaces
// (the tokenizer only emits those as single-character tokens of that length).
bool is_single_wide_char(std::string_view normalized, const text::Token& t) {
  uint32_t len = t.end - t.begin;
  if (len < 3 || len > 4) return false;
  unsigned char lead = static_cast<unsigned char>(normalized[t.begin]);
  return (len == 3 && (lead & 0xF0) == 0xE0) || (len == 4 && (lead & 0xF8) == 0xF0);
}

struct Weighted {
  uint64_t term;
  float weight;
  bool shared;  // the term occurs in at least one other document
};

// TF-IDF vectors, L2-normalised, sorted by term.
std::vector<std::vector<Weighted>> weigh(std::span<const TermVector> docs) {
  std::vector<uint64_t> all;
  for (const auto& d : docs)
    for (const auto& tc : d) all.push_back(tc.term);
  std::sort(all.begin(), all.end());
  std::vector<std::pair<uint64_t, uint32_t>> df;
  for (size_t i = 0; i < all.size();) {
    size_t j = i;
    while (j < all.size() && all[j] == all[i]) ++j;
    df.push_back({all[i], static_cast<uint32_t>(j - i)});
    i = j;
  }
  const double n = static_cast<double>(docs.size());
  std::vector<std::vector<Weighted>> out(docs.size());
  tbb::parallel_for(size_t{0}, docs.size(), [&](size_t i) {
    auto& v = out[i];
    v.reserve(docs[i].size());
    double norm = 0;
    for (const auto& tc : docs[i]) {
      auto it = std::lower_bound(df.begin(), df.end(), std::make_pair(tc.term, uint32_t{0}));
      double idf = std::log((n + 1) / (static_cast<double>(it->second) + 1)) + 1;
      double w = (1 + std::log(static_cast<double>(tc.count))) * idf * (tc.bigram ? 0.5 : 1.0);
      v.push_back({tc.term, static_cast<float>(w), it->second > 1});
      norm += w * w;
    }
    norm = std::sqrt(norm);
    if (norm > 0)
      for (auto& x : v) x.weight = static_cast<float>(x.weight / norm);
  });
  return out;
}

double dot(const std::vector<Weighted>& a, const std::vector<Weighted>& b) {
  double s = 0;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i].term < b[j].term) {
      ++i;
    } else if (b[j].term < a[i].term) {
      ++j;
    } else {
      s += static_cast<double>(a[i].weight) * b[j].weight;
      ++i;
      ++j;
    }
  }
  return s;
}

// A group's members' unit vectors summed, as a sparse map. The dot product of
// two groups' sums divided by both sizes is the mean cosine over every cross
// pair of members: average linkage, computed without visiting the pairs.
struct Centroid {
  std::unordered_map<uint64_t, double> sum;
  double norm2 = 0;
  uint32_t members = 1;
  void add(const std::vector<Weighted>& v) {
    for (const auto& x : v) {
      double& s = sum[x.term];
      norm2 -= s * s;
      s += x.weight;
      norm2 += s * s;
    }
  }
  void absorb(const Centroid& o) {
    members += o.members;
    for (const auto& [t, w] : o.sum) {
      double& s = sum[t];
      norm2 -= s * s;
      s += w;
      norm2 += s * s;
    }
  }
  double mean_cross_similarity(const Centroid& o) const {
    const Centroid& small = sum.size() <= o.sum.size() ? *this : o;
    const Centroid& large = sum.size() <= o.sum.size() ? o : *this;
    double s = 0;
    for (const auto& [t, w] : small.sum) {
      auto it = large.sum.find(t);
      if (it != large.sum.end()) s += w * it->second;
    }
    return s / (static_cast<double>(members) * static_cast<double>(o.members));
  }
};

}  // namespace

void extract_terms(std::string_view normalized, std::span<const text::Token> tokens, TermVector& out) {
  out.clear();
  const auto& stops = stop_hashes();
  // Bigram terms are tagged in the lowest bit so words and bigrams never collide.
  std::vector<uint64_t> terms;
  terms.reserve(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    const text::Token& t = tokens[i];
    if (is_single_wide_char(normalized, t)) {
      if (i + 1 < tokens.size() && is_single_wide_char(normalized, tokens[i + 1]) &&
          tokens[i + 1].begin == t.end) {
        // Order-sensitive combination: "AB" and "BA" are different terms.
        terms.push_back(XXH3_64bits_withSeed(&tokens[i + 1].hash, sizeof(uint64_t), t.hash) | 1);
      }
      continue;
    }
    if (t.end - t.begin < 2) continue;
    if (std::binary_search(stops.begin(), stops.end(), t.hash)) continue;
    terms.push_back(t.hash & ~uint64_t{1});
  }
  std::sort(terms.begin(), terms.end());
  for (size_t i = 0; i < terms.size();) {
    size_t j = i;
    while (j < terms.size() && terms[j] == terms[i]) ++j;
    out.push_back({terms[i], static_cast<uint32_t>(j - i), (terms[i] & 1) != 0});
    i = j;
  }
}

double story_similarity(std::span<const TermVector> docs, uint32_t a, uint32_t b) {
  auto w = weigh(docs);
  return dot(w[a], w[b]);
}

StoryGroups group_stories(std::span<const TermVector> docs, std::span<const std::optional<int64_t>> days,
                          const StoryOptions& options) {
  const uint32_t n = static_cast<uint32_t>(docs.size());
  auto vectors = weigh(docs);

  // Candidates: documents sharing one of their top-weighted terms.
  struct Posting {
    uint64_t term;
    uint32_t doc;
  };
  std::vector<Posting> postings;
  for (uint32_t d = 0; d < n; ++d) {
    // A term no other document has cannot link anything, however rare it is.
    std::vector<Weighted> top;
    for (const auto& w : vectors[d])
      if (w.shared) top.push_back(w);
    size_t k = std::min<size_t>(top.size(), static_cast<size_t>(std::max(1, options.top_terms)));
    std::partial_sort(top.begin(), top.begin() + k, top.end(), [](const Weighted& x, const Weighted& y) {
      return x.weight != y.weight ? x.weight > y.weight : x.term < y.term;
    });
    for (size_t i = 0; i < k; ++i) postings.push_back({top[i].term, d});
  }
  std::sort(postings.begin(), postings.end(),
            [](const Posting& x, const Posting& y) { return std::tie(x.term, x.doc) < std::tie(y.term, y.doc); });
  std::vector<std::pair<uint32_t, uint32_t>> candidates;
  for (size_t i = 0; i < postings.size();) {
    size_t j = i;
    while (j < postings.size() && postings[j].term == postings[i].term) ++j;
    if (j - i >= 2 && j - i <= options.max_posting) {
      for (size_t x = i; x < j; ++x)
        for (size_t y = x + 1; y < j; ++y) candidates.push_back({postings[x].doc, postings[y].doc});
    }
    i = j;
  }
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());

  std::vector<double> sims(candidates.size());
  tbb::parallel_for(size_t{0}, candidates.size(), [&](size_t i) {
    auto [a, b] = candidates[i];
    sims[i] = dot(vectors[a], vectors[b]);
  });

  struct Link {
    double sim;
    uint32_t a, b;
  };
  std::vector<Link> links;
  for (size_t i = 0; i < candidates.size(); ++i) {
    auto [a, b] = candidates[i];
    if (sims[i] < options.threshold) continue;
    if (options.window_days && !days.empty() && days[a] && days[b] &&
        std::llabs(*days[a] - *days[b]) > *options.window_days) {
      continue;
    }
    links.push_back({sims[i], a, b});
  }
  std::sort(links.begin(), links.end(), [](const Link& x, const Link& y) {
    return x.sim != y.sim ? x.sim > y.sim : std::tie(x.a, x.b) < std::tie(y.a, y.b);
  });

  // Strongest links first; two groups merge only when their centroids agree too.
  cluster::UnionFind uf(n);
  std::unordered_map<uint32_t, Centroid> centroids;
  auto centroid_of = [&](uint32_t root) -> Centroid& {
    auto [it, inserted] = centroids.try_emplace(root);
    if (inserted) it->second.add(vectors[root]);
    return it->second;
  };
  std::vector<cluster::Edge> accepted;
  for (const Link& l : links) {
    uint32_t ra = uf.find(l.a), rb = uf.find(l.b);
    if (ra == rb) continue;
    Centroid& ca = centroid_of(ra);
    Centroid& cb = centroid_of(rb);
    if (ca.mean_cross_similarity(cb) < options.merge_threshold()) continue;
    const bool a_larger = ca.sum.size() >= cb.sum.size();
    Centroid& larger = a_larger ? ca : cb;
    larger.absorb(a_larger ? cb : ca);  // fold the smaller map into the larger one
    Centroid merged = std::move(larger);
    centroids.erase(ra);
    centroids.erase(rb);
    uf.unite(ra, rb);
    centroids[uf.find(ra)] = std::move(merged);
    accepted.push_back({l.a, l.b, 0});
  }
  cluster::Components comps = cluster::connected_components(n, accepted);
  StoryGroups g;
  g.story_of = std::move(comps.component_of);
  g.stories = static_cast<uint32_t>(comps.members.size());
  g.links = links.size();
  return g;
}

std::optional<int64_t> parse_day(std::string_view s) {
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  auto num = [&](size_t at, size_t len) -> int {
    int v = 0;
    for (size_t i = at; i < at + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return -1;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  int y = num(0, 4), m = num(5, 2), d = num(8, 2);
  if (y < 0 || m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
  // Days from civil date (proleptic Gregorian), valid for any year >= 0.
  y -= m <= 2;
  const int era = y / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<int64_t>(era) * 146097 + doe - 719468;
}

}  // namespace doppel::story
