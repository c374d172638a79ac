// File: text/text_internal.hpp
//
// Private to the text module and its unit test: the character-class helpers
// shared by normalize.cpp and tokenize.cpp, and two slower normalisers that the
// tests compare the production path against.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/isa.hpp"
#include "text/normalize.hpp"
#include "text/shingle.hpp"

namespace doppel::text::internal {

// Typographic quotes and dashes to their ASCII stand-ins (' " -); any other code
// point is returned unchanged. Applied before decomposition (so that U+2033 is
// '"' rather than the two primes NFKC would give) and after composition (to
// catch quotes that a decomposition produces, e.g. U+0149 -> U+02BC n).
int32_t map_punctuation(int32_t cp);

// True when a code point with canonical combining class 0 can still compose with
// a preceding starter (Hangul medial vowels and final consonants, and a handful
// of Indic and Brahmic vowel signs). The normaliser must not cut a cluster in
// front of such a code point.
bool is_backward_combining(int32_t cp);

// True for letters and marks of the scripts written without spaces between words
// (see tokenize.cpp for the exact ranges); each is a token of its own.
bool is_unspaced_script(int32_t cp);

// The production cluster path with the ASCII fast path switched off, so every
// byte goes through utf8proc. For pure ASCII it must agree byte for byte (and
// offset for offset) with normalize().
void normalize_without_ascii_fast_path(std::string_view original, NormalizedText& out,
                                       bool with_offsets, bool with_line_breaks = false);

// normalize() with the ASCII loops of a chosen x86-64 level (one the CPU
// runs): every level must give exactly the same text, offsets and breaks.
void normalize_with_isa(core::Isa isa, std::string_view original, NormalizedText& out, bool with_offsets,
                        bool with_line_breaks = false);

// An independent, slow reference: filter, one whole-string utf8proc_map call
// (NFKC + casefold), then the same post-mapping. No offsets. normalize() must
// produce exactly this for every input.
std::string normalize_reference(std::string_view original);

// shingle_hashes() with the kernels of a chosen x86-64 level (one the CPU runs):
// every level must give exactly the baseline's hashes.
void shingle_hashes_with(core::Isa isa, std::string_view normalized, TokenMode mode, int n,
                         std::vector<uint64_t>& out);

}  // namespace doppel::text::internal
