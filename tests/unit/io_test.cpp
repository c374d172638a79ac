// File: io_test.cpp
//
// Unit tests of the io module: input expansion, JSONL/text decoding, damage
// and repair reporting, the raw second pass and repair_utf8().
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "io/reader.hpp"
#include "test_support.hpp"

namespace doppel::io {
namespace {

namespace fs = std::filesystem;
using doppel::testing::read_file;
using doppel::testing::TempDir;
using doppel::testing::write_file;
using doppel::testing::write_gzip;
using doppel::testing::write_zstd;

const std::string kFffd = "\xEF\xBF\xBD";

struct Collected {
  Status status;
  std::vector<Record> records;
  std::vector<Problem> problems;
  std::vector<InputFile> files;
  uint64_t skipped = 0;

  std::vector<std::string> ids() const {
    std::vector<std::string> out;
    for (const Record& r : records) out.push_back(r.id);
    return out;
  }
  std::vector<const Problem*> of(Problem::Severity s) const {
    std::vector<const Problem*> out;
    for (const Problem& p : problems) {
      if (p.severity == s) out.push_back(&p);
    }
    return out;
  }
};

Collected read_inputs(const std::vector<std::string>& inputs, ReaderOptions options = {}) {
  Collected c;
  InputSet set(inputs, std::move(options));
  c.status = set.open();
  if (!c.status.is_ok()) return c;
  c.files = set.files();
  c.skipped = set.skipped_files();
  c.status = set.for_each(
      [&](Record&& r) {
        c.records.push_back(std::move(r));
        return Status::ok();
      },
      [&](const Problem& p) {
        c.problems.push_back(p);
        return Status::ok();
      });
  return c;
}

Collected read_one(const fs::path& path, ReaderOptions options = {}) {
  return read_inputs({path.string()}, std::move(options));
}

std::string read_bytes(const fs::path& path) { return read_file(path); }

std::string compress_zstd(const std::string& bytes) {
  TempDir tmp;
  write_zstd(tmp / "x.zst", bytes);
  return read_bytes(tmp / "x.zst");
}

std::string compress_gzip(const std::string& bytes) {
  TempDir tmp;
  write_gzip(tmp / "x.gz", bytes);
  return read_bytes(tmp / "x.gz");
}

// 200 records with varied text, so that compressed streams are not trivially small.
std::string numbered_jsonl(int n) {
  std::string out;
  for (int i = 1; i <= n; ++i) {
    out += "{\"id\":\"r" + std::to_string(i) + "\",\"text\":\"record number " + std::to_string(i * 7919) +
           " " + std::string(static_cast<size_t>(i % 37), static_cast<char>('a' + i % 26)) + "\"}\n";
  }
  return out;
}

// ---- repair_utf8 ----------------------------------------------------------

std::string repaired(std::string_view in, Utf8Repair* info = nullptr) {
  std::string out;
  const Utf8Repair r = repair_utf8(in, out);
  if (info != nullptr) *info = r;
  return out;
}

TEST(RepairUtf8, ValidInputUnchanged) {
  Utf8Repair r;
  const std::string s = "plain ascii, caf\xC3\xA9, \xE2\x82\xAC, \xF0\x9F\x98\x80, \xF4\x8F\xBF\xBF";
  EXPECT_EQ(repaired(s, &r), s);
  EXPECT_EQ(r.invalid_sequences, 0u);
  EXPECT_EQ(r.nuls, 0u);
}

TEST(RepairUtf8, OverlongForms) {
  Utf8Repair r;
  // C0/C1 can never start a sequence; E0 80 and F0 80 are overlong starts.
  EXPECT_EQ(repaired("a\xC0\x80z", &r), "a" + kFffd + kFffd + "z");
  EXPECT_EQ(r.invalid_sequences, 2u);
  EXPECT_EQ(r.first_bad_offset, 1u);
  EXPECT_EQ(repaired("\xE0\x80\x80", &r), kFffd + kFffd + kFffd);
  EXPECT_EQ(r.invalid_sequences, 3u);
  EXPECT_EQ(repaired("\xF0\x80\x80\x80", &r), kFffd + kFffd + kFffd + kFffd);
  EXPECT_EQ(r.invalid_sequences, 4u);
}

TEST(RepairUtf8, Surrogates) {
  Utf8Repair r;
  EXPECT_EQ(repaired("x\xED\xA0\x80y", &r), "x" + kFffd + kFffd + kFffd + "y");
  EXPECT_EQ(r.invalid_sequences, 3u);
  // ED 9F BF (U+D7FF) is the last scalar value before the surrogates.
  EXPECT_EQ(repaired("\xED\x9F\xBF", &r), "\xED\x9F\xBF");
  EXPECT_EQ(r.invalid_sequences, 0u);
}

TEST(RepairUtf8, TruncatedSequences) {
  Utf8Repair r;
  // A well-begun sequence cut short is one maximal subpart: one U+FFFD.
  EXPECT_EQ(repaired("ab\xE2\x82", &r), "ab" + kFffd);
  EXPECT_EQ(r.invalid_sequences, 1u);
  EXPECT_EQ(r.first_bad_offset, 2u);
  EXPECT_EQ(repaired("\xF0\x9F\x98", &r), kFffd);
  EXPECT_EQ(r.invalid_sequences, 1u);
  // Cut short by an ASCII byte, which is then kept.
  EXPECT_EQ(repaired("\xE2\x82z", &r), kFffd + "z");
  EXPECT_EQ(r.invalid_sequences, 1u);
}

TEST(RepairUtf8, FiveAndSixByteLeadsAndBeyondMax) {
  Utf8Repair r;
  EXPECT_EQ(repaired("\xF8\x88\x80\x80\x80", &r), kFffd + kFffd + kFffd + kFffd + kFffd);
  EXPECT_EQ(r.invalid_sequences, 5u);
  EXPECT_EQ(repaired("\xFC\x84\x80\x80\x80\x80", &r), std::string() + kFffd + kFffd + kFffd + kFffd + kFffd + kFffd);
  EXPECT_EQ(r.invalid_sequences, 6u);
  EXPECT_EQ(repaired("\xF4\x90\x80\x80", &r), kFffd + kFffd + kFffd + kFffd);  // > U+10FFFF
  EXPECT_EQ(repaired("\xFF\xFE", &r), kFffd + kFffd);
}

TEST(RepairUtf8, UnicodeStandardExample) {
  // The worked example of "U+FFFD substitution of maximal subparts".
  Utf8Repair r;
  EXPECT_EQ(repaired("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64", &r),
            "a" + kFffd + kFffd + kFffd + "b" + kFffd + "c" + kFffd + kFffd + "d");
  EXPECT_EQ(r.invalid_sequences, 6u);
  EXPECT_EQ(r.first_bad_offset, 1u);
}

TEST(RepairUtf8, NulBytes) {
  Utf8Repair r;
  EXPECT_EQ(repaired(std::string("ab\0c\0", 5), &r), "ab" + kFffd + "c" + kFffd);
  EXPECT_EQ(r.nuls, 2u);
  EXPECT_EQ(r.invalid_sequences, 0u);
  EXPECT_EQ(r.first_bad_offset, 2u);
  EXPECT_EQ(repaired(std::string("\xFF" "a\0", 3), &r), kFffd + "a" + kFffd);
  EXPECT_EQ(r.first_bad_offset, 0u);
}

// ---- inputs and .txt documents ---------------------------------------------

TEST(InputSet, DirectoryWalkOrderIdsAndSkips) {
  TempDir tmp;
  const fs::path root = tmp / "corpus";
  write_file(root / "b.txt", "bee");
  write_file(root / "a" / "c.txt", "cee");
  write_file(root / "a" / "b" / "d.txt", "dee");
  write_file(root / "a-b.txt", "a-bee");
  write_file(root / "z.jsonl", "{\"id\":\"z1\",\"text\":\"zed\"}\n");
  write_file(root / "sub" / "x.ndjson", "{\"id\":\"x1\",\"text\":\"ex\"}\n");
  write_file(root / "notes.md", "ignored");
  write_file(root / "sub" / "data.json", "{}");
  fs::create_directories(root / "empty");

  const Collected c = read_inputs({root.string()});
  ASSERT_TRUE(c.status.is_ok()) << c.status.message();
  // Byte order of the whole relative path: '-' (0x2d) sorts before '/' (0x2f).
  EXPECT_EQ(c.ids(), (std::vector<std::string>{"a-b", "a/b/d", "a/c", "b", "x1", "z1"}));
  EXPECT_EQ(c.skipped, 2u);
  ASSERT_EQ(c.files.size(), 6u);
  EXPECT_EQ(c.files[0].display, root.string() + "/a-b.txt");
  EXPECT_EQ(c.files[1].display, root.string() + "/a/b/d.txt");
  EXPECT_EQ(c.files[4].display, root.string() + "/sub/x.ndjson");
  EXPECT_EQ(c.files[4].format, InputFormat::kJsonl);
  EXPECT_EQ(c.files[1].format, InputFormat::kText);
  EXPECT_EQ(c.records[2].text, "cee");
  EXPECT_EQ(c.records[2].pos.file_index, 2u);
  EXPECT_EQ(c.records[2].pos.line, 0u);
  EXPECT_EQ(c.records[2].pos.length, 3u);
  EXPECT_TRUE(c.problems.empty());

  // A trailing slash on the argument is not doubled.
  const Collected slash = read_inputs({root.string() + "/"});
  ASSERT_TRUE(slash.status.is_ok());
  EXPECT_EQ(slash.files[0].display, root.string() + "/a-b.txt");
  EXPECT_EQ(slash.ids(), c.ids());
}

TEST(InputSet, TextFileGivenDirectlyUsesStem) {
  TempDir tmp;
  write_file(tmp / "dir" / "My Doc.v2.txt", "hello");
  const Collected c = read_one(tmp / "dir" / "My Doc.v2.txt");
  ASSERT_TRUE(c.status.is_ok());
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].id, "My Doc.v2");
  EXPECT_EQ(c.records[0].text, "hello");
}

