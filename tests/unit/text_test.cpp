// File: tests/unit/text_test.cpp
// Unit tests for the text module: normalisation (exact outputs, idempotence,
// agreement with a whole-string utf8proc reference, offsets), tokenisation in
// word and character mode, and rolling shingle hashes.
#include <gtest/gtest.h>
#include <utf8proc.h>
#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "test_support.hpp"
#include "text/normalize.hpp"
#include "text/shingle.hpp"
#include "text/text_internal.hpp"

namespace doppel::text {
namespace {

// ---- helpers ---------------------------------------------------------------

std::string norm(std::string_view s) {
  NormalizedText out;
  normalize(s, out);
  return out.text;
}

std::string utf8(int32_t cp) {
  utf8proc_uint8_t buf[4];
  const auto len = utf8proc_encode_char(cp, buf);
  return std::string(reinterpret_cast<const char*>(buf), static_cast<size_t>(len));
}

// A small deterministic generator (splitmix64) so the property tests draw the
// same strings on every platform and standard library.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return next() % n; }

 private:
  uint64_t state_;
};

struct Range {
  int32_t lo;
  int32_t hi;
};

// Pools of code points that stress normalisation: compositions across
// clusters, compatibility expansions, case folding oddities, whitespace and
// controls, scripts with and without spaces.
const std::vector<std::vector<Range>>& pools() {
  static const std::vector<std::vector<Range>> kPools = {
      {{0x20, 0x7E}, {0x09, 0x0D}, {0x01, 0x08}, {0x7F, 0x7F}},          // ASCII
      {{'a', 'z'}, {'A', 'Z'}, {' ', ' '}, {'\'', '\''}, {'.', '.'}},    // more ASCII words
      {{0xA0, 0xFF}},                                                      // Latin-1
      {{0x0300, 0x036F}, {0x0345, 0x0345}, {0x3099, 0x309A}, {0x0327, 0x0328}},  // combining
      {{0x4E00, 0x9FFF}, {0x3400, 0x4DBF}, {0xF900, 0xFAFF}, {0x2F00, 0x2FD5}, {0x3000, 0x303F}},
      {{0xAC00, 0xD7A3}, {0x1100, 0x1112}, {0x1161, 0x1175}, {0x11A7, 0x11C2}, {0x3131, 0x318E}},
      {{0x0E01, 0x0E5B}},                                                  // Thai
      {{0x1F600, 0x1F64F}, {0x1F3FB, 0x1F3FF}, {0x200D, 0x200D}, {0xFE0F, 0xFE0F},
       {0x1F1E6, 0x1F1FF}},                                                // emoji
      {{0xFF01, 0xFF5E}, {0xFF61, 0xFF9F}, {0xFFE0, 0xFFEE}},              // full/halfwidth
      {{0xFB00, 0xFB06}, {0xFDFA, 0xFDFB}, {0x3300, 0x33FF}, {0x2460, 0x24FF}, {0x1D400, 0x1D4FF}},
      {{0x2000, 0x206F}, {0x2212, 0x2212}, {0xFEFF, 0xFEFF}, {0x85, 0x85}, {0xFFFD, 0xFFFD},
       {0x2E3A, 0x2E3B}, {0xFE58, 0xFE63}},                                // punctuation, spaces
      {{0x0370, 0x03FF}, {0x1F00, 0x1FFF}},                                // Greek incl. polytonic
      {{0x0B3E, 0x0B57}, {0x0BBE, 0x0BD7}, {0x0D3E, 0x0D57}, {0x0DCF, 0x0DDF}, {0x1025, 0x102E},
       {0x0915, 0x093C}},                                                  // Indic vowel signs
      {{0x0130, 0x0130}, {0x1E9E, 0x1E9E}, {0x0149, 0x0149}, {0x13A0, 0x13F5}, {0xAB70, 0xABBF},
       {0x2126, 0x212B}, {0x1E9B, 0x1E9B}, {0x0390, 0x0390}},              // case folding oddities
  };
  return kPools;
}

std::string random_text(Rng& rng, size_t max_chars) {
  const auto& all = pools();
  std::string s;
  const size_t count = rng.below(max_chars + 1);
  // Each string favours a couple of pools so that combining sequences form.
  const size_t p1 = rng.below(all.size());
  const size_t p2 = rng.below(all.size());
  for (size_t k = 0; k < count; ++k) {
    const uint64_t pick = rng.below(8);
    const auto& pool = pick < 3 ? all[p1] : pick < 6 ? all[p2] : all[rng.below(all.size())];
    const Range r = pool[rng.below(pool.size())];
    s += utf8(r.lo + static_cast<int32_t>(rng.below(static_cast<uint64_t>(r.hi - r.lo + 1))));
  }
  return s;
}

bool is_continuation_byte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

void expect_offsets_valid(std::string_view original, const NormalizedText& n) {
  ASSERT_EQ(n.original_offset.size(), n.text.size() + 1) << original;
  EXPECT_EQ(n.original_offset.back(), original.size());
  for (size_t k = 0; k < n.text.size(); ++k) {
    const uint32_t off = n.original_offset[k];
    ASSERT_LT(off, original.size());
    EXPECT_FALSE(is_continuation_byte(original[off])) << "offset inside a character";
    if (k > 0) {
      EXPECT_LE(n.original_offset[k - 1], off) << "offsets not monotone";
    }
  }
}

std::vector<std::string> words(std::string_view s) { return token_strings(norm(s), TokenMode::kWord); }

using Strings = std::vector<std::string>;

// ---- normalize: exact outputs ----------------------------------------------

TEST(Normalize, CompatibilityAndCaseFolding) {
  EXPECT_EQ(norm("ﬁ"), "fi");
  EXPECT_EQ(norm("ＡＢＣ１２３"), "abc123");
  EXPECT_EQ(norm("Straße"), "strasse");
  EXPECT_EQ(norm("STRASSE"), "strasse");
  EXPECT_EQ(norm("ẞ"), "ss");
  EXPECT_EQ(norm("ΣΑΣ"), "σασ");
  EXPECT_EQ(norm("İ"), "i\u0307");
  EXPECT_EQ(norm("²"), "2");
  EXPECT_EQ(norm("㎏"), "kg");
  EXPECT_EQ(norm("Ω"), "ω");  // U+2126 OHM SIGN
}

TEST(Normalize, CanonicalEquivalentsCompose) {
  EXPECT_EQ(norm("É"), "é");
  EXPECT_EQ(norm("E\u0301"), "é");
  EXPECT_EQ(norm("\xC3\x89"), "\xC3\xA9");
  // Marks are reordered by combining class before composing: cedilla (202)
  // composes with e first whatever the input order.
  EXPECT_EQ(norm("e\u0301\u0327"), "\u0229\u0301");
  EXPECT_EQ(norm("e\u0327\u0301"), "\u0229\u0301");
  // Compositions whose second half is a starter, across what would otherwise be
  // separate clusters.
  EXPECT_EQ(norm("\u1100\u1161"), "\uAC00");           // Hangul L + V
  EXPECT_EQ(norm("\uAC00\u11A8"), "\uAC01");           // Hangul LV + T
  EXPECT_EQ(norm("\u0B47\u0B3E"), "\u0B4B");           // Oriya vowel sign O
  EXPECT_EQ(norm("ｶﾞ"), "ガ");                        // halfwidth kana + voiced mark
  EXPECT_EQ(norm("\u0345"), "\u03B9");                  // ypogegrammeni folds to iota
}

TEST(Normalize, QuotesAndDashes) {
  EXPECT_EQ(norm("“Hello” ‘world’ it’s"), "\"hello\" 'world' it's");
  EXPECT_EQ(norm("«a» „b‟ ‚c‛"), "\"a\" \"b\" 'c'");
  EXPECT_EQ(norm("a–b—c‐d−e―f﹘g﹣h－i"), "a-b-c-d-e-f-g-h-i");
  EXPECT_EQ(norm("5′ 6″"), "5' 6\"");  // U+2033 is '"', not the two primes NFKC gives
  EXPECT_EQ(norm("ʼ＇"), "''");
  EXPECT_EQ(norm("ŉ"), "'n");  // a quote that only appears after decomposition
}

TEST(Normalize, WhitespaceCollapsedAndTrimmed) {
  EXPECT_EQ(norm("a\u00A0b\u3000c\t\n d\r\ne"), "a b c d e");
  EXPECT_EQ(norm("  \t lead and trail \n "), "lead and trail");
  EXPECT_EQ(norm("x\u2000\u200A\u2028\u2029\u0085\u202F\u205F\v\fy"), "x y");
  EXPECT_EQ(norm("   "), "");
  EXPECT_EQ(norm(""), "");
  EXPECT_EQ(norm("\u3000漢\u3000"), "漢");
}

TEST(Normalize, ControlsAndZeroWidthDropped) {
  EXPECT_EQ(norm("zero\u200Bwidth"), "zerowidth");
  EXPECT_EQ(norm("\uFEFFbom\u2060j\u200Co\u200Din"), "bomjoin");
  EXPECT_EQ(norm("soft\u00ADhyphen"), "softhyphen");
  EXPECT_EQ(norm("a\x01\x1f\x7f" "b"), "ab");
  EXPECT_EQ(norm("a \u200B b"), "a b");  // a dropped character does not split a space run
  EXPECT_EQ(norm("bad\uFFFDbyte"), "bad\uFFFDbyte");
  // Dropping the zero-width space lets the mark attach to e, as a second pass would.
  EXPECT_EQ(norm("e\u200B\u0301"), "é");
  EXPECT_EQ(norm("A\x05\u0301"), "á");  // also through a dropped ASCII control
  EXPECT_EQ(norm("e\x01\x02\u0301x"), "éx");
  EXPECT_EQ(norm("ab \x01\u0301"), "ab \u0301");  // whitespace is a real boundary
}

// ---- normalize: properties -------------------------------------------------

TEST(Normalize, IdempotentAndMatchesReferenceOnRandomText) {
  Rng rng(20240601);
  NormalizedText fast;
  NormalizedText slow;
  for (int iter = 0; iter < 12000; ++iter) {
    const std::string s = random_text(rng, 40);
    normalize(s, fast, true);
    const std::string once = fast.text;
    ASSERT_EQ(norm(once), once) << "not idempotent for input #" << iter;
    ASSERT_EQ(internal::normalize_reference(s), once) << "differs from whole-string NFKC, #" << iter;
    internal::normalize_without_ascii_fast_path(s, slow, true);
    ASSERT_EQ(slow.text, fast.text) << "#" << iter;
    ASSERT_EQ(slow.original_offset, fast.original_offset) << "#" << iter << " " << ::testing::PrintToString(s);
    expect_offsets_valid(s, fast);
  }
}

TEST(Normalize, EveryCodePointIdempotentAndMatchesReference) {
  for (int32_t cp = 1; cp <= 0x10FFFF; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    // Unassigned and private-use code points all behave alike; sample them.
    const auto category = utf8proc_category(cp);
    const bool inert = category == UTF8PROC_CATEGORY_CN || category == UTF8PROC_CATEGORY_CO;
    if (inert && cp % 251 != 0) continue;
    const std::string alone = utf8(cp);
    const std::string once = norm(alone);
    ASSERT_EQ(norm(once), once) << std::hex << "U+" << cp;
    // With neighbours: a base letter before (composition) and a mark after.
    const std::string context = "x" + alone + "\u0301y";
    const std::string twice = norm(context);
    ASSERT_EQ(norm(twice), twice) << std::hex << "U+" << cp << " in context";
    ASSERT_EQ(internal::normalize_reference(context), twice) << std::hex << "U+" << cp;
  }
}

TEST(Normalize, PathologicalClusterUsesHeapAndStaysCorrect) {
  std::string s = "A";
  for (int k = 0; k < 3000; ++k) s += (k % 3 == 0) ? "\u0327" : (k % 3 == 1) ? "\u0301" : "\u0316";
  s += " done";
  NormalizedText out;
  normalize(s, out, true);
  EXPECT_EQ(out.text, internal::normalize_reference(s));
  EXPECT_EQ(norm(out.text), out.text);
  EXPECT_EQ(out.text.substr(out.text.size() - 5), " done");
  expect_offsets_valid(s, out);
}

TEST(Normalize, AsciiFastPathMatchesUnicodePath) {
  Rng rng(7);
  NormalizedText fast;
  NormalizedText slow;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string s;
    const size_t len = rng.below(40);
    for (size_t k = 0; k < len; ++k) s += static_cast<char>(rng.below(128));
    normalize(s, fast, true);
    internal::normalize_without_ascii_fast_path(s, slow, true);
    ASSERT_EQ(fast.text, slow.text) << iter;
    ASSERT_EQ(fast.original_offset, slow.original_offset) << iter;
    ASSERT_EQ(fast.text, internal::normalize_reference(s)) << iter;
  }
  // A long input exercises the eight-bytes-at-a-time loop and its tails.
  const std::string text = "The Quick  Brown\tFox\x01 Jumps Over The Lazy Dog. 0123456789 !?";
  normalize(text, fast, true);
  internal::normalize_without_ascii_fast_path(text, slow, true);
  EXPECT_EQ(fast.text, "the quick brown fox jumps over the lazy dog. 0123456789 !?");
  EXPECT_EQ(fast.text, slow.text);
  EXPECT_EQ(fast.original_offset, slow.original_offset);
}

