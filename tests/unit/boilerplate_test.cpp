// File: boilerplate_test.cpp
#include "boilerplate/boilerplate.hpp"

#include <gtest/gtest.h>

#include <random>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace doppel::boilerplate {
namespace {

// What line_keys() has to give, spelled out: every line (split on '\n', a
// trailing '\r' off) normalised on its own by line_key().
std::vector<uint64_t> keys_line_by_line(std::string_view text) {
  text::NormalizedText scratch;
  std::vector<uint64_t> out;
  for (size_t start = 0;;) {
    const size_t end = std::min(text.find('\n', start), text.size());
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (const uint64_t k = line_key(line, scratch)) out.push_back(k);
    if (end == text.size()) break;
    start = end + 1;
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// line_keys() and line_keys_of_normalized() on a normalisation with or without
// offsets, each against the line-by-line definition.
void expect_keys_as_line_by_line(const std::string& text) {
  const std::vector<uint64_t> expected = keys_line_by_line(text);
  text::NormalizedText scratch;
  std::vector<uint64_t> got;
  line_keys(text, scratch, got);
  ASSERT_EQ(got, expected) << ::testing::PrintToString(text);
  for (const bool with_offsets : {false, true}) {
    text::normalize(text, scratch, with_offsets, /*with_line_breaks=*/true);
    line_keys_of_normalized(scratch, got);
    ASSERT_EQ(got, expected) << with_offsets << " " << ::testing::PrintToString(text);
  }
}

// splitmix64, so the random texts are the same everywhere.
uint64_t next_random(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::vector<uint64_t> keys(const std::string& text) {
  text::NormalizedText scratch;
  std::vector<uint64_t> out;
  line_keys(text, scratch, out);
  return out;
}

TEST(Boilerplate, LineKeysIgnoreCaseSpacingAndEmptyLines) {
  text::NormalizedText s;
  EXPECT_EQ(line_key("  Share   this POST ", s), line_key("share this post", s));
  EXPECT_EQ(line_key("   ", s), 0u);
  EXPECT_NE(line_key("Share this post", s), line_key("Share this page", s));
  EXPECT_EQ(keys("a line\n\nA LINE\r\nother").size(), 2u);  // repeated and empty lines count once
}

TEST(Boilerplate, LineKeysFromTheWholeTextMatchLineByLine) {
  for (const char* text :
       {"", "\n", "\r", "\r\n", "\n\n\n", "\r\r\n\r", "one line", "no trailing newline\nsecond", "trailing\n",
        "crlf\r\nlines\r\n", "a\n\nb\n\n", "   \n\t\t\n \r\n", "  leading\ntrailing  \n  both  ",
        "Share this post\n  share   THIS post  \nSHARE THIS POST\r", "e\n\u0301", "e\r\n\u0301tail",
        "\u0301 starts with a mark\nand\n\u0308\u0301", "\u1100\n\u1161\u11a8", "\u0b47\n\u0b3e",
        "\u4e2d\u6587\n\u65e5\u672c\u8a9e\n\u4e2d\u6587", "\u00a8\n\u00a8x", "\u00a0\n\u2028\n\u3000",
        "\u200b\n\ufeff\n\x01\x02\n\x7f", "ok\n\xff\xfe\nok", "\xe4\xb8\n\xad\xe4", "\xc3\n\xa9",
        "\xef\xac\x81\nFI\nfi", "\u2019s\n's\n\u201cq\u201d\n\"q\"", "\u03a3\u03c2\n\u03c3\u03c3",
        "\uff21\uff22\nab", "x\xc2\x85y\nx y", "tab\there\ntab here", "a\rb\na b"}) {
    expect_keys_as_line_by_line(text);
  }
}

TEST(Boilerplate, LineKeysFromTheWholeTextOnRandomText) {
  // Lines built from pieces chosen to meet at line edges: spaces, marks that
  // would compose with what comes before, Hangul jamo, CJK, controls, format
  // characters, invalid bytes, long ASCII runs for the block loops.
  static const char* const kPieces[] = {
      " ",  "  ", "\t", "\r", "\n", "\r\n", "\n\n", "word", "Word", "UPPER", "e", "\u0301", "\u0308", "\u0327",
      "\u00e9", "\u1100", "\u1161", "\u11a8", "\uac00", "\u4e2d", "\u6587", "\u3002", "\u00a0", "\u2028",
      "\u3000", "\u200b", "\u200d", "\ufeff", "\x01", "\x7f", "\xc2\x85", "\xff", "\xe4\xb8", "\x80",
      "\u00a8", "\ufb01", "\u2019", "\u201c", "\u2014", "\uff21", "\u03a3", "\u0130", "\u0b47", "\u0b3e",
      "The quick brown fox jumps over the lazy dog, again and again.", "0123456789abcdef"};
  uint64_t state = 20251122;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string text;
    const uint64_t pieces = next_random(state) % 24;
    for (uint64_t k = 0; k < pieces; ++k) text += kPieces[next_random(state) % std::size(kPieces)];
    expect_keys_as_line_by_line(text);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(Boilerplate, GlobalRuleCountsDistinctDocuments) {
  LineStats stats;
  const std::string nav = "Home | World | Sport | Sign in";
  for (int i = 0; i < 25; ++i) {
    std::string doc = nav + "\nStory number " + std::to_string(i) + " about something\n" + nav;
    stats.add(keys(doc), std::nullopt);
  }
  Options o;
  o.min_docs = 20;
  BoilerplateSet set = stats.finish(o);
  text::NormalizedText s;
  ASSERT_EQ(set.lines().size(), 1u);
  EXPECT_TRUE(set.contains(line_key(nav, s)));
  EXPECT_EQ(set.find(line_key(nav, s))->documents, 25u);
}

// Checks that `set` lists exactly the keys held by at least min_docs documents
// according to `expected` (key -> documents), each with that count; returns
// how many that is.
size_t expect_listed_with_counts(const BoilerplateSet& set, const std::map<uint64_t, uint32_t>& expected,
                                 uint32_t min_docs) {
  size_t listed = 0;
  for (const auto& [key, documents] : expected) {
    const Line* line = set.find(key);
    if (documents < min_docs) {
      EXPECT_EQ(line, nullptr) << key;
      continue;
    }
    ++listed;
    EXPECT_NE(line, nullptr) << key;
    if (line != nullptr) {
      EXPECT_EQ(line->documents, documents) << key;
    }
  }
  EXPECT_EQ(set.lines().size(), listed);
  return listed;
}

TEST(Boilerplate, CountsHoldOnCorporaOfMillionsOfLines) {
  // Below 65,536 keys one radix pass sorts them all; past it the keys are first
  // split into buckets by their top bits. Either way counts must come out as a
  // plain count gives them, including lines shared by many documents (long runs
  // of equal keys) and keys at both ends of the range.
  for (const uint32_t documents_in_corpus : {3000u, 30000u}) {
    SCOPED_TRACE(documents_in_corpus);
    LineStats stats;
    std::map<uint64_t, uint32_t> expected;
    uint64_t state = 12345;
    auto next = [&] {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      return (state >> 1) | 1;  // never 0, the key of an empty line
    };
    const std::vector<uint64_t> shared = {1, 2, ~uint64_t{0}, uint64_t{1} << 63, 0x00F0000000000000ULL};
    for (uint32_t d = 0; d < documents_in_corpus; ++d) {
      std::vector<uint64_t> doc;
      for (int k = 0; k < 3; ++k) doc.push_back(next());
      for (size_t s = 0; s < shared.size(); ++s) {
        if (d % (s + 1) == 0 && d % 7 != 0) doc.push_back(shared[s]);
      }
      if (d % 2 == 0) doc.push_back(0x1234 + d % 40);  // 20 lines, each in 1/40 of the documents
      std::sort(doc.begin(), doc.end());
      for (const uint64_t k : doc) ++expected[k];
      stats.add(doc, std::nullopt);
    }
    Options o;
    o.min_docs = 20;
    const BoilerplateSet set = stats.finish(o);
    const size_t boilerplate = expect_listed_with_counts(set, expected, o.min_docs);
    EXPECT_EQ(boilerplate, shared.size() + 20);
  }
}

TEST(Boilerplate, EveryRepeatOfARandomKeyIsCounted) {
  // Keys spread over the whole range, each in one to four documents, with
  // min_docs 2: every key the sort fails to bring next to its repeats shows
  // up as a missing line or a wrong count.
  for (const uint32_t documents_in_corpus : {500u, 20000u}) {
    SCOPED_TRACE(documents_in_corpus);
    uint64_t state = 777 + documents_in_corpus;
    auto next = [&] {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      return state ^ (state >> 29);
    };
    std::vector<std::vector<uint64_t>> docs(documents_in_corpus);
    std::map<uint64_t, uint32_t> expected;
    for (uint32_t k = 0; k < documents_in_corpus * 6; ++k) {
      const uint64_t key = next() | 1;
      const uint32_t holders = 1 + static_cast<uint32_t>(next() % 4);
      for (uint32_t h = 0; h < holders; ++h) docs[(k + h * 7919) % documents_in_corpus].push_back(key);
      expected[key] += holders;
    }
    LineStats stats;
    for (auto& doc : docs) {
      std::sort(doc.begin(), doc.end());
      stats.add(doc, std::nullopt);
    }
    Options o;
    o.min_docs = 2;
    const BoilerplateSet set = stats.finish(o);
    expect_listed_with_counts(set, expected, o.min_docs);
  }
}

TEST(Boilerplate, BelowTheThresholdNothingIsBoilerplate) {
  LineStats stats;
  for (int i = 0; i < 5; ++i) stats.add(keys("A shared paragraph of a reprinted story.\nunique " + std::to_string(i)), {});
  EXPECT_TRUE(stats.finish(Options{}).empty());
}

TEST(Boilerplate, LookupsFindExactlyTheListedKeys) {
  // Listed keys, keys that share a listed key's top bits (the filter lets them
  // through to the search) and keys that do not; sets of every filter size.
  std::mt19937_64 rng(7);
  for (const size_t n : {size_t{1}, size_t{3}, size_t{64}, size_t{5000}, size_t{200000}}) {
    std::vector<Line> lines(n);
    for (Line& l : lines) l.key = rng();
    std::sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) { return a.key < b.key; });
    for (size_t i = 0; i < n; ++i) lines[i].documents = static_cast<uint32_t>(i + 1);
    const BoilerplateSet set(lines);
    for (size_t i = 0; i < n; ++i) {
      const Line* found = set.find(lines[i].key);
      ASSERT_NE(found, nullptr) << n << " " << i;
      EXPECT_EQ(found->documents, i + 1);
      EXPECT_FALSE(set.contains(lines[i].key ^ 1));  // same top bits, not listed
      EXPECT_FALSE(set.contains(lines[i].key + 2));
    }
    std::vector<uint64_t> keys;
    for (const Line& l : lines) keys.push_back(l.key);
    for (int i = 0; i < 10000; ++i) {
      const uint64_t other = rng();
      EXPECT_EQ(set.contains(other), std::binary_search(keys.begin(), keys.end(), other));
    }
  }
  EXPECT_FALSE(BoilerplateSet().contains(0));
  EXPECT_EQ(BoilerplateSet().find(~uint64_t{0}), nullptr);
}

TEST(Boilerplate, PerSourceRuleCatchesSmallSiteTemplates) {
  LineStats stats;
  // Site 1's footer in 4 of its documents; an article reprinted once by each of 4 sites.
  for (uint64_t i = 0; i < 4; ++i) stats.add(keys("Site one footer (c) 2025\nbrief " + std::to_string(i)), uint64_t{1});
  for (uint64_t site = 2; site < 6; ++site) stats.add(keys("The reprinted article paragraph."), site);
  BoilerplateSet set = stats.finish(Options{});
  text::NormalizedText s;
  EXPECT_TRUE(set.contains(line_key("Site one footer (c) 2025", s)));
  EXPECT_FALSE(set.contains(line_key("The reprinted article paragraph.", s)));
  EXPECT_EQ(set.find(line_key("Site one footer (c) 2025", s))->source_documents, 4u);
}

TEST(Boilerplate, StripKeepsContentAndReportsTheShare) {
  text::NormalizedText s;
  std::vector<Line> lines = {{line_key("Share this post", s), 30, 0}, {line_key("Sign in", s), 30, 0}};
  std::sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) { return a.key < b.key; });
  BoilerplateSet set(lines);
  std::string content;
  std::vector<std::pair<uint64_t, std::string>> examples;
  Stripped st = strip("Sign in\nThe council met.\n\nIt voted.\r\nshare THIS post", set, s, content, &examples);
  EXPECT_EQ(content, "The council met.\nIt voted.");
  EXPECT_EQ(st.lines, 4u);
  EXPECT_EQ(st.boilerplate_lines, 2u);
  EXPECT_NEAR(st.fraction(), double(7 + 15) / double(7 + 16 + 9 + 15), 1e-12);
  ASSERT_EQ(examples.size(), 2u);
  EXPECT_EQ(examples[0].second, "Sign in");
  Stripped all = strip("Sign in", set, s, content);
  EXPECT_TRUE(content.empty());
  EXPECT_DOUBLE_EQ(all.fraction(), 1.0);
}

// strip_normalized() against its definition: strip(), then the content
// normalised on its own; counts, examples and normalised content must agree.
void expect_strip_normalized_as_strip(const std::string& text, const BoilerplateSet& set) {
  text::NormalizedText scratch;
  std::string content;
  std::vector<std::pair<uint64_t, std::string>> expected_examples, examples;
  const Stripped expected = strip(text, set, scratch, content, &expected_examples);
  text::normalize(content, scratch);
  const std::string expected_content = scratch.text;
  for (const bool with_offsets : {false, true}) {
    text::NormalizedText whole;
    text::normalize(text, whole, with_offsets, /*with_line_breaks=*/true);
    std::string normalized_content = "left over from an earlier document";
    examples.clear();
    const Stripped got = strip_normalized(text, whole, set, normalized_content, &examples);
    ASSERT_EQ(normalized_content, expected_content) << with_offsets << " " << ::testing::PrintToString(text);
    ASSERT_EQ(got.lines, expected.lines) << ::testing::PrintToString(text);
    ASSERT_EQ(got.boilerplate_lines, expected.boilerplate_lines) << ::testing::PrintToString(text);
    ASSERT_EQ(got.bytes, expected.bytes) << ::testing::PrintToString(text);
    ASSERT_EQ(got.boilerplate_bytes, expected.boilerplate_bytes) << ::testing::PrintToString(text);
    ASSERT_EQ(examples, expected_examples) << ::testing::PrintToString(text);
  }
}

BoilerplateSet set_of(std::initializer_list<std::string_view> boilerplate_lines) {
  text::NormalizedText s;
  std::vector<Line> lines;
  for (std::string_view l : boilerplate_lines) lines.push_back({line_key(l, s), 30, 0});
  std::sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) { return a.key < b.key; });
  lines.erase(std::unique(lines.begin(), lines.end(), [](const Line& a, const Line& b) { return a.key == b.key; }),
              lines.end());
  return BoilerplateSet(std::move(lines));
}

