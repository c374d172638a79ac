// File: io/jsonl.hpp
//
// Private to the io module: turns one JSONL line into a Record. One parser and
// one padded buffer are reused for every line of a run.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "io/reader.hpp"
#include "io/stream.hpp"

namespace doppel::io::detail {

struct LineOutcome {
  bool ok = false;
  bool has_id = false;           // the line named an id (else the caller makes one up)
  std::string reason;            // why the line was rejected
  uint64_t first_invalid_utf8 = 0;  // offset in the line, when rec.utf8_repairs > 0
  uint64_t first_nul = 0;           // offset in the text, when rec.nul_repairs > 0
};

class JsonlParser {
 public:
  explicit JsonlParser(const ReaderOptions& options);

  // Fills rec.id (when present), rec.text, rec.fields and the repair counts.
  // in_byte_buffer: `line` lies in a ByteBuffer (which pads its end), so it is
  // parsed where it is instead of being copied into padded memory first.
  LineOutcome parse(std::string_view line, Record& rec, bool in_byte_buffer = false);

 private:
  // `line` has at least SIMDJSON_PADDING readable bytes after it.
  LineOutcome parse_padded(std::string_view line, Record& rec);
  void load(std::string_view bytes);

  const ReaderOptions& options_;
  simdjson::ondemand::parser parser_;
  ByteBuffer padded_;
  std::string repaired_;
  std::vector<char> extra_seen_;
  simdjson::dom::parser dom_parser_;  // checks captured objects/arrays (rare)
};

}  // namespace doppel::io::detail
