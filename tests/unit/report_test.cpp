// File: report_test.cpp
#include <gtest/gtest.h>
#include <fmt/format.h>
#include <zstd.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "report/json.hpp"
#include "report/output_file.hpp"
#include "test_support.hpp"

namespace doppel::report {
namespace {
namespace fs = std::filesystem;
using doppel::testing::read_file;
using doppel::testing::TempDir;

TEST(Json, EscapesStringsAndFormatsNumbersDeterministically) {
  std::string s;
  append_json_string(s, "a\"b\\c\nd\x01 é");
  EXPECT_EQ(s, "\"a\\\"b\\\\c\\nd\\u0001 é\"");
  std::string n;
  append_json_number(n, 0.8125);
  n += ' ';
  append_json_number(n, 1.0);
  n += ' ';
  append_json_number(n, 2.0 / 3.0);
  n += ' ';
  append_json_number(n, -0.0000001);
  EXPECT_EQ(n, "0.8125 1 0.666667 0");
  // Numbers too long for the formatter's stack buffer, and those JSON lacks.
  n.clear();
  append_json_number(n, 1e300);
  EXPECT_EQ(n.size(), 301u);
  EXPECT_EQ(n, fmt::format("{:.0f}", 1e300));
  n.clear();
  append_json_number(n, -1e20);
  n += ' ';
  append_json_number(n, std::nan(""));
  n += ' ';
  append_json_number(n, -std::numeric_limits<double>::infinity());
  EXPECT_EQ(n, "-100000000000000000000 null null");
}

TEST(Json, IntegersAtTheEndsOfTheirRange) {
  std::string line;
  JsonObject o(line);
  o.field("max", std::numeric_limits<uint64_t>::max()).field("min", std::numeric_limits<int64_t>::min());
  o.field("zero", uint64_t{0}).field("minus", int64_t{-42}).close();
  EXPECT_EQ(line, R"({"max":18446744073709551615,"min":-9223372036854775808,"zero":0,"minus":-42})");
}

TEST(Json, ObjectWithAllFieldKinds) {
  std::string line;
  JsonObject o(line);
  o.field("id", "x").field("n", uint64_t{3}).field("b", true).null_field("m").field("f", 0.5);
  o.raw_field("r", "[1]").close();
  EXPECT_EQ(line, R"({"id":"x","n":3,"b":true,"m":null,"f":0.5,"r":[1]})");
}

TEST(OutputFile, AppearsOnlyAfterCommit) {
  TempDir t;
  std::string path = (t / "out.jsonl").string();
  {
    auto f = OutputFile::create(path);
    ASSERT_TRUE(f.is_ok());
    ASSERT_TRUE((*f)->write("hello\n").is_ok());
    EXPECT_FALSE(fs::exists(path));
    ASSERT_TRUE((*f)->commit().is_ok());
  }
  EXPECT_EQ(read_file(path), "hello\n");
  {
    auto f = OutputFile::create((t / "abandoned.jsonl").string());
    ASSERT_TRUE(f.is_ok());
    ASSERT_TRUE((*f)->write("partial").is_ok());
  }
  // Neither the final name nor a temporary remains after an abandoned write.
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(t.path())) ++entries;
  EXPECT_EQ(entries, 1u);
}

TEST(OutputFile, ZstdRoundTrip) {
  TempDir t;
  std::string path = (t / "k.jsonl.zst").string();
  std::string payload;
  for (int i = 0; i < 100000; ++i) payload += "{\"id\":" + std::to_string(i) + "}\n";
  {
    auto f = OutputFile::create(path, Compression::kZstd);
    ASSERT_TRUE(f.is_ok());
    ASSERT_TRUE((*f)->write(payload).is_ok());
    ASSERT_TRUE((*f)->commit().is_ok());
  }
  std::string z = read_file(path);
  std::string out(payload.size(), '\0');
  size_t n = ZSTD_decompress(out.data(), out.size(), z.data(), z.size());
  ASSERT_FALSE(ZSTD_isError(n)) << ZSTD_getErrorName(n);
  out.resize(n);
  EXPECT_EQ(out, payload);
  EXPECT_LT(z.size(), payload.size() / 4);
}

TEST(OutputFile, ReportsUnwritableDirectory) {
  auto f = OutputFile::create("/nonexistent-dir-for-doppel/x.jsonl");
  ASSERT_FALSE(f.is_ok());
  EXPECT_NE(f.status().message().find("/nonexistent-dir-for-doppel"), std::string::npos);
}

}  // namespace
}  // namespace doppel::report
