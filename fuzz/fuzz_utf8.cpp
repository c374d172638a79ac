// File: fuzz/fuzz_utf8.cpp
//
// UTF-8 repair (io::repair_utf8), which every input byte passes through.
// Properties: the output is valid UTF-8 (checked by simdjson's independent,
// vectorised validator) without NUL; valid input without NUL is returned
// unchanged; the validator and the repair agree on what is valid; repairing
// twice changes nothing; the reported first offset points at a bad byte.
#include <simdjson.h>

#include <string>

#include "fuzz_support.hpp"
#include "io/reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string out;
  const doppel::io::Utf8Repair r = doppel::io::repair_utf8(in, out);

  FUZZ_CHECK(simdjson::validate_utf8(out.data(), out.size()), "repaired text is not valid UTF-8");
  FUZZ_CHECK(out.find('\0') == std::string::npos, "repaired text holds a NUL");
  const bool valid = simdjson::validate_utf8(in.data(), in.size());
  FUZZ_CHECK(valid == (r.invalid_sequences == 0), "repair and validator disagree on validity");
  if (r.invalid_sequences == 0 && r.nuls == 0) {
    FUZZ_CHECK(out == in, "clean input was changed");
  } else {
    FUZZ_CHECK(r.first_bad_offset < in.size(), "first problem offset beyond the input");
    // Everything before the first problem is copied as is.
    FUZZ_CHECK(out.compare(0, r.first_bad_offset, in.substr(0, r.first_bad_offset)) == 0,
               "bytes before the first problem changed");
  }
  // Each replacement is 3 bytes and stands for at least one byte.
  FUZZ_CHECK(out.size() <= in.size() * 3, "output grew more than 3x");

  std::string twice;
  const doppel::io::Utf8Repair r2 = doppel::io::repair_utf8(out, twice);
  FUZZ_CHECK(r2.invalid_sequences == 0 && r2.nuls == 0 && twice == out, "repair is not idempotent");
  return 0;
}
