// File: cluster/cluster.cpp
#include "cluster/cluster.hpp"

#include <algorithm>
#include <deque>
#include <numeric>

namespace doppel::cluster {

UnionFind::UnionFind(uint32_t n) : parent_(n), rank_(n, 0) {
  std::iota(parent_.begin(), parent_.end(), 0u);
}

uint32_t UnionFind::find(uint32_t x) {
  uint32_t root = x;
  while (parent_[root] != root) root = parent_[root];
  while (parent_[x] != root) {  // path compression keeps later finds O(alpha(n))
    uint32_t next = parent_[x];
    parent_[x] = root;
    x = next;
  }
  return root;
}

bool UnionFind::unite(uint32_t x, uint32_t y) {
  x = find(x);
  y = find(y);
  if (x == y) return false;
  if (rank_[x] < rank_[y]) std::swap(x, y);
  parent_[y] = x;
  if (rank_[x] == rank_[y]) ++rank_[x];
  return true;
}

Components connected_components(uint32_t num_docs, std::span<const Edge> edges) {
  UnionFind uf(num_docs);
  for (const Edge& e : edges) uf.unite(e.a, e.b);
  Components out;
  out.component_of.assign(num_docs, kNone);
  // Root ids depend on union order; renumbering by first member does not.
  std::vector<uint32_t> number_of_root(num_docs, kNone);
  for (uint32_t d = 0; d < num_docs; ++d) {
    uint32_t root = uf.find(d);
    if (number_of_root[root] == kNone) {
      number_of_root[root] = static_cast<uint32_t>(out.members.size());
      out.members.emplace_back();
    }
    out.component_of[d] = number_of_root[root];
    out.members[number_of_root[root]].push_back(d);  // ascending because d ascends
  }
  return out;
}

std::vector<uint32_t> choose_representatives(const Components& components, const BetterFn& better) {
  std::vector<uint32_t> reps;
  reps.reserve(components.members.size());
  for (const auto& members : components.members) {
    uint32_t best = members.front();
    for (uint32_t d : members) {
      if (better(d, best)) best = d;  // members ascend, so ties keep the smaller index
    }
    reps.push_back(best);
  }
  return reps;
}

std::vector<Link> link_to_representatives(uint32_t num_docs, std::span<const Edge> edges,
                                          const Components& components,
                                          std::span<const uint32_t> representatives) {
  // Adjacency as CSR, each list sorted by (rank, neighbour) so the walk is canonical.
  struct Adj {
    uint8_t rank;
    uint32_t other;
    uint32_t edge;
  };
  std::vector<uint32_t> start(num_docs + 1, 0);
  for (const Edge& e : edges) {
    ++start[e.a + 1];
    ++start[e.b + 1];
  }
  for (uint32_t d = 0; d < num_docs; ++d) start[d + 1] += start[d];
  std::vector<Adj> adj(start[num_docs]);
  std::vector<uint32_t> fill(start.begin(), start.end() - 1);
  for (uint32_t i = 0; i < edges.size(); ++i) {
    const Edge& e = edges[i];
    adj[fill[e.a]++] = {e.rank, e.b, i};
    adj[fill[e.b]++] = {e.rank, e.a, i};
  }
  for (uint32_t d = 0; d < num_docs; ++d) {
    std::sort(adj.begin() + start[d], adj.begin() + start[d + 1], [](const Adj& x, const Adj& y) {
      return std::tie(x.rank, x.other, x.edge) < std::tie(y.rank, y.other, y.edge);
    });
  }

  std::vector<Link> links(num_docs);
  std::vector<uint8_t> seen(num_docs, 0);
  std::deque<uint32_t> queue;
  for (size_t c = 0; c < components.members.size(); ++c) {
    uint32_t rep = representatives[c];
    seen[rep] = 1;
    queue.push_back(rep);
    while (!queue.empty()) {
      uint32_t d = queue.front();
      queue.pop_front();
      for (uint32_t k = start[d]; k < start[d + 1]; ++k) {
        uint32_t o = adj[k].other;
        if (seen[o]) continue;
        seen[o] = 1;
        links[o] = {d, adj[k].edge};
        queue.push_back(o);
      }
    }
  }
  return links;
}

}  // namespace doppel::cluster
