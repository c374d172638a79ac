// File: pipeline/quality_stages.cpp
#include "pipeline/quality_stages.hpp"

#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

namespace doppel::pipeline {

Result<boilerplate::BoilerplateSet> learn_boilerplate(io::InputSet& inputs, int source_field_index,
                                                      const boilerplate::Options& options) {
  constexpr size_t kBatchBytes = 16 << 20;
  boilerplate::LineStats stats;
  std::vector<io::Record> batch;
  size_t batch_bytes = 0;
  auto flush = [&] {
    std::vector<std::vector<uint64_t>> keys(batch.size());
    tbb::enumerable_thread_specific<text::NormalizedText> scratch;
    tbb::parallel_for(size_t{0}, batch.size(), [&](size_t i) { boilerplate::line_keys(batch[i].text, scratch.local(), keys[i]); });
    // Serial and in input order, so the counts never depend on scheduling.
    for (size_t i = 0; i < batch.size(); ++i) {
      std::optional<uint64_t> source;
      if (source_field_index >= 0) {
        const auto& f = batch[i].fields[static_cast<size_t>(source_field_index)];
        if (f) source = boilerplate::source_key(f->text);
      }
      stats.add(keys[i], source);
    }
    batch.clear();
    batch_bytes = 0;
  };
  DOPPEL_TRY(inputs.for_each(
      [&](io::Record&& r) -> Status {
        batch_bytes += r.text.size();
        batch.push_back(std::move(r));
        if (batch_bytes >= kBatchBytes) flush();
        return Status::ok();
      },
      [](const io::Problem&) { return Status::ok(); }));
  flush();
  return stats.finish(options);
}

}  // namespace doppel::pipeline
