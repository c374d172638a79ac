// File: fault_test.cpp
//
// Fault injection (docs/reliability.md): a full disk while the outputs are
// written, a run killed at random points and then run again, temporaries left
// by a killed run, output directories that cannot be used, and inputs that
// change or vanish between the first pass and the kept.jsonl pass.
//
// The disk-full tests use the test-only hook compiled into developer builds
// (DOPPEL_FAULT_ENOSPC_AFTER=N: OutputFile writes fail with ENOSPC after N
// bytes in all), because glibc's own calls inside fwrite cannot be intercepted.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "doppel/dedup.hpp"
#include "integration_support.hpp"
#include "report/output_file.hpp"

extern char** environ;

namespace doppel::testing {
namespace {
namespace fs = std::filesystem;

std::string q(const fs::path& p) { return shell_quote(p.string()); }

std::string paragraph(uint64_t seed, int words) {
  static const char* kWords[] = {"river", "lantern", "council", "harvest", "meadow", "signal", "copper", "orchard",
                                 "bridge", "winter", "archive", "festival", "station", "garden", "engine", "harbour"};
  std::string s;
  uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;
  for (int i = 0; i < words; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    if (i) s += ' ';
    s += kWords[x % 16];
  }
  return s;
}

// A corpus whose every output is non-empty: copies, a rejected line, a repair.
std::string small_corpus(uint64_t seed) {
  std::string in;
  const std::string base = paragraph(seed, 120);
  in += "{\"id\":\"a\",\"text\":\"" + base + "\"}\n";
  in += "{\"id\":\"b\",\"text\":\"" + base + "  \"}\n";
  in += "{\"id\":\"c\",\"text\":\"" + base.substr(0, base.size() / 2) + "\"}\n";
  in += "{\"id\":\"d\",\"text\":\"" + paragraph(seed + 1, 90) + "\"}\n";
  in += "{\"id\":\"broken\",\"text\":\n";
  return in;
}

// Every visible file of a directory with its bytes; summary.json without its
// "runtime" object (timings and thread count, the only part allowed to vary).
std::map<std::string, std::string> outputs(const fs::path& dir) {
  std::map<std::string, std::string> files;
  if (!fs::is_directory(dir)) return files;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name[0] == '.' || !e.is_regular_file()) continue;
    std::string bytes = read_file(e.path());
    if (name == "summary.json") bytes = bytes.substr(0, bytes.find("\"runtime\":"));
    files[name] = bytes;
  }
  return files;
}

std::vector<std::string> hidden_files(const fs::path& dir) {
  std::vector<std::string> names;
  if (!fs::is_directory(dir)) return names;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name[0] == '.') names.push_back(name);
  }
  return names;
}

uint64_t total_bytes(const fs::path& dir) {
  uint64_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += fs::file_size(e.path());
  return n;
}

CommandResult dedup_with_disk_limit(uint64_t limit, const std::string& args) {
  return run_command("DOPPEL_FAULT_ENOSPC_AFTER=" + std::to_string(limit) + " " + shell_quote(DOPPEL_CLI_PATH) +
                     " dedup " + args);
}

// ---- disk full -----------------------------------------------------------

// At every point of the output bytes, a full disk gives exit code 2, an error
// naming the output file and the cause, no output file at all and no temporary.
// With exactly enough room the run succeeds with the normal outputs, which shows
// the hook counts the bytes that are really written.
TEST(DiskFull, AnyPointOfTheOutputsFailsCleanly) {
  TempDir t;
  write_file(t / "in.jsonl", small_corpus(1));
  auto ref = run_doppel("dedup " + q(t / "in.jsonl") + " -o " + q(t / "ref") + " -q");
  ASSERT_EQ(ref.exit_code, 1) << ref.err;  // one rejected line
  const auto expected = outputs(t / "ref");
  const uint64_t total = total_bytes(t / "ref");
  ASSERT_GT(total, 1000u);

  // summary.json's timings vary in length by a few bytes between runs: keep clear of the end.
  std::vector<uint64_t> limits = {0, 1, total - 256};
  for (uint64_t k = 1; k < 16; ++k) limits.push_back(total * k / 16);
  for (uint64_t limit : limits) {
    const fs::path out = t / ("full-" + std::to_string(limit));
    auto r = dedup_with_disk_limit(limit, q(t / "in.jsonl") + " -o " + q(out) + " -q");
    EXPECT_EQ(r.exit_code, 2) << "limit " << limit << ": " << r.err;
    EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(out.string() + "/"), std::string::npos) << "error does not name the file: " << r.err;
    EXPECT_TRUE(outputs(out).empty()) << "limit " << limit << ": an output file was left";
    EXPECT_TRUE(hidden_files(out).empty()) << "limit " << limit << ": a temporary was left";
  }
  auto enough = dedup_with_disk_limit(total + 256, q(t / "in.jsonl") + " -o " + q(t / "enough") + " -q");
  EXPECT_EQ(enough.exit_code, 1) << enough.err;
  EXPECT_EQ(outputs(t / "enough"), expected);
}

