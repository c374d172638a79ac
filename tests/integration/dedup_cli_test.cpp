// File: dedup_cli_test.cpp
// End-to-end tests of `doppel dedup` and `doppel explain` through the real binary:
// outputs, accounting of every record, bad input, exit codes, determinism.
#include <gtest/gtest.h>
#include <zstd.h>

#include <filesystem>
#include <set>
#include <string>

#include "integration_support.hpp"

namespace doppel::testing {
namespace {
namespace fs = std::filesystem;

std::string q(const fs::path& p) { return shell_quote(p.string()); }

// A paragraph of invented text long enough to make many shingles.
std::string paragraph(int seed, int words) {
  static const char* kWords[] = {"river", "lantern", "council", "harvest", "meadow", "signal", "copper",
                                 "orchard", "bridge", "winter", "archive", "festival", "station", "garden",
                                 "engine", "harbour", "quarry", "market", "violin", "canal", "summit",
                                 "pioneer", "ledger", "compass", "timber", "beacon", "mosaic", "thunder"};
  std::string s;
  uint64_t x = static_cast<uint64_t>(seed) * 0x9e3779b97f4a7c15ULL + 1;
  for (int i = 0; i < words; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    if (i) s += (i % 11 == 0) ? ". " : " ";
    s += kWords[x % (sizeof kWords / sizeof kWords[0])];
  }
  return s + ".";
}

std::string jsonl_line(const std::string& id, const std::string& text) {
  return "{\"id\":\"" + id + "\",\"text\":\"" + text + "\"}\n";
}

TEST(DedupCli, HelpDocumentsEveryFlag) {
  auto r = run_doppel("dedup --help");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* flag : {"--output", "--id-field", "--text-field", "--shingle", "--ngram", "--num-perm",
                           "--jaccard", "--containment", "--keep", "--compress", "--threads", "--strict",
                           "--max-doc-bytes", "--progress", "--quiet", "--decompressed-cache"}) {
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
  }
  auto top = run_doppel("--help");
  EXPECT_EQ(top.exit_code, 0);
  EXPECT_NE(top.out.find("dedup"), std::string::npos);
  EXPECT_NE(top.out.find("explain"), std::string::npos);
  EXPECT_EQ(run_doppel("--version").exit_code, 0);
}

TEST(DedupCli, BadFlagsExitWithTwo) {
  TempDir t;
  EXPECT_EQ(run_doppel("dedup " + q(t.path()) + " -o " + q(t / "o") + " --jaccard 1.5").exit_code, 2);
  EXPECT_EQ(run_doppel("dedup " + q(t.path()) + " -o " + q(t / "o") + " --keep biggest").exit_code, 2);
  EXPECT_EQ(run_doppel("dedup " + q(t / "missing") + " -o " + q(t / "o")).exit_code, 2);
  EXPECT_EQ(run_doppel("dedup " + q(t.path())).exit_code, 2);  // no -o
}

// The motivating case from ../shared/seeds: 000 is a truncated reprint of 001.
TEST(DedupCli, SeedsFindTheTruncatedReprint) {
  fs::path shared = shared_dir();
  if (shared.empty() || !fs::is_directory(shared / "seeds")) GTEST_SKIP() << "../shared/seeds not present";
  TempDir t;
  auto r = run_doppel("dedup " + q(shared / "seeds") + " -o " + q(t / "out") + " -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rows = index_rows(read_jsonl_rows(t / "out/clusters.jsonl"), "id");
  ASSERT_EQ(rows.size(), 5u);
  const auto& a = rows.at("000_e8c4b08f971ee78b");
  const auto& b = rows.at("001_bcfbf68e7334b127");
  EXPECT_EQ(a.at("cluster"), b.at("cluster"));
  EXPECT_EQ(a.at("duplicate"), "true");
  EXPECT_EQ(a.at("match"), "contained");
  EXPECT_EQ(a.at("matched_with"), "001_bcfbf68e7334b127");
  EXPECT_EQ(b.at("duplicate"), "false");
  auto pairs = read_jsonl_rows(t / "out/pairs.jsonl");
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(pairs[0].at("kind"), "contained");
  EXPECT_EQ(pairs[0].at("a"), "000_e8c4b08f971ee78b");
  EXPECT_GE(std::stod(pairs[0].at("containment_a_in_b")), 0.85);
  EXPECT_LT(std::stod(pairs[0].at("jaccard")), 0.8);
  std::set<std::string> clusters;
  for (const char* id : {"002_ccae10307af83746", "003_5a9dacd756de571f", "004_b1509f2b40f15bcb"}) {
    const auto& row = rows.at(id);
    EXPECT_EQ(row.at("duplicate"), "false") << id;
    EXPECT_EQ(row.at("match"), "null") << id;
    clusters.insert(row.at("cluster"));
  }
  EXPECT_EQ(clusters.size(), 3u);
  EXPECT_EQ(clusters.count(a.at("cluster")), 0u);

  auto e = run_doppel("explain 000_e8c4b08f971ee78b 001_bcfbf68e7334b127 " + q(shared / "seeds") + " --json");
  ASSERT_EQ(e.exit_code, 0) << e.err;
  auto ex = parse_json_row(e.out);
  EXPECT_EQ(ex.at("kind"), "contained");
  EXPECT_GE(std::stod(ex.at("containment_a_in_b")), 0.85);
  EXPECT_NE(ex.at("passages"), "[]");
}

// Every record lands in exactly one of clusters.jsonl / rejected.jsonl, and each
// bad-input class has a reason naming what was wrong.
TEST(DedupCli, EveryBadInputClassIsAccountedFor) {
  TempDir t;
  std::string good = paragraph(1, 80);
  std::string jsonl;
  jsonl += jsonl_line("ok1", good);                              // line 1
  jsonl += "{\"id\":\"broken\",\"text\":\"unterminated\n";        // line 2: malformed
  jsonl += "{\"id\":\"notext\"}\n";                              // line 3: missing text
  jsonl += "{\"id\":\"numtext\",\"text\":42}\n";                  // line 4: non-string text
  jsonl += jsonl_line("empty", "");                              // line 5: empty
  jsonl += jsonl_line("ws", "   \\n\\t  ");                      // line 6: whitespace only
  jsonl += "{\"id\":\"bad-utf8\",\"text\":\"caf\xC3\x28 " + paragraph(2, 40) + "\"}\n";  // line 7: repaired
  jsonl += jsonl_line("ok1", paragraph(3, 50));                  // line 8: duplicate id
  jsonl += "[1,2,3]\n";                                          // line 9: not an object
  jsonl += "{\"id\":\"nul\",\"text\":\"a\\u0000b " + paragraph(4, 30) + "\"}\n";  // line 10: NUL repaired
  write_file(t / "in/a.jsonl", jsonl);
  // A truncated zstd archive: the first record survives, the tail is rejected.
  // Two zstd frames; the second is cut short.
  write_zstd(t / "z1.zst", jsonl_line("z1", paragraph(5, 60)));
  write_zstd(t / "z2.zst", jsonl_line("z2", paragraph(6, 60)));
  std::string z2 = read_file(t / "z2.zst");
  write_file(t / "in/b.jsonl.zst", read_file(t / "z1.zst") + z2.substr(0, z2.size() - 12));
  // A text file with invalid UTF-8 and a NUL byte: repaired, kept.
  write_file(t / "in/doc.txt", std::string("hello \xFF world ") + std::string(1, '\0') + paragraph(7, 40));

  auto r = run_doppel("dedup " + q(t / "in") + " -o " + q(t / "out"));
  ASSERT_EQ(r.exit_code, 1) << r.err;  // finished, with rejected records
  auto clusters = index_rows(read_jsonl_rows(t / "out/clusters.jsonl"), "id");
  auto rejected = read_jsonl_rows(t / "out/rejected.jsonl");
  for (const char* id : {"ok1", "bad-utf8", "nul", "z1", "doc"}) EXPECT_EQ(clusters.count(id), 1u) << id;
  EXPECT_EQ(clusters.size(), 5u);

  std::map<std::string, std::string> reason_by_line;
  for (const auto& row : rejected) {
    EXPECT_FALSE(row.at("reason").empty());
    EXPECT_NE(row.at("file").find(".jsonl"), std::string::npos);
    reason_by_line[fs::path(row.at("file")).filename().string() + ":" + row.at("line")] = row.at("reason");
  }
  // 2 malformed, 3 missing text, 4 non-string, 5 empty, 6 whitespace, 8 duplicate id, 9 not object,
  // plus the truncated archive: 8 entries.
  EXPECT_EQ(rejected.size(), 8u);
  auto reason = [&](const std::string& key) {
    auto it = reason_by_line.find(key);
    return it == reason_by_line.end() ? std::string("<none>") : it->second;
  };
  EXPECT_NE(reason("a.jsonl:2").find("malformed JSON"), std::string::npos) << reason("a.jsonl:2");
  EXPECT_NE(reason("a.jsonl:3").find("missing text field"), std::string::npos);
  EXPECT_NE(reason("a.jsonl:4").find("expected a string"), std::string::npos);
  EXPECT_NE(reason("a.jsonl:5").find("empty"), std::string::npos);
  EXPECT_NE(reason("a.jsonl:6").find("empty"), std::string::npos);
  EXPECT_NE(reason("a.jsonl:8").find("duplicate id \"ok1\""), std::string::npos);
  EXPECT_NE(reason("a.jsonl:9").find("JSON object"), std::string::npos);
  bool truncated = false;
  for (const auto& row : rejected) truncated |= row.at("reason").find("truncated") != std::string::npos;
  EXPECT_TRUE(truncated);

  auto summary = parse_json_row(read_file(t / "out/summary.json"));
  EXPECT_EQ(summary.at("rejected"), "8");
  EXPECT_EQ(summary.at("documents"), "5");
  EXPECT_EQ(summary.at("repaired"), "4");  // bad-utf8, nul, doc.txt (utf8 + NUL)
  EXPECT_NE(r.err.find("a.jsonl:2"), std::string::npos) << r.err;  // messages name file and line

  // --strict stops at the first problem, with exit code 2 and no outputs.
  auto s = run_doppel("dedup " + q(t / "in") + " -o " + q(t / "strict") + " --strict -q");
  EXPECT_EQ(s.exit_code, 2);
  EXPECT_NE(s.err.find("a.jsonl:2"), std::string::npos) << s.err;
  EXPECT_FALSE(fs::exists(t / "strict/clusters.jsonl"));
}

TEST(DedupCli, KeptRecordsAreOriginalBytesAndCompressed) {
  TempDir t;
  std::string text = paragraph(11, 120);
  // Same text with an extra field and odd spacing: an exact duplicate after normalisation.
  std::string in = "{\"id\":\"a\",\"text\":\"" + text + "\",\"extra\":1}\n" +
                   "{ \"text\" : \"" + text + "  \", \"id\" : \"b\" }\n" + jsonl_line("c", paragraph(12, 90));
  write_file(t / "in.jsonl", in);
  auto r = run_doppel("dedup " + q(t / "in.jsonl") + " -o " + q(t / "out") + " --keep first -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto kept = read_lines(t / "out/kept.jsonl");
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0] + "\n", in.substr(0, in.find('\n') + 1));
  auto rows = index_rows(read_jsonl_rows(t / "out/clusters.jsonl"), "id");
  EXPECT_EQ(rows.at("b").at("match"), "exact");
  EXPECT_EQ(rows.at("b").at("matched_with"), "a");

  auto z = run_doppel("dedup " + q(t / "in.jsonl") + " -o " + q(t / "outz") + " --keep first --compress zst -q");
  ASSERT_EQ(z.exit_code, 0) << z.err;
  std::string compressed = read_file(t / "outz/kept.jsonl.zst");
  unsigned long long size = ZSTD_getFrameContentSize(compressed.data(), compressed.size());
  std::string plain = read_file(t / "out/kept.jsonl");
  std::string decompressed(plain.size() + 16, '\0');
  size_t n = ZSTD_decompress(decompressed.data(), decompressed.size(), compressed.data(), compressed.size());
  ASSERT_FALSE(ZSTD_isError(n));
  decompressed.resize(n);
  EXPECT_EQ(decompressed, plain);
  (void)size;
}

// Kept records of an uncompressed JSONL file are read by byte ranges (one per
// run of consecutive kept lines); kept.jsonl must hold exactly what streaming
// the records would give: each kept record's line without its "\r", one "\n"
// after each, whatever the input's BOM, CRLF, blank and malformed lines,
// duplicates between kept runs, a 2 MB run and a last line without a line break.
// The same input gzip-compressed is streamed, and must give the same bytes.
TEST(DedupCli, KeptByRangeEqualsStreamedOnOddLines) {
  TempDir t;
  const std::vector<std::string> lines = {
      jsonl_line("a", paragraph(21, 80)), jsonl_line("b", paragraph(22, 80)),
      jsonl_line("dup-of-a", paragraph(21, 80)), jsonl_line("c", paragraph(23, 80)),
      "{not json", jsonl_line("d", paragraph(24, 80)), jsonl_line("e", paragraph(25, 80)),
      jsonl_line("dup-of-e", paragraph(25, 80)), jsonl_line("f", paragraph(26, 80))};
  auto line_of = [](std::string l) { return l.substr(0, l.find_last_not_of('\n') + 1); };
  std::string long_run;  // distinct documents, about 2 MB in a row
  for (int i = 0; i < 2500; ++i) long_run += jsonl_line("run" + std::to_string(i), paragraph(1000 + i, 120));
  std::string in = "\xEF\xBB\xBF" + long_run;
  in += line_of(lines[0]) + "\r\n" + line_of(lines[1]) + "\n\n" + line_of(lines[2]) + "\n" + line_of(lines[3]) +
        "\r\n" + lines[4] + "\n" + line_of(lines[5]) + "\n" + line_of(lines[6]) + "\n" + line_of(lines[7]) + "\n" +
        line_of(lines[8]);  // no final line break
  write_file(t / "in.jsonl", in);
  auto r = run_doppel("dedup " + q(t / "in.jsonl") + " -o " + q(t / "out") + " --keep first -q");
  ASSERT_EQ(r.exit_code, 1) << r.err;  // the malformed line is rejected
  std::string expected = long_run;
  for (size_t i : {0, 1, 3, 5, 6, 8}) expected += line_of(lines[i]) + "\n";
  const std::string plain = read_file(t / "out/kept.jsonl");
  EXPECT_EQ(plain, expected);

  write_gzip(t / "in.jsonl.gz", in);
  auto z = run_doppel("dedup " + q(t / "in.jsonl.gz") + " -o " + q(t / "outz") + " --keep first -q");
  ASSERT_EQ(z.exit_code, 1) << z.err;
  EXPECT_EQ(read_file(t / "outz/kept.jsonl"), plain);
}

TEST(DedupCli, StdinIsReadAsJsonl) {
  TempDir t;
  std::string text = paragraph(21, 100);
  write_file(t / "in.jsonl", jsonl_line("x", text) + jsonl_line("y", text) + jsonl_line("z", paragraph(22, 70)));
  auto r = run_command("cat " + q(t / "in.jsonl") + " | " + shell_quote(DOPPEL_CLI_PATH) + " dedup - -o " +
                       q(t / "out") + " -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rows = index_rows(read_jsonl_rows(t / "out/clusters.jsonl"), "id");
  EXPECT_EQ(rows.at("y").at("match"), "exact");
  EXPECT_EQ(read_lines(t / "out/kept.jsonl").size(), 2u);
  for (const auto& e : fs::directory_iterator(t / "out")) {
    EXPECT_EQ(e.path().filename().string().rfind(".doppel-stdin", 0), std::string::npos) << "spool left behind";
  }
}

TEST(DedupCli, KeepEarliestByField) {
  TempDir t;
  std::string text = paragraph(31, 100);
  std::string in = "{\"id\":\"late\",\"date\":\"2024-05-02\",\"text\":\"" + text + "\"}\n" +
                   "{\"id\":\"early\",\"date\":\"2023-01-09\",\"text\":\"" + text + " extra words here\"}\n" +
                   "{\"id\":\"nodate\",\"text\":\"" + text + "\"}\n";
  write_file(t / "in.jsonl", in);
  auto r = run_doppel("dedup " + q(t / "in.jsonl") + " -o " + q(t / "out") + " --keep earliest:date -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rows = index_rows(read_jsonl_rows(t / "out/clusters.jsonl"), "id");
  EXPECT_EQ(rows.at("late").at("representative"), "early");
  EXPECT_EQ(rows.at("nodate").at("representative"), "early");
  EXPECT_EQ(rows.at("early").at("duplicate"), "false");

  auto longest = run_doppel("dedup " + q(t / "in.jsonl") + " -o " + q(t / "out2") + " -q");
  auto rows2 = index_rows(read_jsonl_rows(t / "out2/clusters.jsonl"), "id");
  EXPECT_EQ(rows2.at("late").at("representative"), "early");  // longest text
}

TEST(DedupCli, ShortDocumentsDoNotCollide) {
  TempDir t;
  std::string in;
  const char* shorts[] = {"Breaking news", "Weather today", "Sports results", "Markets close higher", "Hi"};
  for (int i = 0; i < 5; ++i) in += jsonl_line("s" + std::to_string(i), shorts[i]);
  in += jsonl_line("s-copy", "breaking   NEWS");
  write_file(t / "in.jsonl", in);
  auto r = run_doppel("dedup " + q(t / "in.jsonl") + " -o " + q(t / "out") + " -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rows = index_rows(read_jsonl_rows(t / "out/clusters.jsonl"), "id");
  std::set<std::string> clusters;
  for (const auto& [id, row] : rows) clusters.insert(row.at("cluster"));
  EXPECT_EQ(clusters.size(), 5u);
  // The copy differs only in case and spacing: an exact duplicate of s0.
  EXPECT_EQ(rows.at("s-copy").at("cluster"), rows.at("s0").at("cluster"));
  const auto& dup = rows.at("s-copy").at("duplicate") == "true" ? rows.at("s-copy") : rows.at("s0");
  EXPECT_EQ(dup.at("match"), "exact");
}

TEST(DedupCli, ExplainPrintsAlignedPassages) {
  TempDir t;
  std::string body = paragraph(41, 150);
  std::string copy = "Site header — menu. " + body.substr(0, body.size() / 2) + " Share this post.";
  write_file(t / "d/orig.txt", body);
  write_file(t / "d/copy.txt", copy);
  auto r = run_doppel("explain copy orig " + q(t / "d"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("contained"), std::string::npos) << r.out;
  auto j = run_doppel("explain copy orig " + q(t / "d") + " --json");
  ASSERT_EQ(j.exit_code, 0) << j.err;
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(j.out);
  simdjson::dom::array passages = doc["passages"];
  ASSERT_GE(passages.size(), 1u);
  uint64_t a_begin = passages.at(0)["a"]["byte_begin"];
  uint64_t a_end = passages.at(0)["a"]["byte_end"];
  std::string_view a_text = passages.at(0)["a"]["text"];
  EXPECT_EQ(copy.substr(a_begin, a_end - a_begin), a_text);
  uint64_t b_begin = passages.at(0)["b"]["byte_begin"];
  EXPECT_EQ(b_begin, 0u);  // the copy starts at the beginning of the original
  EXPECT_EQ(run_doppel("explain copy nosuchdoc " + q(t / "d")).exit_code, 2);
}

}  // namespace
}  // namespace doppel::testing

namespace doppel::testing {
namespace {

// The bundled example corpus: what examples/README.md promises a user will see.
TEST(ExampleCorpus, FindsWhatTheReadmePromises) {
  TempDir t;
  auto r = run_doppel("dedup " + shell_quote(repo_path("examples/news")) + " -o " + shell_quote((t / "out").string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rows = index_rows(read_jsonl_rows(t / "out/clusters.jsonl"), "id");
  ASSERT_EQ(rows.size(), 10u);
  auto same = [&](const char* x, const char* y) { return rows.at(x).at("cluster") == rows.at(y).at("cluster"); };
  EXPECT_TRUE(same("copy-library-mirror", "wire-library"));
  EXPECT_TRUE(same("reprint-orchestra-valleytimes", "wire-orchestra"));
  EXPECT_TRUE(same("wire-bridge", "reprint-bridge-dailyherald"));
  EXPECT_TRUE(same("wire-bridge", "reprint-bridge-coastpost"));
  EXPECT_FALSE(same("wire-bridge", "rewrite-bridge-community"));
  EXPECT_FALSE(same("brief-weather", "brief-market"));
  std::map<std::string, std::string> kind;
  for (const auto& p : read_jsonl_rows(t / "out/pairs.jsonl")) kind[p.at("a") + "|" + p.at("b")] = p.at("kind");
  EXPECT_EQ(kind["copy-library-mirror|wire-library"], "exact");
  EXPECT_EQ(kind["reprint-orchestra-valleytimes|wire-orchestra"], "near");
  EXPECT_EQ(kind["reprint-bridge-coastpost|wire-bridge"], "contained");
  EXPECT_EQ(kind["reprint-bridge-dailyherald|wire-bridge"], "contained");
  for (const char* alone : {"rewrite-bridge-community", "brief-weather", "brief-market"}) {
    EXPECT_EQ(rows.at(alone).at("duplicate"), "false") << alone;
    EXPECT_EQ(rows.at(alone).at("match"), "null") << alone;
  }
  EXPECT_NE(r.err.find("10 documents"), std::string::npos) << r.err;
}

// A single 100 MB document goes through the whole pipeline, and an unreadable input
// file is reported without stopping the run.
TEST(DedupCli, HugeDocumentAndUnreadableInput) {
  TempDir t;
  std::string text;
  text.reserve(100u << 20);
  uint64_t x = 88172645463325252ULL;
  while (text.size() < (100u << 20)) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    text += "w" + std::to_string(x % 100000) + (x % 13 == 0 ? ". " : " ");
  }
  write_file(t / "in/huge.jsonl", "{\"id\":\"huge\",\"text\":\"" + text + "\"}\n" +
                                      "{\"id\":\"part\",\"text\":\"" + text.substr(1000, 200000) + "\"}\n");
  // A file that cannot be opened (tests run as root, where permissions do not stop reads).
  std::filesystem::create_symlink(t / "nowhere.jsonl", t / "in/locked.jsonl");
  auto r = run_doppel("dedup " + shell_quote((t / "in").string()) + " -o " + shell_quote((t / "out").string()) +
                      " -q");
  ASSERT_EQ(r.exit_code, 1) << r.err;
  auto rows = index_rows(read_jsonl_rows(t / "out/clusters.jsonl"), "id");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows.at("part").at("match"), "contained");
  auto rejected = read_jsonl_rows(t / "out/rejected.jsonl");
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_NE(rejected[0].at("file").find("locked.jsonl"), std::string::npos);
  EXPECT_NE(rejected[0].at("reason").find("cannot open"), std::string::npos) << rejected[0].at("reason");
}

}  // namespace
}  // namespace doppel::testing
