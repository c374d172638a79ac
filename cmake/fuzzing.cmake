# File: cmake/fuzzing.cmake
#
# DOPPEL_FUZZ=ON builds the libFuzzer targets in fuzz/ (see docs/reliability.md).
# libFuzzer ships with clang only, so the whole configuration must use clang:
#   cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DDOPPEL_FUZZ=ON
# Every library is compiled with coverage instrumentation (fuzzer-no-link) and
# ASan + UBSan, so the fuzzers see inside doppel's code; only the fuzz targets
# themselves link the libFuzzer driver. UBSan findings abort (no recovery) so a
# fuzzer counts them as crashes instead of printing and carrying on.
option(DOPPEL_FUZZ "Build the libFuzzer targets in fuzz/ (needs clang)" OFF)

if(DOPPEL_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "DOPPEL_FUZZ needs clang (libFuzzer): configure with "
                        "-DCMAKE_CXX_COMPILER=clang++-14")
  endif()
  if(DOPPEL_SANITIZE)
    message(FATAL_ERROR "DOPPEL_FUZZ brings its own sanitizers; leave DOPPEL_SANITIZE empty")
  endif()
  set(DOPPEL_FUZZ_SANITIZERS "address,undefined")
  add_compile_options(-fsanitize=fuzzer-no-link,${DOPPEL_FUZZ_SANITIZERS}
                      -fno-sanitize-recover=all -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=${DOPPEL_FUZZ_SANITIZERS})
endif()
