// File: match/align.hpp
//
// The evidence behind a match: the passages two documents share, aligned.
//
// Works on token sequences (text/normalize.hpp). Two documents share a passage
// when they have a common run of at least `min_tokens` consecutive equal tokens
// (by token hash). Passages are found greedily, longest first, without overlap in
// either document (greedy string tiling, seeded by shared n-gram positions), then
// reported in order of their position in document A.
//
// Offsets are mapped back to the ORIGINAL texts (before normalisation) through
// NormalizedText::original_offset, so they always fall on UTF-8 character
// boundaries; both byte offsets and character (code point) offsets are given.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "text/normalize.hpp"

namespace doppel::match {

struct Span {
  uint64_t byte_begin = 0, byte_end = 0;  // [begin, end) in the original text
  uint64_t char_begin = 0, char_end = 0;  // same span in Unicode code points
};

struct Passage {
  Span a, b;
  uint32_t tokens = 0;  // length of the shared run in tokens
};

struct AlignInput {
  std::string_view original;                // original UTF-8 text
  const text::NormalizedText* normalized;   // with original_offset filled
  std::span<const text::Token> tokens;      // tokens of normalized->text
};

// Shared passages of at least `min_tokens` tokens (callers use the shingle size).
std::vector<Passage> align(const AlignInput& a, const AlignInput& b, uint32_t min_tokens);

// Number of code points in the first `byte_offset` bytes of `utf8`.
uint64_t char_offset(std::string_view utf8, uint64_t byte_offset);

}  // namespace doppel::match
