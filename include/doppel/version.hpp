// File: doppel/version.hpp
#pragma once

namespace doppel {
// The library's version ("0.1.0"), also written into summary.json.
const char* version();
}  // namespace doppel
