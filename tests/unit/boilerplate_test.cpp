// File: boilerplate_test.cpp
#include "boilerplate/boilerplate.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace doppel::boilerplate {
namespace {

std::vector<uint64_t> keys(const std::string& text) {
  text::NormalizedText scratch;
  std::vector<uint64_t> out;
  line_keys(text, scratch, out);
  return out;
}

TEST(Boilerplate, LineKeysIgnoreCaseSpacingAndEmptyLines) {
  text::NormalizedText s;
  EXPECT_EQ(line_key("  Share   this POST ", s), line_key("share this post", s));
  EXPECT_EQ(line_key("   ", s), 0u);
  EXPECT_NE(line_key("Share this post", s), line_key("Share this page", s));
  EXPECT_EQ(keys("a line\n\nA LINE\r\nother").size(), 2u);  // repeated and empty lines count once
}

TEST(Boilerplate, GlobalRuleCountsDistinctDocuments) {
  LineStats stats;
  const std::string nav = "Home | World | Sport | Sign in";
  for (int i = 0; i < 25; ++i) {
    std::string doc = nav + "\nStory number " + std::to_string(i) + " about something\n" + nav;
    stats.add(keys(doc), std::nullopt);
  }
  Options o;
  o.min_docs = 20;
  BoilerplateSet set = stats.finish(o);
  text::NormalizedText s;
  ASSERT_EQ(set.lines().size(), 1u);
  EXPECT_TRUE(set.contains(line_key(nav, s)));
  EXPECT_EQ(set.find(line_key(nav, s))->documents, 25u);
}

TEST(Boilerplate, BelowTheThresholdNothingIsBoilerplate) {
  LineStats stats;
  for (int i = 0; i < 5; ++i) stats.add(keys("A shared paragraph of a reprinted story.\nunique " + std::to_string(i)), {});
  EXPECT_TRUE(stats.finish(Options{}).empty());
}

TEST(Boilerplate, PerSourceRuleCatchesSmallSiteTemplates) {
  LineStats stats;
  // Site 1's footer in 4 of its documents; an article reprinted once by each of 4 sites.
  for (uint64_t i = 0; i < 4; ++i) stats.add(keys("Site one footer (c) 2025\nbrief " + std::to_string(i)), uint64_t{1});
  for (uint64_t site = 2; site < 6; ++site) stats.add(keys("The reprinted article paragraph."), site);
  BoilerplateSet set = stats.finish(Options{});
  text::NormalizedText s;
  EXPECT_TRUE(set.contains(line_key("Site one footer (c) 2025", s)));
  EXPECT_FALSE(set.contains(line_key("The reprinted article paragraph.", s)));
  EXPECT_EQ(set.find(line_key("Site one footer (c) 2025", s))->source_documents, 4u);
}

TEST(Boilerplate, StripKeepsContentAndReportsTheShare) {
  text::NormalizedText s;
  std::vector<Line> lines = {{line_key("Share this post", s), 30, 0}, {line_key("Sign in", s), 30, 0}};
  std::sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) { return a.key < b.key; });
  BoilerplateSet set(lines);
  std::string content;
  std::vector<std::pair<uint64_t, std::string>> examples;
  Stripped st = strip("Sign in\nThe council met.\n\nIt voted.\r\nshare THIS post", set, s, content, &examples);
  EXPECT_EQ(content, "The council met.\nIt voted.");
  EXPECT_EQ(st.lines, 4u);
  EXPECT_EQ(st.boilerplate_lines, 2u);
  EXPECT_NEAR(st.fraction(), double(7 + 15) / double(7 + 16 + 9 + 15), 1e-12);
  ASSERT_EQ(examples.size(), 2u);
  EXPECT_EQ(examples[0].second, "Sign in");
  Stripped all = strip("Sign in", set, s, content);
  EXPECT_TRUE(content.empty());
  EXPECT_DOUBLE_EQ(all.fraction(), 1.0);
}

}  // namespace
}  // namespace doppel::boilerplate