TEST(InputSet, MissingInputIsNotFound) {
  TempDir tmp;
  const std::string missing = (tmp / "nope.jsonl").string();
  InputSet set({missing}, {});
  const Status s = set.open();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find(missing), std::string::npos);
}

TEST(InputSet, UnreadableEntriesBecomeProblems) {
  TempDir tmp;
  const fs::path root = tmp / "in";
  write_file(root / "a.jsonl", "{\"id\":\"a\",\"text\":\"one\"}\n");
  fs::create_directories(tmp / "target.jsonl");
  // Root may read anything, so unreadability is made with a directory behind a
  // name that says "file" (EISDIR) and with a dangling link (ENOENT).
  fs::create_directory_symlink(tmp / "target.jsonl", root / "b.jsonl");
  fs::create_symlink(tmp / "gone.txt", root / "c.txt");
  write_file(root / "d.jsonl", "{\"id\":\"d\",\"text\":\"four\"}\n");

  const Collected c = read_inputs({root.string()});
  ASSERT_TRUE(c.status.is_ok()) << c.status.message();
  EXPECT_EQ(c.ids(), (std::vector<std::string>{"a", "d"}));
  ASSERT_EQ(c.problems.size(), 2u);
  EXPECT_EQ(c.problems[0].severity, Problem::Severity::kRejected);
  EXPECT_EQ(c.problems[0].file, (root / "b.jsonl").string());
  EXPECT_FALSE(c.problems[0].line.has_value());
  EXPECT_EQ(c.problems[0].reason, "cannot open: Is a directory");
  EXPECT_EQ(c.problems[1].file, (root / "c.txt").string());
  EXPECT_EQ(c.problems[1].reason, "cannot open: No such file or directory");
}

TEST(InputSet, TextRepairsBomAndLimits) {
  TempDir tmp;
  write_file(tmp / "bom.txt", "\xEF\xBB\xBFhello");
  write_file(tmp / "bad.txt", std::string("ok\xFFgo\0!", 7));
  write_file(tmp / "big.txt", std::string(13, 'x'));
  write_file(tmp / "fits.txt", std::string(12, 'y'));
  ReaderOptions opts;
  opts.max_doc_bytes = 12;
  const Collected c = read_inputs({(tmp / "bom.txt").string(), (tmp / "bad.txt").string(),
                                   (tmp / "big.txt").string(), (tmp / "fits.txt").string()},
                                  opts);
  ASSERT_TRUE(c.status.is_ok());
  ASSERT_EQ(c.records.size(), 3u);
  EXPECT_EQ(c.records[0].text, "hello");
  EXPECT_EQ(c.records[0].pos.length, 8u);  // the record is the whole file
  EXPECT_EQ(c.records[1].text, "ok" + kFffd + "go" + kFffd + "!");
  EXPECT_EQ(c.records[1].utf8_repairs, 1u);
  EXPECT_EQ(c.records[1].nul_repairs, 1u);
  EXPECT_EQ(c.records[2].id, "fits");

  const auto repairs = c.of(Problem::Severity::kRepaired);
  ASSERT_EQ(repairs.size(), 2u);
  EXPECT_EQ(repairs[0]->reason, "invalid UTF-8 (1 sequence) replaced with U+FFFD");
  EXPECT_EQ(repairs[0]->offset, 2u);
  EXPECT_EQ(repairs[0]->id, "bad");
  EXPECT_EQ(repairs[1]->reason, "1 NUL character replaced with U+FFFD");
  EXPECT_EQ(repairs[1]->offset, 5u);
  const auto rejected = c.of(Problem::Severity::kRejected);
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0]->reason, "document too large (13 bytes > limit 12)");
  EXPECT_EQ(rejected[0]->id, "big");
}

// ---- JSONL ----------------------------------------------------------------

TEST(Jsonl, PlainGzipAndZstdAgree) {
  TempDir tmp;
  const std::string body = numbered_jsonl(200);
  write_file(tmp / "p.jsonl", body);
  write_gzip(tmp / "g.jsonl.gz", body);
  write_zstd(tmp / "z.jsonl.zst", body);
  // Given directly, the magic bytes decide, whatever the name.
  write_file(tmp / "g.data", compress_gzip(body));
  write_file(tmp / "z.data", compress_zstd(body));
  std::vector<std::vector<std::string>> results;
  for (const char* name : {"p.jsonl", "g.jsonl.gz", "z.jsonl.zst", "g.data", "z.data"}) {
    const Collected c = read_one(tmp / name);
    ASSERT_TRUE(c.status.is_ok()) << name;
    EXPECT_TRUE(c.problems.empty()) << name;
    ASSERT_EQ(c.records.size(), 200u) << name;
    EXPECT_EQ(c.records[0].id, "r1");
    EXPECT_EQ(c.records[199].id, "r200");
    EXPECT_EQ(c.records[199].pos.line, 200u);
    results.push_back(c.ids());
    // Offsets walk the decompressed stream.
    uint64_t offset = 0;
    for (const Record& r : c.records) {
      EXPECT_EQ(r.pos.offset, offset);
      offset += r.pos.length + 1;
    }
    EXPECT_EQ(offset, body.size());
  }
  for (const auto& r : results) EXPECT_EQ(r, results[0]);
}

