// File: eval/load.cpp
//
// Reading truth files, planted pairs and a run's clusters.jsonl. Every record
// is checked; an error names the file and line and says what was wrong, since
// a silently skipped truth line would quietly change every score.
#include <fmt/format.h>
#include <simdjson.h>
#include <stdio.h>  // getline (POSIX)

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <string_view>
#include <unordered_set>

#include "doppel/eval.hpp"

namespace doppel::eval {
namespace {

namespace fs = std::filesystem;

// Calls `fn(line_number, bytes)` for every non-blank line, without the line
// break, a trailing '\r' or a leading UTF-8 byte order mark.
Status for_each_line(const std::string& path, const std::function<Status(uint64_t, std::string_view)>& fn) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return invalid_argument(fmt::format("{}: is a directory, expected a JSONL file", path));
  std::FILE* raw = std::fopen(path.c_str(), "rb");
  if (!raw) {
    int err = errno;
    if (err == ENOENT) return not_found(fmt::format("{}: no such file", path));
    return io_error(fmt::format("{}: cannot open: {}", path, std::strerror(err)));
  }
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(raw, &std::fclose);
  struct LineBuffer {
    char* data = nullptr;
    size_t capacity = 0;
    ~LineBuffer() { std::free(data); }
  } buf;
  uint64_t number = 0;
  ssize_t n;
  while ((n = ::getline(&buf.data, &buf.capacity, raw)) >= 0) {
    ++number;
    std::string_view line(buf.data, static_cast<size_t>(n));
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (number == 1 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    DOPPEL_TRY(fn(number, line));
  }
  if (std::ferror(raw)) return io_error(fmt::format("{}: read error after line {}", path, number));
  return Status::ok();
}

// A top-level value of one JSONL record, reduced to what eval needs.
struct Scalar {
  enum class Type { kMissing, kString, kNumber, kBool, kNull, kOther };
  Type type = Type::kMissing;
  std::string text;  // strings unescaped; numbers in decimal
  double number = 0;
  bool boolean = false;
};

const char* type_phrase(Scalar::Type t) {
  switch (t) {
    case Scalar::Type::kMissing: return "missing";
    case Scalar::Type::kString: return "a string";
    case Scalar::Type::kNumber: return "a number";
    case Scalar::Type::kBool: return "a boolean";
    case Scalar::Type::kNull: return "null";
    case Scalar::Type::kOther: return "an object or array";
  }
  return "?";
}

// Parses one line as a JSON object; fields are looked up by name afterwards.
class RecordParser {
 public:
  RecordParser(std::string path) : path_(std::move(path)) {}

  Status parse(uint64_t line, std::string_view bytes) {
    line_ = line;
    simdjson::dom::element root;
    if (auto e = parser_.parse(bytes.data(), bytes.size()).get(root)) {
      return data_error(fmt::format("{}:{}: not valid JSON: {}", path_, line, simdjson::error_message(e)));
    }
    if (root.get(object_)) return data_error(fmt::format("{}:{}: expected a JSON object", path_, line));
    return Status::ok();
  }

  Scalar get(std::string_view key) const {
    Scalar s;
    simdjson::dom::element v;
    if (object_.at_key(key).get(v)) return s;
    switch (v.type()) {
      case simdjson::dom::element_type::STRING: {
        std::string_view sv;
        if (v.get(sv)) return s;  // cannot happen: the type was checked
        s.type = Scalar::Type::kString;
        s.text.assign(sv);
        break;
      }
      case simdjson::dom::element_type::INT64: {
        int64_t i = 0;
        if (v.get(i)) return s;  // cannot happen: the type was checked
        s.type = Scalar::Type::kNumber;
        s.number = static_cast<double>(i);
        s.text = fmt::format("{}", i);
        break;
      }
      case simdjson::dom::element_type::UINT64: {
        uint64_t u = 0;
        if (v.get(u)) return s;  // cannot happen: the type was checked
        s.type = Scalar::Type::kNumber;
        s.number = static_cast<double>(u);
        s.text = fmt::format("{}", u);
        break;
      }
      case simdjson::dom::element_type::DOUBLE: {
        double d = 0;
        if (v.get(d)) return s;  // cannot happen: the type was checked
        s.type = Scalar::Type::kNumber;
        s.number = d;
        // Integral values print without a fraction, so 3.0 and 3 name the same cluster.
        s.text = fmt::format("{}", d);
        break;
      }
      case simdjson::dom::element_type::BOOL: {
        bool b = false;
        if (v.get(b)) return s;  // cannot happen: the type was checked
        s.type = Scalar::Type::kBool;
        s.boolean = b;
        s.text = b ? "true" : "false";
        break;
      }
      case simdjson::dom::element_type::NULL_VALUE: s.type = Scalar::Type::kNull; break;
      default: s.type = Scalar::Type::kOther; break;
    }
    return s;
  }