// A failed run into a directory holding an earlier run's outputs leaves that
// complete set exactly as it was (nothing is renamed before everything is written).
TEST(DiskFull, EarlierCompleteOutputsSurviveAFailedRun) {
  TempDir t;
  write_file(t / "old.jsonl", small_corpus(1));
  write_file(t / "new.jsonl", small_corpus(2) + "{\"id\":\"e\",\"text\":\"" + paragraph(9, 300) + "\"}\n");
  auto first = run_doppel("dedup " + q(t / "old.jsonl") + " -o " + q(t / "out") + " -q");
  ASSERT_EQ(first.exit_code, 1) << first.err;
  const auto before = outputs(t / "out");
  for (const std::string compress : {"none", "zst"}) {
    const fs::path sized = t / ("sized-" + compress);
    auto full = run_doppel("dedup " + q(t / "new.jsonl") + " -o " + q(sized) + " -q --compress " + compress);
    ASSERT_EQ(full.exit_code, 1) << full.err;
    const uint64_t total = total_bytes(sized);
    for (uint64_t limit : {uint64_t{0}, total / 3, total * 2 / 3}) {
      auto r = dedup_with_disk_limit(limit, q(t / "new.jsonl") + " -o " + q(t / "out") + " -q --compress " + compress);
      EXPECT_EQ(r.exit_code, 2) << compress << " " << limit << ": " << r.err;
      EXPECT_EQ(outputs(t / "out"), before) << compress << " " << limit;
      EXPECT_TRUE(hidden_files(t / "out").empty()) << compress << " " << limit;
    }
  }
}

// ---- killed runs ---------------------------------------------------------