TEST(Jsonl, MultiMemberGzipAndMultiFrameZstd) {
  TempDir tmp;
  const std::string part1 = "{\"id\":\"a\",\"text\":\"first\"}\n{\"id\":\"b\",\"text\":\"sec";
  const std::string part2 = "ond\"}\n{\"id\":\"c\",\"text\":\"third\"}\n";
  write_file(tmp / "m.jsonl.gz", compress_gzip(part1) + compress_gzip(part2));
  write_file(tmp / "m.jsonl.zst", compress_zstd(part1) + compress_zstd(part2));
  for (const char* name : {"m.jsonl.gz", "m.jsonl.zst"}) {
    const Collected c = read_one(tmp / name);
    ASSERT_TRUE(c.status.is_ok());
    EXPECT_TRUE(c.problems.empty()) << name;
    EXPECT_EQ(c.ids(), (std::vector<std::string>{"a", "b", "c"})) << name;
    ASSERT_EQ(c.records.size(), 3u);
    EXPECT_EQ(c.records[1].text, "second");
  }
}

TEST(Jsonl, LineHandlingCrlfBomBlankAndNoFinalNewline) {
  TempDir tmp;
  const std::string body =
      "\xEF\xBB\xBF{\"id\":\"a\",\"text\":\"x\"}\r\n"  // line 1 at offset 3
      "\r\n"                                        // line 2 blank
      "   \t \n"                                    // line 3 whitespace only
      "\n"                                          // line 4 empty
      "{\"id\":\"b\",\"text\":\"y\\r\"}\r\n"        // line 5
      "{\"id\":\"c\",\"text\":\"z\"}";              // line 6, no newline
  write_file(tmp / "l.jsonl", body);
  const Collected c = read_one(tmp / "l.jsonl");
  ASSERT_TRUE(c.status.is_ok());
  EXPECT_TRUE(c.problems.empty());
  ASSERT_EQ(c.records.size(), 3u);
  EXPECT_EQ(c.records[0].pos.line, 1u);
  EXPECT_EQ(c.records[0].pos.offset, 3u);
  EXPECT_EQ(c.records[0].pos.length, 21u);
  EXPECT_EQ(c.records[1].pos.line, 5u);
  EXPECT_EQ(c.records[1].pos.offset, body.find("{\"id\":\"b\""));
  EXPECT_EQ(c.records[1].text, "y\r");
  EXPECT_EQ(c.records[2].pos.line, 6u);
  EXPECT_EQ(c.records[2].pos.offset, body.find("{\"id\":\"c\""));
  EXPECT_EQ(c.records[2].pos.length, 21u);
}

TEST(Jsonl, IdsFromStringsNumbersAndFallback) {
  TempDir tmp;
  write_file(tmp / "ids.jsonl",
             "{\"id\":42,\"text\":\"a\"}\n"
             "{\"id\":-1.5e3 ,\"text\":\"b\"}\n"
             "{\"text\":\"c\"}\n"
             "{\"id\":null,\"text\":\"d\"}\n"
             "{\"id\":\"q\\\"uote\",\"text\":\"e\"}\n"
             "{\"id\":\"\",\"text\":\"f\"}\n"
             "{\"id\":\"\",\"text\":\"g\"}\n");
  const Collected c = read_one(tmp / "ids.jsonl");
  ASSERT_TRUE(c.status.is_ok());
  const std::string display = (tmp / "ids.jsonl").string();
  // An empty id is no id, like null: two of them are not a repeated id.
  EXPECT_EQ(c.ids(), (std::vector<std::string>{"42", "-1.5e3", display + ":3", display + ":4",
                                                "q\"uote", display + ":6", display + ":7"}));
}

TEST(Jsonl, RejectionsNameLineOffsetAndReason) {
  TempDir tmp;
  const std::vector<std::string> lines = {
      "{\"id\":\"ok1\",\"text\":\"fine\"}",                 // 1
      "{\"id\":\"m\",\"text\":\"x\"",                       // 2 unterminated
      "[1,2,3]",                                            // 3 not an object
      "\"just a string\"",                                  // 4
      "{\"id\":\"nt\",\"body\":\"x\"}",                     // 5 no text
      "{\"id\":\"num\",\"text\":5}",                        // 6
      "{\"id\":\"nul\",\"text\":null}",                     // 7
      "{\"id\":{\"a\":1},\"text\":\"x\"}",                  // 8
      "{\"id\":\"tg\",\"text\":\"x\"}}",                    // 9 trailing garbage
      "{\"id\":\"deep\",\"text\":\"x\",\"meta\":[1,2,}]}",  // 10 broken unused field
      "{\"id\":\"arr\",\"text\":[\"x\"]}",                  // 11
      "not json at all",                                    // 12
      "{\"id\":\"ok2\",\"text\":\"also fine\"}",            // 13
  };
  std::string body;
  std::vector<uint64_t> offsets;
  for (const auto& l : lines) {
    offsets.push_back(body.size());
    body += l + "\n";
  }
  write_file(tmp / "r.jsonl", body);
  const Collected c = read_one(tmp / "r.jsonl");
  ASSERT_TRUE(c.status.is_ok());
  EXPECT_EQ(c.ids(), (std::vector<std::string>{"ok1", "ok2"}));
  ASSERT_EQ(c.problems.size(), 11u);
  for (const Problem& p : c.problems) {
    EXPECT_EQ(p.severity, Problem::Severity::kRejected);
    EXPECT_EQ(p.file, (tmp / "r.jsonl").string());
    ASSERT_TRUE(p.line.has_value());
    EXPECT_EQ(p.offset, offsets[*p.line - 1]);
  }
  auto reason_at = [&](uint64_t line) -> std::string {
    for (const Problem& p : c.problems) {
      if (p.line == line) return p.reason;
    }
    return "<none>";
  };
  EXPECT_EQ(reason_at(2).rfind("malformed JSON: ", 0), 0u) << reason_at(2);
  EXPECT_EQ(reason_at(3), "expected a JSON object");
  EXPECT_EQ(reason_at(4), "expected a JSON object");
  EXPECT_EQ(reason_at(5), "missing text field \"text\"");
  EXPECT_EQ(reason_at(6), "field \"text\" is a number, expected a string");
  EXPECT_EQ(reason_at(7), "field \"text\" is null, expected a string");
  EXPECT_EQ(reason_at(8), "field \"id\" must be a string or number");
  EXPECT_EQ(reason_at(9).rfind("malformed JSON: ", 0), 0u) << reason_at(9);
  EXPECT_EQ(reason_at(10).rfind("malformed JSON: ", 0), 0u) << reason_at(10);
  EXPECT_EQ(reason_at(11), "field \"text\" is an array, expected a string");
  EXPECT_EQ(reason_at(12).rfind("malformed JSON: ", 0), 0u) << reason_at(12);
  // The id is reported when the line gave one.
  EXPECT_EQ(c.problems[3].id, "nt");
}

