// File: pipeline/explain.cpp
//
// explain(): the evidence for one pair. It re-reads the inputs (the same ones
// given to dedup), processes the two documents exactly as dedup does
// (pipeline/document_stage.hpp), scores them on the full shingle sets and aligns
// the shared passages back onto the original texts.
#include <fmt/format.h>

#include <optional>

#include "doppel/explain.hpp"
#include "io/reader.hpp"
#include "match/align.hpp"
#include "match/verify.hpp"
#include "pipeline/document_stage.hpp"
#include "pipeline/quality_stages.hpp"
#include "report/json.hpp"

namespace doppel {
namespace {

struct Found {
  std::string text;
  std::string source;
};

ExplainSide describe(const std::string& id, const Found& f, const pipeline::ProcessedDocument& p) {
  ExplainSide s;
  s.id = id;
  s.source = f.source;
  s.bytes = f.text.size();
  s.characters = match::char_offset(f.text, f.text.size());
  s.shingles = p.shingles.size();
  s.boilerplate = p.only_boilerplate ? 1.0 : p.boilerplate_fraction;
  return s;
}

}  // namespace

Result<ExplainResult> explain(const ExplainOptions& options) {
  if (options.a.empty() || options.b.empty()) return invalid_argument("explain needs two document ids");
  if (options.ngram < 1 || options.ngram > 64) return invalid_argument("--ngram must be in 1..64");
  io::ReaderOptions ropt;
  ropt.id_field = options.id_field;
  ropt.text_field = options.text_field;
  ropt.max_doc_bytes = options.max_doc_bytes;
  if (!options.source_field.empty()) ropt.extra_fields.push_back(options.source_field);
  io::InputSet inputs(options.inputs, ropt);
  DOPPEL_TRY(inputs.open());
  boilerplate::BoilerplateSet boilerplate;
  if (options.boilerplate == BoilerplateMode::kAuto) {
    DOPPEL_ASSIGN_OR_RETURN(boilerplate, pipeline::learn_boilerplate(inputs, options.source_field.empty() ? -1 : 0,
                                                                     {options.boilerplate_min_docs,
                                                                      options.boilerplate_min_source_docs}));
  }

  std::optional<Found> fa, fb;
  DOPPEL_TRY(inputs.for_each(
      [&](io::Record&& r) -> Status {
        auto source = [&] {
          const std::string& file = inputs.files()[r.pos.file_index].display;
          return r.pos.line ? fmt::format("{}:{}", file, r.pos.line) : file;
        };
        // The first record with an id wins, as in dedup (later ones are rejected there).
        if (!fa && r.id == options.a) fa = Found{r.text, source()};
        if (!fb && r.id == options.b) fb = Found{std::move(r.text), source()};
        return Status::ok();
      },
      [](const io::Problem&) { return Status::ok(); }));
  if (!fa) return not_found(fmt::format("document \"{}\" is not in the inputs", options.a));
  if (!fb) return not_found(fmt::format("document \"{}\" is not in the inputs", options.b));

  pipeline::ShingleConfig config{options.shingle, options.ngram};
  pipeline::DocumentScratch sa, sb;
  pipeline::ProcessedDocument pa, pb;
  pipeline::process_document(fa->text, config, sa, pa, /*with_offsets=*/true, {&boilerplate, nullptr});
  pipeline::process_document(fb->text, config, sb, pb, /*with_offsets=*/true, {&boilerplate, nullptr});

  ExplainResult r;
  r.a = describe(options.a, *fa, pa);
  r.b = describe(options.b, *fb, pb);
  r.exact = !pa.empty && pa.exact == pb.exact;
  match::Overlap o = match::overlap(pa.shingles, pb.shingles);
  r.shared_shingles = o.intersection;
  r.jaccard = o.jaccard();
  r.containment_a_in_b = o.containment_a_in_b();
  r.containment_b_in_a = o.containment_b_in_a();
  if (r.exact) {
    r.kind = MatchKind::kExact;
  } else if (!pa.empty && !pb.empty && r.jaccard >= options.jaccard) {
    r.kind = MatchKind::kNear;
  } else if (!pa.empty && !pb.empty && o.max_containment() >= options.containment) {
    r.kind = MatchKind::kContained;
  }

  match::AlignInput ia{fa->text, &sa.normalized, sa.tokens};
  match::AlignInput ib{fb->text, &sb.normalized, sb.tokens};
  for (const match::Passage& p : match::align(ia, ib, static_cast<uint32_t>(options.ngram))) {
    ExplainPassage e;
    e.a_byte_begin = p.a.byte_begin;
    e.a_byte_end = p.a.byte_end;
    e.a_char_begin = p.a.char_begin;
    e.a_char_end = p.a.char_end;
    e.b_byte_begin = p.b.byte_begin;
    e.b_byte_end = p.b.byte_end;
    e.b_char_begin = p.b.char_begin;
    e.b_char_end = p.b.char_end;
    e.tokens = p.tokens;
    e.a_text = fa->text.substr(p.a.byte_begin, p.a.byte_end - p.a.byte_begin);
    e.b_text = fb->text.substr(p.b.byte_begin, p.b.byte_end - p.b.byte_begin);
    r.covered_a_chars += p.a.char_end - p.a.char_begin;
    r.covered_b_chars += p.b.char_end - p.b.char_begin;
    r.passages.push_back(std::move(e));
  }
  return r;
}

namespace {
std::string side_json(const ExplainSide& s) {
  std::string out;
  report::JsonObject o(out);
  o.field("id", s.id).field("source", s.source).field("bytes", s.bytes).field("characters", s.characters);
  o.field("shingles", s.shingles).field("boilerplate", s.boilerplate).close();
  return out;
}
}  // namespace

std::string explain_to_json(const ExplainResult& r) {
  std::string passages = "[";
  for (size_t i = 0; i < r.passages.size(); ++i) {
    const auto& p = r.passages[i];
    if (i) passages += ',';
    std::string a, b;
    report::JsonObject oa(a);
    oa.field("byte_begin", p.a_byte_begin).field("byte_end", p.a_byte_end);
    oa.field("char_begin", p.a_char_begin).field("char_end", p.a_char_end).field("text", p.a_text).close();
    report::JsonObject ob(b);
    ob.field("byte_begin", p.b_byte_begin).field("byte_end", p.b_byte_end);
    ob.field("char_begin", p.b_char_begin).field("char_end", p.b_char_end).field("text", p.b_text).close();
    report::JsonObject op(passages);
    op.field("tokens", p.tokens).raw_field("a", a).raw_field("b", b).close();
  }
  passages += ']';
  std::string out;
  report::JsonObject o(out);
  o.raw_field("a", side_json(r.a)).raw_field("b", side_json(r.b));
  if (r.kind) o.field("kind", to_string(*r.kind)); else o.null_field("kind");
  o.field("exact", r.exact).field("shared_shingles", r.shared_shingles).field("jaccard", r.jaccard);
  o.field("containment_a_in_b", r.containment_a_in_b).field("containment_b_in_a", r.containment_b_in_a);
  o.field("covered_a_chars", r.covered_a_chars).field("covered_b_chars", r.covered_b_chars);
  o.raw_field("passages", passages).close();
  out.push_back('\n');
  return out;
}

std::string explain_to_text(const ExplainResult& r) {
  auto pct = [](uint64_t part, uint64_t whole) { return whole ? 100.0 * double(part) / double(whole) : 0.0; };
  std::string out;
  out += fmt::format("A  {}  ({}; {} chars, {} shingles)\n", r.a.id, r.a.source, r.a.characters, r.a.shingles);
  out += fmt::format("B  {}  ({}; {} chars, {} shingles)\n\n", r.b.id, r.b.source, r.b.characters, r.b.shingles);
  out += fmt::format("match            {}\n", r.kind ? to_string(*r.kind) : "none");
  out += fmt::format("jaccard          {:.4f}  ({} shared shingles)\n", r.jaccard, r.shared_shingles);
  out += fmt::format("containment A⊂B  {:.4f}\n", r.containment_a_in_b);
  out += fmt::format("containment B⊂A  {:.4f}\n", r.containment_b_in_a);
  out += fmt::format("shared passages  {}  (cover {:.1f}% of A, {:.1f}% of B)\n", r.passages.size(),
                     pct(r.covered_a_chars, r.a.characters), pct(r.covered_b_chars, r.b.characters));
  for (size_t i = 0; i < r.passages.size(); ++i) {
    const auto& p = r.passages[i];
    out += fmt::format("\n[{}] {} tokens   A chars {}-{}   B chars {}-{}\n", i + 1, p.tokens, p.a_char_begin,
                       p.a_char_end, p.b_char_begin, p.b_char_end);
    std::string shown = p.a_text;
    for (char& c : shown) {
      if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    }
    out += "    " + shown + "\n";
  }
  return out;
}

}  // namespace doppel
