// File: pipeline/kept_copier.hpp
//
// kept.jsonl is written by reading the inputs a second time (the original
// records are not held in memory). Uncompressed JSONL inputs are not read at
// all when the output is uncompressed too: runs of kept lines are copied from
// file to file inside the kernel, by their offsets. Other inputs are streamed:
// decompressing and splitting run on a thread of their own while the caller's
// thread writes (and, for --compress zst, compresses) what they produced, so
// the two halves of the work overlap instead of adding up.
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

using WriteFn = std::function<Status(std::string_view)>;
// Appends bytes [offset, offset + length) of the open file `fd` to the output
// (report::OutputFile::copy_from); a kDataError means the input was shorter.
using CopyFn = std::function<Status(int fd, uint64_t offset, uint64_t length)>;

// For every file i (in order), the raw bytes of kept_by_file[i] (in stream
// order) as JSONL lines: JSONL records byte for byte, .txt documents as
// {"id","text"} objects. The output is whatever `write` and `copy` received,
// in the order of the calls, all on the calling thread: `write` chunks of whole
// lines, `copy` (if given) runs of lines of uncompressed JSONL files, each run
// followed by a `write` of its final "\n". Fails if a listed record is no
// longer there.
Status copy_kept_records(io::InputSet& inputs, const std::vector<std::vector<KeptRecord>>& kept_by_file,
                         const WriteFn& write, const CopyFn& copy = {});

}  // namespace doppel::pipeline