TEST(Jsonl, ConfiguredFieldNames) {
  TempDir tmp;
  write_file(tmp / "f.jsonl",
             "{\"doc_id\":\"a\",\"body\":\"x\",\"id\":\"other\",\"text\":\"other\"}\n"
             "{\"doc_id\":\"b\",\"text\":\"y\"}\n");
  ReaderOptions opts;
  opts.id_field = "doc_id";
  opts.text_field = "body";
  const Collected c = read_one(tmp / "f.jsonl", opts);
  ASSERT_TRUE(c.status.is_ok());
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].id, "a");
  EXPECT_EQ(c.records[0].text, "x");
  ASSERT_EQ(c.problems.size(), 1u);
  EXPECT_EQ(c.problems[0].reason, "missing text field \"body\"");
}

TEST(Jsonl, DocumentTooLarge) {
  TempDir tmp;
  const std::string big_line = "{\"id\":\"huge\",\"text\":\"" + std::string(size_t{3} << 20, 'h') + "\"}";
  write_file(tmp / "s.jsonl",
             "{\"id\":\"fits\",\"text\":\"0123456789\"}\n"
             "{\"id\":\"over\",\"text\":\"0123456789A\"}\n"
             "{\"id\":\"esc\",\"text\":\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\"}\n" +
                 big_line + "\n{\"id\":\"after\",\"text\":\"x\"}\n");
  ReaderOptions opts;
  opts.max_doc_bytes = 10;
  const Collected c = read_one(tmp / "s.jsonl", opts);
  ASSERT_TRUE(c.status.is_ok());
  // The limit applies to the decoded text: five escaped e-acute are 10 bytes.
  EXPECT_EQ(c.ids(), (std::vector<std::string>{"fits", "esc", "after"}));
  ASSERT_EQ(c.problems.size(), 2u);
  EXPECT_EQ(c.problems[0].reason, "document too large (11 bytes > limit 10)");
  EXPECT_EQ(c.problems[0].id, "over");
  EXPECT_EQ(c.problems[1].line, 4u);
  EXPECT_EQ(c.problems[1].reason,
            "document too large (line of " + std::to_string(big_line.size()) + " bytes > limit 10)");

  // The second pass skips the over-long line too (it was never buffered whole).
  InputSet set({(tmp / "s.jsonl").string()}, opts);
  ASSERT_TRUE(set.open().is_ok());
  ASSERT_TRUE(set.for_each([](Record&&) { return Status::ok(); },
                           [](const Problem&) { return Status::ok(); })
                  .is_ok());
  std::vector<uint64_t> raw_lines;
  ASSERT_TRUE(set.for_each_raw(0, [&](const SourcePos& pos, std::string_view) {
                   raw_lines.push_back(pos.line);
                   return Status::ok();
                 }).is_ok());
  EXPECT_EQ(raw_lines, (std::vector<uint64_t>{1, 2, 3, 5}));
}

TEST(Jsonl, InvalidUtf8IsRepairedAndReported) {
  TempDir tmp;
  const std::string line1 = "{\"id\":\"ok\",\"text\":\"fine\"}\n";
  const std::string line2 = "{\"id\":\"u\",\"text\":\"a\xFF" "b\xE2\x82\"}\n";
  write_file(tmp / "u.jsonl", line1 + line2);
  const Collected c = read_one(tmp / "u.jsonl");
  ASSERT_TRUE(c.status.is_ok());
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[1].text, "a" + kFffd + "b" + kFffd);
  EXPECT_EQ(c.records[1].utf8_repairs, 2u);
  EXPECT_EQ(c.records[1].pos.length, line2.size() - 1);
  ASSERT_EQ(c.problems.size(), 1u);
  EXPECT_EQ(c.problems[0].severity, Problem::Severity::kRepaired);
  EXPECT_EQ(c.problems[0].line, 2u);
  EXPECT_EQ(c.problems[0].offset, line1.size() + line2.find('\xFF'));
  EXPECT_EQ(c.problems[0].id, "u");
  EXPECT_EQ(c.problems[0].reason, "invalid UTF-8 (2 sequences) replaced with U+FFFD");
}

TEST(Jsonl, EscapedAndRawNul) {
  TempDir tmp;
  const std::string raw_nul_line = std::string("{\"id\":\"r\",\"text\":\"a\0b\"}", 24);
  write_file(tmp / "n.jsonl", "{\"id\":\"e\",\"text\":\"a\\u0000b\\u0000\"}\n" + raw_nul_line + "\n");
  const Collected c = read_one(tmp / "n.jsonl");
  ASSERT_TRUE(c.status.is_ok());
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].text, "a" + kFffd + "b" + kFffd);
  EXPECT_EQ(c.records[0].nul_repairs, 2u);
  ASSERT_EQ(c.problems.size(), 2u);
  EXPECT_EQ(c.problems[0].severity, Problem::Severity::kRepaired);
  EXPECT_EQ(c.problems[0].reason, "2 NUL characters in the text replaced with U+FFFD");
  EXPECT_EQ(c.problems[1].severity, Problem::Severity::kRejected);
  EXPECT_EQ(c.problems[1].line, 2u);
  EXPECT_EQ(c.problems[1].reason.rfind("malformed JSON: ", 0), 0u);
  EXPECT_NE(c.problems[1].reason.find("raw NUL byte at offset 19 in the line"), std::string::npos)
      << c.problems[1].reason;
}

TEST(Jsonl, ExtraFieldsCaptured) {
  TempDir tmp;
  write_file(tmp / "x.jsonl",
             "{\"id\":\"a\",\"date\":\"2021-\\u00e9\",\"score\":12.5,\"flag\":true,"
             "\"meta\":{\"k\": [1, 2]},\"text\":\"t\",\"nothing\":null}\n"
             "{\"id\":\"b\",\"text\":\"t\",\"score\":7}\n");
  ReaderOptions opts;
  opts.extra_fields = {"date", "score", "flag", "meta", "nothing", "absent"};
  const Collected c = read_one(tmp / "x.jsonl", opts);
  ASSERT_TRUE(c.status.is_ok());
  ASSERT_EQ(c.records.size(), 2u);
  const auto& f = c.records[0].fields;
  ASSERT_EQ(f.size(), 6u);
  ASSERT_TRUE(f[0].has_value());
  EXPECT_EQ(f[0]->kind, FieldValue::Kind::kString);
  EXPECT_EQ(f[0]->text, "2021-\xC3\xA9");
  ASSERT_TRUE(f[1].has_value());
  EXPECT_EQ(f[1]->kind, FieldValue::Kind::kNumber);
  EXPECT_EQ(f[1]->text, "12.5");
  EXPECT_DOUBLE_EQ(f[1]->number, 12.5);
  ASSERT_TRUE(f[2].has_value());
  EXPECT_EQ(f[2]->kind, FieldValue::Kind::kOther);
  EXPECT_EQ(f[2]->text, "true");
  ASSERT_TRUE(f[3].has_value());
  EXPECT_EQ(f[3]->kind, FieldValue::Kind::kOther);
  EXPECT_EQ(f[3]->text, "{\"k\": [1, 2]}");
  EXPECT_FALSE(f[4].has_value());
  EXPECT_FALSE(f[5].has_value());
  const auto& g = c.records[1].fields;
  ASSERT_EQ(g.size(), 6u);
  EXPECT_FALSE(g[0].has_value());
  ASSERT_TRUE(g[1].has_value());
  EXPECT_EQ(g[1]->text, "7");
  EXPECT_DOUBLE_EQ(g[1]->number, 7.0);
}

