// File: pipeline_test.cpp
// The public library API (include/doppel/) used directly, as bindings and the
// server will: option validation, callbacks, summary counts.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "doppel/doppel.hpp"
#include "pipeline/document_stage.hpp"
#include "pipeline/exact_set.hpp"
#include "pipeline/id_index.hpp"
#include "core/mapped_array.hpp"
#include "pipeline/shingle_arena.hpp"
#include "test_support.hpp"

namespace doppel {
namespace {
using testing::read_lines;
using testing::TempDir;
using testing::write_file;

std::string words(int seed, int n) {
  std::string s;
  uint32_t x = static_cast<uint32_t>(seed) * 2654435761u + 7;
  for (int i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    s += "w" + std::to_string((x >> 8) % 5000) + " ";
  }
  return s;
}

TEST(PipelineApi, RejectsBadOptionsWithoutTouchingTheDisk) {
  TempDir t;
  DedupOptions o;
  o.inputs = {t.path().string()};
  o.output_dir = (t / "out").string();
  o.jaccard = 0;
  auto r = run_dedup(o);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(t / "out"));

  o.jaccard = 0.3;
  o.num_perm = 8;  // best is 8 bands of 1 row: P(0.3) = 1 - 0.7^8 = 0.94 < 0.99
  r = run_dedup(o);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("num-perm"), std::string::npos) << r.status().message();

  o.jaccard = 0.8;
  o.num_perm = 128;
  o.inputs = {(t / "absent").string()};
  r = run_dedup(o);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
}

TEST(PipelineApi, CountsAndCallbacks) {
  TempDir t;
  std::string base = words(1, 400);
  write_file(t / "in/a.txt", base);
  write_file(t / "in/b.txt", base);                                  // exact
  write_file(t / "in/c.txt", "Header. " + base.substr(0, base.size() / 3));  // contained
  write_file(t / "in/d.txt", words(2, 300));
  write_file(t / "in/e.txt", "   ");  // empty after normalisation
  DedupOptions o;
  o.inputs = {(t / "in").string()};
  o.output_dir = (t / "out").string();
  std::vector<std::string> messages;
  int progress_done = 0;
  o.on_message = [&](const std::string& m) { messages.push_back(m); };
  o.on_progress = [&](const DedupOptions::Progress& p) { progress_done += p.done; };
  auto r = run_dedup(o);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->documents_read, 5u);
  EXPECT_EQ(r->documents, 4u);
  EXPECT_EQ(r->rejected, 1u);
  EXPECT_EQ(r->duplicates_exact, 1u);
  EXPECT_EQ(r->duplicates_contained, 1u);
  EXPECT_EQ(r->kept, 2u);
  EXPECT_EQ(r->clusters, 1u);
  EXPECT_EQ(r->exit_code(), 1);
  EXPECT_EQ(progress_done, 1);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_NE(messages[0].find("e.txt"), std::string::npos) << messages[0];
  EXPECT_EQ(read_lines(t / "out/clusters.jsonl").size(), 4u);
  EXPECT_EQ(read_lines(t / "out/rejected.jsonl").size(), 1u);
  EXPECT_EQ(read_lines(t / "out/kept.jsonl").size(), 2u);
}

TEST(PipelineApi, ExplainScoresAnExcerpt) {
  TempDir t;
  std::string base = words(3, 300);
  write_file(t / "in/full.txt", base);
  write_file(t / "in/part.txt", base.substr(0, base.size() / 2));
  ExplainOptions o;
  o.inputs = {(t / "in").string()};
  o.a = "part";
  o.b = "full";
  auto r = explain(o);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->kind, MatchKind::kContained);
  EXPECT_GT(r->containment_a_in_b, 0.98);
  ASSERT_EQ(r->passages.size(), 1u);
  EXPECT_EQ(r->passages[0].a_byte_begin, 0u);
  EXPECT_EQ(r->passages[0].b_byte_begin, 0u);
  EXPECT_NE(explain_to_json(*r).find("\"kind\":\"contained\""), std::string::npos);
  o.b = "missing";
  EXPECT_EQ(explain(o).status().code(), StatusCode::kNotFound);
}

