// File: boilerplate/boilerplate.cpp
#include "boilerplate/boilerplate.hpp"

#include <tbb/parallel_for.h>
#include <tbb/parallel_sort.h>
#include <xxhash.h>

#include <algorithm>
#include <bit>

#include "text/shingle.hpp"

namespace doppel::boilerplate {
namespace {

// Calls fn(line) for every line of `text` (split on '\n', '\r' stripped).
template <typename Fn>
void for_each_line(std::string_view text, Fn fn) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    fn(line);
    start = end + 1;
  }
}

uint64_t key_of_normalized_line(std::string_view normalized) {
  if (normalized.empty()) return 0;
  uint64_t h = XXH3_64bits_withSeed(normalized.data(), normalized.size(), kLineSeed);
  return h ? h : 1;  // 0 means "empty line"
}

// Line j (0-based, split on '\n') of the text `whole` normalises, as that line
// normalised on its own would read.
std::string_view normalized_line(const text::NormalizedText& whole, size_t j) {
  // Why a slice is the line's own normalisation: a '\n' is whitespace and ends
  // every cluster, so nothing composes, reorders or drops across it, and the
  // normaliser's only state carried over it is "some output exists, a space is
  // pending". That state changes nothing until the line's first character, which
  // it prefixes with the joining space; trailing whitespace stays pending into
  // the next line's joining space (or the end). A normalised line never starts
  // with a space, so a leading space in the slice is always the joining one.
  // The '\r' that for_each_line strips is whitespace just before the '\n'.
  // tests/unit/boilerplate_test.cpp and fuzz/fuzz_normalize.cpp check this
  // against line_key() line by line.
  const std::string_view text = whole.text;
  const size_t begin = j == 0 ? 0 : whole.line_breaks[j - 1];
  const size_t end = j < whole.line_breaks.size() ? whole.line_breaks[j] : text.size();
  std::string_view line = text.substr(begin, end - begin);
  if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
  return line;
}

// Sorts one bucket of line keys that agree in their top `known` bits, keeping
// repeats (each is one more document holding the line): a counting scatter by
// the next bits into about as many runs as keys, then each run on its own,
// by insertion, or std::sort for a long one (a line many documents hold makes
// a run of that many equal keys). A comparison sort of each bucket took twice
// the time of everything else in LineStats::finish.
void sort_bucket(uint64_t* keys, size_t n, int known, std::vector<uint64_t>& tmp, std::vector<uint32_t>& counts) {
  constexpr size_t kInsertionMax = 32;
  if (n <= kInsertionMax) {
    std::sort(keys, keys + n);
    return;
  }
  const int bits = std::clamp(static_cast<int>(std::bit_width(n)), 1, 64 - known);
  const int shift = 64 - known - bits;
  const uint64_t mask = bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
  const size_t runs = size_t{1} << bits;
  counts.assign(runs + 1, 0);
  for (size_t i = 0; i < n; ++i) ++counts[((keys[i] >> shift) & mask) + 1];
  for (size_t r = 0; r < runs; ++r) counts[r + 1] += counts[r];
  if (tmp.size() < n) tmp.resize(n);
  uint64_t* t = tmp.data();
  for (size_t i = 0; i < n; ++i) t[counts[(keys[i] >> shift) & mask]++] = keys[i];
  // counts[r] is now the end of run r.
  size_t begin = 0;
  for (size_t r = 0; r < runs; ++r) {
    const size_t end = counts[r];
    if (end - begin > kInsertionMax) {
      std::sort(t + begin, t + end);
    } else {
      for (size_t i = begin + 1; i < end; ++i) {
        const uint64_t x = t[i];
        size_t j = i;
        for (; j > begin && t[j - 1] > x; --j) t[j] = t[j - 1];
        t[j] = x;
      }
    }
    begin = end;
  }
  std::copy_n(t, n, keys);
}

