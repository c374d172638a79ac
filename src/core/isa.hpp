// File: core/isa.hpp
//
// Which x86-64 level this CPU runs. Hot kernels (MinHash, one-permutation
// hashing, token and shingle hashing) are compiled once per level with a
// function-level target attribute and picked at run time, so the release
// binary needs no -march flag and runs on any x86-64. Every copy computes the
// same integers; the tests run each copy the CPU supports against the baseline.
#pragma once

#include <vector>

// GCC's target("arch=...") attribute and __builtin_cpu_supports("x86-64-vN")
// are what the per-level copies need; elsewhere only the baseline exists.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define DOPPEL_X86_LEVELS 1
// What a function of the x86-64-v4 (AVX-512) copies carries; it may run only
// on a CPU that supported_isas() lists kX86V4 for.
#define DOPPEL_V4 __attribute__((target("arch=x86-64-v4")))
#endif

namespace doppel::core {

enum class Isa { kBaseline, kX86V3, kX86V4 };

// The levels this CPU can run, best first (the first is what production uses).
std::vector<Isa> supported_isas();
const char* isa_name(Isa isa);

}  // namespace doppel::core