// Every stored set must come back intact, however sets straddle block ends, a
// set larger than a block included, and after the arena moves between threads'
// storage (tbb::enumerable_thread_specific moves it).
TEST(ShingleArena, KeepsEverySetIntact) {
  pipeline::ShingleArena arena;
  std::vector<std::vector<uint64_t>> sets;
  std::vector<std::span<uint64_t>> stored;
  uint64_t x = 12345;
  for (size_t n : {size_t{0}, size_t{1}, size_t{3}, size_t{1} << 20, size_t{3} << 20, size_t{9} << 20, size_t{2}, size_t{5} << 20}) {
    std::vector<uint64_t> v(n);
    for (auto& e : v) e = (x = x * 6364136223846793005ULL + 1442695040888963407ULL);
    stored.push_back(arena.store(v));
    sets.push_back(std::move(v));
  }
  pipeline::ShingleArena moved(std::move(arena));
  EXPECT_EQ(arena.mapped_bytes(), 0u);
  EXPECT_GE(moved.mapped_bytes(), (size_t{20} << 20) * sizeof(uint64_t));
  for (size_t i = 0; i < sets.size(); ++i) {
    ASSERT_EQ(stored[i].size(), sets[i].size()) << i;
    EXPECT_TRUE(std::equal(sets[i].begin(), sets[i].end(), stored[i].begin())) << i;
  }
}

// A small input must not pay for a large block (pages are faulted in ahead of use),
// and many small sets must survive the blocks growing underneath them.
TEST(ShingleArena, BlocksGrowFromSmall) {
  pipeline::ShingleArena arena;
  std::vector<uint64_t> ten(10, 7);
  arena.store(ten);
  EXPECT_LE(arena.mapped_bytes(), size_t{2} << 20);
  std::vector<std::span<uint64_t>> stored;
  for (uint64_t i = 0; i < 20000; ++i) {
    std::vector<uint64_t> v(1 + i % 997, i);
    stored.push_back(arena.store(v));
  }
  EXPECT_GT(arena.mapped_bytes(), size_t{2} << 20);
  for (uint64_t i = 0; i < stored.size(); ++i) {
    ASSERT_EQ(stored[i].size(), 1 + i % 997) << i;
    ASSERT_TRUE(std::all_of(stored[i].begin(), stored[i].end(), [&](uint64_t e) { return e == i; })) << i;
  }
}

// Growth moves the mapping (mremap) but never the values; after release() the
// array starts again from nothing.
TEST(MappedArray, KeepsValuesAcrossGrowth) {
  core::MappedArray<uint32_t> a;
  std::vector<uint32_t> expected;
  uint32_t x = 1;
  for (int round = 0; round < 300; ++round) {
    std::vector<uint32_t> chunk(1000 + round * 37);
    for (auto& e : chunk) e = (x = x * 1664525u + 1013904223u);
    a.append(chunk.data(), chunk.size());
    expected.insert(expected.end(), chunk.begin(), chunk.end());
  }
  a.push_back(42);
  expected.push_back(42);
  ASSERT_EQ(a.size(), expected.size());
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), a.begin()));
  std::span<const uint32_t> view = a;
  EXPECT_EQ(view.size(), expected.size());
  a.release();
  EXPECT_TRUE(a.empty());
  a.append(expected.data(), 3);
  EXPECT_EQ(a[2], expected[2]);
}

