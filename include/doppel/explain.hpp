// File: doppel/explain.hpp
//
// Why do two documents match? Scores on the exact shingle sets and the shared
// passages, aligned, with offsets into each original text.
//
//   doppel::ExplainOptions opts;
//   opts.inputs = {"corpus/"};
//   opts.a = "000"; opts.b = "001";
//   auto r = doppel::explain(opts);
//   std::cout << doppel::explain_to_text(*r);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "doppel/dedup.hpp"
#include "doppel/status.hpp"

namespace doppel {

struct ExplainOptions {
  std::vector<std::string> inputs;
  std::string a, b;  // document ids
  std::string id_field = "id";
  std::string text_field = "text";
  ShingleUnit shingle = ShingleUnit::kWord;
  int ngram = 5;
  double jaccard = 0.8;
  double containment = 0.8;
  uint64_t max_doc_bytes = uint64_t{1} << 30;
  // As for dedup: with kAuto the scores leave out lines that are boilerplate in
  // the inputs, so they equal the ones in pairs.jsonl.
  BoilerplateMode boilerplate = BoilerplateMode::kAuto;
  uint32_t boilerplate_min_docs = 20;
  uint32_t boilerplate_min_source_docs = 3;
  std::string source_field;
};

struct ExplainSide {
  std::string id;
  std::string source;       // file[:line]
  uint64_t bytes = 0;       // original text size
  uint64_t characters = 0;  // original text size in code points
  uint64_t shingles = 0;    // distinct shingles used for matching
  double boilerplate = 0;   // share of the text in boilerplate lines (1: nothing else)
};

struct ExplainPassage {
  uint64_t a_byte_begin = 0, a_byte_end = 0, a_char_begin = 0, a_char_end = 0;
  uint64_t b_byte_begin = 0, b_byte_end = 0, b_char_begin = 0, b_char_end = 0;
  uint32_t tokens = 0;
  std::string a_text;  // the passage as it appears in A's original text
  std::string b_text;
};

struct ExplainResult {
  ExplainSide a, b;
  bool exact = false;  // identical after normalisation
  uint64_t shared_shingles = 0;
  double jaccard = 0;
  double containment_a_in_b = 0;
  double containment_b_in_a = 0;
  std::optional<MatchKind> kind;  // what dedup would call this pair; nullopt: no match
  uint64_t covered_a_chars = 0;   // characters of A inside shared passages
  uint64_t covered_b_chars = 0;
  std::vector<ExplainPassage> passages;
};

Result<ExplainResult> explain(const ExplainOptions& options);
std::string explain_to_json(const ExplainResult& result);
std::string explain_to_text(const ExplainResult& result);

}  // namespace doppel
