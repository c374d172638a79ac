// File: report/json.cpp
#include "report/json.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

namespace doppel::report {

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t run_start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run_start, i - run_start);
    run_start = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
    }
  }
  out.append(s.data() + run_start, s.size() - run_start);
  out.push_back('"');
}

namespace {
template <typename Integer>
void append_integer(std::string& out, Integer value) {
  char buffer[24];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
  out.append(buffer, end);
}
}  // namespace

void append_json_number(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  // Formatted on the stack: clusters.jsonl and pairs.jsonl hold a few numbers
  // per line, hundreds of thousands of lines, and a string per number showed
  // up in the profile of writing them.
  char buffer[64];
  const auto written = fmt::format_to_n(buffer, sizeof buffer, "{:.6f}", value);
  std::string large;  // a magnitude past 10^56 takes more digits than the buffer holds
  if (written.size > sizeof buffer) large = fmt::format("{:.6f}", value);
  std::string_view s = large.empty() ? std::string_view(buffer, written.size) : std::string_view(large);
  while (!s.empty() && s.back() == '0') s.remove_suffix(1);
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  if (s == "-0") s = "0";
  out += s;
}

JsonObject::JsonObject(std::string& out) : out_(out) { out_.push_back('{'); }

void JsonObject::key(std::string_view k) {
  if (!first_) out_.push_back(',');
  first_ = false;
  append_json_string(out_, k);
  out_.push_back(':');
}

JsonObject& JsonObject::field(std::string_view k, std::string_view value) {
  key(k);
  append_json_string(out_, value);
  return *this;
}

JsonObject& JsonObject::field(std::string_view k, double value) {
  key(k);
  append_json_number(out_, value);
  return *this;
}

JsonObject& JsonObject::field(std::string_view k, uint64_t value) {
  key(k);
  append_integer(out_, value);
  return *this;
}

JsonObject& JsonObject::field(std::string_view k, int64_t value) {
  key(k);
  append_integer(out_, value);
  return *this;
}

JsonObject& JsonObject::field(std::string_view k, bool value) {
  key(k);
  out_ += value ? "true" : "false";
  return *this;
}

JsonObject& JsonObject::null_field(std::string_view k) {
  key(k);
  out_ += "null";
  return *this;
}

JsonObject& JsonObject::raw_field(std::string_view k, std::string_view json) {
  key(k);
  out_ += json;
  return *this;
}

void JsonObject::close() { out_.push_back('}'); }

}  // namespace doppel::report
