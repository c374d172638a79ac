// File: pipeline/document_stage.cpp
#include "pipeline/document_stage.hpp"

#include "text/shingle.hpp"

namespace doppel::pipeline {

void process_document(std::string_view original, const ShingleConfig& config, DocumentScratch& scratch,
                      ProcessedDocument& out, bool with_offsets) {
  text::normalize(original, scratch.normalized, with_offsets);
  const std::string& norm = scratch.normalized.text;
  out.exact = core::exact_hash(norm);
  out.normalized_bytes = norm.size();
  text::tokenize(norm, config.unit == ShingleUnit::kChar ? text::TokenMode::kChar : text::TokenMode::kWord,
                 scratch.tokens);
  out.empty = scratch.tokens.empty();
  text::shingle_set(scratch.tokens, config.ngram, out.shingles);
}

}  // namespace doppel::pipeline