// IdIndex answers as std::unordered_map::try_emplace did, through growth,
// repeated ids, and hashes shared by different ids (given by a weak hash here).
// Exact copies of documents accepted in an earlier batch are not shingled
// (pipeline/exact_set.hpp). The first document of each group must still be:
// even when a record with its text came before it and was rejected (here for
// a repeated id), and when its near copy comes batches later. And copies in
// every position must still pair with it as exact. 8,000 fillers (eight
// batches of 1,024 records) apart: at most 2 * threads + 2 batches are in
// flight, so the copies are certainly read after their first was accepted.
TEST(PipelineApi, ExactCopiesSkipShinglesButNotTheFirstOfTheirGroup) {
  TempDir t;
  const std::string first = words(10, 300);
  const std::string second = words(11, 300);
  std::string near_second = second;
  near_second.replace(0, 6, "xx yy ");  // a near copy: about 98% of the shingles shared
  std::string jsonl;
  auto add = [&](const std::string& id, const std::string& text) {
    jsonl += "{\"id\":\"" + id + "\",\"text\":\"" + text + "\"}\n";
  };
  add("a", first);
  add("a", second);  // rejected: the id is taken; its text must not count as seen
  for (int i = 0; i < 8000; ++i) add("f" + std::to_string(i), words(100 + i, 30));
  add("b", second);  // the first document with this text
  for (int i = 8000; i < 16000; ++i) add("f" + std::to_string(i), words(100 + i, 30));
  add("c", first);   // exact copies, batches after their first
  add("d", second);
  add("e", near_second);
  add("g", second);
  write_file(t / "in.jsonl", jsonl);
  for (const int threads : {1, 2}) {
    DedupOptions o;
    o.inputs = {(t / "in.jsonl").string()};
    o.output_dir = (t / ("out" + std::to_string(threads))).string();
    o.threads = threads;
    o.on_message = [](const std::string&) {};
    auto r = run_dedup(o);
    ASSERT_TRUE(r.is_ok()) << r.status().message();
    EXPECT_EQ(r->rejected, 1u);
    EXPECT_EQ(r->duplicates_exact, 3u);
    EXPECT_EQ(r->duplicates_near, 1u);
    std::vector<std::string> pairs = read_lines(t / ("out" + std::to_string(threads)) / "pairs.jsonl");
    std::sort(pairs.begin(), pairs.end());
    ASSERT_EQ(pairs.size(), 5u);
    EXPECT_NE(pairs[0].find(R"("a":"a","b":"c","kind":"exact","jaccard":1)"), std::string::npos) << pairs[0];
    EXPECT_NE(pairs[1].find(R"("a":"b","b":"d","kind":"exact","jaccard":1)"), std::string::npos) << pairs[1];
    EXPECT_NE(pairs[2].find(R"("a":"b","b":"e","kind":"near")"), std::string::npos) << pairs[2];
  }
  EXPECT_EQ(testing::read_file(t / "out1/pairs.jsonl"), testing::read_file(t / "out2/pairs.jsonl"));
  EXPECT_EQ(testing::read_file(t / "out1/clusters.jsonl"), testing::read_file(t / "out2/clusters.jsonl"));
}

core::Hash128 nth_hash(uint64_t i) {
  uint64_t x = i * 0x9e3779b97f4a7c15ULL + 12345;
  x ^= x >> 31;
  x *= 0xbf58476d1ce4e5b9ULL;
  return {x | 1, (x >> 7) * 31 + i};
}

TEST(ExactSet, HoldsWhatWasInsertedAcrossGrowth) {
  pipeline::ExactSet set;
  for (uint64_t i = 0; i < 100000; i += 2) set.insert(nth_hash(i));
  set.insert(nth_hash(0));  // again: still one entry
  EXPECT_EQ(set.size(), 50000u);
  for (uint64_t i = 0; i < 100000; ++i) ASSERT_EQ(set.contains(nth_hash(i)), i % 2 == 0) << i;
  // Equal low words, different high words: both kept apart.
  set.insert({77, 1});
  EXPECT_TRUE(set.contains({77, 1}));
  EXPECT_FALSE(set.contains({77, 2}));
  set.insert({0, 5});  // a low word of 0 marks an empty slot: never stored
  EXPECT_FALSE(set.contains({0, 5}));
}