TEST(Normalize, Offsets) {
  NormalizedText out;
  normalize("Ｈé", out, true);  // Ｈ is 3 bytes, é 2
  EXPECT_EQ(out.text, "hé");
  EXPECT_EQ(out.original_offset, (std::vector<uint32_t>{0, 3, 3, 5}));

  normalize("  A \t B ", out, true);
  EXPECT_EQ(out.text, "a b");
  EXPECT_EQ(out.original_offset, (std::vector<uint32_t>{2, 3, 6, 8}));

  normalize("ﬁx", out, true);  // one ligature cluster yields two bytes
  EXPECT_EQ(out.text, "fix");
  EXPECT_EQ(out.original_offset, (std::vector<uint32_t>{0, 0, 3, 4}));

  normalize("e\u0301!", out, true);  // the whole cluster maps to its first character
  EXPECT_EQ(out.text, "é!");
  EXPECT_EQ(out.original_offset, (std::vector<uint32_t>{0, 0, 3, 4}));

  normalize("", out, true);
  EXPECT_EQ(out.text, "");
  EXPECT_EQ(out.original_offset, (std::vector<uint32_t>{0}));

  normalize("abc", out, false);
  EXPECT_TRUE(out.original_offset.empty());
}

TEST(Normalize, BackwardCombiningListMatchesUtf8procData) {
  // Every combining-class-0 code point that occurs after the first position of
  // a canonical decomposition may compose with what precedes it.
  const auto canonical = static_cast<utf8proc_option_t>(UTF8PROC_DECOMPOSE);
  std::vector<int32_t> missing;
  for (int32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    utf8proc_int32_t buf[8];
    int boundclass = 0;
    const auto n = utf8proc_decompose_char(cp, buf, 8, canonical, &boundclass);
    for (utf8proc_ssize_t k = 1; k < n && k < 8; ++k) {
      if (utf8proc_get_property(buf[k])->combining_class == 0 &&
          !internal::is_backward_combining(buf[k])) {
        missing.push_back(buf[k]);
      }
    }
  }
  EXPECT_TRUE(missing.empty()) << "first missing: U+" << std::hex << missing.front();
  EXPECT_FALSE(internal::is_backward_combining('a'));
  EXPECT_FALSE(internal::is_backward_combining(0x4E00));
  EXPECT_FALSE(internal::is_backward_combining(0x1100));  // Hangul L starts syllables
}