  bool has(std::string_view key) const { return get(key).type != Scalar::Type::kMissing; }

  // An id: a string or a number (as doppel's readers accept).
  Result<std::string> id(std::string_view key) const {
    Scalar s = get(key);
    if (s.type == Scalar::Type::kString || s.type == Scalar::Type::kNumber) return s.text;
    if (s.type == Scalar::Type::kMissing) return data_error(fmt::format("{}:{}: no \"{}\" field", path_, line_, key));
    return data_error(
        fmt::format("{}:{}: \"{}\" is {}, expected a string or number", path_, line_, key, type_phrase(s.type)));
  }

  // A cluster name: a string, a number or null (nullopt: a cluster of its own).
  // Strings and numbers are kept apart, so "1" and 1 are different clusters.
  Result<std::optional<std::string>> cluster(std::string_view key, std::string_view hint) const {
    Scalar s = get(key);
    switch (s.type) {
      case Scalar::Type::kString: return std::optional<std::string>("s" + s.text);
      case Scalar::Type::kNumber: return std::optional<std::string>("n" + s.text);
      case Scalar::Type::kNull: return std::optional<std::string>();
      case Scalar::Type::kMissing:
        return data_error(fmt::format("{}:{}: no \"{}\" field{}", path_, line_, key, hint));
      default:
        return data_error(fmt::format("{}:{}: \"{}\" is {}, expected a string, number or null", path_, line_, key,
                                      type_phrase(s.type)));
    }
  }

  const std::string& path() const { return path_; }
  uint64_t line() const { return line_; }

 private:
  std::string path_;
  uint64_t line_ = 0;
  simdjson::dom::parser parser_;
  simdjson::dom::object object_;
};

// Builds a Partition one document at a time; remembers where each id was seen
// so a repeated id can be reported with both places.
class PartitionBuilder {
 public:
  explicit PartitionBuilder(std::string source) { p_.source = std::move(source); }

  // Returns the place (as given) where `id` was first added, when it repeats.
  std::optional<uint64_t> add(std::string id, const std::optional<std::string>& cluster, uint64_t place) {
    auto [it, inserted] = p_.position.emplace(id, p_.ids.size());
    if (!inserted) return places_[it->second];
    uint64_t label;
    if (cluster) {
      auto [lit, fresh] = label_of_.emplace(*cluster, p_.label_count);
      if (fresh) ++p_.label_count;
      label = lit->second;
    } else {
      label = p_.label_count++;  // alone: a label nobody else gets
    }
    p_.ids.push_back(std::move(id));
    p_.labels.push_back(label);
    places_.push_back(place);
    return std::nullopt;
  }

  Partition finish() { return std::move(p_); }

 private:
  Partition p_;
  std::unordered_map<std::string, uint64_t> label_of_;
  std::vector<uint64_t> places_;
};

Result<bool> parse_label(const RecordParser& rec, const TruthOptions& options) {
  Scalar s = rec.get(options.label_field);
  auto where = [&] { return fmt::format("{}:{}", rec.path(), rec.line()); };
  std::optional<double> number;
  switch (s.type) {
    case Scalar::Type::kBool: return s.boolean;
    case Scalar::Type::kNumber: number = s.number; break;
    case Scalar::Type::kString:
      if (s.text == "same") return true;
      if (s.text == "different") return false;
      if (options.positive_max) {
        // Some label files write scores as strings ("2.0"); take them when the whole string is a number.
        char* end = nullptr;
        errno = 0;
        double d = std::strtod(s.text.c_str(), &end);
        if (!s.text.empty() && end == s.text.c_str() + s.text.size() && errno == 0 && std::isfinite(d)) number = d;
      }
      if (!number) {
        return data_error(fmt::format("{}: label \"{}\" in \"{}\" is not true/false, 1/0 or \"same\"/\"different\"{}",
                                      where(), s.text, options.label_field,
                                      options.positive_max ? " or a number" : ""));
      }
      break;
    case Scalar::Type::kMissing:
      return data_error(fmt::format(
          "{}: no \"{}\" field saying whether the pair belongs together (choose the label field with --label-field)",
          where(), options.label_field));
    default:
      return data_error(fmt::format("{}: \"{}\" is {}, expected true/false, 1/0, \"same\"/\"different\" or a number",
                                    where(), options.label_field, type_phrase(s.type)));
  }
  if (options.positive_max) return *number <= *options.positive_max;
  if (*number == 1) return true;
  if (*number == 0) return false;
  return data_error(fmt::format("{}: label {} in \"{}\" is neither 1 nor 0 (to threshold a score, give --positive-max)",
                                where(), s.text, options.label_field));
}

Result<LabelledPair> parse_pair(const RecordParser& rec) {
  LabelledPair p;
  DOPPEL_ASSIGN_OR_RETURN(p.a, rec.id("a"));
  DOPPEL_ASSIGN_OR_RETURN(p.b, rec.id("b"));
  Scalar kind = rec.get("kind");
  if (kind.type == Scalar::Type::kString) {
    p.kind = kind.text;
  } else if (kind.type != Scalar::Type::kMissing && kind.type != Scalar::Type::kNull) {
    return data_error(
        fmt::format("{}:{}: \"kind\" is {}, expected a string", rec.path(), rec.line(), type_phrase(kind.type)));
  }
  return p;
}

}  // namespace

Result<Partition> make_partition(const std::vector<std::string>& ids,
                                 const std::vector<std::optional<std::string>>& clusters, std::string source) {
  if (ids.size() != clusters.size()) {
    return invalid_argument(fmt::format("make_partition: {} ids but {} clusters", ids.size(), clusters.size()));
  }
  PartitionBuilder b(source);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (auto first = b.add(ids[i], clusters[i], i)) {
      return invalid_argument(
          fmt::format("{}: id \"{}\" appears twice (positions {} and {})", source, ids[i], *first, i));
    }
  }
  return b.finish();
}