TEST(ExactSet, ReadersDuringInsertsFindEveryPublishedHash) {
  pipeline::ExactSet set;
  constexpr uint64_t kHashes = 200000;
  std::atomic<uint64_t> published{0};  // hashes [0, published) are inserted
  std::thread writer([&] {
    for (uint64_t i = 0; i < kHashes; ++i) {
      set.insert(nth_hash(i));
      published.store(i + 1, std::memory_order_release);
    }
  });
  std::atomic<bool> failed{false};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&, r] {
      uint64_t x = 99 + static_cast<uint64_t>(r);
      while (published.load(std::memory_order_acquire) < kHashes && !failed.load()) {
        const uint64_t seen = published.load(std::memory_order_acquire);
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        if (seen > 0 && !set.contains(nth_hash((x >> 20) % seen))) failed = true;
        if (set.contains(nth_hash(kHashes + (x >> 20) % kHashes))) failed = true;
      }
    });
  }
  writer.join();
  for (std::thread& r : readers) r.join();
  EXPECT_FALSE(failed.load());
  EXPECT_EQ(set.size(), kHashes);
}

TEST(IdIndex, FirstHolderOfEachIdAsAMapWouldSay) {
  for (const bool weak_hash : {false, true}) {
    pipeline::IdIndex index;
    std::unordered_map<std::string, uint32_t> expected;
    std::vector<std::string> ids;  // document d's id
    uint32_t x = 12345;
    for (int record = 0; record < 30000; ++record) {
      x = x * 1664525u + 1013904223u;
      const std::string id = "doc-" + std::to_string((x >> 8) % 20000);
      const uint64_t h = weak_hash ? id.size() % 3 * 0x9e3779b97f4a7c15ULL : pipeline::IdIndex::hash(id);
      const auto doc = static_cast<uint32_t>(ids.size());
      const auto got = index.insert(h, id, doc, [&](uint32_t d) -> const std::string& { return ids[d]; });
      const auto [it, inserted] = expected.try_emplace(id, doc);
      ASSERT_EQ(got.has_value(), !inserted) << id;
      if (got) {
        ASSERT_EQ(*got, it->second) << id;
      } else {
        ids.push_back(id);
      }
      if (weak_hash && record == 3000) break;  // every lookup probes a long run: keep it short
    }
    EXPECT_EQ(index.size(), expected.size());
  }
}

TEST(DocumentStage, LineKeysComeWithTheSketchUnchanged) {
  // dedup asks process_document() for the line keys while sketching: they must
  // be boilerplate::line_keys() of the text, and asking must change nothing else.
  const std::vector<std::string> texts = {
      "", "Home | World\r\n\r\nThe council met.\nIt voted.  \n  share THIS post",
      "e\n\u0301 mark first\n\u4e2d\u6587\n\n",
      "A longer first paragraph of several words, so that there are shingles.\r\nHome | World\r\n"
      "And a second one, with other words in it, and then the same again.\n  HOME |  world  "};
  pipeline::ShingleConfig config;
  text::NormalizedText s;
  std::vector<boilerplate::Line> lines = {{boilerplate::line_key("Home | World", s), 30, 0}};
  const boilerplate::BoilerplateSet empty_set, set(lines);
  for (const std::string& text : texts) {
    for (const boilerplate::BoilerplateSet* bp : {&empty_set, &set}) {
      for (const bool whole_text_tokens : {true, false}) {
        const pipeline::BoilerplateFilter filter{bp, nullptr, whole_text_tokens};
        pipeline::DocumentScratch plain_scratch, keyed_scratch;
        pipeline::ProcessedDocument plain, keyed;
        pipeline::process_document(text, config, plain_scratch, plain, false, filter);
        keyed_scratch.line_keys_wanted = true;
        pipeline::process_document(text, config, keyed_scratch, keyed, false, filter);
        std::vector<uint64_t> expected;
        boilerplate::line_keys(text, s, expected);
        EXPECT_EQ(keyed_scratch.line_keys, expected);
        EXPECT_EQ(keyed.exact, plain.exact);
        EXPECT_EQ(keyed.shingles, plain.shingles);
        EXPECT_EQ(keyed.normalized_bytes, plain.normalized_bytes);
        EXPECT_EQ(keyed.empty, plain.empty);
        EXPECT_EQ(keyed.boilerplate_fraction, plain.boilerplate_fraction);
      }
    }
  }
}

