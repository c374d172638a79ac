// File: cluster/cluster.hpp
//
// Connected components over verified matches, a deterministic representative
// per component, and for every other member the match that links it (through a
// chain of verified matches) to that representative.
//
// Nothing here depends on thread scheduling: components are numbered in order of
// their smallest document index, and ties are always broken by index.
//
//   auto comps = doppel::cluster::connected_components(n, edges);
//   auto reps = doppel::cluster::choose_representatives(comps, better);
//   auto links = doppel::cluster::link_to_representatives(n, edges, comps, reps);
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace doppel::cluster {

inline constexpr uint32_t kNone = 0xffffffffu;

// A verified match between documents a and b. `rank` orders the kinds of match
// (lower = stronger, e.g. exact < near < contained) when choosing which match
// explains a document's membership.
struct Edge {
  uint32_t a = 0;
  uint32_t b = 0;
  uint8_t rank = 0;
};

class UnionFind {
 public:
  explicit UnionFind(uint32_t n);
  uint32_t find(uint32_t x);
  // Returns true when x and y were in different sets.
  bool unite(uint32_t x, uint32_t y);

 private:
  std::vector<uint32_t> parent_;
  std::vector<uint8_t> rank_;
};

struct Components {
  std::vector<uint32_t> component_of;          // per document: component number
  std::vector<std::vector<uint32_t>> members;  // per component: sorted document indices
};

// Components are numbered 0, 1, ... in increasing order of their smallest member.
Components connected_components(uint32_t num_docs, std::span<const Edge> edges);

// `better(x, y)` is a strict weak order: true when document x should be kept over y.
// Ties (neither is better) fall back to the smaller index.
using BetterFn = std::function<bool(uint32_t, uint32_t)>;
std::vector<uint32_t> choose_representatives(const Components& components, const BetterFn& better);

// For every document, the neighbour one step closer to its component's
// representative along a shortest path of edges (breadth-first from the
// representative, neighbours visited by (rank, index)), and the edge used.
// The representative itself and singletons get kNone.
struct Link {
  uint32_t parent = kNone;
  uint32_t edge = kNone;  // index into the edges span
};
std::vector<Link> link_to_representatives(uint32_t num_docs, std::span<const Edge> edges,
                                          const Components& components,
                                          std::span<const uint32_t> representatives);

}  // namespace doppel::cluster
