// File: tests/unit/match_test.cpp
// Unit tests for match: exact set overlap and passage alignment. Inputs are built
// by hand (tokens, normalised text and offset maps) so these tests depend only on
// the text module's types, not on its normaliser or tokeniser.
#include <gtest/gtest.h>
#include <xxhash.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "match/align.hpp"
#include "match/verify.hpp"
#include "test_support.hpp"

namespace doppel::match {
namespace {

// ---- helpers ---------------------------------------------------------------

// A document as align() sees it. Tokens are the space-separated words of the
// normalised text; offsets map normalised bytes to the original.
struct Doc {
  std::string original;
  text::NormalizedText norm;
  std::vector<text::Token> tokens;

  AlignInput input() const { return {original, &norm, tokens}; }
};

uint64_t token_hash(std::string_view word) {
  return XXH3_64bits_withSeed(word.data(), word.size(), text::kTokenSeed);
}

std::vector<text::Token> split_words(std::string_view s) {
  std::vector<text::Token> out;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == ' ') {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < s.size() && s[j] != ' ') ++j;
    out.push_back({token_hash(s.substr(i, j - i)), static_cast<uint32_t>(i),
                   static_cast<uint32_t>(j)});
    i = j;
  }
  return out;
}

// Original and normalised text are the same bytes; identity offset map.
Doc ascii_doc(std::string_view s) {
  Doc d;
  d.original = std::string(s);
  d.norm.text = std::string(s);
  for (uint32_t i = 0; i <= s.size(); ++i) d.norm.original_offset.push_back(i);
  d.tokens = split_words(d.norm.text);
  return d;
}

Doc mapped_doc(std::string_view original, std::string_view normalized,
               std::vector<uint32_t> offsets) {
  Doc d;
  d.original = std::string(original);
  d.norm.text = std::string(normalized);
  d.norm.original_offset = std::move(offsets);
  d.tokens = split_words(d.norm.text);
  return d;
}

std::string_view slice(const std::string& s, uint64_t begin, uint64_t end) {
  return std::string_view(s).substr(begin, end - begin);
}

Overlap brute_overlap(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  std::vector<uint64_t> both;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(both));
  return {both.size(), a.size(), b.size()};
}

