// File: text/normalize.hpp
//
// Text normalisation and tokenisation: the first step of every comparison.
//
// normalize(): Unicode NFKC + full case folding (utf8proc), typographic quotes
// unified to ' and ", dashes and minus signs to '-', every run of whitespace
// (Unicode White_Space, including NBSP and line breaks) collapsed to one ' ',
// leading/trailing whitespace removed, control characters dropped.
// It is idempotent: normalize(normalize(x)) == normalize(x).
// ASCII text takes a fast path that never calls utf8proc.
//
// tokenize(): splits normalised text into tokens, each with a 64-bit hash of its
// bytes (XXH3_64bits, seed kTokenSeed) and its byte span in the normalised text.
//  - kWord: a word is a maximal run of letters, marks, digits and connector
//    punctuation (Unicode L*, M*, N*, Pc). Apostrophes and periods between two
//    word characters are dropped, not split on ("lee's" -> "lees", "u.s" -> "us"),
//    so punctuation variants of one word compare equal. Characters of scripts
//    written without spaces (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar,
//    Tibetan) are each a token of their own, so a Chinese sentence yields one token
//    per character and word n-grams over it are character n-grams. (Combining
//    marks stay with the character before them; decimal digits of these scripts
//    still form numbers; the code point ranges are listed in tokenize.cpp.)
//    Hangul is written with spaces and is tokenised as words.
//  - kChar: each word character (as above, with its combining marks) is a token,
//    and a single token for ' ' stands between words; punctuation is dropped.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace doppel::text {

inline constexpr uint64_t kTokenSeed = 0x646f7070656c746bULL;  // "doppeltk"

struct NormalizedText {
  std::string text;
  // When requested: for every byte of `text`, the byte offset in the original of
  // the character it came from; one extra final entry = original size.
  // Always lands on a UTF-8 character boundary of the original.
  std::vector<uint32_t> original_offset;
  // When requested: for every '\n' of the original, in order, the size `text`
  // had when the normaliser reached it. A '\n' ends every cluster and is
  // whitespace, so `text` is the non-empty normalisations of the original's
  // lines joined by single spaces, and line j (0-based) is
  // text[line_breaks[j-1], line_breaks[j]) (0 and text.size() at the ends)
  // less the joining space it starts with when it is not the first non-empty
  // one. That lets boilerplate key every line without normalising it again.
  std::vector<uint32_t> line_breaks;
};

// Normalises `original` (valid UTF-8; stray invalid bytes become U+FFFD) into
// `out` (cleared first). Offsets are 32-bit, so inputs must be under 4 GiB.
void normalize(std::string_view original, NormalizedText& out, bool with_offsets = false,
               bool with_line_breaks = false);

enum class TokenMode { kWord, kChar };

struct Token {
  uint64_t hash;   // XXH3_64bits(token bytes as emitted, kTokenSeed)
  uint32_t begin;  // byte span in the normalised text; for kWord tokens with
  uint32_t end;    // dropped apostrophes the span covers them too
};

// Appends the tokens of normalised text `text` to `out` (cleared first).
void tokenize(std::string_view text, TokenMode mode, std::vector<Token>& out);

// Convenience for tests and explain: the token strings as emitted (with the
// dropped apostrophes/periods removed).
std::vector<std::string> token_strings(std::string_view text, TokenMode mode);

}  // namespace doppel::text
