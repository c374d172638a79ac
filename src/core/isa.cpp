#include "core/isa.hpp"

namespace doppel::core {

std::vector<Isa> supported_isas() {
  std::vector<Isa> isas;
#ifdef DOPPEL_X86_LEVELS
  __builtin_cpu_init();
  if (__builtin_cpu_supports("x86-64-v4")) isas.push_back(Isa::kX86V4);
  if (__builtin_cpu_supports("x86-64-v3")) isas.push_back(Isa::kX86V3);
#endif
  isas.push_back(Isa::kBaseline);
  return isas;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kX86V4: return "x86-64-v4";
    case Isa::kX86V3: return "x86-64-v3";
    case Isa::kBaseline: return "baseline";
  }
  return "?";
}

}  // namespace doppel::core
