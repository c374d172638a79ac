// File: fuzz/fuzz_textdir.cpp
//
// The directory reader on a fuzz-built tree: .txt documents with arbitrary bytes
// (invalid UTF-8, NUL, BOM), nested directories, files that are skipped, a
// dangling link with an input's name, and a directory named like a document.
//
// Properties:
//  - every .txt file yields exactly one record or one rejection, in byte order
//    of its relative path, with id = relative path without ".txt";
//  - a record's text is its file's bytes, minus a leading BOM, with invalid
//    UTF-8 and NUL replaced by U+FFFD (as io::repair_utf8 does) and nothing else;
//  - files that are not inputs are counted as skipped, never read;
//  - the second pass returns each document's raw bytes unchanged.
#include <simdjson.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "io/reader.hpp"

namespace fs = std::filesystem;
using doppel::io::Problem;
using doppel::io::Record;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider fdp(data, size);
  const auto root = doppel::fuzz::fresh_dir("textdir");
  doppel::io::ReaderOptions options;
  if (fdp.ConsumeBool()) options.max_doc_bytes = fdp.ConsumeIntegralInRange<uint64_t>(0, 256);

  // Names mix ASCII and multi-byte characters so that byte order is exercised.
  static const char* kStems[] = {"a", "B", "z", "\xc3\xa9t\xc3\xa9", "0 1", "\xe4\xb8\xad", "a.b", "_"};
  std::map<std::string, std::string> documents;  // relative id -> file bytes
  uint64_t expected_skipped = 0;
  const int entries = fdp.ConsumeIntegralInRange<int>(1, 6);
  for (int i = 0; i < entries; ++i) {
    const int kind = fdp.ConsumeIntegralInRange<int>(0, 4);
    std::string rel = std::string(fdp.ConsumeBool() ? "sub/" : "") +
                      kStems[fdp.ConsumeIntegralInRange<size_t>(0, std::size(kStems) - 1)] + std::to_string(i);
    std::string bytes = fdp.ConsumeRandomLengthString(2048);
    fs::create_directories((root / rel).parent_path());
    switch (kind) {
      case 0:
      case 1:
        doppel::fuzz::write_bytes(root / (rel + ".txt"), bytes);
        documents[rel] = bytes;
        break;
      case 2:  // not an input: skipped and counted
        doppel::fuzz::write_bytes(root / (rel + ".md"), bytes);
        ++expected_skipped;
        break;
      case 3:  // a dangling link with a document's name: a rejection, not a crash
        fs::create_symlink(root / "nowhere", root / (rel + ".txt"));
        documents[rel] = std::string("\0dangling", 9);
        break;
      default:  // a directory named like a document is walked, not read
        fs::create_directories(root / (rel + ".txt"));
        break;
    }
  }

  doppel::io::InputSet inputs({root.string()}, options);
  std::vector<Record> records;
  std::vector<Problem> rejections;
  std::vector<std::string> order;  // ids in callback order (records and rejections)
  doppel::Status s = inputs.for_each(
      [&](Record&& r) {
        order.push_back(r.id);
        records.push_back(std::move(r));
        return doppel::Status::ok();
      },
      [&](const Problem& p) {
        if (p.severity == Problem::Severity::kRejected) {
          order.push_back(p.id);
          rejections.push_back(p);
        }
        return doppel::Status::ok();
      });
  FUZZ_CHECK(s.is_ok(), "for_each failed: " + s.message());
  FUZZ_CHECK(inputs.skipped_files() == expected_skipped, "skipped file count");
  FUZZ_CHECK(order.size() == documents.size(), "not exactly one outcome per document");
  FUZZ_CHECK(std::is_sorted(order.begin(), order.end()), "documents not in byte order of their path");
  size_t k = 0;
  for (const auto& [id, bytes] : documents) FUZZ_CHECK(order[k++] == id, "id is not the relative path: " + id);

  for (const Record& r : records) {
    const std::string& raw = documents.at(r.id);
    FUZZ_CHECK(simdjson::validate_utf8(r.text.data(), r.text.size()), "text is not valid UTF-8");
    FUZZ_CHECK(r.text.find('\0') == std::string::npos, "text holds a NUL");
    FUZZ_CHECK(r.text.size() <= options.max_doc_bytes, "document above max_doc_bytes accepted");
    const std::string_view body = std::string_view(raw).substr(raw.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0);
    std::string expected;
    doppel::io::repair_utf8(body, expected);
    FUZZ_CHECK(r.text == expected, "text is not the repaired file bytes");

    size_t seen = 0;
    doppel::Status raw_status =
        inputs.for_each_raw(r.pos.file_index, [&](const doppel::io::SourcePos&, std::string_view bytes) {
          ++seen;
          FUZZ_CHECK(bytes == raw, "second pass bytes differ");
          return doppel::Status::ok();
        });
    FUZZ_CHECK(raw_status.is_ok() && seen == 1, "second pass failed: " + raw_status.message());
  }
  for (const Problem& p : rejections) FUZZ_CHECK(!p.reason.empty(), "rejection without a reason");
  return 0;
}
