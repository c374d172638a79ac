// File: fuzz/fuzz_overlap.cpp
//
// match::overlap (linear merge, or galloping when sizes differ a lot) against
// std::set_intersection on fuzz-built sorted sets, including very skewed sizes.
// Properties: same intersection size; sizes reported; symmetric; scores within
// [0, 1] and consistent with the counts.
#include <algorithm>
#include <iterator>
#include <vector>

#include "fuzz_support.hpp"
#include "match/verify.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider fdp(data, size);
  const uint64_t range = fdp.ConsumeBool() ? fdp.ConsumeIntegralInRange<uint64_t>(1, 4096) : UINT64_MAX;
  const size_t na = fdp.ConsumeIntegralInRange<size_t>(0, 64);
  const size_t nb = fdp.ConsumeIntegralInRange<size_t>(0, 4096);
  const uint64_t stride = fdp.ConsumeIntegralInRange<uint64_t>(1, 1000);
  std::vector<uint64_t> a, b;
  for (size_t i = 0; i < na && fdp.remaining_bytes(); ++i) a.push_back(fdp.ConsumeIntegralInRange<uint64_t>(0, range));
  // The large side is a cheap arithmetic sequence (plus fuzz values) so it can be big.
  const uint64_t start = fdp.ConsumeIntegralInRange<uint64_t>(0, range);
  for (size_t i = 0; i < nb; ++i) b.push_back(start + i * stride);
  while (fdp.remaining_bytes() >= 2) b.push_back(fdp.ConsumeIntegralInRange<uint64_t>(0, range));
  for (auto* v : {&a, &b}) {
    std::sort(v->begin(), v->end());
    v->erase(std::unique(v->begin(), v->end()), v->end());
  }
  std::vector<uint64_t> common;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(common));

  const doppel::match::Overlap ab = doppel::match::overlap(a, b);
  const doppel::match::Overlap ba = doppel::match::overlap(b, a);
  FUZZ_CHECK(ab.intersection == common.size(), "intersection differs from std::set_intersection");
  FUZZ_CHECK(ba.intersection == common.size(), "intersection is not symmetric");
  FUZZ_CHECK(ab.size_a == a.size() && ab.size_b == b.size(), "sizes");
  const double j = ab.jaccard();
  FUZZ_CHECK(j >= 0.0 && j <= 1.0 && j == ba.jaccard(), "Jaccard out of range or asymmetric");
  FUZZ_CHECK(ab.containment_a_in_b() == ba.containment_b_in_a(), "containment directions");
  // (Two empty sets have Jaccard 1 by definition and containment 0.)
  if (!a.empty() || !b.empty()) FUZZ_CHECK(ab.max_containment() >= j, "containment below Jaccard");
  if (!a.empty() && !b.empty()) {
    FUZZ_CHECK(j == static_cast<double>(common.size()) / static_cast<double>(a.size() + b.size() - common.size()),
               "Jaccard formula");
  }
  return 0;
}
