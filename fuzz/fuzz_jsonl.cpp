// File: fuzz/fuzz_jsonl.cpp
//
// The JSONL reader on arbitrary bytes, plain or compressed: properly compressed
// (gzip, possibly multi-member; zstd, possibly multi-frame), compressed then
// damaged, or raw bytes behind a .gz/.zst name (a corrupt archive).
//
// Properties, beyond "no crash":
//  - every record's text is valid UTF-8 without NUL, its id is not empty;
//  - records and line-level problems come in strictly increasing line order,
//    and no line is both a record and a problem;
//  - for plain input, a record's position points at its own line's bytes;
//  - the second (kept.jsonl) pass succeeds and yields, at every record's
//    position, the same raw bytes the first pass parsed;
//  - reading the same file twice gives the same records and problems.
#include <simdjson.h>
#include <zlib.h>
#include <zstd.h>

#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "io/reader.hpp"

namespace {

using doppel::io::InputSet;
using doppel::io::Problem;
using doppel::io::Record;

std::string gzip(std::string_view bytes) {
  z_stream zs{};
  if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
  std::string out(deflateBound(&zs, static_cast<uLong>(bytes.size())) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  zs.avail_in = static_cast<uInt>(bytes.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) std::abort();
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string zstd(std::string_view bytes) {
  std::string out(ZSTD_compressBound(bytes.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), bytes.data(), bytes.size(), 1);
  if (ZSTD_isError(n)) std::abort();
  out.resize(n);
  return out;
}

struct Outcome {
  std::vector<Record> records;
  std::vector<Problem> problems;
  std::vector<bool> is_record;  // callbacks in the order they came
  std::string status;
};

std::string describe(const Record& r) {
  return r.id + "|" + std::to_string(r.pos.line) + "|" + std::to_string(r.pos.offset) + "|" +
         std::to_string(r.pos.length) + "|" + r.text + "|" + std::to_string(r.utf8_repairs) + "|" +
         std::to_string(r.nul_repairs) + "|" + std::to_string(r.fields.size());
}

std::string describe(const Problem& p) {
  return std::to_string(static_cast<int>(p.severity)) + "|" + (p.line ? std::to_string(*p.line) : "-") + "|" +
         (p.offset ? std::to_string(*p.offset) : "-") + "|" + p.id + "|" + p.reason;
}

Outcome read_all(InputSet& inputs) {
  Outcome o;
  doppel::Status s = inputs.for_each(
      [&](Record&& r) {
        o.records.push_back(std::move(r));
        o.is_record.push_back(true);
        return doppel::Status::ok();
      },
      [&](const Problem& p) {
        o.problems.push_back(p);
        o.is_record.push_back(false);
        return doppel::Status::ok();
      });
  o.status = s.message();
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider fdp(data, size);
  const int mode = fdp.ConsumeIntegralInRange<int>(0, 4);
  const bool damage = fdp.ConsumeBool();
  const size_t split = fdp.ConsumeIntegral<uint16_t>();
  const size_t cut = fdp.ConsumeIntegral<uint16_t>();
  doppel::io::ReaderOptions options;
  if (fdp.ConsumeBool()) options.max_doc_bytes = fdp.ConsumeIntegralInRange<uint64_t>(0, 64);
  if (fdp.ConsumeBool()) options.id_field = "k";
  if (fdp.ConsumeBool()) options.extra_fields.push_back("date");
  // Keep a compressed stream's decompressed bytes for the later passes: none,
  // or up to a limit that a long stream may exceed.
  if (fdp.ConsumeBool()) options.keep_decompressed_bytes = fdp.ConsumeIntegralInRange<uint64_t>(1, 1 << 16);
  const std::string payload = fdp.ConsumeRemainingBytesAsString();

  std::string file_bytes;
  const char* name = "in.jsonl";
  switch (mode) {
    case 0:
      file_bytes = payload;
      break;
    case 1: {  // two gzip members, split at a fuzz-chosen point
      const size_t at = payload.empty() ? 0 : split % (payload.size() + 1);
      file_bytes = gzip(std::string_view(payload).substr(0, at)) + gzip(std::string_view(payload).substr(at));
      name = "in.jsonl.gz";
      break;
    }
    case 2: {  // two zstd frames
      const size_t at = payload.empty() ? 0 : split % (payload.size() + 1);
      file_bytes = zstd(std::string_view(payload).substr(0, at)) + zstd(std::string_view(payload).substr(at));
      name = "in.jsonl.zst";
      break;
    }
    case 3:
      file_bytes = payload;
      name = "in.jsonl.gz";
      break;
    default:
      file_bytes = payload;
      name = "in.jsonl.zst";
      break;
  }
  const bool compressed = mode != 0;
  if (damage && compressed && !file_bytes.empty()) {
    // Truncate, or flip one byte: the reader must report, not crash or invent.
    const size_t at = cut % file_bytes.size();
    if (cut & 1) {
      file_bytes[at] = static_cast<char>(file_bytes[at] ^ 0x5a);
    } else {
      file_bytes.resize(at);
    }
  }

  const auto dir = doppel::fuzz::fresh_dir("jsonl");
  const auto path = dir / name;
  doppel::fuzz::write_bytes(path, file_bytes);

  InputSet inputs({path.string()}, options);
  const Outcome first = read_all(inputs);
  FUZZ_CHECK(first.status.empty(), "for_each failed: " + first.status);

  // In callback order: records and line-level rejections strictly increase by
  // line (no line twice); a repair names the line of the record that follows it.
  uint64_t last_line = 0;
  size_t ri = 0, pi = 0;
  for (size_t e = 0; e < first.is_record.size(); ++e) {
    uint64_t line = 0;
    if (first.is_record[e]) {
      line = first.records[ri++].pos.line;
    } else {
      const Problem& p = first.problems[pi++];
      if (!p.line) continue;
      if (p.severity == Problem::Severity::kRepaired) {
        FUZZ_CHECK(e + 1 < first.is_record.size(), "a repair without a record");
        const bool next_is_record = first.is_record[e + 1];
        const bool next_is_repair = !next_is_record && first.problems[pi].severity == Problem::Severity::kRepaired;
        FUZZ_CHECK(next_is_record || next_is_repair, "a repair not followed by its record");
        if (next_is_record) FUZZ_CHECK(first.records[ri].pos.line == *p.line, "a repair names another line");
        continue;
      }
      line = *p.line;
    }
    FUZZ_CHECK(line > last_line, "lines not strictly increasing: " + std::to_string(line) + " after " +
                                     std::to_string(last_line));
    last_line = line;
  }

  for (const Record& r : first.records) {
    FUZZ_CHECK(!r.id.empty(), "record without id");
    FUZZ_CHECK(simdjson::validate_utf8(r.text.data(), r.text.size()), "record text is not valid UTF-8");
    FUZZ_CHECK(r.text.find('\0') == std::string::npos, "record text holds a NUL");
    FUZZ_CHECK(r.fields.size() == options.extra_fields.size(), "extra field count");
    FUZZ_CHECK(r.text.size() <= options.max_doc_bytes, "record above max_doc_bytes was accepted");
    if (!compressed) {
      FUZZ_CHECK(r.pos.offset + r.pos.length <= payload.size(), "record position beyond the file");
      const size_t end = r.pos.offset + r.pos.length;
      FUZZ_CHECK(end == payload.size() || payload[end] == '\n' || payload[end] == '\r',
                 "record does not end at a line end");
    }
  }

  // The second pass must find every record again, at the same position.
  size_t next = 0;
  std::vector<std::string> raw_records;
  doppel::Status raw = inputs.for_each_raw(0, [&](const doppel::io::SourcePos& pos, std::string_view bytes) {
    if (next < first.records.size() && first.records[next].pos.offset == pos.offset) {
      raw_records.emplace_back(bytes);
      const Record& r = first.records[next++];
      FUZZ_CHECK(r.pos.line == pos.line && r.pos.length == pos.length && bytes.size() == pos.length,
                 "raw pass position differs");
      if (!compressed) FUZZ_CHECK(payload.compare(pos.offset, pos.length, bytes) == 0, "raw bytes differ");
    }
    return doppel::Status::ok();
  });
  FUZZ_CHECK(raw.is_ok(), "second pass failed: " + raw.message());
  FUZZ_CHECK(next == first.records.size(), "second pass missed a record");

  // Where records can be read by offset (a plain file, or a stream whose
  // decompressed bytes were kept), those bytes are the raw pass's.
  const doppel::Result<bool> by_offset = inputs.with_record_bytes(0, [&](const doppel::io::RecordBytes& bytes) {
    FUZZ_CHECK(bytes.in_memory() == compressed, "only compressed streams are read from memory");
    for (size_t i = 0; i < first.records.size(); ++i) {
      const doppel::io::SourcePos& pos = first.records[i].pos;
      std::string line(pos.length, '\0');
      size_t read = 0;
      FUZZ_CHECK(bytes.read(pos.offset, line.data(), line.size(), read) == 0 && read == line.size(),
                 "record cannot be read at its offset");
      FUZZ_CHECK(line == raw_records[i], "record read at its offset differs from the raw pass");
    }
    return doppel::Status::ok();
  });
  FUZZ_CHECK(by_offset.is_ok(), "with_record_bytes failed");
  if (inputs.kept_decompressed_bytes() > 0) FUZZ_CHECK(by_offset.value(), "kept decompressed bytes are not used");
  FUZZ_CHECK(inputs.kept_decompressed_bytes() <= options.keep_decompressed_bytes, "kept more than the limit");

  // Reading some records again (at their offsets when the file is plain) must
  // give exactly those records: every other one, so gaps are exercised too.
  std::vector<doppel::io::SourcePos> some;
  std::vector<size_t> some_index;
  for (size_t i = 0; i < first.records.size(); i += 2) {
    some.push_back(first.records[i].pos);
    some_index.push_back(i);
  }
  size_t got = 0;
  doppel::Status at = inputs.for_each_at(some, [&](Record&& r) {
    FUZZ_CHECK(got < some_index.size(), "for_each_at delivered an extra record");
    FUZZ_CHECK(describe(r) == describe(first.records[some_index[got++]]), "record read at its offset differs");
    return doppel::Status::ok();
  });
  FUZZ_CHECK(at.is_ok(), "for_each_at failed: " + at.message());
  FUZZ_CHECK(got == some.size(), "for_each_at missed a record");

  // Deterministic: the same file read again gives the same result.
  InputSet again({path.string()}, options);
  const Outcome second = read_all(again);
  FUZZ_CHECK(second.records.size() == first.records.size(), "record count differs between reads");
  FUZZ_CHECK(second.problems.size() == first.problems.size(), "problem count differs between reads");
  for (size_t i = 0; i < first.records.size(); ++i) {
    FUZZ_CHECK(describe(first.records[i]) == describe(second.records[i]), "record differs between reads");
  }
  for (size_t i = 0; i < first.problems.size(); ++i) {
    FUZZ_CHECK(describe(first.problems[i]) == describe(second.problems[i]), "problem differs between reads");
  }
  return 0;
}
