// File: pipeline/document_stage.cpp
#include "pipeline/document_stage.hpp"

namespace doppel::pipeline {
namespace {

text::TokenMode token_mode(const ShingleConfig& config) {
  return config.unit == ShingleUnit::kChar ? text::TokenMode::kChar : text::TokenMode::kWord;
}

}  // namespace

namespace {
// line_keys: when given, also the distinct line keys of `original`. may_skip:
// whether DocumentScratch::skip_shingles is consulted.
// normalized: scratch.normalized already holds `original`'s normalisation
// (without offsets).
void shingle_text(std::string_view original, const ShingleConfig& config, DocumentScratch& scratch,
                  ProcessedDocument& out, bool with_offsets, std::vector<uint64_t>* line_keys = nullptr,
                  bool may_skip = false, bool normalized = false);
}  // namespace

void process_document(std::string_view original, const ShingleConfig& config, DocumentScratch& scratch,
                      ProcessedDocument& out, bool with_offsets, const BoilerplateFilter& filter) {
  out.boilerplate_fraction = 0;
  out.only_boilerplate = false;
  out.shingled = true;
  bool line_keys_pending = scratch.line_keys_wanted;
  if (filter.set && !filter.set->empty()) {
    // dedup sketches documents with a set either in its main pass (when it
    // learned the boilerplate first) or again, for those holding a boilerplate
    // line (every book of Project Gutenberg). One normalisation of the whole
    // text gives its exact hash, every line's key and the normalised content,
    // where strip() would normalise each line, then the content, then the
    // whole text again.
    text::normalize(original, scratch.normalized, false, /*with_line_breaks=*/true);
    if (line_keys_pending) boilerplate::line_keys_of_normalized(scratch.normalized, scratch.line_keys);
    line_keys_pending = false;
    boilerplate::Stripped st = boilerplate::strip_normalized(original, scratch.normalized, *filter.set,
                                                             scratch.normalized_content, filter.examples);
    if (st.boilerplate_lines > 0) {
      // These sets go to ProcessedDocument::shingles, never into an offered room.
      scratch.sort_room = {};
      out.boilerplate_fraction = st.fraction();
      // Shingled as shingle_text() shingles a text it has normalised.
      text::shingle_hashes(scratch.normalized_content, token_mode(config), config.ngram, scratch.shingles);
      const bool has_content = !scratch.shingles.empty();
      text::sort_unique(scratch.shingles, scratch.sort);
      if (has_content && !filter.whole_text_tokens) {
        out.exact = core::exact_hash(scratch.normalized.text);
        out.normalized_bytes = scratch.normalized.text.size();
        out.empty = false;  // the content has words, so the whole text does
        out.shingles.swap(scratch.shingles);
        return;
      }
      std::vector<uint64_t> content_shingles;
      content_shingles.swap(scratch.shingles);
      // The whole text last, so the scratch describes it (explain aligns on it).
      shingle_text(original, config, scratch, out, with_offsets);
      if (has_content) {
        out.shingles.swap(content_shingles);
      } else {
        out.only_boilerplate = true;
      }
      return;
    }
    if (!with_offsets) {
      // No boilerplate line: the normalisation above serves the whole text.
      shingle_text(original, config, scratch, out, false, nullptr, /*may_skip=*/true, /*normalized=*/true);
      return;
    }
  }
  shingle_text(original, config, scratch, out, with_offsets, line_keys_pending ? &scratch.line_keys : nullptr,
               /*may_skip=*/true);
}

namespace {
void shingle_text(std::string_view original, const ShingleConfig& config, DocumentScratch& scratch,
                  ProcessedDocument& out, bool with_offsets, std::vector<uint64_t>* line_keys, bool may_skip,
                  bool normalized) {
  if (!normalized) text::normalize(original, scratch.normalized, with_offsets, /*with_line_breaks=*/line_keys != nullptr);
  if (line_keys) boilerplate::line_keys_of_normalized(scratch.normalized, *line_keys);
  const std::string& norm = scratch.normalized.text;
  out.exact = core::exact_hash(norm);
  out.normalized_bytes = norm.size();
  if (may_skip && !with_offsets && scratch.skip_shingles && scratch.skip_shingles(out.exact)) {
    out.shingled = false;
    out.shingles.clear();
    scratch.sort_room = {};
    return;
  }
  if (with_offsets) {
    text::tokenize(norm, token_mode(config), scratch.tokens);
    out.empty = scratch.tokens.empty();
    text::shingle_sequence(scratch.tokens, config.ngram, scratch.shingles);
  } else {
    text::shingle_hashes(norm, token_mode(config), config.ngram, scratch.shingles);
    // Every token yields at least one shingle (a short document one of all of
    // them), so no shingles means no tokens.
    out.empty = scratch.shingles.empty();
  }
  std::span<uint64_t>& room = scratch.sort_room;
  if (room.data() != nullptr && room.size() >= scratch.shingles.size()) {
    room = room.first(text::sort_unique_into(scratch.shingles, scratch.sort, room.data()));
    out.shingles.clear();
    return;
  }
  room = {};
  text::sort_unique(scratch.shingles, scratch.sort);
  // Trading buffers instead of copying: when `out` is reused per thread (dedup)
  // neither side allocates again after the first documents.
  out.shingles.swap(scratch.shingles);
}
}  // namespace

size_t hash_shingles_only(std::string_view original, const ShingleConfig& config, DocumentScratch& scratch) {
  text::normalize(original, scratch.normalized, false);
  text::shingle_hashes(scratch.normalized.text, token_mode(config), config.ngram, scratch.shingles);
  return scratch.shingles.size();
}

}  // namespace doppel::pipeline
