// File: fuzz/fuzz_normalize.cpp
//
// Normalisation, tokenisation and shingling on arbitrary bytes (invalid UTF-8
// included) and on code points drawn from every Unicode plane.
//
// Properties:
//  - normalize() is idempotent and equals the slow whole-string reference
//    (one utf8proc_map call) on valid UTF-8;
//  - the ASCII fast path and the all-Unicode path agree byte for byte and
//    offset for offset;
//  - offsets: one per output byte plus the end, monotone, on character
//    boundaries of the original;
//  - on invalid UTF-8, the output is still valid UTF-8 and idempotent;
//  - tokens lie inside the text in order without overlap, and each hash is
//    XXH3-64 (kTokenSeed) of the token string; both token modes;
//  - shingle_sequence has max(tokens - n + 1, 1) values (0 without tokens),
//    shingle_hashes (straight from the text, every x86-64 level's copy the CPU
//    runs) gives exactly it, and shingle_set is its sorted, de-duplicated form;
//  - line breaks: asking for them changes neither the text nor the offsets, there
//    is one per '\n', every path gives the same, and the boilerplate line keys
//    read off them equal line_key() of every line normalised on its own (raw and
//    repaired input).
#include <simdjson.h>
#include <xxhash.h>

#include <algorithm>
#include <string>
#include <vector>

#include "boilerplate/boilerplate.hpp"
#include "fuzz_support.hpp"
#include "io/reader.hpp"
#include "text/normalize.hpp"
#include "text/shingle.hpp"
#include "text/text_internal.hpp"

namespace {

using namespace doppel::text;

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// On invalid input a stray continuation byte is a character of its own (it
// becomes U+FFFD), so the boundary check applies to valid UTF-8 only.
void check_offsets(std::string_view original, const NormalizedText& n, bool valid_utf8) {
  FUZZ_CHECK(n.original_offset.size() == n.text.size() + 1, "one offset per byte plus the end");
  FUZZ_CHECK(n.original_offset.back() == original.size(), "last offset is the original size");
  for (size_t k = 0; k < n.text.size(); ++k) {
    const uint32_t off = n.original_offset[k];
    FUZZ_CHECK(off < original.size(), "offset beyond the original");
    if (valid_utf8) FUZZ_CHECK(!is_continuation(original[off]), "offset inside a character");
    if (k > 0) FUZZ_CHECK(n.original_offset[k - 1] <= off, "offsets not monotone");
  }
}

void check_tokens(std::string_view text, TokenMode mode, int n) {
  std::vector<Token> tokens;
  tokenize(text, mode, tokens);
  const std::vector<std::string> strings = token_strings(text, mode);
  FUZZ_CHECK(strings.size() == tokens.size(), "token_strings and tokenize disagree on the count");
  uint32_t last_end = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    FUZZ_CHECK(t.begin < t.end && t.end <= text.size(), "token span outside the text");
    FUZZ_CHECK(i == 0 || t.begin >= last_end, "tokens overlap or go backwards");
    last_end = t.end;
    FUZZ_CHECK(!strings[i].empty(), "empty token");
    FUZZ_CHECK(XXH3_64bits_withSeed(strings[i].data(), strings[i].size(), kTokenSeed) == t.hash,
               "token hash is not XXH3 of the token string");
  }
  std::vector<uint64_t> sequence, set, fast;
  shingle_sequence(tokens, n, sequence);
  for (const doppel::core::Isa isa : doppel::core::supported_isas()) {
    internal::shingle_hashes_with(isa, text, mode, n, fast);
    FUZZ_CHECK(fast == sequence, "shingle_hashes (dedup's path) differs from the token path");
  }
  shingle_set(tokens, n, set);
  const size_t expected = tokens.empty() ? 0 : tokens.size() >= static_cast<size_t>(n) ? tokens.size() - n + 1 : 1;
  FUZZ_CHECK(sequence.size() == expected, "shingle count");
  std::sort(sequence.begin(), sequence.end());
  sequence.erase(std::unique(sequence.begin(), sequence.end()), sequence.end());
  FUZZ_CHECK(sequence == set, "shingle_set is not the sorted unique sequence");
}