// ---- tokenize --------------------------------------------------------------

TEST(Tokenize, PunctuationVariantsGiveEqualTokens) {
  const std::string a = norm("Lee’s visit to the U.S. — in 1910-1945");
  const std::string b = norm("Lee's visit to the US - in 1910 1945");
  const Strings expected = {"lees", "visit", "to", "the", "us", "in", "1910", "1945"};
  EXPECT_EQ(token_strings(a, TokenMode::kWord), expected);
  EXPECT_EQ(token_strings(b, TokenMode::kWord), expected);
  std::vector<Token> ta;
  std::vector<Token> tb;
  tokenize(a, TokenMode::kWord, ta);
  tokenize(b, TokenMode::kWord, tb);
  ASSERT_EQ(ta.size(), tb.size());
  for (size_t k = 0; k < ta.size(); ++k) EXPECT_EQ(ta[k].hash, tb[k].hash) << k;
}

TEST(Tokenize, JoinersBetweenWordCharactersOnly) {
  EXPECT_EQ(words("3.5 u.s lee's"), (Strings{"35", "us", "lees"}));
  EXPECT_EQ(words("'quoted' end. a..b x'"), (Strings{"quoted", "end", "a", "b", "x"}));
  EXPECT_EQ(words("snake_case, e-mail"), (Strings{"snake_case", "e", "mail"}));
  EXPECT_EQ(words("café naïve"), (Strings{"café", "naïve"}));
  EXPECT_EQ(words("--- ... ,,,"), Strings{});
}

TEST(Tokenize, HashesAndSpans) {
  const std::string text = "lee's x";
  std::vector<Token> tokens;
  tokenize(text, TokenMode::kWord, tokens);
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0].hash, XXH3_64bits_withSeed("lees", 4, kTokenSeed));
  EXPECT_EQ(tokens[0].begin, 0u);
  EXPECT_EQ(tokens[0].end, 5u);  // the span covers the dropped apostrophe
  EXPECT_EQ(tokens[1].hash, XXH3_64bits_withSeed("x", 1, kTokenSeed));
  EXPECT_EQ(tokens[1].begin, 6u);
  EXPECT_EQ(tokens[1].end, 7u);
  tokenize("", TokenMode::kWord, tokens);
  EXPECT_TRUE(tokens.empty());
}

TEST(Tokenize, ChineseIsOneTokenPerCharacter) {
  EXPECT_EQ(words("新浪娱乐讯 11月3日"),
            (Strings{"新", "浪", "娱", "乐", "讯", "11", "月", "3", "日"}));
  EXPECT_EQ(words("ABC中文"), (Strings{"abc", "中", "文"}));
}

