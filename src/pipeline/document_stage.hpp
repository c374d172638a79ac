// File: pipeline/document_stage.hpp
//
// The per-document part of the pipeline, shared by dedup and explain: original
// text -> normalised text -> tokens -> shingle set (+ exact hash). Kept in one
// place so that both commands see the same shingles for the same text.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "boilerplate/boilerplate.hpp"
#include "core/hash.hpp"
#include "doppel/dedup.hpp"
#include "text/normalize.hpp"
#include "text/shingle.hpp"

namespace doppel::pipeline {

struct ShingleConfig {
  ShingleUnit unit = ShingleUnit::kWord;
  int ngram = 5;
};

// Reusable buffers: one per worker thread, so the hot path does not allocate.
struct DocumentScratch {
  text::NormalizedText normalized;
  std::vector<text::Token> tokens;    // filled only on the with_offsets path (explain)
  std::vector<uint64_t> shingles;     // the shingle sequence (its buffer is traded with the output's)
  text::SortScratch sort;
  // Set by a caller that also needs the original's distinct line keys (dedup
  // learning boilerplate): process_document() then leaves in line_keys what
  // boilerplate::line_keys() would give, read off the whole-text normalisation
  // it makes anyway instead of normalising every line a second time.
  bool line_keys_wanted = false;
  std::vector<uint64_t> line_keys;
  std::string normalized_content;  // the text less its boilerplate lines, normalised (boilerplate pass)
  // Room a caller offers for the next document's sorted shingle set (dedup: the
  // rest of its arena block, sparing a copy of every set). The main path sorts
  // straight into it when the set fits, then leaves here the part the set took
  // and an empty set in ProcessedDocument::shingles; otherwise it empties this
  // and fills ProcessedDocument::shingles as usual, as the boilerplate path
  // always does.
  std::span<uint64_t> sort_room;
  // Set by a caller that already holds the set of some texts (dedup: the
  // documents accepted so far). When it answers true for a text's exact hash,
  // process_document() stops after the exact hash, size and line keys, and
  // ProcessedDocument::shingled is false. Not consulted on the with_offsets
  // path, nor for a text shingled without its boilerplate lines.
  std::function<bool(const core::Hash128&)> skip_shingles;
};

struct ProcessedDocument {
  core::Hash128 exact;              // of the normalised text
  bool empty = true;                // nothing left after normalisation
  uint64_t normalized_bytes = 0;    // size of the normalised text: "how much text" for --keep longest
  std::vector<uint64_t> shingles;   // sorted unique (the vector may have spare capacity)
  double boilerplate_fraction = 0;  // share of the text in boilerplate lines
  bool only_boilerplate = false;    // nothing else left: shingled on the full text
  // False when DocumentScratch::skip_shingles stopped the work: `shingles` and
  // `empty` then say nothing (the caller knows the text already).
  bool shingled = true;
};

// Boilerplate handling for process_document(): the learned set and, optionally,
// where to record (line key, original line) for each boilerplate line met.
struct BoilerplateFilter {
  const boilerplate::BoilerplateSet* set = nullptr;
  std::vector<std::pair<uint64_t, std::string>>* examples = nullptr;
  // False when only the content's shingles are wanted (dedup sketching a document
  // again): the whole text is then normalised for its exact hash and size but not
  // tokenised, and `scratch` does not describe it afterwards.
  bool whole_text_tokens = true;
};

// with_offsets (explain) also keeps the offset table in scratch.normalized and
// the tokens in scratch.tokens; without it (dedup) the shingles are hashed
// straight from the text. Both give the same exact hash and shingle set.
// The exact hash always covers the whole text. With a non-empty boilerplate set,
// shingles come from the text without its boilerplate lines (unless nothing else
// is left). Afterwards `scratch` holds the WHOLE text's normalisation and tokens.
void process_document(std::string_view original, const ShingleConfig& config, DocumentScratch& scratch,
                      ProcessedDocument& out, bool with_offsets = false, const BoilerplateFilter& filter = {});

// The work of floor F2 in bench/: normalise, tokenise and hash every shingle
// once, nothing more (no exact hash, no sort). Returns the number of shingles.
size_t hash_shingles_only(std::string_view original, const ShingleConfig& config, DocumentScratch& scratch);

}  // namespace doppel::pipeline