void check_line_breaks(std::string_view input, const NormalizedText& expected) {
  NormalizedText fast, fast_offsets, slow, scratch;
  normalize(input, fast, false, true);
  normalize(input, fast_offsets, true, true);
  internal::normalize_without_ascii_fast_path(input, slow, false, true);
  FUZZ_CHECK(fast.text == expected.text && fast_offsets.text == expected.text && slow.text == expected.text,
             "line breaks change the text");
  FUZZ_CHECK(fast_offsets.original_offset == expected.original_offset, "line breaks change the offsets");
  FUZZ_CHECK(fast.line_breaks.size() == static_cast<size_t>(std::count(input.begin(), input.end(), '\n')),
             "not one line break per newline");
  FUZZ_CHECK(fast_offsets.line_breaks == fast.line_breaks && slow.line_breaks == fast.line_breaks,
             "paths disagree on line breaks");
  for (const doppel::core::Isa isa : doppel::core::supported_isas()) {
    for (const bool lines : {false, true}) {
      internal::normalize_with_isa(isa, input, scratch, false, lines);
      FUZZ_CHECK(scratch.text == expected.text, "an x86-64 level's ASCII loops change the text");
      FUZZ_CHECK(!lines || scratch.line_breaks == fast.line_breaks, "an x86-64 level's ASCII loops change the breaks");
    }
  }
  FUZZ_CHECK(std::is_sorted(fast.line_breaks.begin(), fast.line_breaks.end()) &&
                 (fast.line_breaks.empty() || fast.line_breaks.back() <= fast.text.size()),
             "line breaks out of order or beyond the text");

  std::vector<uint64_t> line_by_line;
  for (size_t start = 0;;) {
    const size_t end = std::min(input.find('\n', start), input.size());
    std::string_view line = input.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (const uint64_t k = doppel::boilerplate::line_key(line, scratch)) line_by_line.push_back(k);
    if (end == input.size()) break;
    start = end + 1;
  }
  std::sort(line_by_line.begin(), line_by_line.end());
  line_by_line.erase(std::unique(line_by_line.begin(), line_by_line.end()), line_by_line.end());
  std::vector<uint64_t> keys;
  doppel::boilerplate::line_keys_of_normalized(fast, keys);
  FUZZ_CHECK(keys == line_by_line, "line keys from the whole text differ from line_key() per line");
  doppel::boilerplate::line_keys(input, scratch, keys);
  FUZZ_CHECK(keys == line_by_line, "line_keys() differs from line_key() per line");

  // strip_normalized() against strip() with every other line key as boilerplate,
  // so kept and dropped lines meet in every way the input allows.
  std::vector<doppel::boilerplate::Line> lines;
  for (size_t i = 0; i < line_by_line.size(); i += 2) lines.push_back({line_by_line[i], 2, 0});
  const doppel::boilerplate::BoilerplateSet set(std::move(lines));
  std::string content, normalized_content;
  std::vector<std::pair<uint64_t, std::string>> examples, expected_examples;
  const auto stripped = doppel::boilerplate::strip(input, set, scratch, content, &expected_examples);
  normalize(content, scratch);
  const auto got = doppel::boilerplate::strip_normalized(input, fast, set, normalized_content, &examples);
  FUZZ_CHECK(normalized_content == scratch.text, "content read off the whole text differs from its normalisation");
  FUZZ_CHECK(got.lines == stripped.lines && got.boilerplate_lines == stripped.boilerplate_lines &&
                 got.bytes == stripped.bytes && got.boilerplate_bytes == stripped.boilerplate_bytes &&
                 examples == expected_examples,
             "strip_normalized() counts differ from strip()");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider fdp(data, size);
  const bool code_points = fdp.ConsumeBool();
  const int n = fdp.ConsumeIntegralInRange<int>(1, 8);
  std::string raw;
  if (code_points) {
    // Four bytes per character: a quarter ASCII, a quarter BMP, half any plane
    // (surrogates included: they are invalid UTF-8 and must be repaired).
    while (fdp.remaining_bytes() >= 4) {
      const uint32_t v = fdp.ConsumeIntegral<uint32_t>();
      const uint32_t sel = v >> 30;
      const uint32_t cp = sel == 0 ? (v & 0x7F) : sel == 1 ? (v & 0xFFFF) : (v % 0x110000);
      doppel::fuzz::append_utf8(raw, cp);
    }
  } else {
    raw = fdp.ConsumeRemainingBytesAsString();
  }

  // Raw bytes straight in: invalid UTF-8 must still give valid, stable output.
  NormalizedText direct;
  normalize(raw, direct, true);
  FUZZ_CHECK(simdjson::validate_utf8(direct.text.data(), direct.text.size()), "output is not valid UTF-8");
  check_offsets(raw, direct, false);
  NormalizedText again;
  normalize(direct.text, again);
  FUZZ_CHECK(again.text == direct.text, "not idempotent on invalid input");
  check_line_breaks(raw, direct);

  // What the pipeline does: repaired text (valid UTF-8) is normalised.
  std::string text;
  doppel::io::repair_utf8(raw, text);
  NormalizedText fast, slow, twice;
  normalize(text, fast, true);
  check_offsets(text, fast, true);
  normalize(fast.text, twice);
  FUZZ_CHECK(twice.text == fast.text, "normalize is not idempotent");
  FUZZ_CHECK(internal::normalize_reference(text) == fast.text, "differs from the whole-string reference");
  internal::normalize_without_ascii_fast_path(text, slow, true);
  FUZZ_CHECK(slow.text == fast.text, "ASCII fast path and Unicode path differ (text)");
  FUZZ_CHECK(slow.original_offset == fast.original_offset, "ASCII fast path and Unicode path differ (offsets)");
  check_line_breaks(text, fast);

  check_tokens(fast.text, TokenMode::kWord, n);
  check_tokens(fast.text, TokenMode::kChar, n);
  return 0;
}