TEST(Tokenize, JapaneseKanaPerCharacter) {
  EXPECT_EQ(words("ひらがなとカタカナ"),
            (Strings{"ひ", "ら", "が", "な", "と", "カ", "タ", "カ", "ナ"}));
  EXPECT_EQ(words("ｶﾞｷﾞ"), (Strings{"ガ", "ギ"}));  // halfwidth, normalised first
  EXPECT_EQ(words("東京タワー"), (Strings{"東", "京", "タ", "ワ", "ー"}));
}

TEST(Tokenize, ThaiPerCharacterWithMarks) {
  // ส ว◌ั ส ด◌ี: vowel marks stay with their consonant.
  EXPECT_EQ(words("สวัสดี"), (Strings{"ส", "วั", "ส", "ดี"}));
  EXPECT_EQ(words("ปี ๒๕๖๗"), (Strings{"ปี", "๒๕๖๗"}));  // Thai digits still form a number
}

TEST(Tokenize, KoreanHangulIsTokenisedAsWords) {
  EXPECT_EQ(words("안녕하세요, 세계!"), (Strings{"안녕하세요", "세계"}));
}

TEST(Tokenize, CharacterMode) {
  const std::string text = norm("Ab, c'd  新浪");
  EXPECT_EQ(token_strings(text, TokenMode::kChar),
            (Strings{"a", "b", " ", "c", "d", " ", "新", "浪"}));
  EXPECT_EQ(token_strings(" - x - ", TokenMode::kChar), (Strings{"x"}));
  EXPECT_EQ(token_strings("e\u0301a", TokenMode::kChar), (Strings{"e\u0301", "a"}));

  std::vector<Token> tokens;
  tokenize("a, b", TokenMode::kChar, tokens);
  ASSERT_EQ(tokens.size(), 3u);
  EXPECT_EQ(tokens[0].hash, XXH3_64bits_withSeed("a", 1, kTokenSeed));
  EXPECT_EQ(tokens[1].hash, XXH3_64bits_withSeed(" ", 1, kTokenSeed));
  EXPECT_EQ(tokens[1].begin, 1u);  // the space token spans the whole gap ", "
  EXPECT_EQ(tokens[1].end, 3u);
  EXPECT_EQ(tokens[2].hash, XXH3_64bits_withSeed("b", 1, kTokenSeed));
}

// ---- shingles --------------------------------------------------------------

constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

std::vector<Token> tokens_of(const std::vector<uint64_t>& hashes) {
  std::vector<Token> t;
  for (const uint64_t h : hashes) t.push_back(Token{h, 0, 0});
  return t;
}

// Straight from the definition, no rolling.
uint64_t naive_shingle(const std::vector<Token>& t, size_t j, size_t n) {
  uint64_t h = 0;
  for (size_t i = 0; i < n; ++i) h ^= std::rotl(t[j + i].hash, static_cast<int>((n - 1 - i) % 64));
  return fmix64(h ^ (static_cast<uint64_t>(n) * kGolden));
}

std::vector<Token> word_tokens(std::string_view s) {
  std::vector<Token> t;
  tokenize(norm(s), TokenMode::kWord, t);
  return t;
}

TEST(Shingle, Fmix64) {
  EXPECT_EQ(fmix64(0), 0u);
  uint64_t x = 1;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  EXPECT_EQ(fmix64(1), x);
  EXPECT_NE(fmix64(1), fmix64(2));
}

TEST(Shingle, EmptyAndShortDocuments) {
  std::vector<uint64_t> out = {42};
  shingle_sequence({}, 3, out);
  EXPECT_TRUE(out.empty());

  const auto t = tokens_of({11, 22});
  shingle_sequence(t, 5, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], fmix64((std::rotl(uint64_t{11}, 1) ^ 22) ^ (2 * kGolden)));

  shingle_sequence(t, 0, out);  // invalid width: nothing rather than a crash
  EXPECT_TRUE(out.empty());

  std::vector<uint64_t> other;
  shingle_sequence(word_tokens("hello world"), 5, out);
  shingle_sequence(word_tokens("goodbye world"), 5, other);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(other.size(), 1u);
  EXPECT_NE(out[0], other[0]);
}

TEST(Shingle, RollingMatchesDefinition) {
  Rng rng(99);
  std::vector<uint64_t> hashes;
  for (int k = 0; k < 200; ++k) hashes.push_back(rng.next());
  const auto t = tokens_of(hashes);
  std::vector<uint64_t> out;
  for (const size_t n : {1u, 2u, 3u, 5u, 9u, 63u, 64u, 65u, 70u, 130u}) {
    shingle_sequence(t, static_cast<int>(n), out);
    ASSERT_EQ(out.size(), t.size() - n + 1) << n;
    for (size_t j = 0; j < out.size(); ++j) ASSERT_EQ(out[j], naive_shingle(t, j, n)) << n << " " << j;
  }
  shingle_sequence(t, 1, out);
  for (size_t j = 0; j < t.size(); ++j) EXPECT_EQ(out[j], fmix64(t[j].hash ^ kGolden));
}

TEST(Shingle, WidthsAndPositions) {
  const auto t = word_tokens("a b c x a b c");
  std::vector<uint64_t> out;
  shingle_sequence(t, 3, out);
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out[0], out[4]);  // "a b c" at positions 0 and 4
  EXPECT_NE(out[0], out[1]);

  std::vector<uint64_t> two;
  shingle_sequence(word_tokens("a b"), 2, two);
  std::vector<uint64_t> reversed;
  shingle_sequence(word_tokens("b a"), 2, reversed);
  EXPECT_NE(two[0], reversed[0]);  // order matters

  // rotl(0, 1) ^ 77 == 77: the two windows combine to the same value and only
  // the length tag keeps the shingles apart.
  std::vector<uint64_t> width2;
  shingle_sequence(tokens_of({0, 77}), 2, width2);
  std::vector<uint64_t> width1;
  shingle_sequence(tokens_of({77}), 1, width1);
  EXPECT_NE(width2[0], width1[0]);
}

TEST(Shingle, SetIsSortedAndUnique) {
  const auto t = word_tokens("to be or not to be to be or not to be");
  std::vector<uint64_t> seq;
  std::vector<uint64_t> set;
  shingle_sequence(t, 2, seq);
  shingle_set(t, 2, set);
  EXPECT_EQ(seq.size(), 11u);
  EXPECT_EQ(set.size(), 5u);  // to-be be-or or-not not-to be-to
  EXPECT_TRUE(std::is_sorted(set.begin(), set.end()));
  EXPECT_EQ(std::adjacent_find(set.begin(), set.end()), set.end());
  for (const uint64_t h : seq) EXPECT_TRUE(std::binary_search(set.begin(), set.end(), h));
}

