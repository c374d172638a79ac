// File: sketch/sketch_internal.hpp
//
// Private to the sketch module, its unit test and its benchmark: the CPU-specific
// copies of the MinHash and one-permutation kernels, so each one the CPU can run
// is checked against the scalar definition (and timed), not only the one picked
// at run time.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/isa.hpp"
#include "sketch/minhash.hpp"
#include "sketch/oph.hpp"

namespace doppel::sketch::internal {

// The kernels this CPU can run, best first (the first is what sketch() uses).
using core::Isa;
using core::isa_name;
using core::supported_isas;

// MinHasher::sketch() with a chosen kernel.
void sketch_with(Isa isa, const MinHasher& hasher, std::span<const uint64_t> shingles, std::span<uint32_t> out);

// OnePermutationHasher::sketch() with a chosen kernel (defined in oph.cpp).
void sketch_with(Isa isa, const OnePermutationHasher& hasher, std::span<const uint64_t> shingles,
                 std::span<uint32_t> out);

}  // namespace doppel::sketch::internal
