// File: story/story.hpp
//
// Story grouping: which documents report the same event, even when rewritten.
// Copies share passages; rewrites share *terms*: names, places, numbers, rare
// words. Each document becomes a TF-IDF vector over its terms (sublinear tf,
// smoothed idf = ln((N+1)/(df+1)) + 1, L2-normalised); two documents are
// linked when their cosine is at least the threshold. Groups are then merged
// along links from the strongest down, but only while the mean similarity over
// all cross pairs of the two groups (average linkage) stays above
// merge_ratio * threshold: that stops one ambiguous document from chaining two
// different stories together (single-link's failure mode).
//
//   std::vector<doppel::story::TermVector> docs = ...;   // extract_terms() per document
//   auto groups = doppel::story::group_stories(docs, days, options);
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "text/normalize.hpp"

namespace doppel::story {

// Term hash -> count, sorted by hash. A character-bigram term (scripts without
// spaces) weighs half a word: a word there is about two characters long, so
// counting every bigram fully would let such text dominate a vector's norm.
struct TermCount {
  uint64_t term;
  uint32_t count;
  bool bigram = false;
};
using TermVector = std::vector<TermCount>;

// Terms of a tokenised document: word tokens except stop words and single ASCII
// characters; in scripts written without spaces (one token per character) each
// pair of adjacent characters is a term, since single Han characters carry
// little meaning on their own.
void extract_terms(std::string_view normalized, std::span<const text::Token> tokens, TermVector& out);

struct StoryOptions {
  double threshold = 0.2;     // minimum cosine for a link between two documents
  double merge_ratio = 1.0;   // groups merge while their mean cross-pair cosine >= merge_ratio * threshold
  double merge_threshold() const { return merge_ratio * threshold; }
  int top_terms = 24;         // candidate pairs share one of each other's highest-weighted terms
  uint32_t max_posting = 2000;  // a term among more documents' top terms is too common to pair on
  std::optional<int64_t> window_days;  // when set, linked documents are at most this many days apart
};

struct StoryGroups {
  std::vector<uint32_t> story_of;  // per document: story number, in order of first document
  uint32_t stories = 0;
  uint64_t links = 0;  // document pairs above the threshold
};

// `days[i]`: the document's date as a day number (nullopt: unknown; unknown dates
// never block a link). `days` may be empty when no window is used.
StoryGroups group_stories(std::span<const TermVector> docs, std::span<const std::optional<int64_t>> days,
                          const StoryOptions& options);

// Cosine similarity of two documents' TF-IDF vectors under idf computed from
// `docs`; exposed for tests and for explain.
double story_similarity(std::span<const TermVector> docs, uint32_t a, uint32_t b);

// Parses the leading YYYY-MM-DD of a date string into days since 1970-01-01.
std::optional<int64_t> parse_day(std::string_view date);

}  // namespace doppel::story
