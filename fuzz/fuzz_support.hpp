// File: fuzz/fuzz_support.hpp
//
// Shared by the libFuzzer targets: property checks that abort (a fuzzer only
// counts crashes, so a broken property must become one), scratch files for the
// readers, which take paths, and small helpers to turn fuzz bytes into inputs.
#pragma once

#include <fuzzer/FuzzedDataProvider.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace doppel::fuzz {

[[noreturn]] inline void property_failed(const char* expr, const char* file, int line, const std::string& what) {
  std::fprintf(stderr, "\n*** property violated at %s:%d: %s\n    %s\n", file, line, expr, what.c_str());
  std::fflush(stderr);
  std::abort();
}

// FUZZ_CHECK(cond, message): the property `cond` must hold for every input.
#define FUZZ_CHECK(cond, what)                                                    \
  do {                                                                            \
    if (!(cond)) ::doppel::fuzz::property_failed(#cond, __FILE__, __LINE__, what); \
  } while (0)

// A per-process scratch directory under /dev/shm when it exists, so that
// millions of executions do not wear a disk; removed at exit (including the
// normal exit at the end of -runs or -max_total_time).
inline std::filesystem::path scratch_path() {
  std::error_code ec;
  std::filesystem::path base = std::filesystem::is_directory("/dev/shm", ec)
                                   ? std::filesystem::path("/dev/shm")
                                   : std::filesystem::temp_directory_path();
  return base / ("doppel-fuzz-" + std::to_string(::getpid()));
}

inline const std::filesystem::path& scratch_root() {
  static const std::filesystem::path root = [] {
    std::filesystem::path p = scratch_path();
    std::filesystem::create_directories(p);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scratch_path(), ec);
    });
    return p;
  }();
  return root;
}

// A fresh, empty directory `name` under the scratch root.
inline std::filesystem::path fresh_dir(const std::string& name) {
  auto p = scratch_root() / name;
  std::error_code ec;
  std::filesystem::remove_all(p, ec);
  std::filesystem::create_directories(p);
  return p;
}

inline void write_bytes(const std::filesystem::path& path, std::string_view bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) property_failed("fopen", __FILE__, __LINE__, "cannot create scratch file " + path.string());
  if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) {
    property_failed("fwrite", __FILE__, __LINE__, "cannot write scratch file " + path.string());
  }
  std::fclose(f);
}

inline std::string read_bytes(const std::filesystem::path& path) {
  std::string s;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return s;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
  std::fclose(f);
  return s;
}

// Appends code point `cp` as UTF-8 (surrogates are encoded too: the caller
// decides whether it wants invalid sequences).
inline void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace doppel::fuzz