pid_t spawn_dedup(const std::vector<std::string>& args) {
  std::vector<std::string> argv_s = {DOPPEL_CLI_PATH, "dedup"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

// SIGKILL at random points (a fixed seed chooses the delays, spread over the
// length of a whole run), each time into the same directory. After every kill
// the directory holds either no summary.json or a complete set equal to an
// uninterrupted run's; the run after the last kill gives exactly that set and
// removes every temporary the killed runs left.
TEST(KilledRun, RerunGivesTheUninterruptedOutput) {
  TempDir t;
  auto gen = run_command(shell_quote(DOPPEL_GEN_CORPUS_PATH) + " --out " + q(t / "corpus") +
                         " --docs 3000 --seed 11");
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  const std::string in = (t / "corpus/docs.jsonl").string();
  const auto start = std::chrono::steady_clock::now();
  auto ref = run_doppel("dedup " + q(in) + " -o " + q(t / "ref") + " -q");
  const double full_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(ref.exit_code, 0) << ref.err;
  const auto expected = outputs(t / "ref");
  ASSERT_TRUE(expected.count("summary.json"));

  std::mt19937_64 rng(20251122);
  std::uniform_real_distribution<double> delay(0.0, full_seconds * 1.1);
  int killed_before_the_end = 0;
  for (int round = 0; round < 8; ++round) {
    const pid_t pid = spawn_dedup({in, "-o", (t / "out").string(), "-q", round % 2 ? "-t1" : "-t2"});
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(std::chrono::duration<double>(delay(rng)));
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    killed_before_the_end += WIFSIGNALED(status) ? 1 : 0;
    const auto now = outputs(t / "out");
    if (now.count("summary.json")) {
      EXPECT_EQ(now, expected) << "round " << round << ": summary.json vouches for an incomplete or wrong set";
    }
  }
  // The delays are random, not tuned to land anywhere; most kills do land before the end.
  EXPECT_GT(killed_before_the_end, 0);

  auto rerun = run_doppel("dedup " + q(in) + " -o " + q(t / "out") + " -q");
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
  EXPECT_EQ(outputs(t / "out"), expected);
  EXPECT_TRUE(hidden_files(t / "out").empty()) << ::testing::PrintToString(hidden_files(t / "out"));
}

// A run killed between two renames (DOPPEL_FAULT_KILL_AT_RENAME=N stops it just
// before its Nth) over an earlier run's outputs: every file present is complete
// (old or new), and summary.json, the marker of a complete set, is absent, so no
// mix of old and new files is ever vouched for. The next run gives the new set.
TEST(KilledRun, BetweenRenamesNoMixedSetHasAMarker) {
  TempDir t;
  write_file(t / "a.jsonl", small_corpus(21));
  write_file(t / "b.jsonl", small_corpus(22));
  ASSERT_EQ(run_doppel("dedup " + q(t / "a.jsonl") + " -o " + q(t / "ref-a") + " -q").exit_code, 1);
  ASSERT_EQ(run_doppel("dedup " + q(t / "b.jsonl") + " -o " + q(t / "ref-b") + " -q").exit_code, 1);
  const auto ref_a = outputs(t / "ref-a"), ref_b = outputs(t / "ref-b");
  for (const auto& [name, bytes] : ref_a) {
    if (!bytes.empty()) ASSERT_NE(bytes, ref_b.at(name)) << name << " must differ between the two runs";
  }
  const int renames = static_cast<int>(ref_b.size());
  for (int k = 1; k <= renames + 1; ++k) {
    ASSERT_EQ(run_doppel("dedup " + q(t / "a.jsonl") + " -o " + q(t / "out") + " -q").exit_code, 1);
    auto r = run_command("DOPPEL_FAULT_KILL_AT_RENAME=" + std::to_string(k) + " " + shell_quote(DOPPEL_CLI_PATH) +
                         " dedup " + q(t / "b.jsonl") + " -o " + q(t / "out") + " -q");
    const auto now = outputs(t / "out");
    if (k <= renames) {
      EXPECT_EQ(r.exit_code, 128 + SIGKILL) << "rename " << k << ": " << r.err;
      EXPECT_EQ(now.count("summary.json"), 0u) << "rename " << k << ": a marker over a mixed set";
      for (const auto& [name, bytes] : now) {
        EXPECT_TRUE(bytes == ref_a.at(name) || bytes == ref_b.at(name)) << name << " is not a complete file";
      }
    } else {
      EXPECT_EQ(r.exit_code, 1) << r.err;  // there are only `renames` renames
      EXPECT_EQ(now, ref_b);
    }
    auto rerun = run_doppel("dedup " + q(t / "b.jsonl") + " -o " + q(t / "out") + " -q");
    EXPECT_EQ(rerun.exit_code, 1) << rerun.err;
    EXPECT_EQ(outputs(t / "out"), ref_b) << "rename " << k;
    EXPECT_TRUE(hidden_files(t / "out").empty()) << "rename " << k;
  }
}

// Temporaries and scratch files whose process is gone are removed when a run
// starts; those of a live process, and names that are not doppel's, stay.
TEST(KilledRun, StaleTemporariesOfDeadProcessesAreRemoved) {
  TempDir t;
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  const std::string dead = std::to_string(child), live = std::to_string(::getpid());
  fs::create_directories(t / "out");
  const std::vector<std::string> names = {".clusters.jsonl.tmp-" + dead, ".kept.jsonl.zst.tmp-" + dead,
                                          ".doppel-stdin-" + dead + ".jsonl", ".doppel-spill-" + dead,
                                          ".pairs.jsonl.tmp-" + live, ".hidden-notes", "notes.tmp-" + dead,
                                          ".doppel-stdin-x.jsonl"};
  for (const std::string& name : names) {
    write_file(t / "out" / name, "partial");
  }
  write_file(t / "in.jsonl", small_corpus(4));
  auto r = run_doppel("dedup " + q(t / "in.jsonl") + " -o " + q(t / "out") + " -q");
  ASSERT_EQ(r.exit_code, 1) << r.err;
  std::vector<std::string> left = hidden_files(t / "out");
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{".doppel-stdin-x.jsonl", ".hidden-notes", ".pairs.jsonl.tmp-" + live}));
  EXPECT_TRUE(fs::exists(t / "out" / ("notes.tmp-" + dead)));
}

// ---- output directory problems --------------------------------------------

