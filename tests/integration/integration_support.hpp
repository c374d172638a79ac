// File: integration_support.hpp
// Reading doppel's JSONL outputs in integration tests: each line becomes a map
// from top-level key to its scalar value as text (strings unescaped; numbers,
// booleans and null in their JSON spelling).
#pragma once

#include <simdjson.h>

#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace doppel::testing {

using JsonRow = std::map<std::string, std::string>;

inline JsonRow parse_json_row(const std::string& line) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(line).get(doc)) throw std::runtime_error("not JSON: " + line);
  simdjson::dom::object obj;
  if (doc.get(obj)) throw std::runtime_error("not a JSON object: " + line);
  JsonRow row;
  for (auto field : obj) {
    std::string key(field.key);
    std::string_view sv;
    if (field.value.is_string() && !field.value.get(sv)) {
      row[key] = std::string(sv);
    } else {
      row[key] = simdjson::minify(field.value);
    }
  }
  return row;
}

inline std::vector<JsonRow> read_jsonl_rows(const std::filesystem::path& path) {
  std::vector<JsonRow> rows;
  for (const auto& line : read_lines(path)) {
    if (!line.empty()) rows.push_back(parse_json_row(line));
  }
  return rows;
}

// Rows keyed by one field (e.g. "id").
inline std::map<std::string, JsonRow> index_rows(const std::vector<JsonRow>& rows, const std::string& key) {
  std::map<std::string, JsonRow> out;
  for (const auto& r : rows) out[r.at(key)] = r;
  return out;
}

inline std::string repo_path(const std::string& rel) { return std::string(DOPPEL_SOURCE_DIR) + "/" + rel; }

}  // namespace doppel::testing
