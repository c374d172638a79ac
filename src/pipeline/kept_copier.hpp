// File: pipeline/kept_copier.hpp
//
// kept.jsonl is written by reading the inputs a second time (the original
// records are not held in memory). Reading runs on a thread of its own while
// the caller's thread writes (and, for --compress zst, compresses) what it
// produced, so the two halves of the work overlap instead of adding up.
// Uncompressed JSONL files are read only where kept records are, by offset;
// compressed ones and .txt files are streamed.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "doppel/status.hpp"
#include "io/reader.hpp"

namespace doppel::pipeline {

// A record to copy: where it is in its file, and the id to give a .txt document.
struct KeptRecord {
  uint64_t line = 0;
  uint64_t offset = 0;
  uint64_t length = 0;  // of the raw record (io::SourcePos::length)
  const std::string* id = nullptr;
};

// For every file i (in order), the raw bytes of kept_by_file[i] (in stream
// order) as JSONL lines: JSONL records byte for byte, .txt documents as
// {"id","text"} objects. `write` receives them in order, in chunks of whole
// lines, on the calling thread. Fails if a listed record is no longer there.
Status copy_kept_records(io::InputSet& inputs, const std::vector<std::vector<KeptRecord>>& kept_by_file,
                         const std::function<Status(std::string_view)>& write);

}  // namespace doppel::pipeline
