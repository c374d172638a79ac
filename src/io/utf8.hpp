// File: io/utf8.hpp
//
// Private to the io module: the UTF-8 repair used by repair_utf8() with the
// knobs the readers need (JSON lines must keep raw NULs so the parser can
// report them; .txt documents replace them).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace doppel::io::detail {

inline constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD

struct Utf8RepairDetail {
  uint32_t invalid_sequences = 0;
  uint32_t nuls = 0;
  uint64_t first_invalid_offset = 0;  // valid when invalid_sequences > 0
  uint64_t first_nul_offset = 0;      // valid when nuls > 0
};

// Appends `bytes` to `out` (after clearing it) with every maximal invalid
// subpart replaced by U+FFFD, and NUL bytes too when `replace_nul`.
Utf8RepairDetail repair_utf8_detail(std::string_view bytes, std::string& out, bool replace_nul);

// Replaces NUL bytes in place (the string grows); returns how many there were
// and the offset of the first one in `first_offset`.
uint32_t replace_nuls(std::string& s, uint64_t& first_offset);

}  // namespace doppel::io::detail