// ---- damaged archives -----------------------------------------------------

// Reads a truncated copy; checks that every record before the damage arrives,
// in order, followed by exactly one rejection at the next line.
void check_truncated(const fs::path& path, const std::string& body, size_t total,
                     const std::string& kind) {
  const Collected c = read_inputs({path.string(), path.parent_path().string() + "/after.jsonl"});
  ASSERT_TRUE(c.status.is_ok());
  ASSERT_FALSE(c.records.empty());
  ASSERT_EQ(c.records.back().id, "after");  // the walk went on
  const size_t n = c.records.size() - 1;
  ASSERT_GT(n, 0u) << (c.problems.empty() ? "" : c.problems[0].reason);
  ASSERT_LT(n, total);
  uint64_t offset = 0;
  for (size_t i = 0; i < n; ++i) {
    EXPECT_EQ(c.records[i].id, "r" + std::to_string(i + 1));
    offset += c.records[i].pos.length + 1;
  }
  ASSERT_EQ(c.problems.size(), 1u);
  const Problem& p = c.problems[0];
  EXPECT_EQ(p.severity, Problem::Severity::kRejected);
  EXPECT_EQ(p.file, path.string());
  EXPECT_EQ(p.line, n + 1);
  EXPECT_EQ(p.offset, offset);
  EXPECT_EQ(body.compare(0, offset, body, 0, offset), 0);
  EXPECT_EQ(p.reason.rfind("truncated " + kind + " stream: unexpected end of input", 0), 0u) << p.reason;
}

TEST(Damage, TruncatedGzipAndZstd) {
  TempDir tmp;
  // Large enough for several zstd blocks: a decoder only yields whole blocks.
  const std::string body = numbered_jsonl(5000);
  write_file(tmp / "after.jsonl", "{\"id\":\"after\",\"text\":\"x\"}\n");
  const std::string gz = compress_gzip(body);
  write_file(tmp / "t.jsonl.gz", gz.substr(0, gz.size() / 2));
  check_truncated(tmp / "t.jsonl.gz", body, 5000, "gzip");
  const std::string zst = compress_zstd(body);
  write_file(tmp / "t.jsonl.zst", zst.substr(0, zst.size() / 2));
  check_truncated(tmp / "t.jsonl.zst", body, 5000, "zstd");
  // Cut inside the trailer: all data lines arrive, the stream is still incomplete.
  write_file(tmp / "tail.jsonl.gz", gz.substr(0, gz.size() - 3));
  const Collected c = read_one(tmp / "tail.jsonl.gz");
  EXPECT_EQ(c.records.size(), 5000u);
  ASSERT_EQ(c.problems.size(), 1u);
  EXPECT_EQ(c.problems[0].line, 5001u);
  EXPECT_EQ(c.problems[0].offset, body.size());
  EXPECT_EQ(c.problems[0].reason, "truncated gzip stream: unexpected end of input");
}

TEST(Damage, PartialLastRecordIsNotDelivered) {
  TempDir tmp;
  // A whole stream whose last line lacks its end: the zstd frame is cut so
  // that the decoder yields part of line 2 and then runs dry.
  const std::string body = "{\"id\":\"a\",\"text\":\"one\"}\n{\"id\":\"b\",\"text\":\"" +
                           std::string(300000, 'q') + "\"}\n";
  const std::string zst = compress_zstd(body);
  write_file(tmp / "p.jsonl.zst", zst.substr(0, zst.size() - 8));
  const Collected c = read_one(tmp / "p.jsonl.zst");
  EXPECT_EQ(c.ids(), (std::vector<std::string>{"a"}));
  ASSERT_EQ(c.problems.size(), 1u);
  EXPECT_EQ(c.problems[0].line, 2u);
  EXPECT_EQ(c.problems[0].offset, 24u);
  EXPECT_EQ(c.problems[0].reason,
            "truncated zstd stream: unexpected end of input (the last record is incomplete)");
}

TEST(Damage, CorruptGzipAndZstd) {
  TempDir tmp;
  const std::string first = numbered_jsonl(5);
  const std::string second = "{\"id\":\"lost\",\"text\":\"x\"}\n";
  std::string bad_gz = compress_gzip(second);
  bad_gz[0] = 'X';  // the second member's header is garbage
  write_file(tmp / "c.jsonl.gz", compress_gzip(first) + bad_gz);
  std::string bad_zst = compress_zstd(second);
  bad_zst[1] = 'X';  // the second frame's magic number is garbage
  write_file(tmp / "c.jsonl.zst", compress_zstd(first) + bad_zst);
  for (const auto& [name, prefix] : {std::pair{"c.jsonl.gz", "corrupt gzip data: "},
                                     std::pair{"c.jsonl.zst", "corrupt zstd data: "}}) {
    const Collected c = read_one(tmp / name);
    ASSERT_TRUE(c.status.is_ok());
    EXPECT_EQ(c.records.size(), 5u) << name;
    ASSERT_EQ(c.problems.size(), 1u) << name;
    EXPECT_EQ(c.problems[0].severity, Problem::Severity::kRejected);
    EXPECT_EQ(c.problems[0].line, 6u);
    EXPECT_EQ(c.problems[0].offset, first.size());
    EXPECT_EQ(c.problems[0].reason.rfind(prefix, 0), 0u) << c.problems[0].reason;
  }
}

// ---- the raw second pass ----------------------------------------------------

TEST(RawPass, ReturnsOriginalBytesAtSamePositions) {
  TempDir tmp;
  const std::string body =
      "\xEF\xBB\xBF{\"id\":\"a\",\"text\":\"x\"}\r\n"
      "\n"
      "{\"id\":\"b\",\"text\":\"bad \xC0\xAF utf8\"}\n"
      "garbage line\n"
      "{\"id\":\"c\",\"text\":\"\\u00e9\"}";
  write_file(tmp / "raw.jsonl", body);
  write_zstd(tmp / "raw.jsonl.zst", body);
  write_file(tmp / "doc.txt", "\xEF\xBB\xBFtext \xFF body");

  for (const char* name : {"raw.jsonl", "raw.jsonl.zst"}) {
    InputSet set({(tmp / name).string(), (tmp / "doc.txt").string()}, {});
    ASSERT_TRUE(set.open().is_ok());
    std::vector<SourcePos> record_pos;
    ASSERT_TRUE(set.for_each(
                       [&](Record&& r) {
                         record_pos.push_back(r.pos);
                         return Status::ok();
                       },
                       [](const Problem&) { return Status::ok(); })
                    .is_ok());
    ASSERT_EQ(record_pos.size(), 4u);  // a, b, c, doc

    std::vector<std::pair<SourcePos, std::string>> raw;
    const Status s = set.for_each_raw(0, [&](const SourcePos& pos, std::string_view bytes) {
      raw.emplace_back(pos, std::string(bytes));
      return Status::ok();
    });
    ASSERT_TRUE(s.is_ok()) << s.message();
    ASSERT_EQ(raw.size(), 4u);  // the garbage line too: every non-blank line
    EXPECT_EQ(raw[0].second, "{\"id\":\"a\",\"text\":\"x\"}");
    EXPECT_EQ(raw[1].second, "{\"id\":\"b\",\"text\":\"bad \xC0\xAF utf8\"}");
    EXPECT_EQ(raw[2].second, "garbage line");
    EXPECT_EQ(raw[3].second, "{\"id\":\"c\",\"text\":\"\\u00e9\"}");
    const SourcePos* expected[] = {&record_pos[0], &record_pos[1], nullptr, &record_pos[2]};
    for (size_t i = 0; i < raw.size(); ++i) {
      EXPECT_EQ(body.substr(raw[i].first.offset, raw[i].first.length), raw[i].second);
      if (expected[i] == nullptr) continue;
      EXPECT_EQ(raw[i].first.file_index, expected[i]->file_index);
      EXPECT_EQ(raw[i].first.line, expected[i]->line);
      EXPECT_EQ(raw[i].first.offset, expected[i]->offset);
      EXPECT_EQ(raw[i].first.length, expected[i]->length);
    }

    std::string whole;
    SourcePos txt_pos;
    ASSERT_TRUE(set.for_each_raw(1, [&](const SourcePos& pos, std::string_view bytes) {
                     txt_pos = pos;
                     whole = bytes;
                     return Status::ok();
                   }).is_ok());
    EXPECT_EQ(whole, "\xEF\xBB\xBFtext \xFF body");
    EXPECT_EQ(txt_pos.file_index, 1u);
    EXPECT_EQ(txt_pos.length, record_pos[3].length);
    EXPECT_EQ(set.for_each_raw(7, [](const SourcePos&, std::string_view) { return Status::ok(); })
                  .code(),
              StatusCode::kInvalidArgument);
  }
}

