# File: cmake/sanitizers.cmake
#
# Sanitizer and fuzzing builds (docs/reliability.md).
#
# DOPPEL_SANITIZE (set in CMakeLists.txt, presets "asan" and "tsan") instruments
# everything; findings must fail the test that provoked them, so UBSan does not
# recover (by default it prints and carries on, and the test would pass).
#
# DOPPEL_FUZZ=ON builds the libFuzzer targets in fuzz/. libFuzzer ships with
# clang only, so the whole configuration must use clang (preset "fuzz"):
#   cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DDOPPEL_FUZZ=ON
# Every library is compiled with coverage instrumentation (fuzzer-no-link) and
# ASan + UBSan, so the fuzzers see inside doppel's code; only the fuzz targets
# themselves link the libFuzzer driver.
if(DOPPEL_SANITIZE)
  add_compile_options(-fno-sanitize-recover=all)
endif()

option(DOPPEL_FUZZ "Build the libFuzzer targets in fuzz/ (needs clang)" OFF)
set(DOPPEL_FUZZ_SANITIZERS "address,undefined" CACHE STRING
    "Sanitizers of the fuzz build (a long campaign may trade ASan for speed)")

if(DOPPEL_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "DOPPEL_FUZZ needs clang (libFuzzer): configure with "
                        "-DCMAKE_CXX_COMPILER=clang++-14")
  endif()
  if(DOPPEL_SANITIZE)
    message(FATAL_ERROR "DOPPEL_FUZZ brings its own sanitizers; leave DOPPEL_SANITIZE empty")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,${DOPPEL_FUZZ_SANITIZERS}
                      -fno-sanitize-recover=all -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=${DOPPEL_FUZZ_SANITIZERS})
endif()