// ---- fast paths of the dedup hot loop ---------------------------------------
// The dedup pipeline normalises without offsets (sixteen-byte blocks), hashes
// shingles without a token vector and sorts them by radix; each must give
// exactly what the reference path gives.

// Mostly plain ASCII words with the things that stop the fast paths sprinkled
// in: runs of spaces, tabs and line breaks, controls, upper case, joiners,
// Latin-1, combining marks, zero-width and non-breaking spaces, CJK.
std::string mostly_ascii_text(Rng& rng, size_t max_bytes) {
  static const char* const kOddities[] = {"  ", "\t", "\n", "\r\n", "\x01", "\x7f", "'", ".", "\u00e9",
                                          "e\u0301", "\u200b", "\u00a0", "\u4e2d\u6587", "\u2019", " \u0301",
                                          "A", "Z", "_", "\x1f", "x.y.z", "a'b'c", "..", "'s",
                                          "supercalifragilisticexpialidocious_and_then_some_more_letters_0123456789"};
  std::string s;
  const size_t target = rng.below(max_bytes + 1);
  while (s.size() < target) {
    const uint64_t pick = rng.below(20);
    if (pick < 15) {
      const size_t len = 1 + rng.below(12);
      for (size_t k = 0; k < len; ++k) {
        const uint64_t c = rng.below(40);
        s += c < 26 ? static_cast<char>('a' + c) : c < 32 ? static_cast<char>('A' + rng.below(26))
                                                 : static_cast<char>('!' + rng.below(94));
      }
      s += ' ';
    } else {
      s += kOddities[rng.below(std::size(kOddities))];
    }
  }
  return s;
}

// The ASCII loops of every x86-64 level this CPU runs, without offsets, with
// and without line breaks, must give the byte-wise cluster path's text and
// breaks; returns the level that did not ("" when all did).
std::string normalize_mismatch(std::string_view s) {
  NormalizedText slow, fast;
  for (const bool lines : {false, true}) {
    internal::normalize_without_ascii_fast_path(s, slow, false, lines);
    for (const core::Isa isa : core::supported_isas()) {
      fast.text.assign(300, 'z');  // a reused buffer, as dedup's
      internal::normalize_with_isa(isa, s, fast, false, lines);
      if (fast.text != slow.text || fast.line_breaks != slow.line_breaks) {
        return std::string(core::isa_name(isa)) + (lines ? " with line breaks" : "");
      }
    }
  }
  return "";
}

TEST(FastPaths, NormalizeWithoutOffsetsMatchesEveryOtherPath) {
  Rng rng(424242);
  NormalizedText plain, with_offsets, slow;
  for (int iter = 0; iter < 4000; ++iter) {
    const std::string s = iter % 4 == 3 ? random_text(rng, 80) : mostly_ascii_text(rng, 400);
    normalize(s, plain, false);
    normalize(s, with_offsets, true);
    internal::normalize_without_ascii_fast_path(s, slow, false);
    ASSERT_EQ(plain.text, with_offsets.text) << ::testing::PrintToString(s);
    ASSERT_EQ(plain.text, slow.text) << ::testing::PrintToString(s);
    ASSERT_EQ(normalize_mismatch(s), "") << ::testing::PrintToString(s);
    if (iter % 8 == 0) {
      ASSERT_EQ(plain.text, internal::normalize_reference(s)) << ::testing::PrintToString(s);
    }
  }
  // Block boundaries: a space, a run of whitespace (up to two blocks long),
  // a line break or an upper-case letter at every position around the
  // sixteen-byte edges, and around the sixty-four-byte edges of the AVX-512
  // loop, in lines of every length.
  const std::string long_run = std::string(40, ' ') + "\n\t\n" + std::string(90, ' ');
  for (size_t pos = 0; pos < 140; ++pos) {
    for (const char* insert : {" ", "  ", "Q", "\n", "\n\n", " \n", "\t", "\x01", "\u00e9", "e\u0301",
                               " \n \r\n\n", "   \n\n\n   ", long_run.c_str()}) {
      for (const size_t line : {size_t{7}, size_t{40}, size_t{63}, size_t{64}, size_t{65}, size_t{200}}) {
        std::string s(pos < 40 ? 48 : 200, 'x');
        for (size_t k = 5; k < s.size(); k += 7) s[k] = k % line < 7 ? '\n' : ' ';
        s.insert(pos, insert);
        normalize(s, plain, false);
        ASSERT_EQ(plain.text, internal::normalize_reference(s)) << pos << " " << insert;
        ASSERT_EQ(normalize_mismatch(s), "") << pos << " " << ::testing::PrintToString(s);
      }
    }
  }
}

// shingle_hashes() and the copy of every x86-64 level this CPU runs must all
// give `expected`; returns which did not ("" when all did).
std::string shingle_hashes_mismatch(std::string_view text, TokenMode mode, int n,
                                    const std::vector<uint64_t>& expected) {
  std::vector<uint64_t> got{1, 2, 3};  // a reused buffer, as dedup's
  shingle_hashes(text, mode, n, got);
  if (got != expected) return "shingle_hashes";
  for (const core::Isa isa : core::supported_isas()) {
    internal::shingle_hashes_with(isa, text, mode, n, got);
    if (got != expected) return core::isa_name(isa);
  }
  return "";
}

