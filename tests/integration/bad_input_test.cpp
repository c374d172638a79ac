// File: bad_input_test.cpp
//
// Bad-input classes of docs/reliability.md that the io and CLI tests do not
// already cover: pathological JSON, pipes and devices, decompression bombs,
// binary garbage, odd ids and fields, and inputs with nothing in them. Each
// run is bounded by `timeout` so that a regression to a hang fails the test
// instead of stalling the suite.
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <zstd.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "integration_support.hpp"

extern char** environ;

namespace doppel::testing {
namespace {
namespace fs = std::filesystem;

std::string q(const fs::path& p) { return shell_quote(p.string()); }

CommandResult dedup(const std::string& args) {
  return run_command("timeout 120 " + shell_quote(DOPPEL_CLI_PATH) + " dedup " + args);
}

std::string words(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += (i ? " w" : "w") + std::to_string(i * 7919 % 1009);
  return s;
}

// Regression: the JSON walk recursed once per nesting level, so a line of a few
// megabytes of '[' overflowed the stack and killed the process (SIGSEGV).
TEST(BadInput, DeeplyNestedJsonIsRejectedNotACrash) {
  TempDir t;
  const size_t deep = 2'000'000;
  std::string in = "{\"id\":\"ok-nested\",\"text\":\"" + words(20) + "\",\"m\":" + std::string(1000, '[') +
                   std::string(1000, ']') + "}\n";
  in += "{\"id\":\"bomb\",\"text\":\"x\",\"m\":" + std::string(deep, '[') + std::string(deep, ']') + "}\n";
  in += "{\"id\":\"after\",\"text\":\"" + words(30) + "\"}\n";
  write_file(t / "in.jsonl", in);
  auto r = dedup(q(t / "in.jsonl") + " -o " + q(t / "out") + " -q");
  ASSERT_EQ(r.exit_code, 1) << r.err;
  auto rows = index_rows(read_jsonl_rows(t / "out/clusters.jsonl"), "id");
  EXPECT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows.count("ok-nested"), 1u);
  EXPECT_EQ(rows.count("after"), 1u);
  auto rejected = read_jsonl_rows(t / "out/rejected.jsonl");
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].at("line"), "2");
  EXPECT_NE(rejected[0].at("reason").find("too deep"), std::string::npos) << rejected[0].at("reason");
}

// Regression: a named pipe given as input was read once, then reopened for the
// kept.jsonl pass, which waits for a new writer forever. It is now refused up
// front, pointing at stdin, which is spooled and works.
TEST(BadInput, NamedPipeInputIsRefusedUpFront) {
  TempDir t;
  ASSERT_EQ(::mkfifo((t / "pipe.jsonl").c_str(), 0600), 0);
  auto r = dedup(q(t / "pipe.jsonl") + " -o " + q(t / "out") + " -q");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find((t / "pipe.jsonl").string() + " is not a regular file"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(t / "out/clusters.jsonl"));
  auto dev = dedup("/dev/null -o " + q(t / "out2") + " -q");
  EXPECT_EQ(dev.exit_code, 2) << dev.err;
}

