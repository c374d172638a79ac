// File: pipeline/quality_stages.hpp
//
// Two stages that need a view of the whole corpus, shared by dedup and explain:
//  - learn_boilerplate: one pass over the inputs counting, for every line, the
//    distinct documents (and documents per source) that hold it;
//  - story grouping over copy clusters' representatives (story/story.hpp).
#pragma once

#include <optional>
#include <string>

#include "boilerplate/boilerplate.hpp"
#include "doppel/status.hpp"
#include "io/reader.hpp"

namespace doppel::pipeline {

// Reads every record of `inputs`. `source_field_index` indexes the record's
// captured extra fields (ReaderOptions::extra_fields), or is -1 for no sources.
// Problems are ignored here: the main pass reports them.
Result<boilerplate::BoilerplateSet> learn_boilerplate(io::InputSet& inputs, int source_field_index,
                                                      const boilerplate::Options& options);

}  // namespace doppel::pipeline