TEST(FastPaths, ShingleHashesMatchTokenPath) {
  Rng rng(777);
  std::vector<Token> tokens;
  std::vector<uint64_t> expected, got;
  for (int iter = 0; iter < 3000; ++iter) {
    const std::string text = norm(iter % 3 == 0 ? random_text(rng, 60) : mostly_ascii_text(rng, 300));
    for (const TokenMode mode : {TokenMode::kWord, TokenMode::kChar}) {
      tokenize(text, mode, tokens);
      for (const int n : {1, 2, 3, 5, 9, 64, 65}) {
        shingle_sequence(tokens, n, expected);
        ASSERT_EQ(shingle_hashes_mismatch(text, mode, n, expected), "") << "n=" << n << " " << ::testing::PrintToString(text);
      }
    }
  }
  // The 64-byte windows of the word scanner: a joiner, a long word or a
  // non-ASCII letter at every position around the window edges.
  for (size_t pos = 0; pos < 140; ++pos) {
    for (const char* insert : {"b'c", "b.c", "b..c", "'", "\u00e9", "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnop"}) {
      std::string text;
      for (size_t k = 0; text.size() < 150; ++k) text += (k % 3 == 0 ? "word " : k % 3 == 1 ? "an " : "example ");
      text.insert(pos, insert);
      text = norm(text);
      tokenize(text, TokenMode::kWord, tokens);
      shingle_sequence(tokens, 3, expected);
      ASSERT_EQ(shingle_hashes_mismatch(text, TokenMode::kWord, 3, expected), "") << pos << " " << insert;
    }
  }
  shingle_hashes("some words here", TokenMode::kWord, 0, got);
  EXPECT_TRUE(got.empty());
}

TEST(FastPaths, ShortInputsAndReusedScratchMatchUnicodePath) {
  // The last 1..16 bytes of an input go through one padded block, and the
  // output string is reused without clearing: every length around the block
  // size, with what stops the block at every position, and a long result left
  // in the scratch before each short one.
  Rng rng(2024);
  NormalizedText fast, slow, offsets;
  const std::string long_text(300, 'q');
  for (size_t len = 0; len <= 40; ++len) {
    for (size_t pos = 0; pos <= len; ++pos) {
      for (const char* insert : {" ", "  ", "\t", "\n ", "Q", "\x01", "\x7f", "\u00e9", "e\u0301", "\u4e2d", ""}) {
        std::string s;
        for (size_t k = 0; k < len; ++k) s += rng.below(4) == 0 ? ' ' : static_cast<char>('A' + rng.below(58));
        s.insert(pos, insert);
        normalize(long_text, fast, false);
        normalize(s, fast, false);
        normalize(s, offsets, true);
        internal::normalize_without_ascii_fast_path(s, slow, false);
        ASSERT_EQ(fast.text, slow.text) << ::testing::PrintToString(s);
        ASSERT_EQ(offsets.text, slow.text) << ::testing::PrintToString(s);
        ASSERT_EQ(fast.text, internal::normalize_reference(s)) << ::testing::PrintToString(s);
      }
    }
  }
}

TEST(FastPaths, IdeographsAreStableUnspacedLetters) {
  // normalize() copies U+4E00..U+9FFF through and the tokenizer classifies
  // them without utf8proc; both rely on these properties.
  for (int32_t cp = 0x4E00; cp <= 0x9FFF; ++cp) {
    const utf8proc_property_t* prop = utf8proc_get_property(cp);
    ASSERT_EQ(prop->category, UTF8PROC_CATEGORY_LO) << cp;
    ASSERT_EQ(prop->combining_class, 0) << cp;
    ASSERT_TRUE(internal::is_unspaced_script(cp)) << cp;
    ASSERT_FALSE(internal::is_backward_combining(cp)) << cp;
    ASSERT_EQ(internal::map_punctuation(cp), cp) << cp;
    utf8proc_int32_t d[8];
    int boundclass = 0;
    const auto count = utf8proc_decompose_char(
        cp, d, 8,
        static_cast<utf8proc_option_t>(UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_STABLE),
        &boundclass);
    ASSERT_EQ(count, 1) << cp;
    ASSERT_EQ(d[0], cp) << cp;
    // Never the first half of a composition, with any combining mark.
    for (const int32_t mark : {0x0300, 0x0301, 0x0308, 0x0327, 0x3099, 0x309A}) {
      utf8proc_int32_t pair[2] = {cp, mark};
      ASSERT_EQ(utf8proc_normalize_utf32(pair, 2, static_cast<utf8proc_option_t>(UTF8PROC_COMPOSE | UTF8PROC_STABLE)), 2)
          << cp;
    }
  }
  // Around the range and next to what must stop the copy.
  Rng rng(99);
  const std::vector<std::string> parts = {utf8(0x4E00), utf8(0x9FFF), utf8(0x4DFF), utf8(0x4DC0), utf8(0xA000),
                                          utf8(0x6587), "\u3002", "\uff0c", "\u201c", "\u0301", "\u3099", "\x01",
                                          " ", "  ", "a", "B", "1", "\u00a0", "\u200b", "\xe4", "\xe9\xbf"};
  NormalizedText fast, slow, offsets;
  std::vector<Token> tokens;
  std::vector<uint64_t> expected;
  for (int iter = 0; iter < 5000; ++iter) {
    std::string s;
    const size_t count = rng.below(12);
    for (size_t k = 0; k < count; ++k) s += parts[rng.below(parts.size())];
    normalize(s, fast, false);
    normalize(s, offsets, true);
    internal::normalize_without_ascii_fast_path(s, slow, true);
    ASSERT_EQ(fast.text, slow.text) << ::testing::PrintToString(s);
    ASSERT_EQ(offsets.text, slow.text) << ::testing::PrintToString(s);
    ASSERT_EQ(offsets.original_offset, slow.original_offset) << ::testing::PrintToString(s);
    ASSERT_EQ(fast.text, internal::normalize_reference(s)) << ::testing::PrintToString(s);
    // The tokenizer on raw (possibly invalid) bytes as well as on normalised text.
    for (const std::string& text : {s, fast.text}) {
      for (const TokenMode mode : {TokenMode::kWord, TokenMode::kChar}) {
        tokenize(text, mode, tokens);
        shingle_sequence(tokens, 2, expected);
        ASSERT_EQ(shingle_hashes_mismatch(text, mode, 2, expected), "") << ::testing::PrintToString(text);
      }
    }
  }
  EXPECT_EQ(words("\u4e2d\u6587\u5b57 ab\u4e00"), (Strings{"\u4e2d", "\u6587", "\u5b57", "ab", "\u4e00"}));
}

