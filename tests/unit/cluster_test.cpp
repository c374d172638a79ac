// File: cluster_test.cpp
#include "cluster/cluster.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace doppel::cluster {
namespace {

TEST(UnionFind, UnitesAndFinds) {
  UnionFind uf(6);
  EXPECT_TRUE(uf.unite(0, 1));
  EXPECT_TRUE(uf.unite(2, 3));
  EXPECT_FALSE(uf.unite(1, 0));
  EXPECT_TRUE(uf.unite(1, 3));
  EXPECT_EQ(uf.find(0), uf.find(2));
  EXPECT_NE(uf.find(0), uf.find(4));
  EXPECT_NE(uf.find(4), uf.find(5));
}

TEST(Components, NumberedByFirstMemberRegardlessOfEdgeOrder) {
  std::vector<Edge> edges = {{5, 6, 0}, {1, 5, 1}, {2, 3, 0}};
  Components c = connected_components(8, edges);
  // Components in order of smallest member: {0}, {1,5,6}, {2,3}, {4}, {7}.
  ASSERT_EQ(c.members.size(), 5u);
  EXPECT_EQ(c.members[1], (std::vector<uint32_t>{1, 5, 6}));
  EXPECT_EQ(c.component_of[6], 1u);
  EXPECT_EQ(c.component_of[3], 2u);
  EXPECT_EQ(c.component_of[7], 4u);

  std::mt19937 rng(1);
  for (int trial = 0; trial < 20; ++trial) {
    std::shuffle(edges.begin(), edges.end(), rng);
    EXPECT_EQ(connected_components(8, edges).component_of, c.component_of);
  }
}

TEST(Representatives, BetterWinsAndTiesGoToSmallerIndex) {
  Components c = connected_components(5, std::vector<Edge>{{0, 1, 0}, {1, 2, 0}, {3, 4, 0}});
  std::vector<int> length = {10, 30, 30, 5, 5};
  auto reps = choose_representatives(c, [&](uint32_t x, uint32_t y) { return length[x] > length[y]; });
  EXPECT_EQ(reps, (std::vector<uint32_t>{1, 3}));
}

TEST(Links, ChainLeadsToRepresentativeAndPrefersStrongerEdges) {
  // 0 -(rank 2)- 1, 1 -(rank 0)- 2, 0 -(rank 1)- 2, 3 alone.
  std::vector<Edge> edges = {{0, 1, 2}, {1, 2, 0}, {0, 2, 1}};
  Components c = connected_components(4, edges);
  std::vector<uint32_t> reps = {0, 3};
  auto links = link_to_representatives(4, edges, c, reps);
  EXPECT_EQ(links[0].parent, kNone);
  EXPECT_EQ(links[3].parent, kNone);
  // Both 1 and 2 are direct neighbours of 0; each links straight to it.
  EXPECT_EQ(links[1].parent, 0u);
  EXPECT_EQ(links[1].edge, 0u);
  EXPECT_EQ(links[2].parent, 0u);
  EXPECT_EQ(links[2].edge, 2u);

  // A path 0-1-2 without the shortcut: 2 links through 1.
  std::vector<Edge> path = {{0, 1, 0}, {1, 2, 0}};
  auto plinks = link_to_representatives(3, path, connected_components(3, path), std::vector<uint32_t>{0});
  EXPECT_EQ(plinks[2].parent, 1u);
  EXPECT_EQ(plinks[1].parent, 0u);
}

}  // namespace
}  // namespace doppel::cluster