// Pipes and devices inside an input directory, met directly or through a link
// with an input's name, are skipped and counted, never opened (a FIFO would block).
TEST(BadInput, PipesAndDevicesInADirectoryAreSkipped) {
  TempDir t;
  write_file(t / "in/a.jsonl", "{\"id\":\"a\",\"text\":\"" + words(40) + "\"}\n");
  ASSERT_EQ(::mkfifo((t / "in/b.jsonl").c_str(), 0600), 0);
  fs::create_symlink(t / "in/b.jsonl", t / "in/c.jsonl");
  fs::create_symlink("/dev/zero", t / "in/d.jsonl");
  auto r = dedup(q(t / "in") + " -o " + q(t / "out") + " -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto summary = parse_json_row(read_file(t / "out/summary.json"));
  EXPECT_EQ(summary.at("documents"), "1");
  EXPECT_EQ(summary.at("skipped_files"), "3");
}

// A small archive that expands to a huge line: the line is counted and dropped
// as it streams past (--max-doc-bytes), never held, and the next record is read.
TEST(BadInput, DecompressionBombIsRejectedWithBoundedMemory) {
  TempDir t;
  const size_t bomb = size_t{256} << 20;
  {
    ZSTD_CCtx* cctx = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 1);
    std::string compressed;
    std::string out(ZSTD_CStreamOutSize(), '\0');
    auto feed = [&](const std::string& chunk, ZSTD_EndDirective mode) {
      ZSTD_inBuffer in{chunk.data(), chunk.size(), 0};
      size_t remaining;
      do {
        ZSTD_outBuffer ob{out.data(), out.size(), 0};
        remaining = ZSTD_compressStream2(cctx, &ob, &in, mode);
        ASSERT_FALSE(ZSTD_isError(remaining));
        compressed.append(out.data(), ob.pos);
      } while (mode == ZSTD_e_end ? remaining != 0 : in.pos < in.size);
    };
    feed("{\"id\":\"bomb\",\"text\":\"", ZSTD_e_continue);
    const std::string block(1 << 20, 'a');
    for (size_t done = 0; done < bomb; done += block.size()) feed(block, ZSTD_e_continue);
    feed("\"}\n{\"id\":\"after\",\"text\":\"" + words(30) + "\"}\n", ZSTD_e_end);
    ZSTD_freeCCtx(cctx);
    ASSERT_LT(compressed.size(), bomb / 1000);
    write_file(t / "bomb.jsonl.zst", compressed);
  }
  // Spawned directly so that wait4() gives this child's own peak memory.
  std::vector<std::string> args = {DOPPEL_CLI_PATH, "dedup", (t / "bomb.jsonl.zst").string(), "-o",
                                   (t / "out").string(), "-q", "--max-doc-bytes", "1000000"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  ASSERT_EQ(posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ), 0);
  int status = 0;
  struct rusage usage {};
  ASSERT_EQ(::wait4(pid, &status, 0, &usage), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  auto rows = index_rows(read_jsonl_rows(t / "out/clusters.jsonl"), "id");
  EXPECT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows.count("after"), 1u);
  auto rejected = read_jsonl_rows(t / "out/rejected.jsonl");
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_NE(rejected[0].at("reason").find("document too large"), std::string::npos) << rejected[0].at("reason");
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // Sanitizer runtimes add shadow memory and quarantines; the bound is for real builds.
#else
  EXPECT_LT(usage.ru_maxrss, 128 * 1024) << "peak memory " << usage.ru_maxrss << " KiB for a " << (bomb >> 20)
                                         << " MiB line";
#endif
}

// Random bytes named .jsonl: every non-blank line is one rejection, none is a
// document, and nothing crashes.
TEST(BadInput, BinaryGarbageIsRejectedLineByLine) {
  TempDir t;
  std::mt19937_64 rng(99);
  std::string garbage;
  for (int i = 0; i < 1 << 16; ++i) garbage.push_back(static_cast<char>(rng() % 7 == 0 ? '\n' : rng() & 0xFF));
  write_file(t / "junk.jsonl", garbage);
  uint64_t lines = 0;
  size_t start = 0;
  while (start < garbage.size()) {
    size_t end = garbage.find('\n', start);
    if (end == std::string::npos) end = garbage.size();
    const std::string line = garbage.substr(start, end - start);
    lines += line.find_first_not_of(" \t\r") != std::string::npos;
    start = end + 1;
  }
  auto r = dedup(q(t / "junk.jsonl") + " -o " + q(t / "out") + " -q");
  ASSERT_EQ(r.exit_code, 1) << r.err;
  auto summary = parse_json_row(read_file(t / "out/summary.json"));
  EXPECT_EQ(summary.at("documents"), "0");
  EXPECT_EQ(summary.at("rejected"), std::to_string(lines));
  EXPECT_EQ(read_jsonl_rows(t / "out/rejected.jsonl").size(), lines);
}

