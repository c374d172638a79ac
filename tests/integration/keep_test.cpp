// File: keep_test.cpp
// `doppel dedup --keep`: which document of a cluster is the representative under
// max:FIELD, min:FIELD and source:FIELD=A,B,C, with missing and non-numeric values,
// ties, and malformed policies; and that kept.jsonl and summary.json follow.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "integration_support.hpp"

namespace doppel::testing {
namespace {
namespace fs = std::filesystem;

std::string q(const fs::path& p) { return shell_quote(p.string()); }

// Invented words in a seeded order: each seed gives a different text of many shingles.
std::string words(uint64_t seed, int count) {
  static const char* kWords[] = {"amber",  "basalt", "cinder", "delta",  "ember",  "fjord",  "glacier",
                                 "heron",  "island", "juniper", "kelp",  "lagoon", "marsh",  "nectar",
                                 "osprey", "prairie", "quartz", "reef",  "sable",  "tundra", "umber",
                                 "valley", "willow", "yarrow", "zephyr", "aspen", "birch",  "cedar"};
  std::string s;
  uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 7;
  for (int i = 0; i < count; ++i) {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    if (i) s += ' ';
    s += kWords[(x * 0x2545f4914f6cdd1dULL >> 40) % (sizeof kWords / sizeof kWords[0])];
  }
  return s;
}

// One JSONL record: `extra` is raw JSON members (",\"score\":3") placed after the id.
std::string record(const std::string& id, const std::string& extra, const std::string& text) {
  return "{\"id\":\"" + id + "\"" + extra + ",\"text\":\"" + text + "\"}\n";
}

struct KeepRun {
  int exit_code = -1;
  std::string err;
  std::map<std::string, JsonRow> rows;  // clusters.jsonl by id
  std::vector<std::string> kept_ids;
  JsonRow summary;
};

KeepRun dedup(const TempDir& t, const std::string& name, const std::string& jsonl, const std::string& keep) {
  fs::path in = t / (name + ".jsonl");
  write_file(in, jsonl);
  fs::path out = t / name;
  KeepRun r;
  auto c = run_doppel("dedup " + q(in) + " -o " + q(out) + " --keep " + shell_quote(keep) + " -q");
  r.exit_code = c.exit_code;
  r.err = c.err;
  if (c.exit_code != 0) return r;
  r.rows = index_rows(read_jsonl_rows(out / "clusters.jsonl"), "id");
  for (const auto& row : read_jsonl_rows(out / "kept.jsonl")) r.kept_ids.push_back(row.at("id"));
  r.summary = parse_json_row(read_file(out / "summary.json"));
  return r;
}

std::string representative(const KeepRun& r, const std::string& id) { return r.rows.at(id).at("representative"); }

// Cluster 1: one text with small edits at the end (near copies of each other), the
// shortest text belonging to none in particular. Cluster 2: no numeric value at all.
std::string numeric_corpus() {
  const std::string base = words(1, 150);
  const std::string other = words(2, 150);
  std::string in;
  in += record("c1-three", ",\"score\":3", base + " alpha");
  in += record("c1-nine", ",\"score\":9", base + " beta gamma");            // 9 < 10.5 though "9" > "10.5"
  in += record("c1-ten-half", ",\"score\":10.5", base);                    // shortest text
  in += record("c1-string", ",\"score\":\"99\"", base + " delta epsilon");  // a string, not a number
  in += record("c1-missing", "", base + " zeta eta theta");                 // longest text
  in += record("c1-bool", ",\"score\":true", base + " iota");
  in += record("c1-null", ",\"score\":null", base + " kappa");
  in += record("c1-tie", ",\"score\":1.05e1", base + " lambda");           // the same number as 10.5
  in += record("c1-negative", ",\"score\":-2e0", base + " mu");
  in += record("c2-b", ",\"score\":\"high\"", other + " one");
  in += record("c2-a", "", other);  // shortest: only the id makes it win
  in += record("c2-c", ",\"score\":[1]", other + " two two");
  return in;
}

TEST(Keep, MaxFieldTakesTheLargestNumber) {
  TempDir t;
  KeepRun r = dedup(t, "max", numeric_corpus(), "max:score");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // 10.5 and 1.05e1 tie: the smaller id wins ("c1-ten-half" < "c1-tie").
  for (const char* id : {"c1-three", "c1-nine", "c1-ten-half", "c1-string", "c1-missing", "c1-bool", "c1-null",
                         "c1-tie", "c1-negative"}) {
    EXPECT_EQ(representative(r, id), "c1-ten-half") << id;
  }
  EXPECT_EQ(r.rows.at("c1-ten-half").at("duplicate"), "false");
  // Nothing numeric: every value loses equally, so the smaller id wins (not the longest).
  for (const char* id : {"c2-a", "c2-b", "c2-c"}) EXPECT_EQ(representative(r, id), "c2-a") << id;
  EXPECT_EQ(r.kept_ids, (std::vector<std::string>{"c1-ten-half", "c2-a"}));
  EXPECT_NE(r.summary.at("parameters").find("\"keep\":\"max:score\""), std::string::npos)
      << r.summary.at("parameters");
}

TEST(Keep, MinFieldTakesTheSmallestNumber) {
  TempDir t;
  KeepRun r = dedup(t, "min", numeric_corpus(), "min:score");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(representative(r, "c1-three"), "c1-negative");  // -2 < 3 < 9 < 10.5; strings and missing lose
  EXPECT_EQ(representative(r, "c1-missing"), "c1-negative");
  EXPECT_EQ(representative(r, "c2-b"), "c2-a");
  EXPECT_NE(r.summary.at("parameters").find("\"keep\":\"min:score\""), std::string::npos);
}

TEST(Keep, MinFieldTiesGoToTheSmallerId) {
  TempDir t;
  const std::string text = words(3, 120);
  std::string in = record("z-late", ",\"rank\":1", text) + record("a-early", ",\"rank\":1.0", text + " more") +
                   record("m-mid", ",\"rank\":2", text + " more words");
  KeepRun r = dedup(t, "mintie", in, "min:rank");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(representative(r, "z-late"), "a-early");
  EXPECT_EQ(representative(r, "m-mid"), "a-early");
}

// source:FIELD=A,B,C. Cluster 1: one document per rank plus unlisted and missing
// values. Cluster 2: two documents of the best listed source (the longer wins).
// Cluster 3: two of them with equal length (the smaller id wins). Cluster 4: no
// listed value (longest, then id). Cluster 5: a numeric field matched by its spelling.
std::string source_corpus() {
  const std::string t1 = words(11, 140), t2 = words(12, 140), t3 = words(13, 140), t4 = words(14, 140),
                    t5 = words(15, 140);
  std::string in;
  in += record("s1-blog", ",\"src\":\"blog\"", t1 + " the longest text of this cluster by far");
  in += record("s1-paper", ",\"src\":\"paper\"", t1 + " a b");
  in += record("s1-wire", ",\"src\":\"wire\"", t1);
  in += record("s1-none", "", t1 + " c d e f");
  in += record("s1-case", ",\"src\":\"Wire\"", t1 + " g");  // values match byte for byte
  in += record("s2-short", ",\"src\":\"agency\"", t2);
  in += record("s2-long", ",\"src\":\"agency\"", t2 + " with a longer ending");
  in += record("s2-wire", ",\"src\":\"wire\"", t2 + " with the longest ending of all here");
  in += record("s3-b", ",\"src\":\"agency\"", t3);
  in += record("s3-a", ",\"src\":\"agency\"", t3 + "  ");  // same normalised text and length
  in += record("s4-x", ",\"src\":\"forum\"", t4 + " and more");
  in += record("s4-y", ",\"src\":\"forum\"", t4);
  in += record("s5-two", ",\"src\":2", t5 + " longer ending");
  in += record("s5-one", ",\"src\":1", t5);
  return in;
}

TEST(Keep, SourcePriorityList) {
  TempDir t;
  KeepRun r = dedup(t, "source", source_corpus(), "source:src=agency,wire,paper,1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* id : {"s1-blog", "s1-paper", "s1-wire", "s1-none", "s1-case"}) {
    EXPECT_EQ(representative(r, id), "s1-wire") << id;
  }
  for (const char* id : {"s2-short", "s2-long", "s2-wire"}) EXPECT_EQ(representative(r, id), "s2-long") << id;
  EXPECT_EQ(representative(r, "s3-b"), "s3-a");
  EXPECT_EQ(representative(r, "s4-y"), "s4-x");  // unlisted alike: longest
  EXPECT_EQ(representative(r, "s5-two"), "s5-one");  // the number 1 is listed, 2 is not
  EXPECT_NE(r.summary.at("parameters").find("\"keep\":\"source:src=agency,wire,paper,1\""), std::string::npos)
      << r.summary.at("parameters");

  // The list order decides: with paper first, paper wins cluster 1.
  KeepRun p = dedup(t, "source2", source_corpus(), "source:src=paper,wire");
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_EQ(representative(p, "s1-wire"), "s1-paper");
  EXPECT_EQ(representative(p, "s2-long"), "s2-wire");  // agency is no longer listed
}

TEST(Keep, MalformedPoliciesAreErrorsThatSayWhy) {
  TempDir t;
  const std::string in = record("a", ",\"score\":1", words(21, 60)) + record("b", ",\"score\":2", words(21, 60));
  struct Case {
    const char* keep;
    const char* says;
  };
  for (const Case& c : {Case{"max:", "--keep must be"}, Case{"min:", "--keep must be"},
                        Case{"source:src", "FIELD=A,B"}, Case{"source:=a,b", "FIELD=A,B"},
                        Case{"source:src=", "empty value"}, Case{"source:src=a,,b", "empty value"},
                        Case{"largest:score", "--keep must be"}}) {
    KeepRun r = dedup(t, "bad", in, c.keep);
    EXPECT_EQ(r.exit_code, 2) << c.keep;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << c.keep << ": " << r.err;
  }
}

}  // namespace
}  // namespace doppel::testing