TEST(Boilerplate, StripNormalizedMatchesStripThenNormalize) {
  // Boilerplate lines that meet their neighbours in ways normalisation could
  // join across: combining marks, jamo, CJK, spaces, controls, invalid bytes.
  const BoilerplateSet set = set_of({"Sign in", "share this post", "\u0301", "\u1161\u11a8", "\u4e2d\u6587",
                                     "\xff", "e", "---", "\u00a8"});
  for (const char* text :
       {"", "\n", "Sign in", "Sign in\n", "\nSign in", "Sign in\nThe council met.\n\nIt voted.\r\nshare THIS post",
        "  Sign   IN  \r\n  kept  \r\n\r\n  also kept\t\n", "kept\nSign in\nkept", "e\n\u0301\ne\u0301",
        "\u1100\n\u1161\u11a8\n\u1100", "x\n\u4e2d\u6587\ny\n\u4e2d\u6587z", "ok\n\xff\nok\xff\n\xff",
        "a\n---\n- - -\nb", "\u00a8\n \u00a8x\n\u00a8", "\x01\nSign in\x01\n\x7f\nword", "a\rb\nSign in\r\r\nc\r",
        "\u00a0Sign in\u2028\nshare this post\n\u3000x\u3000", "\xe4\xb8\nSign in\n\xad\xe4", "\xc3\n\xa9\nsign in",
        "Sign in\nSign in\nsign in\nSIGN IN"}) {
    expect_strip_normalized_as_strip(text, set);
  }
}

TEST(Boilerplate, StripNormalizedOnRandomText) {
  static const char* const kPieces[] = {
      " ",  "  ", "\t", "\r", "\n", "\r\n", "\n\n", "word", "Word", "e", "\u0301", "\u0308", "\u1100",
      "\u1161", "\u11a8", "\u4e2d", "\u6587", "\u00a0", "\u2028", "\u200b", "\ufeff", "\x01", "\x7f",
      "\xc2\x85", "\xff", "\xe4\xb8", "\x80", "\u00a8", "\ufb01", "\u2019", "\u2014", "\uff21",
      "\nSign in\n", "\nshare THIS post", "Sign in", "\n\u0301\n", "\ne\n",
      "The quick brown fox jumps over the lazy dog, again and again.", "0123456789abcdef"};
  const BoilerplateSet set = set_of({"Sign in", "share this post", "\u0301", "e", "word", "\u4e2d"});
  uint64_t state = 20261122;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string text;
    const uint64_t pieces = next_random(state) % 24;
    for (uint64_t k = 0; k < pieces; ++k) text += kPieces[next_random(state) % std::size(kPieces)];
    expect_strip_normalized_as_strip(text, set);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace doppel::boilerplate
