// File: test_support.hpp
// Small helpers shared by the test executables: temporary directories, files,
// running the doppel CLI, and locating ../shared when it is present.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace doppel::testing {

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

void write_file(const std::filesystem::path& path, const std::string& bytes);
std::string read_file(const std::filesystem::path& path);
std::vector<std::string> read_lines(const std::filesystem::path& path);

// Compresses `bytes` with zstd / gzip (via the libraries) into `path`.
void write_zstd(const std::filesystem::path& path, const std::string& bytes);
void write_gzip(const std::filesystem::path& path, const std::string& bytes);

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};
// Runs a shell command line; captures stdout and stderr.
CommandResult run_command(const std::string& command_line);
// Runs the doppel binary built with the tests, arguments already shell-quoted.
CommandResult run_doppel(const std::string& args);
std::string shell_quote(const std::string& s);

// ../shared next to the repository, or empty when absent (tests then GTEST_SKIP).
std::filesystem::path shared_dir();

}  // namespace doppel::testing
