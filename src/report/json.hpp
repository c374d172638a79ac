// File: report/json.hpp
//
// Minimal JSON emission for doppel's outputs. Output must be byte-identical
// across runs and thread counts, so number formatting is fixed here once.
//
//   std::string line;
//   doppel::report::JsonObject o(line);
//   o.field("id", "doc-1").field("jaccard", 0.8125).null_field("match");
//   o.close();   // line == {"id":"doc-1","jaccard":0.8125,"match":null}
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace doppel::report {

// Appends `s` as a JSON string literal (quotes included). Input must be valid UTF-8;
// control characters are escaped, everything else is copied.
void append_json_string(std::string& out, std::string_view s);

// Scores are printed with at most 6 decimals, trailing zeros removed ("0.8125", "1").
void append_json_number(std::string& out, double value);

class JsonObject {
 public:
  explicit JsonObject(std::string& out);
  JsonObject& field(std::string_view key, std::string_view value);
  JsonObject& field(std::string_view key, const char* value) { return field(key, std::string_view(value)); }
  JsonObject& field(std::string_view key, double value);
  JsonObject& field(std::string_view key, uint64_t value);
  JsonObject& field(std::string_view key, int64_t value);
  JsonObject& field(std::string_view key, int value) { return field(key, static_cast<int64_t>(value)); }
  JsonObject& field(std::string_view key, uint32_t value) { return field(key, static_cast<uint64_t>(value)); }
  JsonObject& field(std::string_view key, bool value);
  JsonObject& null_field(std::string_view key);
  // Inserts pre-rendered JSON (an object or array built elsewhere).
  JsonObject& raw_field(std::string_view key, std::string_view json);
  template <typename T>
  JsonObject& optional_field(std::string_view key, const std::optional<T>& v) {
    return v ? field(key, *v) : null_field(key);
  }
  void close();

 private:
  void key(std::string_view k);
  std::string& out_;
  bool first_ = true;
};

}  // namespace doppel::report
