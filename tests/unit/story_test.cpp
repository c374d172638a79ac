// File: story_test.cpp
#include "story/story.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "test_support.hpp"
#include "text/normalize.hpp"

namespace doppel::story {
namespace {

TermVector terms_of(const std::string& original) {
  text::NormalizedText n;
  text::normalize(original, n);
  std::vector<text::Token> tokens;
  text::tokenize(n.text, text::TokenMode::kWord, tokens);
  TermVector v;
  extract_terms(n.text, tokens, v);
  return v;
}

// Three rewrites of one invented event, two of another, and unrelated briefs.
const std::vector<std::string> kDocs = {
    "Lakeport council reopened the Marisol Quintero bridge on Tuesday after a 4.2 million repair. "
    "Mayor Odell Frain cut the ribbon as ferries paused in the harbor.",
    "The Quintero bridge in Lakeport is open again. Repairs cost 4.2 million, and mayor Frain "
    "thanked crews who worked through the winter on the harbor crossing.",
    "Traffic returned to Lakeport's harbor crossing, the Marisol Quintero bridge, when Odell Frain "
    "declared the 4.2 million restoration complete.",
    "The Vellmar Chamber Orchestra begins a nine-city tour in Grenholt with a new cello concerto "
    "by Ilse Marrow.",
    "Ilse Marrow's cello concerto opens the Vellmar Chamber Orchestra tour in Grenholt, the first of "
    "nine cities.",
    "Rain is expected across the northern valleys through Friday with cooler nights.",
    "Wheat futures slipped as traders weighed larger harvests in the southern plains.",
};

TEST(Story, RewritesOfOneEventFormOneStory) {
  std::vector<TermVector> docs;
  for (const auto& d : kDocs) docs.push_back(terms_of(d));
  StoryGroups g = group_stories(docs, {}, StoryOptions{});
  ASSERT_EQ(g.story_of.size(), kDocs.size());
  EXPECT_EQ(g.story_of[0], g.story_of[1]);
  EXPECT_EQ(g.story_of[0], g.story_of[2]);
  EXPECT_EQ(g.story_of[3], g.story_of[4]);
  EXPECT_NE(g.story_of[0], g.story_of[3]);
  EXPECT_NE(g.story_of[5], g.story_of[6]);
  EXPECT_NE(g.story_of[5], g.story_of[0]);
  EXPECT_EQ(g.stories, 4u);
  // Story numbers follow the first document of each story.
  EXPECT_EQ(g.story_of[0], 0u);
  EXPECT_EQ(g.story_of[3], 1u);
}

TEST(Story, DateWindowKeepsDistantEventsApart) {
  std::vector<TermVector> docs = {terms_of(kDocs[0]), terms_of(kDocs[1]), terms_of(kDocs[5])};
  std::vector<std::optional<int64_t>> days = {parse_day("2025-08-23"), parse_day("2026-03-01"), std::nullopt};
  StoryOptions o;
  o.window_days = 3;
  EXPECT_NE(group_stories(docs, days, o).story_of[0], group_stories(docs, days, o).story_of[1]);
  o.window_days = 365;
  auto g = group_stories(docs, days, o);
  EXPECT_EQ(g.story_of[0], g.story_of[1]);
}

TEST(Story, StopWordsAndCjkBigrams) {
  TermVector only_stops = terms_of("The and of to in it was");
  EXPECT_TRUE(only_stops.empty());
  TermVector zh = terms_of("新浪娱乐讯");
  EXPECT_EQ(zh.size(), 4u);  // 新浪 浪娱 娱乐 乐讯
  TermVector counted = terms_of("bridge Bridge BRIDGE harbor");
  ASSERT_EQ(counted.size(), 2u);
  uint32_t total = counted[0].count + counted[1].count;
  EXPECT_EQ(total, 4u);
}

TEST(Story, SimilarityIsSymmetricAndBounded) {
  std::vector<TermVector> docs;
  for (const auto& d : kDocs) docs.push_back(terms_of(d));
  double s01 = story_similarity(docs, 0, 1);
  EXPECT_NEAR(s01, story_similarity(docs, 1, 0), 1e-12);
  EXPECT_GT(s01, 0.2);
  EXPECT_LT(story_similarity(docs, 0, 6), 0.05);
  EXPECT_NEAR(story_similarity(docs, 2, 2), 1.0, 1e-6);
}

TEST(Story, ParseDay) {
  EXPECT_EQ(parse_day("1970-01-01"), 0);
  EXPECT_EQ(parse_day("1970-01-02T10:00:00Z"), 1);
  EXPECT_EQ(parse_day("2000-03-01"), 11017);
  EXPECT_EQ(*parse_day("2025-08-24") - *parse_day("2025-08-23"), 1);
  EXPECT_FALSE(parse_day("23/08/2025"));
  EXPECT_FALSE(parse_day("2025-13-01"));
}

// The motivating case: five reports of one event form one story.
TEST(Story, SeedArticlesFormOneStory) {
  auto shared = testing::shared_dir();
  if (shared.empty() || !std::filesystem::is_directory(shared / "seeds")) GTEST_SKIP() << "no ../shared/seeds";
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(shared / "seeds")) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<TermVector> docs;
  for (const auto& f : files) docs.push_back(terms_of(testing::read_file(f)));
  ASSERT_EQ(docs.size(), 5u);
  auto g = group_stories(docs, {}, StoryOptions{});
  EXPECT_EQ(g.stories, 1u);
}

}  // namespace
}  // namespace doppel::story
