// File: pipeline/document_stage.hpp
//
// The per-document part of the pipeline, shared by dedup and explain: original
// text -> normalised text -> tokens -> shingle set (+ exact hash). Kept in one
// place so that both commands see the same shingles for the same text.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/hash.hpp"
#include "doppel/dedup.hpp"
#include "text/normalize.hpp"

namespace doppel::pipeline {

struct ShingleConfig {
  ShingleUnit unit = ShingleUnit::kWord;
  int ngram = 5;
};

// Reusable buffers: one per worker thread, so the hot path does not allocate.
struct DocumentScratch {
  text::NormalizedText normalized;
  std::vector<text::Token> tokens;
};

struct ProcessedDocument {
  core::Hash128 exact;              // of the normalised text
  bool empty = true;                // nothing left after normalisation
  uint64_t normalized_bytes = 0;    // size of the normalised text: "how much text" for --keep longest
  std::vector<uint64_t> shingles;   // sorted unique
};

void process_document(std::string_view original, const ShingleConfig& config, DocumentScratch& scratch,
                      ProcessedDocument& out, bool with_offsets = false);

}  // namespace doppel::pipeline