// Sorts the line keys of a whole corpus (millions: 3.4 M on 1 GB of news).
// Keys are hashes, so a scatter by their top bits into buckets of about a
// thousand leaves each bucket to be sorted in cache, both cores taking
// buckets; a comparison sort over the whole array spent most of its time
// on the first levels' passes through memory.
void sort_line_keys(std::vector<uint64_t>& keys) {
  const size_t n = keys.size();
  if (n < (size_t{1} << 16)) {
    std::vector<uint64_t> tmp;
    std::vector<uint32_t> counts;
    sort_bucket(keys.data(), n, 0, tmp, counts);
    return;
  }
  const int bits = std::min(16, static_cast<int>(std::bit_width(n >> 10)));
  const int shift = 64 - bits;
  const size_t buckets = size_t{1} << bits;
  std::vector<size_t> start(buckets + 1, 0);
  for (const uint64_t k : keys) ++start[(k >> shift) + 1];
  for (size_t b = 0; b < buckets; ++b) start[b + 1] += start[b];
  std::vector<uint64_t> sorted(n);
  {
    std::vector<size_t> cursor(start.begin(), start.end() - 1);
    for (const uint64_t k : keys) sorted[cursor[k >> shift]++] = k;
  }
  tbb::parallel_for(tbb::blocked_range<size_t>(0, buckets, 64), [&](const tbb::blocked_range<size_t>& r) {
    std::vector<uint64_t> tmp;
    std::vector<uint32_t> counts;
    for (size_t b = r.begin(); b != r.end(); ++b) {
      sort_bucket(sorted.data() + start[b], start[b + 1] - start[b], bits, tmp, counts);
    }
  });
  keys.swap(sorted);
}

// Line keys are XXH3 hashes, as uniform as shingle hashes, so the shingle
// sets' radix sort serves them too: a book's ~10,000 lines took std::sort 4.5%
// of a Gutenberg run.
void sort_unique(std::vector<uint64_t>& keys) {
  thread_local text::SortScratch scratch;
  text::sort_unique(keys, scratch);
}

}  // namespace

uint64_t line_key(std::string_view line, text::NormalizedText& scratch) {
  text::normalize(line, scratch);
  return key_of_normalized_line(scratch.text);
}

void line_keys(std::string_view text, text::NormalizedText& scratch, std::vector<uint64_t>& out) {
  text::normalize(text, scratch, false, /*with_line_breaks=*/true);
  line_keys_of_normalized(scratch, out);
}

void line_keys_of_normalized(const text::NormalizedText& whole, std::vector<uint64_t>& out) {
  out.clear();
  for (size_t j = 0; j <= whole.line_breaks.size(); ++j) {
    if (uint64_t k = key_of_normalized_line(normalized_line(whole, j))) out.push_back(k);
  }
  sort_unique(out);
}

BoilerplateSet::BoilerplateSet(std::vector<Line> lines) : lines_(std::move(lines)) {
  if (lines_.empty()) return;
  // About 64 bits per line (a false positive, which costs only the binary
  // search, for ~1.5% of the other keys), from 4096 bits up to 8 MB.
  const int bits = std::clamp(static_cast<int>(std::bit_width(lines_.size() * 64 - 1)), 12, 26);
  filter_shift_ = 64 - bits;
  filter_.assign(size_t{1} << (bits - 6), 0);
  for (const Line& l : lines_) {
    const uint64_t bit = l.key >> filter_shift_;
    filter_[bit >> 6] |= uint64_t{1} << (bit & 63);
  }
}

const Line* BoilerplateSet::find_listed(uint64_t key) const {
  auto it = std::lower_bound(lines_.begin(), lines_.end(), key, [](const Line& l, uint64_t k) { return l.key < k; });
  return it != lines_.end() && it->key == key ? &*it : nullptr;
}

void LineStats::add(std::span<const uint64_t> document_keys, std::optional<uint64_t> source) {
  ++documents_;
  keys_.insert(keys_.end(), document_keys.begin(), document_keys.end());
  if (source) {
    for (uint64_t k : document_keys) source_keys_.push_back({*source, k});
  }
}

