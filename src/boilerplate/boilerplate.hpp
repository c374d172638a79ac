// File: boilerplate/boilerplate.hpp
//
// Boilerplate: lines that recur across many documents (navigation, bylines,
// cookie notices, "Share this post", newsletter footers). Left in, a long
// shared template makes unrelated short articles look like copies of each
// other; taken out, matching compares what the documents actually say.
//
// A line is identified by the hash of its normalised text. Two rules decide
// which lines are boilerplate, both counting DISTINCT documents:
//  - global: the line occurs in at least `min_docs` documents;
//  - per source (when a source field such as an outlet or domain is given): the
//    line occurs in at least `min_source_docs` documents of one source. A site's
//    template repeats within that site, while a reprinted article appears once
//    per outlet, so this rule can be much lower than the global one.
// A document made only of boilerplate still gets an answer: it is compared on
// its full text, and its boilerplate share is reported.
//
//   doppel::boilerplate::LineStats stats;
//   for (each document) { line_keys(text, scratch, keys); stats.add(keys, source); }
//   BoilerplateSet set = stats.finish(options);
//   Stripped s = strip(text, set, scratch, content);   // content: text without boilerplate lines
//   (or strip_normalized(text, whole, set, normalized_content) on a whole-text normalisation)
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <xxhash.h>

#include "text/normalize.hpp"

namespace doppel::boilerplate {

inline constexpr uint64_t kLineSeed = 0x646f7070656c6c6eULL;  // "doppelln"

// Hash of a line's normalised text; 0 when nothing is left after normalisation.
uint64_t line_key(std::string_view line, text::NormalizedText& scratch);

// The distinct non-zero line keys of a text split on '\n', sorted.
void line_keys(std::string_view text, text::NormalizedText& scratch, std::vector<uint64_t>& out);

// The same keys read off `whole`, the normalisation of the text made with its
// line breaks (text::normalize(text, whole, ..., /*with_line_breaks=*/true)),
// so that a caller who normalises the whole text anyway need not normalise
// every line again. Equal to line_keys() on the text, key for key.
void line_keys_of_normalized(const text::NormalizedText& whole, std::vector<uint64_t>& out);

// What identifies a document's source (the --source-field value) in LineStats.
inline uint64_t source_key(std::string_view source) { return XXH3_64bits(source.data(), source.size()); }

struct Options {
  uint32_t min_docs = 20;
  uint32_t min_source_docs = 3;
};

struct Line {
  uint64_t key = 0;
  uint32_t documents = 0;         // distinct documents holding the line
  uint32_t source_documents = 0;  // most documents of any one source holding it (0 without sources)
};

class BoilerplateSet {
 public:
  BoilerplateSet() = default;
  explicit BoilerplateSet(std::vector<Line> lines);  // sorted by key
  bool empty() const { return lines_.empty(); }
  bool contains(uint64_t key) const { return find(key) != nullptr; }
  const Line* find(uint64_t key) const {
    if (lines_.empty()) return nullptr;
    const uint64_t bit = key >> filter_shift_;
    if ((filter_[bit >> 6] >> (bit & 63) & 1) == 0) return nullptr;
    return find_listed(key);
  }
  const std::vector<Line>& lines() const { return lines_; }

 private:
  const Line* find_listed(uint64_t key) const;  // binary search of lines_

  std::vector<Line> lines_;
  // A bit per value of a key's top bits, set for the listed lines' keys. Nearly
  // every line looked up is not boilerplate, and a clear bit says so without a
  // binary search (whose ~10 unpredictable branches per line of a book-sized
  // corpus were 7% of the boilerplate pass).
  std::vector<uint64_t> filter_;
  int filter_shift_ = 63;
};

// Collects every document's distinct line keys (and its source, when known) and
// counts distinct documents per line by sorting, not with a node-based map.
class LineStats {
 public:
  void add(std::span<const uint64_t> document_keys, std::optional<uint64_t> source);
  uint64_t documents() const { return documents_; }
  BoilerplateSet finish(const Options& options);

 private:
  std::vector<uint64_t> keys_;
  std::vector<std::pair<uint64_t, uint64_t>> source_keys_;  // (source, line key)
  uint64_t documents_ = 0;
};

struct Stripped {
  uint32_t lines = 0;              // non-empty lines
  uint32_t boilerplate_lines = 0;
  uint64_t bytes = 0;              // bytes of non-empty lines
  uint64_t boilerplate_bytes = 0;
  // Share of the text (by bytes of non-empty lines) that is boilerplate.
  double fraction() const { return bytes ? static_cast<double>(boilerplate_bytes) / static_cast<double>(bytes) : 0; }
};

// Writes `text` without its boilerplate lines into `content` (lines joined by
// '\n'). When `examples` is given, the first time a boilerplate line is seen its
// original text is recorded there as (key, text).
Stripped strip(std::string_view text, const BoilerplateSet& set, text::NormalizedText& scratch,
               std::string& content, std::vector<std::pair<uint64_t, std::string>>* examples = nullptr);

// strip() for a caller that normalises the whole text anyway: every line's key is
// read off `whole`, the normalisation of `text` made with its line breaks, and
// `normalized_content` receives text::normalize() of strip()'s content, made from
// the kept lines' slices of `whole` instead of normalising them again. Counts
// and examples are strip()'s, line for line.
Stripped strip_normalized(std::string_view text, const text::NormalizedText& whole, const BoilerplateSet& set,
                          std::string& normalized_content,
                          std::vector<std::pair<uint64_t, std::string>>* examples = nullptr);

}  // namespace doppel::boilerplate