// Tests run as root, where permission bits do not stop writes; these cases fail
// for everyone: a path through a regular file (ENOTDIR, what a mistyped or
// unmounted path looks like), an output "directory" that is a file, and an
// output name taken by a directory.
TEST(OutputDirectory, UnusableOutputPathsFailBeforeWriting) {
  TempDir t;
  write_file(t / "in.jsonl", small_corpus(5));
  write_file(t / "file", "x");
  for (const fs::path& out : {t / "file/out", t / "file"}) {
    auto r = run_doppel("dedup " + q(t / "in.jsonl") + " -o " + q(out) + " -q");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("cannot create output directory " + out.string()), std::string::npos) << r.err;
  }
  EXPECT_EQ(read_file(t / "file"), "x");

  fs::create_directories(t / "out/pairs.jsonl");
  auto r = run_doppel("dedup " + q(t / "in.jsonl") + " -o " + q(t / "out") + " -q");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find((t / "out/pairs.jsonl").string()), std::string::npos) << r.err;
  EXPECT_TRUE(outputs(t / "out").empty()) << "nothing is renamed when one name is unusable";
  EXPECT_TRUE(hidden_files(t / "out").empty());
}

// Permission bits do stop a non-root user, and a read-only filesystem stops
// everyone; whichever of the two this machine offers is tested.
TEST(OutputDirectory, ReadOnlyDirectoryIsAClearError) {
  TempDir t;
  write_file(t / "in.jsonl", small_corpus(6));
  fs::path out;
  if (::geteuid() != 0) {
    fs::create_directories(t / "ro");
    fs::permissions(t / "ro", fs::perms::owner_read | fs::perms::owner_exec);
    out = t / "ro";
  } else if (::access("/proc/sys", F_OK) == 0 && ::mkdir("/proc/sys/doppel-probe", 0755) != 0) {
    out = "/proc/sys/doppel-out";  // procfs refuses new entries, even for root
  } else {
    GTEST_SKIP() << "no read-only place to write to";
  }
  auto r = run_doppel("dedup " + q(t / "in.jsonl") + " -o " + q(out) + " -q");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(out.string()), std::string::npos) << r.err;
}

// ---- inputs that change or vanish during the run --------------------------

// The progress callback fires with done == true between the first pass and the
// kept.jsonl pass, the window in which a producer may still be writing a file.
Result<DedupSummary> dedup_and_then(const std::vector<std::string>& inputs, const fs::path& out,
                                    const std::function<void()>& between_passes) {
  DedupOptions o;
  o.inputs = inputs;
  o.output_dir = out.string();
  o.threads = 2;
  o.on_progress = [&](const DedupOptions::Progress& p) {
    if (p.done) between_passes();
  };
  return run_dedup(o);
}

TEST(ChangingInput, AppendedRewrittenOrRemovedFilesAreReportedAndNothingIsWritten) {
  TempDir t;
  const std::string line = "{\"id\":\"late\",\"text\":\"" + paragraph(77, 40) + "\"}\n";
  struct Case {
    const char* name;
    std::function<void(const fs::path&)> change;
    const char* expect;
  };
  const std::vector<Case> cases = {
      {"appended", [&](const fs::path& p) { write_file(p, read_file(p) + line); }, "input changed during the run"},
      {"rewritten same size",
       [&](const fs::path& p) {
         std::string s = read_file(p);
         s[20] = s[20] == 'a' ? 'b' : 'a';
         fs::remove(p);  // a new file (new inode), as an editor's save would make
         write_file(p, s);
       },
       "input changed during the run"},
      {"removed", [&](const fs::path& p) { fs::remove(p); }, "No such file or directory"},
  };
  for (const Case& c : cases) {
    for (const bool as_text : {false, true}) {
      const fs::path dir = t / (std::string(c.name) + (as_text ? "-txt" : "-jsonl"));
      const fs::path victim = as_text ? dir / "in/doc.txt" : dir / "in/docs.jsonl";
      if (as_text) {
        write_file(victim, paragraph(5, 200));
      } else {
        write_file(victim, small_corpus(7));
      }
      auto r = dedup_and_then({(dir / "in").string()}, dir / "out", [&] { c.change(victim); });
      ASSERT_FALSE(r.is_ok()) << c.name;
      EXPECT_EQ(r.status().code(), StatusCode::kIoError) << c.name;
      EXPECT_NE(r.status().message().find(victim.string()), std::string::npos) << r.status().message();
      EXPECT_NE(r.status().message().find(c.expect), std::string::npos) << r.status().message();
      EXPECT_TRUE(outputs(dir / "out").empty()) << c.name;
      EXPECT_TRUE(hidden_files(dir / "out").empty()) << c.name;
    }
  }
  // The hook itself changes nothing: with no change the same run succeeds.
  write_file(t / "ok/in.jsonl", small_corpus(8));
  auto ok = dedup_and_then({(t / "ok/in.jsonl").string()}, t / "ok/out", [] {});
  ASSERT_TRUE(ok.is_ok()) << ok.status().message();
}

}  // namespace
}  // namespace doppel::testing