std::vector<uint64_t> random_set(std::mt19937_64& rng, size_t n, uint64_t universe) {
  std::vector<uint64_t> v;
  v.reserve(n);
  for (size_t i = 0; i < n; ++i) v.push_back(rng() % universe);
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

// ---- char_offset -------------------------------------------------------------

TEST(CharOffset, Ascii) {
  EXPECT_EQ(char_offset("hello", 0), 0u);
  EXPECT_EQ(char_offset("hello", 3), 3u);
  EXPECT_EQ(char_offset("hello", 5), 5u);
  EXPECT_EQ(char_offset("hello", 99), 5u);  // clamped to the string
  EXPECT_EQ(char_offset("", 0), 0u);
}

TEST(CharOffset, Multibyte) {
  const std::string s = "a\xC3\xB6\xE4\xB8\xAD\xF0\x9F\x98\x80z";  // a ö 中 😀 z
  EXPECT_EQ(s.size(), 11u);
  EXPECT_EQ(char_offset(s, 1), 1u);
  EXPECT_EQ(char_offset(s, 3), 2u);
  EXPECT_EQ(char_offset(s, 6), 3u);
  EXPECT_EQ(char_offset(s, 10), 4u);
  EXPECT_EQ(char_offset(s, 11), 5u);
  EXPECT_EQ(char_offset(s, 2), 2u);  // inside ö: its lead byte is counted
}

// ---- overlap -------------------------------------------------------------------

TEST(Overlap, HandCases) {
  const std::vector<uint64_t> a{1, 3, 5, 7, 9};
  const std::vector<uint64_t> b{3, 4, 5, 6, 7, 8};
  const Overlap o = overlap(a, b);
  EXPECT_EQ(o.intersection, 3u);
  EXPECT_EQ(o.size_a, 5u);
  EXPECT_EQ(o.size_b, 6u);
  EXPECT_DOUBLE_EQ(o.jaccard(), 3.0 / 8.0);
  EXPECT_DOUBLE_EQ(o.containment_a_in_b(), 3.0 / 5.0);
  EXPECT_DOUBLE_EQ(o.containment_b_in_a(), 3.0 / 6.0);
  EXPECT_DOUBLE_EQ(o.max_containment(), 3.0 / 5.0);

  EXPECT_EQ(overlap(a, a).intersection, 5u);
  EXPECT_DOUBLE_EQ(overlap(a, a).jaccard(), 1.0);
  const std::vector<uint64_t> disjoint{0, 2, 4, UINT64_MAX};
  EXPECT_EQ(overlap(a, disjoint).intersection, 0u);
  EXPECT_DOUBLE_EQ(overlap(a, disjoint).jaccard(), 0.0);
  const std::vector<uint64_t> extremes{0, UINT64_MAX};
  EXPECT_EQ(overlap(disjoint, extremes).intersection, 2u);
}

TEST(Overlap, EmptySets) {
  const std::vector<uint64_t> none;
  const std::vector<uint64_t> some{1, 2};
  const Overlap both_empty = overlap(none, none);
  EXPECT_EQ(both_empty.intersection, 0u);
  EXPECT_DOUBLE_EQ(both_empty.jaccard(), 1.0);
  EXPECT_DOUBLE_EQ(both_empty.containment_a_in_b(), 0.0);
  EXPECT_DOUBLE_EQ(both_empty.max_containment(), 0.0);

  const Overlap a_empty = overlap(none, some);
  EXPECT_EQ(a_empty.size_b, 2u);
  EXPECT_DOUBLE_EQ(a_empty.jaccard(), 0.0);
  EXPECT_DOUBLE_EQ(a_empty.containment_a_in_b(), 0.0);
  EXPECT_DOUBLE_EQ(a_empty.containment_b_in_a(), 0.0);
}

TEST(Overlap, SubsetContainment) {
  const std::vector<uint64_t> small{10, 20};
  const std::vector<uint64_t> big{5, 10, 15, 20, 25};
  const Overlap o = overlap(small, big);
  EXPECT_EQ(o.intersection, 2u);
  EXPECT_DOUBLE_EQ(o.containment_a_in_b(), 1.0);
  EXPECT_DOUBLE_EQ(o.containment_b_in_a(), 0.4);
  EXPECT_DOUBLE_EQ(o.max_containment(), 1.0);
  EXPECT_DOUBLE_EQ(o.jaccard(), 0.4);
}

TEST(Overlap, RandomComparableSizesMatchSetIntersection) {
  std::mt19937_64 rng(12345);
  for (int round = 0; round < 200; ++round) {
    const auto a = random_set(rng, 1 + rng() % 300, 1000);
    const auto b = random_set(rng, 1 + rng() % 300, 1000);
    const Overlap expected = brute_overlap(a, b);
    const Overlap got = overlap(a, b);
    ASSERT_EQ(got.intersection, expected.intersection) << "round " << round;
    ASSERT_EQ(got.size_a, a.size());
    ASSERT_EQ(got.size_b, b.size());
  }
}

TEST(Overlap, RandomSkewedSizesUseGallopingAndMatchSetIntersection) {
  std::mt19937_64 rng(777);
  for (int round = 0; round < 10; ++round) {
    const auto big = random_set(rng, 100000, 400000);
    // Half the small set's elements are drawn from the big set to force hits,
    // including its first and last elements.
    std::vector<uint64_t> small;
    small.push_back(big.front());
    small.push_back(big.back());
    for (int k = 0; k < 4; ++k) small.push_back(big[rng() % big.size()]);
    for (int k = 0; k < 4; ++k) small.push_back(rng() % 500000);
    std::sort(small.begin(), small.end());
    small.erase(std::unique(small.begin(), small.end()), small.end());
    const Overlap expected = brute_overlap(small, big);
    ASSERT_GE(expected.intersection, 2u);
    EXPECT_EQ(overlap(small, big).intersection, expected.intersection) << "round " << round;
    EXPECT_EQ(overlap(big, small).intersection, expected.intersection) << "round " << round;
    EXPECT_EQ(overlap(big, small).size_a, big.size());
  }
}

TEST(Overlap, GallopingEdgeCases) {
  std::vector<uint64_t> big;
  for (uint64_t i = 0; i < 1000; ++i) big.push_back(i * 2);  // even numbers
  EXPECT_EQ(overlap(std::vector<uint64_t>{0}, big).intersection, 1u);
  EXPECT_EQ(overlap(std::vector<uint64_t>{1998}, big).intersection, 1u);
  EXPECT_EQ(overlap(std::vector<uint64_t>{1999, 5000}, big).intersection, 0u);
  EXPECT_EQ(overlap(std::vector<uint64_t>{1, 3, 5}, big).intersection, 0u);
  EXPECT_EQ(overlap(std::vector<uint64_t>{2, 4, 1000, 1997, 1998}, big).intersection, 4u);
}

// ---- align ---------------------------------------------------------------------

TEST(Align, IdenticalSequencesGiveOnePassage) {
  const Doc a = ascii_doc("the quick brown fox jumps over the lazy dog");
  const Doc b = ascii_doc("the quick brown fox jumps over the lazy dog");
  const auto passages = align(a.input(), b.input(), 3);
  ASSERT_EQ(passages.size(), 1u);
  const Passage& p = passages[0];
  EXPECT_EQ(p.tokens, 9u);
  EXPECT_EQ(p.a.byte_begin, 0u);
  EXPECT_EQ(p.a.byte_end, a.original.size());
  EXPECT_EQ(p.b.byte_begin, 0u);
  EXPECT_EQ(p.b.byte_end, b.original.size());
  EXPECT_EQ(p.a.char_begin, 0u);
  EXPECT_EQ(p.a.char_end, 43u);
  EXPECT_EQ(p.b.char_end, 43u);
}

TEST(Align, ExcerptOfB) {
  const Doc a = ascii_doc("brown fox jumps over");
  const Doc b = ascii_doc("the quick brown fox jumps over the lazy dog");
  const auto passages = align(a.input(), b.input(), 3);
  ASSERT_EQ(passages.size(), 1u);
  const Passage& p = passages[0];
  EXPECT_EQ(p.tokens, 4u);
  EXPECT_EQ(p.a.byte_begin, 0u);
  EXPECT_EQ(p.a.byte_end, 20u);
  EXPECT_EQ(p.b.byte_begin, 10u);
  EXPECT_EQ(p.b.byte_end, 30u);
  EXPECT_EQ(p.b.char_begin, 10u);
  EXPECT_EQ(p.b.char_end, 30u);
  EXPECT_EQ(slice(b.original, p.b.byte_begin, p.b.byte_end), "brown fox jumps over");
}

TEST(Align, TwoSharedRunsReportedInAOrder) {
  // In B the runs appear in the opposite order, so A order is observable.
  const Doc a = ascii_doc("one two three four xx yy five six seven");
  const Doc b = ascii_doc("five six seven zz one two three four");
  const auto passages = align(a.input(), b.input(), 3);
  ASSERT_EQ(passages.size(), 2u);
  EXPECT_EQ(passages[0].tokens, 4u);
  EXPECT_EQ(slice(a.original, passages[0].a.byte_begin, passages[0].a.byte_end),
            "one two three four");
  EXPECT_EQ(passages[0].b.byte_begin, 18u);
  EXPECT_EQ(passages[0].b.byte_end, 36u);
  EXPECT_EQ(passages[1].tokens, 3u);
  EXPECT_EQ(passages[1].a.byte_begin, 25u);
  EXPECT_EQ(passages[1].a.byte_end, 39u);
  EXPECT_EQ(slice(b.original, passages[1].b.byte_begin, passages[1].b.byte_end),
            "five six seven");
}

TEST(Align, RepeatedPhraseInBDoesNotOverlap) {
  // The phrase occurs twice in B but once in A: only one passage, at the first
  // occurrence in B (tie broken by the smaller b position).
  const Doc a = ascii_doc("x p q r y");
  const Doc b = ascii_doc("p q r z p q r");
  const auto passages = align(a.input(), b.input(), 3);
  ASSERT_EQ(passages.size(), 1u);
  EXPECT_EQ(passages[0].tokens, 3u);
  EXPECT_EQ(passages[0].a.byte_begin, 2u);
  EXPECT_EQ(passages[0].a.byte_end, 7u);
  EXPECT_EQ(passages[0].b.byte_begin, 0u);
  EXPECT_EQ(passages[0].b.byte_end, 5u);
}

TEST(Align, RepeatedPhraseInAIsMatchedOnceInB) {
  const Doc a = ascii_doc("p q r s p q r");
  const Doc b = ascii_doc("p q r");
  const auto passages = align(a.input(), b.input(), 2);
  ASSERT_EQ(passages.size(), 1u);
  EXPECT_EQ(passages[0].a.byte_begin, 0u);
  EXPECT_EQ(passages[0].b.byte_begin, 0u);
  EXPECT_EQ(passages[0].tokens, 3u);
}

TEST(Align, LongestRunWinsOverShorterOverlappingRun) {
  // "a b c" matches B at 0 (length 3) and at 4 (length 6, "a b c d e f");
  // the longer run is taken and the shorter one overlaps it in A.
  const Doc a = ascii_doc("a b c d e f");
  const Doc b = ascii_doc("a b c X a b c d e f");
  const auto passages = align(a.input(), b.input(), 2);
  ASSERT_EQ(passages.size(), 1u);
  EXPECT_EQ(passages[0].tokens, 6u);
  EXPECT_EQ(passages[0].b.byte_begin, 8u);
  EXPECT_EQ(passages[0].b.byte_end, 19u);
}

TEST(Align, MultibyteOffsetsLandOnCharacterBoundaries) {
  // Original "Ｈello wörld": fullwidth H (3 bytes) folds to "h"; ö stays 2 bytes.
  const std::string original = "\xEF\xBC\xA8" "ello w\xC3\xB6rld";
  const std::string normalized = "hello w\xC3\xB6rld";
  ASSERT_EQ(original.size(), 14u);
  ASSERT_EQ(normalized.size(), 12u);
  const std::vector<uint32_t> offsets{0, 3, 4, 5, 6, 7, 8, 9, 9, 11, 12, 13, 14};
  const Doc a = mapped_doc(original, normalized, offsets);
  const Doc b = ascii_doc("say hello w\xC3\xB6rld again");
  ASSERT_EQ(a.tokens.size(), 2u);

  const auto passages = align(a.input(), b.input(), 2);
  ASSERT_EQ(passages.size(), 1u);
  const Passage& p = passages[0];
  EXPECT_EQ(p.tokens, 2u);
  EXPECT_EQ(p.a.byte_begin, 0u);
  EXPECT_EQ(p.a.byte_end, 14u);
  EXPECT_EQ(p.a.char_begin, 0u);
  EXPECT_EQ(p.a.char_end, 11u);
  EXPECT_EQ(p.b.byte_begin, 4u);
  EXPECT_EQ(p.b.byte_end, 16u);
  EXPECT_EQ(p.b.char_begin, 4u);
  EXPECT_EQ(p.b.char_end, 15u);

  // One-token passages: "wörld" alone, so the span starts after the fold.
  const Doc c = ascii_doc("w\xC3\xB6rld");
  const auto single = align(a.input(), c.input(), 1);
  ASSERT_EQ(single.size(), 1u);
  EXPECT_EQ(single[0].a.byte_begin, 8u);
  EXPECT_EQ(single[0].a.byte_end, 14u);
  EXPECT_EQ(single[0].a.char_begin, 6u);
  EXPECT_EQ(single[0].a.char_end, 11u);
  EXPECT_EQ(slice(a.original, single[0].a.byte_begin, single[0].a.byte_end), "w\xC3\xB6rld");

  const Doc d = ascii_doc("hello");
  const auto first = align(a.input(), d.input(), 1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(slice(a.original, first[0].a.byte_begin, first[0].a.byte_end),
            "\xEF\xBC\xA8" "ello");
  EXPECT_EQ(first[0].a.char_end, 5u);
}

TEST(Align, TokenEndingInsideAnExpansionKeepsTheWholeCharacter) {
  // Original "x ½ y"; "½" (2 bytes) expands to "1⁄2" (5 bytes) and the tokens are
  // x, 1, 2, y. A passage ending with token "1" ends inside that expansion: the
  // original span must include the whole "½", not cut it.
  const std::string original = "x \xC2\xBD y";
  const std::string normalized = "x 1\xE2\x81\x84" "2 y";
  const std::vector<uint32_t> offsets{0, 1, 2, 2, 2, 2, 2, 4, 5, 6};
  Doc a;
  a.original = original;
  a.norm.text = normalized;
  a.norm.original_offset = offsets;
  a.tokens = {{token_hash("x"), 0, 1}, {token_hash("1"), 2, 3}, {token_hash("2"), 6, 7},
              {token_hash("y"), 8, 9}};
  const Doc b = ascii_doc("x 1 z");
  const auto passages = align(a.input(), b.input(), 2);
  ASSERT_EQ(passages.size(), 1u);
  EXPECT_EQ(passages[0].a.byte_begin, 0u);
  EXPECT_EQ(passages[0].a.byte_end, 4u);
  EXPECT_EQ(passages[0].a.char_end, 3u);
  EXPECT_EQ(passages[0].b.byte_end, 3u);

  // Passage starting inside the expansion: token "2" starts at the "½".
  const Doc c = ascii_doc("2 y");
  const auto tail = align(a.input(), c.input(), 2);
  ASSERT_EQ(tail.size(), 1u);
  EXPECT_EQ(tail[0].a.byte_begin, 2u);
  EXPECT_EQ(tail[0].a.byte_end, 6u);
  EXPECT_EQ(tail[0].a.char_begin, 2u);
  EXPECT_EQ(tail[0].a.char_end, 5u);
}

TEST(Align, RunShorterThanMinTokensIsNotReported) {
  const Doc a = ascii_doc("alpha beta gamma delta");
  const Doc b = ascii_doc("zeta beta gamma eta alpha");
  EXPECT_TRUE(align(a.input(), b.input(), 3).empty());
  const auto two = align(a.input(), b.input(), 2);
  ASSERT_EQ(two.size(), 1u);
  EXPECT_EQ(two[0].tokens, 2u);
  EXPECT_EQ(slice(a.original, two[0].a.byte_begin, two[0].a.byte_end), "beta gamma");
}

TEST(Align, MinTokensZeroActsAsOne) {
  const Doc a = ascii_doc("red green blue");
  const Doc b = ascii_doc("blue sky");
  const auto passages = align(a.input(), b.input(), 0);
  ASSERT_EQ(passages.size(), 1u);
  EXPECT_EQ(passages[0].tokens, 1u);
  EXPECT_EQ(passages[0].a.byte_begin, 10u);
  EXPECT_EQ(passages[0].a.byte_end, 14u);
  EXPECT_EQ(passages[0].b.byte_begin, 0u);
}

TEST(Align, ShortEqualDocumentsStillGetAPassage) {
  const Doc a = ascii_doc("hello world");
  const Doc b = ascii_doc("hello world");
  const auto passages = align(a.input(), b.input(), 5);
  ASSERT_EQ(passages.size(), 1u);
  EXPECT_EQ(passages[0].tokens, 2u);
  EXPECT_EQ(passages[0].a.byte_end, 11u);
  EXPECT_EQ(passages[0].b.char_end, 11u);

  const Doc c = ascii_doc("hello there");
  EXPECT_TRUE(align(a.input(), c.input(), 5).empty());
  const Doc longer = ascii_doc("hello world and more words here");
  EXPECT_TRUE(align(a.input(), longer.input(), 5).empty());
  const Doc empty = ascii_doc("");
  EXPECT_TRUE(align(empty.input(), empty.input(), 5).empty());
  EXPECT_TRUE(align(empty.input(), a.input(), 1).empty());
}

TEST(Align, HighlyRepetitiveTextIsBoundedAndCorrect) {
  std::string s;
  for (int i = 0; i < 4000; ++i) s += i == 0 ? "a" : " a";
  const Doc a = ascii_doc(s);
  const Doc b = ascii_doc(s);
  const auto passages = align(a.input(), b.input(), 5);
  ASSERT_EQ(passages.size(), 1u);
  EXPECT_EQ(passages[0].tokens, 4000u);
  EXPECT_EQ(passages[0].a.byte_end, s.size());

  // A shorter run of the same token inside B: one passage, at B's first match.
  const Doc c = ascii_doc("b b a a a a a a c");
  const auto inner = align(a.input(), c.input(), 3);
  ASSERT_EQ(inner.size(), 1u);
  EXPECT_EQ(inner[0].tokens, 6u);
  EXPECT_EQ(inner[0].a.byte_begin, 0u);
  EXPECT_EQ(inner[0].b.byte_begin, 4u);
}

TEST(Align, RunBeyondTheOccurrenceCapIsFoundByBackExtension) {
  // "p q r" and "q r s" occur more than 64 times in B, so their windows are seeded
  // only from their first occurrences; the long run at B's end is reached from the
  // unique window "r s t" and extended backwards to A's first token.
  const Doc a = ascii_doc("p q r s t u");
  std::string b_text = "w q r s y";
  for (int k = 0; k < 70; ++k) b_text += " p q r s x" + std::to_string(k);
  b_text += " p q r s t u";
  const Doc b = ascii_doc(b_text);
  const auto passages = align(a.input(), b.input(), 3);
  ASSERT_EQ(passages.size(), 1u);
  EXPECT_EQ(passages[0].tokens, 6u);
  EXPECT_EQ(passages[0].a.byte_begin, 0u);
  EXPECT_EQ(passages[0].a.byte_end, 11u);
  EXPECT_EQ(passages[0].b.byte_end, b.original.size());
  EXPECT_EQ(passages[0].b.byte_begin, b.original.size() - 11);
}

// Reference: every maximal common run, tiled the same way, in quadratic time.
struct RefRun {
  uint32_t a, b, len;
  bool operator==(const RefRun&) const = default;
};

std::vector<RefRun> reference_tiling(const std::vector<int>& x, const std::vector<int>& y,
                                     uint32_t n) {
  std::vector<RefRun> runs;
  for (uint32_t i = 0; i < x.size(); ++i) {
    for (uint32_t j = 0; j < y.size(); ++j) {
      if (i > 0 && j > 0 && x[i - 1] == y[j - 1]) continue;  // not a run start
      uint32_t len = 0;
      while (i + len < x.size() && j + len < y.size() && x[i + len] == y[j + len]) ++len;
      if (len >= n) runs.push_back({i, j, len});
    }
  }
  std::sort(runs.begin(), runs.end(), [](const RefRun& p, const RefRun& q) {
    if (p.len != q.len) return p.len > q.len;
    if (p.a != q.a) return p.a < q.a;
    return p.b < q.b;
  });
  std::vector<RefRun> accepted;
  for (const RefRun& r : runs) {
    bool clash = false;
    for (const RefRun& t : accepted) {
      if (r.a < t.a + t.len && t.a < r.a + r.len) clash = true;
      if (r.b < t.b + t.len && t.b < r.b + r.len) clash = true;
    }
    if (!clash) accepted.push_back(r);
  }
  std::sort(accepted.begin(), accepted.end(),
            [](const RefRun& p, const RefRun& q) { return p.a < q.a; });
  return accepted;
}

TEST(Align, RandomSequencesMatchQuadraticReference) {
  std::mt19937 rng(2024);
  for (int round = 0; round < 300; ++round) {
    const int alphabet = 2 + static_cast<int>(rng() % 4);
    const uint32_t n = 1 + rng() % 4;
    auto make = [&](size_t len) {
      std::vector<int> v;
      for (size_t i = 0; i < len; ++i) v.push_back(static_cast<int>(rng() % alphabet));
      return v;
    };
    std::vector<int> x = make(rng() % 60);
    std::vector<int> y = make(rng() % 60);
    // Plant a shared run so most rounds have long matches.
    if (!x.empty() && y.size() > 10) {
      const size_t at = rng() % x.size();
      const size_t from = rng() % (y.size() - 10);
      x.insert(x.begin() + static_cast<long>(at), y.begin() + static_cast<long>(from),
               y.begin() + static_cast<long>(from + 10));
    }
    // One-letter words joined by spaces: token k sits at byte 2k.
    auto to_doc = [](const std::vector<int>& v) {
      std::string s;
      for (size_t i = 0; i < v.size(); ++i) {
        if (i) s += ' ';
        s += static_cast<char>('a' + v[i]);
      }
      return ascii_doc(s);
    };
    const Doc a = to_doc(x), b = to_doc(y);
    const auto got = align(a.input(), b.input(), n);
    std::vector<RefRun> as_runs;
    for (const Passage& p : got) {
      as_runs.push_back({static_cast<uint32_t>(p.a.byte_begin / 2),
                         static_cast<uint32_t>(p.b.byte_begin / 2), p.tokens});
      EXPECT_EQ(p.a.byte_end, p.a.byte_begin + 2 * p.tokens - 1);
      EXPECT_EQ(slice(a.original, p.a.byte_begin, p.a.byte_end),
                slice(b.original, p.b.byte_begin, p.b.byte_end));
    }
    std::vector<RefRun> expected = reference_tiling(x, y, n);
    // Short equal documents are the one case outside the windowed search.
    if ((x.size() < n || y.size() < n) && !x.empty() && x == y) {
      expected = {{0, 0, static_cast<uint32_t>(x.size())}};
    }
    ASSERT_EQ(as_runs, expected) << "round " << round << " n=" << n;
  }
}

TEST(Align, MissingOffsetMapFallsBackToIdentityWithinBounds) {
  Doc a = ascii_doc("one two three");
  a.norm.original_offset.clear();
  const Doc b = ascii_doc("one two three");
  const auto passages = align(a.input(), b.input(), 2);
  ASSERT_EQ(passages.size(), 1u);
  EXPECT_EQ(passages[0].a.byte_begin, 0u);
  EXPECT_EQ(passages[0].a.byte_end, 13u);
}

// ---- verification with early exit ------------------------------------------------

// decide() must classify every pair exactly as the full count would, report the
// exact overlap of every pair that reaches a threshold, and really stop early
// on pairs that cannot (else it would be overlap() under another name).
TEST(Decide, AgreesWithTheFullCountAndStopsEarly) {
  std::mt19937_64 rng(4242);
  int stopped_early = 0;
  for (int round = 0; round < 400; ++round) {
    // Sets of up to 20,000 values from a universe sized so that overlaps range
    // from nearly none to nearly all; some size pairs skewed enough to gallop.
    const size_t na = 1 + rng() % 20000;
    const size_t nb = round % 5 == 0 ? 1 + rng() % 800 : 1 + rng() % 20000;
    const uint64_t universe = std::max<size_t>(na, nb) + rng() % (2 * std::max<size_t>(na, nb));
    const auto a = random_set(rng, na, universe);
    const auto b = random_set(rng, nb, universe);
    const Overlap exact = brute_overlap(a, b);
    for (const double tj : {0.3, 0.5, 0.8, 0.95}) {
      for (const double tc : {0.5, 0.8, 1.0}) {
        const Decision d = decide(a, b, tj, tc);
        const bool reaches = exact.jaccard() >= tj || exact.max_containment() >= tc;
        ASSERT_EQ(d.reaches, reaches) << round << " " << tj << " " << tc;
        ASSERT_EQ(d.overlap.size_a, a.size());
        ASSERT_EQ(d.overlap.size_b, b.size());
        if (reaches) {
          ASSERT_EQ(d.overlap.intersection, exact.intersection) << round;
        } else {
          ASSERT_LE(d.overlap.intersection, exact.intersection);
          stopped_early += d.overlap.intersection < exact.intersection;
        }
      }
    }
  }
  EXPECT_GT(stopped_early, 100);
  // An empty set against a non-empty one shares nothing; two empty sets are
  // decided as overlap() scores them.
  EXPECT_FALSE(decide({}, std::vector<uint64_t>{1, 2}, 0.5, 0.5).reaches);
  EXPECT_EQ(decide({}, {}, 0.5, 0.5).reaches, overlap({}, {}).jaccard() >= 0.5);
}

}  // namespace
}  // namespace doppel::match