// process_document() with a boilerplate set, spelled out the way it was first
// written: boilerplate::strip(), the content processed as a text of its own,
// the whole text processed for its exact hash and size.
pipeline::ProcessedDocument stripped_the_long_way(const std::string& text, const boilerplate::BoilerplateSet& set,
                                                  std::vector<std::pair<uint64_t, std::string>>& examples) {
  const pipeline::ShingleConfig config;
  pipeline::DocumentScratch scratch;
  pipeline::ProcessedDocument whole, content_doc;
  pipeline::process_document(text, config, scratch, whole);
  text::NormalizedText s;
  std::string content;
  const boilerplate::Stripped st = boilerplate::strip(text, set, s, content, &examples);
  if (st.boilerplate_lines == 0) return whole;
  whole.boilerplate_fraction = st.fraction();
  pipeline::process_document(content, config, scratch, content_doc);
  if (content.empty() || content_doc.empty) {
    whole.only_boilerplate = true;
  } else {
    whole.shingles = content_doc.shingles;
    whole.empty = false;
  }
  return whole;
}

TEST(DocumentStage, BoilerplateFromOneNormalisationMatchesStrip) {
  // The boilerplate branch normalises the whole text once and reads the content
  // off it; everything it reports must be what strip() and normalising the
  // content and the whole text separately give.
  static const char* const kPieces[] = {
      "\n", "\r\n", "\n\n", " ", "\t", "Sign in", "\nSign in\n", "\n  SHARE this   post \r\n", "\n\u0301\n",
      "e", "\u0301", "\u4e2d\u6587", "\u00a0", "\xff", "\x01", "---", "one two three four five six seven",
      "the council met and it voted", "Word", "\u2019s", "\ufb01"};
  text::NormalizedText s;
  std::vector<boilerplate::Line> lines;
  for (const char* l : {"Sign in", "share this post", "\u0301", "---"}) lines.push_back({boilerplate::line_key(l, s), 30, 0});
  std::sort(lines.begin(), lines.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  const boilerplate::BoilerplateSet set(lines);
  std::vector<std::string> texts = {"", "Sign in", "Sign in\n---\n\n", "Sign in\none two three four five six",
                                    "---\nSign in\nwords", "x\nSign in\r\n\u0301\ne"};
  uint64_t state = 7;
  for (int i = 0; i < 3000; ++i) {
    std::string text;
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    for (uint64_t k = 0, n = (state >> 33) % 30; k < n; ++k) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      text += kPieces[(state >> 33) % std::size(kPieces)];
    }
    texts.push_back(text);
  }
  const pipeline::ShingleConfig config;
  for (const std::string& text : texts) {
    std::vector<std::pair<uint64_t, std::string>> expected_examples;
    const pipeline::ProcessedDocument expected = stripped_the_long_way(text, set, expected_examples);
    for (const bool whole_text_tokens : {true, false}) {
      for (const bool with_offsets : {false, true}) {
        if (with_offsets && !whole_text_tokens) continue;  // explain always wants the whole text's tokens
        std::vector<std::pair<uint64_t, std::string>> examples;
        pipeline::DocumentScratch scratch;
        pipeline::ProcessedDocument got;
        pipeline::process_document(text, config, scratch, got, with_offsets, {&set, &examples, whole_text_tokens});
        const std::string where = ::testing::PrintToString(text) + (whole_text_tokens ? " tokens" : " again");
        ASSERT_EQ(got.shingles, expected.shingles) << where;
        ASSERT_EQ(got.exact, expected.exact) << where;
        ASSERT_EQ(got.normalized_bytes, expected.normalized_bytes) << where;
        ASSERT_EQ(got.empty, expected.empty) << where;
        ASSERT_EQ(got.boilerplate_fraction, expected.boilerplate_fraction) << where;
        ASSERT_EQ(got.only_boilerplate, expected.only_boilerplate) << where;
        ASSERT_EQ(examples, expected_examples) << where;
      }
    }
  }
}

}  // namespace
}  // namespace doppel