// ids and fields of unusual shape: an id must be a string or a number; a null id
// counts as none (FILE:LINE); a repeated key keeps its first value; a lone
// surrogate escape and a number beyond double range are malformed JSON.
TEST(BadInput, OddIdsAndFields) {
  TempDir t;
  const std::string text = words(60);
  std::string in;
  in += "{\"id\":{\"a\":1},\"text\":\"" + text + " one\"}\n";                  // 1: object id
  in += "{\"id\":true,\"text\":\"" + text + " two\"}\n";                       // 2: boolean id
  in += "{\"id\":null,\"text\":\"" + words(45) + "\"}\n";                      // 3: null id
  in += "{\"id\":\"first\",\"text\":\"" + text + "\",\"text\":\"other\"}\n";   // 4: repeated key
  in += "{\"id\":\"same\",\"text\":\"" + text + "\"}\n";                       // 5: exact copy of 4's first
  in += "{\"id\":\"surrogate\",\"text\":\"lone \\ud800 half\"}\n";             // 6
  in += "{\"id\":1e400,\"text\":\"" + words(20) + "\"}\n";                     // 7
  write_file(t / "in.jsonl", in);
  auto r = dedup(q(t / "in.jsonl") + " -o " + q(t / "out") + " -q");
  ASSERT_EQ(r.exit_code, 1) << r.err;
  std::map<std::string, std::string> reason;
  for (const auto& row : read_jsonl_rows(t / "out/rejected.jsonl")) reason[row.at("line")] = row.at("reason");
  EXPECT_EQ(reason.size(), 4u);
  EXPECT_NE(reason["1"].find("must be a string or number"), std::string::npos) << reason["1"];
  EXPECT_NE(reason["2"].find("must be a string or number"), std::string::npos) << reason["2"];
  EXPECT_NE(reason["6"].find("malformed JSON"), std::string::npos) << reason["6"];
  EXPECT_NE(reason["7"].find("malformed JSON"), std::string::npos) << reason["7"];
  auto rows = index_rows(read_jsonl_rows(t / "out/clusters.jsonl"), "id");
  EXPECT_EQ(rows.count((t / "in.jsonl").string() + ":3"), 1u);
  ASSERT_EQ(rows.count("same"), 1u);
  EXPECT_EQ(rows.at("same").at("cluster"), rows.at("first").at("cluster"));
  const auto& dup = rows.at("same").at("duplicate") == "true" ? rows.at("same") : rows.at("first");
  EXPECT_EQ(dup.at("match"), "exact");
}

// Regression (found by fuzz_jsonl): the size limit was checked before NUL
// characters were replaced by the 3-byte U+FFFD, so a JSONL text at the limit
// with a \u0000 was accepted 2 bytes over it. .txt documents were already right.
TEST(BadInput, MaxDocBytesHoldsAfterNulReplacement) {
  TempDir t;
  const std::string text = std::string(20, 'a') + "\\u0000" + std::string(19, 'b');  // 40 bytes unescaped
  write_file(t / "in.jsonl", "{\"id\":\"n\",\"text\":\"" + text + "\"}\n");
  auto over = dedup(q(t / "in.jsonl") + " -o " + q(t / "over") + " -q --max-doc-bytes 41");
  EXPECT_EQ(over.exit_code, 1) << over.err;
  auto rejected = read_jsonl_rows(t / "over/rejected.jsonl");
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_NE(rejected[0].at("reason").find("document too large"), std::string::npos) << rejected[0].at("reason");
  auto fits = dedup(q(t / "in.jsonl") + " -o " + q(t / "fits") + " -q --max-doc-bytes 42");
  EXPECT_EQ(fits.exit_code, 0) << fits.err;
}

// Nothing to read is not an error: empty files, blank lines, an empty directory
// give exit code 0, every output file, and zero documents.
TEST(BadInput, EmptyInputsGiveEmptyOutputs) {
  TempDir t;
  write_file(t / "empty.jsonl", "");
  write_file(t / "blank.jsonl", "\n  \n\t\r\n\n");
  fs::create_directories(t / "nothing");
  for (const fs::path& input : {t / "empty.jsonl", t / "blank.jsonl", t / "nothing"}) {
    const fs::path out = t / ("out-" + input.filename().string());
    auto r = dedup(q(input) + " -o " + q(out) + " -q");
    ASSERT_EQ(r.exit_code, 0) << input << ": " << r.err;
    for (const char* f : {"clusters.jsonl", "pairs.jsonl", "kept.jsonl", "rejected.jsonl"}) {
      ASSERT_TRUE(fs::exists(out / f)) << f;
      EXPECT_EQ(fs::file_size(out / f), 0u) << f;
    }
    auto summary = parse_json_row(read_file(out / "summary.json"));
    EXPECT_EQ(summary.at("documents_read"), "0");
  }
}

}  // namespace
}  // namespace doppel::testing