TEST(FastPaths, WordWindowsMatchTokenPath) {
  // Plain ASCII words of every length up to past a window, so that most
  // windows take the mask-only batch and tokens reach every window edge.
  Rng rng(4711);
  std::vector<Token> tokens;
  std::vector<uint64_t> expected;
  for (int iter = 0; iter < 2000; ++iter) {
    std::string text;
    const size_t target = rng.below(600);
    const uint64_t long_odds = 1 + rng.below(20);
    while (text.size() < target) {
      const size_t len = rng.below(long_odds) == 0 ? 1 + rng.below(80) : 1 + rng.below(10);
      for (size_t k = 0; k < len; ++k) {
        const uint64_t c = rng.below(40);
        text += c < 26 ? static_cast<char>('a' + c) : c < 36 ? static_cast<char>('0' + c - 26) : c < 38 ? '_' : 'z';
      }
      const uint64_t sep = rng.below(30);
      text += sep < 24 ? " " : sep < 26 ? ", " : sep < 27 ? "'" : sep < 28 ? "." : sep < 29 ? " - " : ". ";
    }
    tokenize(text, TokenMode::kWord, tokens);
    for (const int n : {1, 3, 5}) {
      shingle_sequence(tokens, n, expected);
      ASSERT_EQ(shingle_hashes_mismatch(text, TokenMode::kWord, n, expected), "") << "n=" << n << " " << text;
    }
  }
}

TEST(FastPaths, LongDocumentsSpanManyTokenBuffers) {
  // shingle_hashes() turns token hashes into shingles a buffer (2,048 tokens)
  // at a time, carrying n - 1 over: documents of up to ~20 buffers, in both
  // modes, with every width class (rolling and eight-wide, up to 64).
  Rng rng(8080);
  std::vector<Token> tokens;
  std::vector<uint64_t> expected;
  for (int iter = 0; iter < 12; ++iter) {
    std::string text;
    const size_t target = 2000 + rng.below(80000);
    while (text.size() < target) {
      const size_t len = rng.below(8) == 0 ? 1 + rng.below(30) : 1 + rng.below(9);
      for (size_t k = 0; k < len; ++k) text += static_cast<char>('a' + rng.below(26));
      text += rng.below(50) == 0 ? "'s " : rng.below(40) == 0 ? " \u00e9 " : " ";
    }
    text = norm(text);
    for (const TokenMode mode : {TokenMode::kWord, TokenMode::kChar}) {
      tokenize(text, mode, tokens);
      for (const int n : {1, 2, 5, 8, 16, 17, 64}) {
        shingle_sequence(tokens, n, expected);
        ASSERT_EQ(shingle_hashes_mismatch(text, mode, n, expected), "") << "n=" << n << " size " << text.size();
      }
    }
  }
  // Window tokens wait for their hashes in runs of consecutive slots, cut
  // wherever a token is hashed on its own (a dropped joiner, a long word, a
  // non-ASCII one): runs of every length, and more of them per batch than the
  // sink keeps before hashing, when windows hold few tokens each.
  for (int iter = 0; iter < 40; ++iter) {
    std::string text;
    const size_t word_len = 1 + rng.below(14);
    const size_t cut_every = 1 + rng.below(12);
    for (size_t k = 0; text.size() < 30000; ++k) {
      if (k % cut_every == 0) {
        text += rng.below(3) == 0 ? "u.s " : rng.below(2) == 0 ? "don't " : "\u00e9t\u00e9 ";
      }
      for (size_t c = 0; c < word_len + rng.below(3); ++c) text += static_cast<char>('a' + rng.below(26));
      text += ' ';
    }
    text = norm(text);
    tokenize(text, TokenMode::kWord, tokens);
    shingle_sequence(tokens, 5, expected);
    ASSERT_EQ(shingle_hashes_mismatch(text, TokenMode::kWord, 5, expected), "") << iter;
  }
}

TEST(FastPaths, SortUniqueMatchesStdSort) {
  Rng rng(31337);
  SortScratch scratch;
  // Sizes on both sides of each path's bounds: std::sort below 16, one radix
  // pass below 4096, two passes above (with top-byte buckets short enough to
  // merge unscattered at 5000).
  for (const size_t n : {0u, 1u, 2u, 15u, 16u, 17u, 33u, 63u, 64u, 100u, 511u, 512u, 513u, 1000u, 4095u, 4096u,
                         5000u, 70000u, 600000u}) {
    for (int variant = 0; variant < 6; ++variant) {
      std::vector<uint64_t> v(n);
      for (size_t i = 0; i < n; ++i) {
        uint64_t& x = v[i];
        switch (variant) {
          case 0: x = rng.next(); break;                                  // uniform, like shingles
          case 1: x = rng.below(n / 3 + 1); break;                         // many repeats, all in bucket 0
          case 2: x = (rng.below(4) << 62) | rng.below(1000); break;       // four crowded buckets
          case 3: x = rng.below(2) ? ~uint64_t{0} - rng.below(50) : rng.next(); break;  // top edge
          case 4: x = rng.below(4) ? rng.next() : (rng.below(8) << 61) | rng.below(40); break;  // some long runs
          default: x = i > 0 && rng.below(3) == 0 ? v[rng.below(i)] : rng.next();  // uniform with repeats
        }
      }
      std::vector<uint64_t> expected = v;
      std::sort(expected.begin(), expected.end());
      expected.erase(std::unique(expected.begin(), expected.end()), expected.end());
      // sort_unique_into() to a separate buffer, with a guard past its end:
      // dedup's arena offers exactly the room the values need.
      std::vector<uint64_t> into_input = v;
      std::vector<uint64_t> into(n + 1, 0x5a5a5a5a5a5a5a5aULL);
      const size_t unique = sort_unique_into(into_input, scratch, into.data());
      ASSERT_EQ(into.back(), 0x5a5a5a5a5a5a5a5aULL) << n << " " << variant;
      into.resize(unique);
      ASSERT_EQ(into, expected) << n << " " << variant;
      sort_unique(v, scratch);
      ASSERT_EQ(v, expected) << n << " " << variant;
    }
  }
}

// ---- normalize: line breaks ------------------------------------------------

// The original's lines as boilerplate splits them: on '\n', one trailing '\r' off.
Strings split_lines(std::string_view s) {
  Strings lines;
  for (size_t start = 0;;) {
    const size_t end = std::min(s.find('\n', start), s.size());
    std::string line(s.substr(start, end - start));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    if (end == s.size()) break;
    start = end + 1;
  }
  return lines;
}

