// File: fuzz/fuzz_align.cpp
//
// Passage alignment (match::align) on two fuzz-built texts over a small
// vocabulary (ASCII, accented, CJK and apostrophe words; varied separators and
// case), so that shared runs are common.
//
// Properties:
//  - passages in order of A, without overlap in A or in B, each >= min_tokens;
//  - spans lie inside the original texts, on character boundaries, and the
//    character offsets agree with char_offset();
//  - the two spans of a passage normalise to the same tokens, `tokens` of them;
//  - no passage is longer than the longest common run of tokens, and the
//    longest passage is that run (greedy tiling takes the longest first) when
//    it reaches min_tokens and B has no window above align()'s occurrence cap.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "match/align.hpp"
#include "text/normalize.hpp"

namespace {

using namespace doppel;

struct Doc {
  std::string original;
  text::NormalizedText normalized;
  std::vector<text::Token> tokens;
  match::AlignInput input() const { return {original, &normalized, tokens}; }
};

Doc make_doc(FuzzedDataProvider& fdp, size_t words) {
  static const char* kWords[] = {"river", "Lantern", "caf\xc3\xa9", "\xc3\x84rger", "lee\xe2\x80\x99s", "U.S.",
                                 "\xe4\xb8\xad", "\xe6\x96\x87", "x", "42", "STRASSE", "stra\u00dfe"};
  static const char* kSeparators[] = {" ", "  ", ", ", ".\n", " \xe2\x80\x94 ", "\t", "\xc2\xa0"};
  Doc d;
  for (size_t i = 0; i < words && fdp.remaining_bytes(); ++i) {
    if (i) d.original += kSeparators[fdp.ConsumeIntegralInRange<size_t>(0, std::size(kSeparators) - 1)];
    d.original += kWords[fdp.ConsumeIntegralInRange<size_t>(0, std::size(kWords) - 1)];
  }
  text::normalize(d.original, d.normalized, true);
  text::tokenize(d.normalized.text, text::TokenMode::kWord, d.tokens);
  return d;
}

std::vector<std::string> tokens_of(std::string_view original_span) {
  text::NormalizedText n;
  text::normalize(original_span, n);
  return text::token_strings(n.text, text::TokenMode::kWord);
}

bool on_boundary(const std::string& s, uint64_t at) {
  return at == s.size() || (at < s.size() && (static_cast<unsigned char>(s[at]) & 0xC0) != 0x80);
}

uint32_t longest_common_run(const std::vector<text::Token>& a, const std::vector<text::Token>& b) {
  std::vector<uint32_t> prev(b.size() + 1, 0), cur(b.size() + 1, 0);
  uint32_t best = 0;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = a[i - 1].hash == b[j - 1].hash ? prev[j - 1] + 1 : 0;
      best = std::max(best, cur[j]);
    }
    std::swap(prev, cur);
  }
  return best;
}

void check_span(const Doc& d, const match::Span& s) {
  FUZZ_CHECK(s.byte_begin < s.byte_end && s.byte_end <= d.original.size(), "span outside the text");
  FUZZ_CHECK(on_boundary(d.original, s.byte_begin) && on_boundary(d.original, s.byte_end),
             "span not on character boundaries");
  FUZZ_CHECK(s.char_begin == match::char_offset(d.original, s.byte_begin) &&
                 s.char_end == match::char_offset(d.original, s.byte_end),
             "character offsets disagree with char_offset");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider fdp(data, size);
  const uint32_t min_tokens = fdp.ConsumeIntegralInRange<uint32_t>(0, 6);
  const size_t wa = fdp.ConsumeIntegralInRange<size_t>(0, 150);
  const size_t wb = fdp.ConsumeIntegralInRange<size_t>(0, 150);
  const Doc a = make_doc(fdp, wa);
  const Doc b = make_doc(fdp, wb);

  const std::vector<match::Passage> passages = match::align(a.input(), b.input(), min_tokens);
  const uint32_t floor = std::max<uint32_t>(min_tokens, 1);
  uint32_t longest = 0;
  for (size_t i = 0; i < passages.size(); ++i) {
    const match::Passage& p = passages[i];
    check_span(a, p.a);
    check_span(b, p.b);
    longest = std::max(longest, p.tokens);
    if (i > 0) FUZZ_CHECK(passages[i - 1].a.byte_end <= p.a.byte_begin, "passages overlap in A or are unordered");
    const auto ta = tokens_of(std::string_view(a.original).substr(p.a.byte_begin, p.a.byte_end - p.a.byte_begin));
    const auto tb = tokens_of(std::string_view(b.original).substr(p.b.byte_begin, p.b.byte_end - p.b.byte_begin));
    FUZZ_CHECK(ta == tb, "the two sides of a passage hold different tokens");
    FUZZ_CHECK(ta.size() == p.tokens, "passage token count");
  }
  std::vector<match::Passage> by_b = passages;
  std::sort(by_b.begin(), by_b.end(),
            [](const match::Passage& x, const match::Passage& y) { return x.b.byte_begin < y.b.byte_begin; });
  for (size_t i = 1; i < by_b.size(); ++i) {
    FUZZ_CHECK(by_b[i - 1].b.byte_end <= by_b[i].b.byte_begin, "passages overlap in B");
  }

  const uint32_t run = longest_common_run(a.tokens, b.tokens);
  FUZZ_CHECK(longest <= run || run < floor, "a passage longer than any common run");
  // align() seeds a window that occurs more than 64 times in B from its first 64
  // occurrences only (a documented bound for highly repetitive text), so the
  // longest run is guaranteed only when no window of B is that frequent.
  std::map<std::vector<uint64_t>, int> windows;
  int most = 0;
  for (size_t i = 0; i + floor <= b.tokens.size(); ++i) {
    std::vector<uint64_t> w;
    for (size_t k = i; k < i + floor; ++k) w.push_back(b.tokens[k].hash);
    most = std::max(most, ++windows[w]);
  }
  if (run >= floor && most <= 64) {
    FUZZ_CHECK(longest == run, "longest passage " + std::to_string(longest) + " is not the longest common run " +
                                   std::to_string(run) + " (min_tokens " + std::to_string(min_tokens) + ")\nA: " +
                                   a.normalized.text + "\nB: " + b.normalized.text);
    for (const auto& p : passages) FUZZ_CHECK(p.tokens >= floor, "passage shorter than min_tokens");
  } else if (run < floor) {
    // Only two equal documents shorter than min_tokens get a (whole-document) passage.
    for (const auto& p : passages) FUZZ_CHECK(p.tokens == a.tokens.size() && p.tokens == b.tokens.size(),
                                              "short passage between different documents");
  }
  return 0;
}