namespace doppel {
namespace {

// Sets written in place (room + claim) and copied in (store) must share blocks
// without overlapping, and an unclaimed room must be offered again.
TEST(ShingleArena, RoomAndClaimInterleaveWithStore) {
  pipeline::ShingleArena arena;
  std::vector<std::span<uint64_t>> kept;
  std::vector<uint64_t> sizes;
  for (uint64_t i = 0; i < 5000; ++i) {
    const size_t n = 1 + (i * 7919) % 1500;
    if (i % 3 == 0) {
      kept.push_back(arena.store(std::vector<uint64_t>(n, i)));
    } else {
      std::span<uint64_t> room = arena.room();
      ASSERT_FALSE(room.empty());
      if (room.size() < n) {
        kept.push_back(arena.store(std::vector<uint64_t>(n, i)));
      } else {
        std::fill_n(room.begin(), n, i);
        if (i % 5 == 0) {
          ASSERT_EQ(arena.room().data(), room.data()) << "unclaimed room moved";
        }
        kept.push_back(arena.claim(n));
        ASSERT_EQ(kept.back().data(), room.data());
      }
    }
    sizes.push_back(n);
  }
  for (uint64_t i = 0; i < kept.size(); ++i) {
    ASSERT_EQ(kept[i].size(), sizes[i]) << i;
    ASSERT_TRUE(std::all_of(kept[i].begin(), kept[i].end(), [&](uint64_t e) { return e == i; })) << i;
  }
}

// dedup offers its arena as DocumentScratch::sort_room: the set must then land
// there, equal to the one process_document() returns without room offered, and
// a room too small must leave the set in the output as before.
TEST(DocumentStage, SortsIntoOfferedRoom) {
  const pipeline::ShingleConfig config;
  const std::string texts[] = {"", "one", "a b c d e f g h", std::string(5000, 'x') + " tail words here and more words",
                               [] {
                                 std::string s;
                                 for (int i = 0; i < 20000; ++i) s += "w" + std::to_string(i % 7001) + (i % 13 ? " " : "\n");
                                 return s;
                               }()};
  for (const std::string& text : texts) {
    pipeline::DocumentScratch plain_scratch;
    pipeline::ProcessedDocument plain;
    pipeline::process_document(text, config, plain_scratch, plain);
    for (const size_t room_size : {size_t{0}, plain.shingles.size() / 2, size_t{40000}}) {
      pipeline::DocumentScratch scratch;
      pipeline::ProcessedDocument got;
      std::vector<uint64_t> room(room_size + 1);
      scratch.sort_room = std::span<uint64_t>(room.data(), room_size);
      pipeline::process_document(text, config, scratch, got);
      const std::span<uint64_t> in_room = scratch.sort_room;
      const std::string where = std::to_string(text.size()) + " " + std::to_string(room_size);
      EXPECT_EQ(got.exact, plain.exact) << where;
      EXPECT_EQ(got.empty, plain.empty) << where;
      if (in_room.data() != nullptr) {
        EXPECT_TRUE(got.shingles.empty()) << where;
        EXPECT_EQ(in_room.data(), room.data()) << where;
        EXPECT_EQ(std::vector<uint64_t>(in_room.begin(), in_room.end()), plain.shingles) << where;
      } else {
        // Only a room the set's sequence does not fit is declined.
        EXPECT_LT(room_size, plain.shingles.size()) << where;
        EXPECT_EQ(got.shingles, plain.shingles) << where;
      }
    }
  }
}

}  // namespace
}  // namespace doppel