// Checks what NormalizedText::line_breaks promises: one per '\n', and each
// slice (less its joining space) is the line normalised on its own. Every
// path (ASCII fast or not, with offsets or not) gives the same breaks and
// leaves the text as it is without them.
void expect_line_breaks_slice_lines(const std::string& s) {
  NormalizedText plain, fast, fast_offsets, slow, slow_offsets, line;
  normalize(s, plain, false);
  normalize(s, fast, false, true);
  normalize(s, fast_offsets, true, true);
  internal::normalize_without_ascii_fast_path(s, slow, false, true);
  internal::normalize_without_ascii_fast_path(s, slow_offsets, true, true);
  const std::string where = ::testing::PrintToString(s);
  ASSERT_TRUE(plain.line_breaks.empty()) << where;
  ASSERT_EQ(fast.text, plain.text) << where;
  ASSERT_EQ(fast_offsets.text, plain.text) << where;
  ASSERT_EQ(slow.text, plain.text) << where;
  ASSERT_EQ(slow_offsets.text, plain.text) << where;
  ASSERT_EQ(fast_offsets.line_breaks, fast.line_breaks) << where;
  ASSERT_EQ(slow.line_breaks, fast.line_breaks) << where;
  ASSERT_EQ(slow_offsets.line_breaks, fast.line_breaks) << where;

  const Strings lines = split_lines(s);
  ASSERT_EQ(fast.line_breaks.size() + 1, lines.size()) << where;
  size_t begin = 0;
  for (size_t j = 0; j < lines.size(); ++j) {
    const size_t end = j < fast.line_breaks.size() ? fast.line_breaks[j] : fast.text.size();
    ASSERT_LE(begin, end) << where;
    std::string_view slice = std::string_view(fast.text).substr(begin, end - begin);
    normalize(lines[j], line, false);
    // The joining space is there exactly when this line and an earlier one
    // left text, and a line's own normalisation never starts with a space.
    if (!line.text.empty()) {
      ASSERT_NE(line.text.front(), ' ') << where;
    }
    const bool joined = !line.text.empty() && begin > 0;
    if (joined) {
      ASSERT_FALSE(slice.empty()) << where;
      ASSERT_EQ(slice.front(), ' ') << where;
      slice.remove_prefix(1);
    }
    ASSERT_EQ(slice, line.text) << "line " << j << " of " << where;
    begin = end;
  }
}

TEST(Normalize, LineBreaksSliceTheTextIntoItsLines) {
  for (const char* s :
       {"", "\n", "\r", "\r\n", "\n\n\n", "a", "a\n", "\na", "a\nb", " a \n b ", "a  \n  b", "A\r\nB\r\n",
        "a\r\r\nb", "\r\r", "a\rb\nc", "\t\n\t", " \n ", "x\n \n\ny", "e\n\u0301", "\u0301\ne", "e\r\n\u0301x",
        "e\x01\n\u0301", "\u1100\n\u1161", "\u1100\u1161\n\u11a8", "\u0b47\n\u0b3e", "\u00a8\nx", "x\n\u00a8",
        "\u00a0\n\u00a0", "a\u2028\nb", "a\xc2\x85\nb", "\u200b\n\u200b", "\ufeffa\n\ufeffb", "\u4e2d\n\u6587",
        "\u4e2d\u6587\n\u0301", "\xe4\xb8\n\xad", "a\xe4\n\xb8\xad", "\xff\n\xfe", "\x01\n\x02", "\xef\xac\x81\nFI",
        "\u2019s\n'S", "\u03a3\n\u03c2", "\u0130\n\u1e9e", "\uff21\uff22\n\uff43", "a\n\n\n\nb\n\n"}) {
    expect_line_breaks_slice_lines(s);
  }
  // A line break at every position around the sixteen-byte blocks, next to
  // whatever makes a block give up (double space, control, non-ASCII); with
  // spaces every 8 bytes some blocks start with a space pending.
  for (const size_t every : {7, 8}) {
    for (size_t pos = 0; pos < 40; ++pos) {
      for (const char* insert :
           {"\n", "\n\n", " \n", "\n ", "\r\n", "\n\u0301", "\n\x01", "\x01\n", "\nQ", "\u00e9\n"}) {
        std::string s(48, 'x');
        for (size_t k = every - 1; k < s.size(); k += every) s[k] = ' ';
        s.insert(pos, insert);
        expect_line_breaks_slice_lines(s);
      }
    }
  }
}

TEST(Normalize, LineBreaksOnRandomText) {
  Rng rng(31337);
  static const char* const kBreaks[] = {"\n", "\r\n", "\n\n", " \n", "\n ", "\r", "\n\u0301", "\n\u1161", "\n\x01"};
  for (int iter = 0; iter < 6000; ++iter) {
    std::string s;
    const size_t lines = 1 + rng.below(6);
    for (size_t j = 0; j < lines; ++j) {
      s += iter % 3 == 0 ? random_text(rng, 20) : mostly_ascii_text(rng, 90);
      if (j + 1 < lines || rng.below(2) == 0) s += kBreaks[rng.below(std::size(kBreaks))];
    }
    // Now and then a stray byte that makes the text invalid UTF-8.
    if (iter % 5 == 0 && !s.empty()) s[rng.below(s.size())] = static_cast<char>(0x80 + rng.below(128));
    expect_line_breaks_slice_lines(s);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

// The breaks start with room for 64-byte lines and grow: texts of short lines,
// long enough to grow several times in each path that stores breaks (sixteen-
// and eight-byte blocks, byte by byte, clusters), alone and interleaved.
TEST(Normalize, LineBreaksGrowPastShortLines) {
  static const char* const kLines[] = {"a\n", "\n", "ab cd\n", "  \n", "\x01\n", "\u00e9\n", "\u0301\n", "\u4e2d\n",
                                       "a b c d e f g h i\n"};
  Rng rng(4242);
  for (size_t pick = 0; pick <= std::size(kLines); ++pick) {
    std::string s;
    while (s.size() < 5000) {
      s += kLines[pick < std::size(kLines) ? pick : rng.below(std::size(kLines))];
    }
    expect_line_breaks_slice_lines(s);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace doppel::text