TEST(RawPass, StopsCleanlyAtDamageSeenInFirstPass) {
  TempDir tmp;
  const std::string body = numbered_jsonl(200);
  const std::string gz = compress_gzip(body);
  write_file(tmp / "t.jsonl.gz", gz.substr(0, gz.size() / 2));
  InputSet set({(tmp / "t.jsonl.gz").string()}, {});
  ASSERT_TRUE(set.open().is_ok());
  size_t records = 0;
  ASSERT_TRUE(set.for_each([&](Record&&) { ++records; return Status::ok(); },
                           [](const Problem&) { return Status::ok(); })
                  .is_ok());
  size_t raws = 0;
  ASSERT_TRUE(set.for_each_raw(0, [&](const SourcePos&, std::string_view) {
                   ++raws;
                   return Status::ok();
                 }).is_ok());
  EXPECT_EQ(raws, records);
}

TEST(RawPass, DetectsChangedInput) {
  TempDir tmp;
  write_file(tmp / "a.jsonl", "{\"id\":\"a\",\"text\":\"x\"}\n");
  write_file(tmp / "b.txt", "same size");
  InputSet set({(tmp / "a.jsonl").string(), (tmp / "b.txt").string()}, {});
  ASSERT_TRUE(set.open().is_ok());
  ASSERT_TRUE(set.for_each([](Record&&) { return Status::ok(); },
                           [](const Problem&) { return Status::ok(); })
                  .is_ok());
  const auto noop = [](const SourcePos&, std::string_view) { return Status::ok(); };
  ASSERT_TRUE(set.for_each_raw(0, noop).is_ok());
  ASSERT_TRUE(set.for_each_raw(1, noop).is_ok());

  // Grown file.
  write_file(tmp / "a.jsonl", "{\"id\":\"a\",\"text\":\"x\"}\n{\"id\":\"b\",\"text\":\"y\"}\n");
  const Status grown = set.for_each_raw(0, noop);
  EXPECT_EQ(grown.code(), StatusCode::kIoError);
  EXPECT_EQ(grown.message(), "input changed during the run: " + (tmp / "a.jsonl").string());

  // Same size, other modification time.
  write_file(tmp / "b.txt", "SAME SIZE");
  const struct timespec times[2] = {{1000000, 0}, {1000000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (tmp / "b.txt").c_str(), times, 0), 0);
  const Status touched = set.for_each_raw(1, noop);
  EXPECT_EQ(touched.code(), StatusCode::kIoError);
  EXPECT_NE(touched.message().find("input changed during the run"), std::string::npos);
}

// for_each_at must hand back exactly what for_each delivered for the listed
// records, whichever way it reads each file: at offsets (plain JSONL), by
// streaming (compressed, also under a plain name) or whole (.txt).
// for_each_at delivers what for_each did, for every kind of file, whether the
// compressed ones are read again or come from the decompressed bytes kept.
void check_again_pass(uint64_t keep_decompressed_bytes) {
  SCOPED_TRACE(keep_decompressed_bytes);
  TempDir tmp;
  const std::string body =
      "\xEF\xBB\xBF{\"id\":\"a\",\"text\":\"x\",\"src\":\"s1\"}\r\n"
      "\n"
      "{\"id\":\"b\",\"text\":\"bad \xC0\xAF utf8\"}\n"
      "garbage line\n"
      "{\"text\":\"no id here\",\"src\":7}\n"
      "{\"id\":\"c\",\"text\":\"\\u00e9 \\u0000\"}";
  write_file(tmp / "plain.jsonl", body);
  write_zstd(tmp / "packed.jsonl.zst", body);
  write_gzip(tmp / "gz.jsonl.gz", body);
  write_zstd(tmp / "hidden.jsonl", body);  // zstd under a plain name
  write_file(tmp / "doc.txt", "\xEF\xBB\xBFtext \xFF body");
  ReaderOptions options;
  options.extra_fields = {"src"};
  options.keep_decompressed_bytes = keep_decompressed_bytes;
  InputSet set({(tmp / "plain.jsonl").string(), (tmp / "packed.jsonl.zst").string(), (tmp / "gz.jsonl.gz").string(),
                (tmp / "hidden.jsonl").string(), (tmp / "doc.txt").string()},
               options);
  ASSERT_TRUE(set.open().is_ok());
  std::vector<Record> first;
  ASSERT_TRUE(set.for_each(
                     [&](Record&& r) {
                       first.push_back(std::move(r));
                       return Status::ok();
                     },
                     [](const Problem&) { return Status::ok(); })
                  .is_ok());
  ASSERT_EQ(first.size(), 4u * 4 + 1);

  auto expect_same = [](const Record& x, const Record& y) {
    EXPECT_EQ(x.id, y.id);
    EXPECT_EQ(x.text, y.text);
    EXPECT_EQ(x.pos.file_index, y.pos.file_index);
    EXPECT_EQ(x.pos.line, y.pos.line);
    EXPECT_EQ(x.pos.offset, y.pos.offset);
    EXPECT_EQ(x.pos.length, y.pos.length);
    ASSERT_EQ(x.fields.size(), y.fields.size());
    for (size_t f = 0; f < x.fields.size(); ++f) {
      ASSERT_EQ(x.fields[f].has_value(), y.fields[f].has_value());
      if (x.fields[f]) EXPECT_EQ(x.fields[f]->text, y.fields[f]->text);
    }
  };
  // Every record; every other one; only the last of each file.
  std::vector<std::vector<size_t>> selections(3);
  for (size_t i = 0; i < first.size(); ++i) {
    selections[0].push_back(i);
    if (i % 2 == 1) selections[1].push_back(i);
    if (i + 1 == first.size() || first[i + 1].pos.file_index != first[i].pos.file_index) selections[2].push_back(i);
  }
  for (const auto& selection : selections) {
    std::vector<SourcePos> positions;
    for (size_t i : selection) positions.push_back(first[i].pos);
    std::vector<Record> again;
    const Status s = set.for_each_at(positions, [&](Record&& r) {
      again.push_back(std::move(r));
      return Status::ok();
    });
    ASSERT_TRUE(s.is_ok()) << s.message();
    ASSERT_EQ(again.size(), selection.size());
    for (size_t j = 0; j < selection.size(); ++j) expect_same(again[j], first[selection[j]]);
  }
  // Three compressed inputs (one under a plain name); the plain file and the
  // .txt are never kept.
  EXPECT_EQ(set.kept_decompressed_bytes(), keep_decompressed_bytes == 0 ? 0 : 3 * body.size());
}