BoilerplateSet LineStats::finish(const Options& options) {
  sort_line_keys(keys_);
  std::vector<Line> counted;  // every line seen in more than one document
  for (size_t i = 0; i < keys_.size();) {
    size_t j = i;
    while (j < keys_.size() && keys_[j] == keys_[i]) ++j;
    if (j - i > 1) counted.push_back({keys_[i], static_cast<uint32_t>(j - i), 0});
    i = j;
  }
  std::vector<uint64_t>().swap(keys_);

  tbb::parallel_sort(source_keys_.begin(), source_keys_.end());
  // (line key, documents of one source), for lines repeated within a source.
  std::vector<std::pair<uint64_t, uint32_t>> per_source;
  for (size_t i = 0; i < source_keys_.size();) {
    size_t j = i;
    while (j < source_keys_.size() && source_keys_[j] == source_keys_[i]) ++j;
    if (j - i > 1) per_source.push_back({source_keys_[i].second, static_cast<uint32_t>(j - i)});
    i = j;
  }
  std::vector<std::pair<uint64_t, uint64_t>>().swap(source_keys_);
  std::sort(per_source.begin(), per_source.end());
  for (Line& l : counted) {
    auto it = std::lower_bound(per_source.begin(), per_source.end(), std::make_pair(l.key, uint32_t{0}));
    for (; it != per_source.end() && it->first == l.key; ++it) l.source_documents = std::max(l.source_documents, it->second);
  }

  std::vector<Line> boilerplate;
  for (const Line& l : counted) {
    bool global = l.documents >= options.min_docs;
    bool within_source = l.source_documents >= options.min_source_docs && l.source_documents > 1;
    if (global || within_source) boilerplate.push_back(l);
  }
  return BoilerplateSet(std::move(boilerplate));
}

namespace {

// The rule both strips share: `key_of(line, j)` keys original line j (0 for a
// line that normalises to nothing, which does not count), counts and examples
// are of original bytes, and `keep(line, j)` receives every other line that is
// not boilerplate, in order.
template <typename KeyOf, typename Keep>
Stripped strip_lines(std::string_view text, const BoilerplateSet& set,
                     std::vector<std::pair<uint64_t, std::string>>* examples, KeyOf key_of, Keep keep) {
  Stripped s;
  size_t j = 0;
  for_each_line(text, [&](std::string_view line) {
    const size_t index = j++;
    const uint64_t k = key_of(line, index);
    if (!k) return;
    ++s.lines;
    s.bytes += line.size();
    if (set.contains(k)) {
      ++s.boilerplate_lines;
      s.boilerplate_bytes += line.size();
      if (examples) examples->push_back({k, std::string(line)});
      return;
    }
    keep(line, index);
  });
  return s;
}

}  // namespace

Stripped strip(std::string_view text, const BoilerplateSet& set, text::NormalizedText& scratch, std::string& content,
               std::vector<std::pair<uint64_t, std::string>>* examples) {
  content.clear();
  return strip_lines(
      text, set, examples, [&](std::string_view line, size_t) { return line_key(line, scratch); },
      [&](std::string_view line, size_t) {
        if (!content.empty()) content.push_back('\n');
        content.append(line);
      });
}

Stripped strip_normalized(std::string_view text, const text::NormalizedText& whole, const BoilerplateSet& set,
                          std::string& normalized_content, std::vector<std::pair<uint64_t, std::string>>* examples) {
  normalized_content.clear();
  normalized_content.reserve(whole.text.size());  // the content is never longer than the whole
  std::string_view normalized;  // the line being keyed, for keep
  // for_each_line meets the lines in the order of whole.line_breaks.
  return strip_lines(
      text, set, examples,
      [&](std::string_view, size_t j) {
        normalized = normalized_line(whole, j);
        return key_of_normalized_line(normalized);
      },
      [&](std::string_view, size_t) {
        // strip()'s content is the kept lines joined by '\n'; normalising it joins
        // their non-empty normalisations with single spaces (see normalized_line and
        // text::NormalizedText::line_breaks), and a kept line's is never empty.
        if (!normalized_content.empty()) normalized_content.push_back(' ');
        normalized_content.append(normalized);
      });
}

}  // namespace doppel::boilerplate