Result<Truth> load_truth(const std::string& path, const TruthOptions& options) {
  Truth truth;
  truth.path = path;
  RecordParser rec(path);
  PartitionBuilder clustering(path);
  bool decided = false;
  Status s = for_each_line(path, [&](uint64_t line, std::string_view bytes) -> Status {
    DOPPEL_TRY(rec.parse(line, bytes));
    if (!decided) {
      if (rec.has("a") && rec.has("b")) {
        truth.kind = Truth::Kind::kPairs;
      } else if (rec.has("id")) {
        truth.kind = Truth::Kind::kClustering;
      } else {
        return data_error(fmt::format(
            "{}:{}: neither a labelled pair ({{\"a\",\"b\",\"{}\"}}) nor a clustering record ({{\"id\",\"cluster\"}})",
            path, line, options.label_field));
      }
      decided = true;
    }
    if (truth.kind == Truth::Kind::kPairs) {
      DOPPEL_ASSIGN_OR_RETURN(LabelledPair p, parse_pair(rec));
      DOPPEL_ASSIGN_OR_RETURN(p.positive, parse_label(rec, options));
      truth.pairs.push_back(std::move(p));
      return Status::ok();
    }
    DOPPEL_ASSIGN_OR_RETURN(std::string id, rec.id("id"));
    DOPPEL_ASSIGN_OR_RETURN(auto cluster, rec.cluster("cluster", ""));
    if (auto first = clustering.add(id, cluster, line)) {
      return data_error(fmt::format("{}:{}: id \"{}\" repeated (first on line {})", path, line, id, *first));
    }
    return Status::ok();
  });
  DOPPEL_TRY(s);
  if (!decided) return data_error(fmt::format("{}: no records", path));
  if (truth.kind == Truth::Kind::kClustering) truth.clustering = clustering.finish();
  return truth;
}

Result<std::vector<LabelledPair>> load_planted(const std::string& path) {
  std::vector<LabelledPair> pairs;
  RecordParser rec(path);
  Status s = for_each_line(path, [&](uint64_t line, std::string_view bytes) -> Status {
    DOPPEL_TRY(rec.parse(line, bytes));
    DOPPEL_ASSIGN_OR_RETURN(LabelledPair p, parse_pair(rec));
    if (p.kind.empty()) {
      return data_error(fmt::format("{}:{}: no \"kind\" string (planted pairs are {{\"a\",\"b\",\"kind\"}})", path, line));
    }
    pairs.push_back(std::move(p));
    return Status::ok();
  });
  DOPPEL_TRY(s);
  if (pairs.empty()) return data_error(fmt::format("{}: no records", path));
  return pairs;
}

Result<Partition> load_run(const std::string& path, const std::string& field) {
  std::error_code ec;
  std::string file = fs::is_directory(path, ec) ? (fs::path(path) / "clusters.jsonl").string() : path;
  RecordParser rec(file);
  PartitionBuilder run(file);
  std::string hint = field == "story" ? " (only runs made with --level story write it)" : "";
  Status s = for_each_line(file, [&](uint64_t line, std::string_view bytes) -> Status {
    DOPPEL_TRY(rec.parse(line, bytes));
    DOPPEL_ASSIGN_OR_RETURN(std::string id, rec.id("id"));
    DOPPEL_ASSIGN_OR_RETURN(auto cluster, rec.cluster(field, hint));
    if (auto first = run.add(id, cluster, line)) {
      return data_error(fmt::format("{}:{}: id \"{}\" repeated (first on line {})", file, line, id, *first));
    }
    return Status::ok();
  });
  DOPPEL_TRY(s);
  Partition p = run.finish();
  p.field = field;
  return p;
}

}  // namespace doppel::eval