TEST(AgainPass, DeliversTheSameRecordsAsTheFirstPass) { check_again_pass(0); }

TEST(AgainPass, DeliversTheSameRecordsFromKeptDecompressedBytes) { check_again_pass(uint64_t{1} << 20); }

TEST(AgainPass, DetectsChangedInput) {
  TempDir tmp;
  write_file(tmp / "a.jsonl", "{\"id\":\"a\",\"text\":\"x\"}\n{\"id\":\"b\",\"text\":\"y\"}\n");
  InputSet set({(tmp / "a.jsonl").string()}, {});
  ASSERT_TRUE(set.open().is_ok());
  std::vector<SourcePos> positions;
  ASSERT_TRUE(set.for_each(
                     [&](Record&& r) {
                       positions.push_back(r.pos);
                       return Status::ok();
                     },
                     [](const Problem&) { return Status::ok(); })
                  .is_ok());
  write_file(tmp / "a.jsonl", "{\"id\":\"a\",\"text\":\"x\"}\n");
  const Status s = set.for_each_at(positions, [](Record&&) { return Status::ok(); });
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_NE(s.message().find("input changed during the run"), std::string::npos) << s.message();
}

// ---- decompressed bytes kept for later passes ----------------------------------

// Reads every record of `set` once; their positions.
std::vector<SourcePos> first_pass_positions(InputSet& set) {
  std::vector<SourcePos> positions;
  EXPECT_TRUE(set.for_each(
                     [&](Record&& r) {
                       positions.push_back(r.pos);
                       return Status::ok();
                     },
                     [](const Problem&) { return Status::ok(); })
                  .is_ok());
  return positions;
}

// The raw bytes of every record of file `index`, read by offset; "" when the
// file cannot be read by offset.
std::string raw_by_offsets(InputSet& set, uint32_t index, const std::vector<SourcePos>& positions,
                           bool* in_memory = nullptr) {
  std::string out;
  const Result<bool> r = set.with_record_bytes(index, [&](const RecordBytes& bytes) {
    if (in_memory != nullptr) *in_memory = bytes.in_memory();
    for (const SourcePos& pos : positions) {
      if (pos.file_index != index) continue;
      std::string line(pos.length, '\0');
      size_t got = 0;
      EXPECT_EQ(bytes.read(pos.offset, line.data(), line.size(), got), 0);
      EXPECT_EQ(got, line.size());
      out += line + "\n";
    }
    return Status::ok();
  });
  EXPECT_TRUE(r.is_ok());
  return r.is_ok() && r.value() ? out : "";
}

TEST(KeptDecompressed, LaterPassesReadFromMemory) {
  TempDir tmp;
  const std::string zbody = numbered_jsonl(300);
  const std::string gbody = "\xEF\xBB\xBF{\"id\":\"g1\",\"text\":\"crlf\"}\r\n\n" + numbered_jsonl(40);
  const std::string pbody = "{\"id\":\"p1\",\"text\":\"plain\"}\n";
  write_zstd(tmp / "a.jsonl.zst", zbody);
  write_gzip(tmp / "b.jsonl.gz", gbody);
  write_file(tmp / "c.jsonl", pbody);
  ReaderOptions options;
  options.keep_decompressed_bytes = uint64_t{1} << 20;
  InputSet set({(tmp / "a.jsonl.zst").string(), (tmp / "b.jsonl.gz").string(), (tmp / "c.jsonl").string()}, options);
  ASSERT_TRUE(set.open().is_ok());
  const std::vector<SourcePos> positions = first_pass_positions(set);
  ASSERT_EQ(positions.size(), 300u + 41 + 1);
  EXPECT_EQ(set.kept_decompressed_bytes(), zbody.size() + gbody.size());

  // The compressed files are gone from disk: their records still come back,
  // byte for byte, because they are read from memory.
  fs::remove(tmp / "a.jsonl.zst");
  fs::remove(tmp / "b.jsonl.gz");
  bool in_memory = false;
  EXPECT_EQ(raw_by_offsets(set, 0, positions, &in_memory), zbody);
  EXPECT_TRUE(in_memory);
  // The BOM and the blank line are not records; "\r" is not part of one.
  EXPECT_EQ(raw_by_offsets(set, 1, positions, &in_memory),
            "{\"id\":\"g1\",\"text\":\"crlf\"}\n" + numbered_jsonl(40));
  EXPECT_TRUE(in_memory);
  EXPECT_EQ(raw_by_offsets(set, 2, positions, &in_memory), pbody);
  EXPECT_FALSE(in_memory);
  std::vector<std::string> ids;
  const Status again = set.for_each_at(positions, [&](Record&& r) {
    ids.push_back(r.id);
    return Status::ok();
  });
  ASSERT_TRUE(again.is_ok()) << again.message();
  ASSERT_EQ(ids.size(), positions.size());
  EXPECT_EQ(ids[0], "r1");
  EXPECT_EQ(ids[300], "g1");
  EXPECT_EQ(ids.back(), "p1");

  // Once released, the files must be read again, and they are gone.
  set.release_decompressed();
  EXPECT_EQ(set.kept_decompressed_bytes(), 0u);
  const Status gone = set.for_each_at(positions, [](Record&&) { return Status::ok(); });
  EXPECT_FALSE(gone.is_ok());
}

TEST(KeptDecompressed, FilesAreKeptInOrderWhileTheyFit) {
  TempDir tmp;
  const std::string small = numbered_jsonl(50);
  const std::string large = numbered_jsonl(400);
  const std::string last = numbered_jsonl(20);
  write_zstd(tmp / "1.jsonl.zst", small);
  write_zstd(tmp / "2.jsonl.zst", large);
  write_zstd(tmp / "3.jsonl.zst", last);
  ReaderOptions options;
  // Room for the first and the third, not for the second.
  options.keep_decompressed_bytes = small.size() + last.size() + 10;
  InputSet set({(tmp / "1.jsonl.zst").string(), (tmp / "2.jsonl.zst").string(), (tmp / "3.jsonl.zst").string()},
               options);
  ASSERT_TRUE(set.open().is_ok());
  const std::vector<SourcePos> positions = first_pass_positions(set);
  EXPECT_EQ(set.kept_decompressed_bytes(), small.size() + last.size());
  // Reading everything again replaces what each file kept, not adds to it.
  EXPECT_EQ(first_pass_positions(set).size(), positions.size());
  EXPECT_EQ(set.kept_decompressed_bytes(), small.size() + last.size());
  EXPECT_EQ(raw_by_offsets(set, 0, positions), small);
  EXPECT_EQ(raw_by_offsets(set, 1, positions), "");  // streamed again instead
  EXPECT_EQ(raw_by_offsets(set, 2, positions), last);
  std::string raw;
  ASSERT_TRUE(set.for_each_raw(1, [&](const SourcePos&, std::string_view b) {
                   raw += std::string(b) + "\n";
                   return Status::ok();
                 }).is_ok());
  EXPECT_EQ(raw, large);
}

