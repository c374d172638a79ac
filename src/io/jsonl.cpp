// File: io/jsonl.cpp
//
// One JSONL line -> Record, with simdjson On-Demand. On-Demand only checks
// what it visits, so fields we do not need are walked anyway: a line with
// broken JSON anywhere is rejected rather than half-trusted.
#include "io/jsonl.hpp"

#include <fmt/format.h>

#include <cstring>

#include "io/utf8.hpp"

namespace doppel::io::detail {
namespace {

namespace od = simdjson::ondemand;

// Lines above this size leave the parser with huge internal buffers; they are
// dropped afterwards so one giant document does not pin memory for the run.
constexpr size_t kShrinkAbove = size_t{64} << 20;

const char* type_phrase(od::json_type t) {
  switch (t) {
    case od::json_type::object: return "an object";
    case od::json_type::array: return "an array";
    case od::json_type::number: return "a number";
    case od::json_type::string: return "a string";
    case od::json_type::boolean: return "a boolean";
    case od::json_type::null: return "null";
  }
  return "an unknown value";
}

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// Nesting deeper than this is rejected (simdjson's own default limit): the
// walk below recurses once per level, and a line of a few megabytes of '['
// would otherwise overflow the stack (docs/reliability.md, bad-input catalogue).
constexpr int kMaxNesting = 1024;

// Visits every byte of a value so that malformed JSON is noticed.
simdjson::error_code validate_value(od::value v, int depth = 0) {
  if (depth > kMaxNesting) return simdjson::DEPTH_ERROR;
  od::json_type t;
  if (auto e = v.type().get(t)) return e;
  switch (t) {
    case od::json_type::object: {
      od::object obj;
      if (auto e = v.get_object().get(obj)) return e;
      for (auto field_result : obj) {
        od::field field;
        if (auto e = std::move(field_result).get(field)) return e;
        std::string_view key;
        if (auto e = field.unescaped_key().get(key)) return e;
        if (auto e = validate_value(field.value(), depth + 1)) return e;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::array: {
      od::array arr;
      if (auto e = v.get_array().get(arr)) return e;
      for (auto element : arr) {
        od::value ev;
        if (auto e = std::move(element).get(ev)) return e;
        if (auto e = validate_value(ev, depth + 1)) return e;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::string: {
      std::string_view s;
      return v.get_string().get(s);
    }
    case od::json_type::number: {
      double d;
      return v.get_double().get(d);
    }
    case od::json_type::boolean: {
      bool b;
      return v.get_bool().get(b);
    }
    case od::json_type::null: {
      bool is_null = false;
      if (auto e = v.is_null().get(is_null)) return e;
      return is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
  }
  return simdjson::INCORRECT_TYPE;
}

// Like validate_value, for a document whose root is not an object (scalar
// documents cannot be turned into values).
simdjson::error_code validate_root(od::document& doc, od::json_type type) {
  switch (type) {
    case od::json_type::array: {
      od::array arr;
      if (auto e = doc.get_array().get(arr)) return e;
      for (auto element : arr) {
        od::value ev;
        if (auto e = std::move(element).get(ev)) return e;
        if (auto e = validate_value(ev)) return e;
      }
      break;
    }
    case od::json_type::string: {
      std::string_view s;
      if (auto e = doc.get_string().get(s)) return e;
      break;
    }
    case od::json_type::number: {
      double d;
      if (auto e = doc.get_double().get(d)) return e;
      break;
    }
    case od::json_type::boolean: {
      bool b;
      if (auto e = doc.get_bool().get(b)) return e;
      break;
    }
    case od::json_type::null: {
      bool is_null = false;
      if (auto e = doc.is_null().get(is_null)) return e;
      if (!is_null) return simdjson::N_ATOM_ERROR;
      break;
    }
    case od::json_type::object:
      break;
  }
  const char* trailing = nullptr;
  if (!doc.current_location().get(trailing)) return simdjson::TRAILING_CONTENT;
  return simdjson::SUCCESS;
}

// A value needed by the record, read once (On-Demand values are single-use).
struct Captured {
  od::json_type type = od::json_type::null;
  std::string_view str;  // unescaped string
  std::string_view raw;  // JSON spelling of non-strings (when asked for)
  double number = 0;
};

}  // namespace

JsonlParser::JsonlParser(const ReaderOptions& options) : options_(options) {}

void JsonlParser::load(std::string_view bytes) {
  padded_.reserve(bytes.size() + simdjson::SIMDJSON_PADDING, 0);
  std::memcpy(padded_.data(), bytes.data(), bytes.size());
  std::memset(padded_.data() + bytes.size(), 0, simdjson::SIMDJSON_PADDING);
}

static_assert(ByteBuffer::kTailPadding >= simdjson::SIMDJSON_PADDING);

LineOutcome JsonlParser::parse(std::string_view line, Record& rec, bool in_byte_buffer) {
  LineOutcome out;
  if (simdjson::validate_utf8(line.data(), line.size())) {
    if (in_byte_buffer) {
      out = parse_padded(line, rec);
    } else {
      load(line);
      out = parse_padded(std::string_view(padded_.data(), line.size()), rec);
    }
  } else {
    // Raw NULs stay: they are not valid JSON and must be reported as such.
    const Utf8RepairDetail d = repair_utf8_detail(line, repaired_, /*replace_nul=*/false);
    load(repaired_);
    out = parse_padded(std::string_view(padded_.data(), repaired_.size()), rec);
    rec.utf8_repairs = d.invalid_sequences;
    out.first_invalid_utf8 = d.first_invalid_offset;
  }
  if (line.size() > kShrinkAbove) {
    parser_ = od::parser{};
    padded_.release();
    repaired_ = std::string();
    dom_parser_ = simdjson::dom::parser{};
  }
  return out;
}

LineOutcome JsonlParser::parse_padded(std::string_view line, Record& rec) {
  LineOutcome out;
  auto malformed = [&](simdjson::error_code e) {
    out.ok = false;
    out.reason = std::string("malformed JSON: ") + simdjson::error_message(e);
    if (const void* nul = std::memchr(line.data(), '\0', line.size())) {
      out.reason += fmt::format(" (raw NUL byte at offset {} in the line)",
                                static_cast<const char*>(nul) - line.data());
    }
    return out;
  };

  const simdjson::padded_string_view view(line.data(), line.size(), line.size() + simdjson::SIMDJSON_PADDING);
  od::document doc;
  if (auto e = parser_.iterate(view).get(doc)) return malformed(e);
  od::json_type root_type;
  if (auto e = doc.type().get(root_type)) return malformed(e);
  if (root_type != od::json_type::object) {
    // Only valid JSON earns "expected an object"; anything else is malformed.
    if (auto e = validate_root(doc, root_type)) return malformed(e);
    out.reason = "expected a JSON object";
    return out;
  }
  od::object obj;
  if (auto e = doc.get_object().get(obj)) return malformed(e);

  const auto& extra = options_.extra_fields;
  rec.fields.assign(extra.size(), std::nullopt);
  extra_seen_.assign(extra.size(), 0);
  bool id_seen = false;
  bool text_seen = false;
  Captured id_value;
  Captured text_value;

  for (auto field_result : obj) {
    od::field field;
    if (auto e = std::move(field_result).get(field)) return malformed(e);
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return malformed(e);
    // Duplicate keys: the first occurrence wins.
    const bool is_id = !id_seen && key == options_.id_field;
    const bool is_text = !text_seen && key == options_.text_field;
    bool is_extra = false;
    bool need_raw = false;
    for (size_t i = 0; i < extra.size(); ++i) {
      if (!extra_seen_[i] && key == extra[i]) is_extra = need_raw = true;
    }
    od::value value = field.value();
    if (!is_id && !is_text && !is_extra) {
      if (auto e = validate_value(value)) return malformed(e);
      continue;
    }

    Captured c;
    if (auto e = value.type().get(c.type)) return malformed(e);
    switch (c.type) {
      case od::json_type::string:
        if (auto e = value.get_string().get(c.str)) return malformed(e);
        break;
      case od::json_type::number:
      case od::json_type::boolean: {
        c.raw = trim_right(value.raw_json_token());
        if (c.type == od::json_type::number) {
          if (auto e = value.get_double().get(c.number)) return malformed(e);
        } else {
          bool b;
          if (auto e = value.get_bool().get(b)) return malformed(e);
        }
        break;
      }
      case od::json_type::null: {
        bool is_null = false;
        if (auto e = value.is_null().get(is_null)) return malformed(e);
        if (!is_null) return malformed(simdjson::N_ATOM_ERROR);
        break;
      }
      case od::json_type::object:
      case od::json_type::array: {
        if (!need_raw) {
          if (auto e = validate_value(value)) return malformed(e);
          break;
        }
        // raw_json() skips without checking; a DOM parse of the slice checks it.
        simdjson::error_code e;
        if (c.type == od::json_type::object) {
          od::object inner;
          e = value.get_object().get(inner);
          if (!e) e = inner.raw_json().get(c.raw);
        } else {
          od::array inner;
          e = value.get_array().get(inner);
          if (!e) e = inner.raw_json().get(c.raw);
        }
        if (e) return malformed(e);
        c.raw = trim_right(c.raw);
        simdjson::dom::element ignored;
        if (auto de = dom_parser_.parse(c.raw.data(), c.raw.size()).get(ignored)) return malformed(de);
        break;
      }
    }

    if (is_id) {
      id_seen = true;
      id_value = c;
    }
    if (is_text) {
      text_seen = true;
      text_value = c;
    }
    for (size_t i = 0; i < extra.size(); ++i) {
      if (extra_seen_[i] || key != extra[i]) continue;
      extra_seen_[i] = 1;
      if (c.type == od::json_type::null) continue;
      FieldValue fv;
      if (c.type == od::json_type::string) {
        fv.kind = FieldValue::Kind::kString;
        fv.text.assign(c.str);
      } else if (c.type == od::json_type::number) {
        fv.kind = FieldValue::Kind::kNumber;
        fv.text.assign(c.raw);
        fv.number = c.number;
      } else {
        fv.kind = FieldValue::Kind::kOther;
        fv.text.assign(c.raw);
      }
      rec.fields[i] = std::move(fv);
    }
  }
  // Anything after the closing brace means the line is not one JSON value.
  const char* trailing = nullptr;
  if (!doc.current_location().get(trailing)) return malformed(simdjson::TRAILING_CONTENT);

  if (id_seen) {
    switch (id_value.type) {
      case od::json_type::string:
        // An empty id names nothing (and every output would print it as ""):
        // like null, it is no id, and the caller makes one up.
        if (id_value.str.empty()) break;
        rec.id.assign(id_value.str);
        out.has_id = true;
        break;
      case od::json_type::number:
        rec.id.assign(id_value.raw);
        out.has_id = true;
        break;
      case od::json_type::null:
        break;
      default:
        out.reason = fmt::format("field \"{}\" must be a string or number", options_.id_field);
        return out;
    }
  }
  if (!text_seen) {
    out.reason = fmt::format("missing text field \"{}\"", options_.text_field);
    return out;
  }
  if (text_value.type != od::json_type::string) {
    out.reason = fmt::format("field \"{}\" is {}, expected a string", options_.text_field,
                             type_phrase(text_value.type));
    return out;
  }
  if (text_value.str.size() > options_.max_doc_bytes) {
    out.reason = fmt::format("document too large ({} bytes > limit {})", text_value.str.size(),
                             options_.max_doc_bytes);
    return out;
  }
  rec.text.assign(text_value.str);
  uint64_t first_nul = 0;
  rec.nul_repairs = replace_nuls(rec.text, first_nul);
  // Each NUL became a 3-byte U+FFFD: the limit is on the text doppel uses, as
  // for .txt documents (found by fuzz_jsonl).
  if (rec.text.size() > options_.max_doc_bytes) {
    out.reason = fmt::format("document too large ({} bytes after replacing NUL characters > limit {})",
                             rec.text.size(), options_.max_doc_bytes);
    return out;
  }
  out.first_nul = first_nul;
  out.ok = true;
  return out;
}

}  // namespace doppel::io::detail