TEST(KeptDecompressed, FilesWithLinesTooLongAreNotKept) {
  TempDir tmp;
  const std::string body = numbered_jsonl(10) + "{\"id\":\"big\",\"text\":\"" + std::string(size_t{4} << 20, 'b') +
                           "\"}\n" + numbered_jsonl(3);
  write_zstd(tmp / "big.jsonl.zst", body);
  ReaderOptions options;
  options.keep_decompressed_bytes = uint64_t{1} << 30;
  options.max_doc_bytes = 1000;
  InputSet set({(tmp / "big.jsonl.zst").string()}, options);
  ASSERT_TRUE(set.open().is_ok());
  const std::vector<SourcePos> positions = first_pass_positions(set);
  EXPECT_EQ(positions.size(), 13u);
  EXPECT_EQ(set.kept_decompressed_bytes(), 0u);
}

TEST(KeptDecompressed, DamagedStreamsAreNotKept) {
  TempDir tmp;
  const std::string body = numbered_jsonl(5000);
  const std::string zst = compress_zstd(body);
  write_file(tmp / "t.jsonl.zst", zst.substr(0, zst.size() / 2));
  ReaderOptions options;
  options.keep_decompressed_bytes = uint64_t{1} << 24;
  InputSet set({(tmp / "t.jsonl.zst").string()}, options);
  ASSERT_TRUE(set.open().is_ok());
  const std::vector<SourcePos> positions = first_pass_positions(set);
  ASSERT_FALSE(positions.empty());
  EXPECT_EQ(set.kept_decompressed_bytes(), 0u);
  EXPECT_EQ(raw_by_offsets(set, 0, positions), "");
  // The records before the damage are still delivered again, from the file.
  size_t n = 0;
  ASSERT_TRUE(set.for_each_at(positions, [&](Record&&) { ++n; return Status::ok(); }).is_ok());
  EXPECT_EQ(n, positions.size());
}

// Runs `fn` with stdin redirected from `path`.
template <typename Fn>
void with_stdin_from(const fs::path& path, Fn fn) {
  const int saved = ::dup(STDIN_FILENO);
  ASSERT_GE(saved, 0);
  const int fd = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_GE(::dup2(fd, STDIN_FILENO), 0);
  ::close(fd);
  fn();
  ::dup2(saved, STDIN_FILENO);
  ::close(saved);
}

TEST(Stdin, SpoolAllowsSecondPass) {
  TempDir tmp;
  const std::string body = "{\"text\":\"no id\"}\n{\"id\":\"b\",\"text\":\"y\"}\n";
  write_file(tmp / "in.bin", compress_zstd(body));  // compression detected on stdin too
  ReaderOptions opts;
  opts.stdin_spool_path = (tmp / "spool").string();
  with_stdin_from(tmp / "in.bin", [&] {
    InputSet set({"-"}, opts);
    ASSERT_TRUE(set.open().is_ok());
    ASSERT_EQ(set.files().size(), 1u);
    EXPECT_EQ(set.files()[0].display, "<stdin>");
    std::vector<std::string> ids;
    ASSERT_TRUE(set.for_each([&](Record&& r) { ids.push_back(r.id); return Status::ok(); },
                             [](const Problem&) { return Status::ok(); })
                    .is_ok());
    EXPECT_EQ(ids, (std::vector<std::string>{"<stdin>:1", "b"}));
    std::string raw;
    ASSERT_TRUE(set.for_each_raw(0, [&](const SourcePos&, std::string_view b) {
                     raw += std::string(b) + "\n";
                     return Status::ok();
                   }).is_ok());
    EXPECT_EQ(raw, body);
  });
  EXPECT_EQ(read_file(tmp / "spool"), compress_zstd(body));
}

TEST(Stdin, NoSpoolMeansNoSecondPass) {
  TempDir tmp;
  write_file(tmp / "in.jsonl", "{\"id\":\"a\",\"text\":\"x\"}\n");
  with_stdin_from(tmp / "in.jsonl", [&] {
    InputSet set({"-"}, {});
    ASSERT_TRUE(set.open().is_ok());
    size_t n = 0;
    ASSERT_TRUE(set.for_each([&](Record&&) { ++n; return Status::ok(); },
                             [](const Problem&) { return Status::ok(); })
                    .is_ok());
    EXPECT_EQ(n, 1u);
    EXPECT_EQ(set.for_each_raw(0, [](const SourcePos&, std::string_view) { return Status::ok(); })
                  .code(),
              StatusCode::kInvalidArgument);
  });
}

// ---- callbacks and scale -------------------------------------------------

TEST(Jsonl, CallbackErrorStopsTheWalk) {
  TempDir tmp;
  write_file(tmp / "a.jsonl", numbered_jsonl(10));
  InputSet set({(tmp / "a.jsonl").string()}, {});
  ASSERT_TRUE(set.open().is_ok());
  size_t seen = 0;
  const Status s = set.for_each(
      [&](Record&&) { return ++seen == 3 ? data_error("enough") : Status::ok(); },
      [](const Problem&) { return Status::ok(); });
  EXPECT_EQ(s.code(), StatusCode::kDataError);
  EXPECT_EQ(s.message(), "enough");
  EXPECT_EQ(seen, 3u);
}

TEST(Jsonl, ManyLinesAcrossBufferRefills) {
  TempDir tmp;
  const std::string body = numbered_jsonl(60000);  // ~4.5 MB: several buffer refills
  write_file(tmp / "many.jsonl", body);
  write_gzip(tmp / "many.jsonl.gz", body);
  for (const char* name : {"many.jsonl", "many.jsonl.gz"}) {
    const Collected c = read_one(tmp / name);
    ASSERT_TRUE(c.status.is_ok());
    EXPECT_TRUE(c.problems.empty());
    ASSERT_EQ(c.records.size(), 60000u);
    const Record& last = c.records.back();
    EXPECT_EQ(last.id, "r60000");
    EXPECT_EQ(last.pos.offset + last.pos.length + 1, body.size());
  }
}

TEST(Jsonl, HundredMegabyteDocument) {
  TempDir tmp;
  const size_t n = size_t{100} << 20;
  std::string line;
  line.reserve(n + 64);
  line += "{\"id\":\"big\",\"text\":\"";
  for (size_t i = 0; i < n; ++i) line += static_cast<char>('a' + i % 26);
  line += "\"}\n";
  write_file(tmp / "big.jsonl", line);
  line.clear();
  line.shrink_to_fit();
  const Collected c = read_one(tmp / "big.jsonl");
  ASSERT_TRUE(c.status.is_ok());
  EXPECT_TRUE(c.problems.empty());
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].id, "big");
  ASSERT_EQ(c.records[0].text.size(), n);
  EXPECT_EQ(c.records[0].text.substr(0, 3), "abc");
  EXPECT_EQ(c.records[0].text.back(), static_cast<char>('a' + (n - 1) % 26));
}

}  // namespace
}  // namespace doppel::io
