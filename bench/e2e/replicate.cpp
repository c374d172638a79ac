// File: bench/e2e/replicate.cpp
//
// doppel-replicate: grows real text into a benchmark corpus of any size, with
// planted copies and their truth. The generated corpus (tools/gen-corpus) has
// a synthetic vocabulary and paragraph shape; this one keeps real text's: its
// line structure, word lengths and frequencies, punctuation, its natural
// duplicates and its boilerplate.
//
// Round 0 writes every source document as it is. Each later round writes them
// all again with every ASCII word replaced through that round's own
// permutation of the sources' vocabulary: a bijection between words of equal
// length, seeded by (--seed, round), that keeps each letter's case. A round's
// documents are therefore new to the rounds before it (no shared shingles
// beyond chance), while everything inside a round (which documents duplicate
// which, which lines repeat) is exactly as in the sources. Non-ASCII text and
// everything that is not a letter stay as they are.
//
// Every --plant-every'th document of a round (chosen by a hash of seed, round
// and position, so about that share) also gets a planted copy, written a
// little later in the stream:
//   exact      the same text with two words' case changed and a few spaces doubled
//   near       one word in a hundred (at least one) replaced by another word
//              of the vocabulary
//   contained  a contiguous run of lines holding 20%-80% of a document of at
//              least 300 words, between a header and a footer of up to eight
//              words taken from another document
// (a copy needs 10 words, near 60 and contained 300; a shorter document gets
// the next kind that it can hold, or none).
//
// Writes DIR/docs.jsonl ({"id","text"}), DIR/planted.jsonl ({"a":copy,
// "b":source,"kind"}) and DIR/truth.jsonl ({"id","cluster"}: the source's id
// for a planted copy, else the document's own; the sources' natural
// duplicates are not labelled), which `doppel eval --truth --planted` reads.
// The same sources and flags give byte-identical files: every random choice
// comes from a splitmix64 stream, never from the standard library's
// distributions, whose output is not fixed.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "io/reader.hpp"
#include "report/json.hpp"

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kUsage =
    R"(doppel-replicate: grow real text into a benchmark corpus with planted copies.

Usage: doppel-replicate --out DIR [options] SOURCE...

SOURCE is anything doppel dedup reads (JSONL, .jsonl.gz, .jsonl.zst, .txt, directories).
Round 0 is the sources as they are; each later round is all of them again with every
ASCII word mapped through that round's permutation of the vocabulary among words of
the same length (case kept), so rounds do not copy each other.

Options:
  --out DIR           write DIR/docs.jsonl, DIR/planted.jsonl and DIR/truth.jsonl
  --target-mb M       stop once the documents' text reaches M megabytes
                      (1 MB = 1,000,000 bytes; default 1024)
  --seed S            seed of the permutations and planted copies (default 1)
  --plant-every N     about one document in N per round gets a planted copy
                      (default 20; 0 plants none)
  -h, --help          show this help
)";

struct Options {
  fs::path out;
  double target_mb = 1024;
  uint64_t seed = 1;
  uint64_t plant_every = 20;
  std::vector<std::string> sources;
};

[[noreturn]] void die(const std::string& message) {
  fmt::print(stderr, "doppel-replicate: {}\n", message);
  std::exit(2);
}

uint64_t splitmix(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A value in [0, n) (the modulo bias, under n / 2^64, does not matter here).
uint64_t below(uint64_t& state, uint64_t n) {
  return splitmix(state) % n;
}

uint64_t mix(uint64_t a, uint64_t b, uint64_t c) {
  uint64_t s = a * 0x9e3779b97f4a7c15ULL ^ b * 0xc2b2ae3d27d4eb4fULL ^ c;
  return splitmix(s);
}

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; }

// Calls on_word(begin, end) for every maximal run of ASCII letters in `text`.
template <typename Fn>
void for_each_word(std::string_view text, Fn&& on_word) {
  size_t i = 0;
  while (i < text.size()) {
    if (!is_letter(text[i])) {
      ++i;
      continue;
    }
    size_t j = i + 1;
    while (j < text.size() && is_letter(text[j])) ++j;
    on_word(i, j);
    i = j;
  }
}

// The sources' lower-cased ASCII words, numbered in sorted order so that the
// numbering (and every permutation drawn over it) does not depend on the
// order of a hash map.
class Vocabulary {
 public:
  void add_words_of(std::string_view text) {
    std::string key;
    for_each_word(text, [&](size_t b, size_t e) {
      key.assign(text.substr(b, e - b));
      for (char& c : key) c = lower(c);
      ids_.try_emplace(key, 0);
    });
  }

  void finish() {
    words_.reserve(ids_.size());
    for (const auto& [w, id] : ids_) words_.push_back(w);
    std::sort(words_.begin(), words_.end());
    for (uint32_t i = 0; i < words_.size(); ++i) ids_[words_[i]] = i;
  }

  // Round r's bijection: within each word length, the words shuffled (Fisher-Yates).
  std::vector<uint32_t> permutation(uint64_t seed, uint64_t round) const {
    std::vector<uint32_t> perm(words_.size());
    std::vector<std::vector<uint32_t>> by_length;
    for (uint32_t i = 0; i < words_.size(); ++i) {
      size_t n = words_[i].size();
      if (by_length.size() <= n) by_length.resize(n + 1);
      by_length[n].push_back(i);
    }
    uint64_t state = mix(seed, round, 0x7065726d);
    for (const auto& group : by_length) {
      std::vector<uint32_t> shuffled = group;
      for (size_t i = shuffled.size(); i > 1; --i) std::swap(shuffled[i - 1], shuffled[below(state, i)]);
      for (size_t i = 0; i < group.size(); ++i) perm[group[i]] = shuffled[i];
    }
    return perm;
  }

  uint32_t id(std::string_view lower_word) const { return ids_.find(lower_word)->second; }
  const std::string& word(uint32_t id) const { return words_[id]; }
  size_t size() const { return words_.size(); }

 private:
  // Transparent, so that lookups take a string_view without building a string.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, uint32_t, Hash, std::equal_to<>> ids_;
  std::vector<std::string> words_;
};

// Rewrites `text` through `perm` (nullptr: unchanged) into `out`, keeping case letter by letter.
void map_words(const Vocabulary& vocab, const std::vector<uint32_t>* perm, std::string_view text, std::string& out) {
  out.assign(text);
  if (perm == nullptr) return;
  std::string key;
  for_each_word(text, [&](size_t b, size_t e) {
    key.assign(text.substr(b, e - b));
    for (char& c : key) c = lower(c);
    const std::string& to = vocab.word((*perm)[vocab.id(key)]);
    for (size_t k = 0; k < to.size(); ++k) out[b + k] = (text[b + k] == key[k]) ? to[k] : upper(to[k]);
  });
}

size_t count_words(std::string_view text) {
  size_t n = 0;
  for_each_word(text, [&](size_t, size_t) { ++n; });
  return n;
}

std::string plant_exact(std::string_view text, uint64_t& state) {
  std::string out(text);
  std::vector<std::pair<size_t, size_t>> words;
  for_each_word(out, [&](size_t b, size_t e) { words.emplace_back(b, e); });
  for (int k = 0; k < 2 && !words.empty(); ++k) {
    size_t b = words[below(state, words.size())].first;
    out[b] = (out[b] >= 'a' && out[b] <= 'z') ? upper(out[b]) : lower(out[b]);
  }
  // A few single spaces doubled, back to front so that positions stay valid.
  std::vector<size_t> spaces;
  for (size_t i = 0; i < out.size(); ++i)
    if (out[i] == ' ') spaces.push_back(i);
  std::vector<size_t> chosen;
  for (int k = 0; k < 3 && !spaces.empty(); ++k) chosen.push_back(spaces[below(state, spaces.size())]);
  std::sort(chosen.begin(), chosen.end());
  chosen.erase(std::unique(chosen.begin(), chosen.end()), chosen.end());
  for (auto it = chosen.rbegin(); it != chosen.rend(); ++it) out.insert(*it, 1, ' ');
  return out;
}

std::string plant_near(const Vocabulary& vocab, std::string_view text, size_t words, uint64_t& state) {
  // One word in a hundred (at least one), at distinct positions.
  std::vector<size_t> at;
  for (size_t k = 0; k < std::max<size_t>(1, words / 100); ++k) at.push_back(below(state, words));
  std::sort(at.begin(), at.end());
  at.erase(std::unique(at.begin(), at.end()), at.end());
  std::string out;
  size_t last = 0, index = 0, next = 0;
  for_each_word(text, [&](size_t b, size_t e) {
    if (next < at.size() && at[next] == index++) {
      ++next;
      out.append(text.substr(last, b - last));
      out += vocab.word(static_cast<uint32_t>(below(state, vocab.size())));
      last = e;
    }
  });
  out.append(text.substr(last));
  return out;
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

// The first (at most) eight words of a line of `other` at least 20 bytes long:
// a site's header or footer, small beside the excerpt it wraps.
std::string wrapper_line(std::string_view other, uint64_t& state) {
  std::vector<std::string_view> lines = lines_of(other);
  std::erase_if(lines, [](std::string_view l) { return l.size() < 20; });
  if (lines.empty()) return {};
  std::string_view l = lines[below(state, lines.size())];
  size_t end = 0, words = 0;
  for_each_word(l, [&](size_t, size_t e) {
    if (++words <= 8) end = e;
  });
  return std::string(l.substr(0, end == 0 ? l.size() : end));
}

// A contiguous run of lines holding 20%-80% of `text`'s bytes, between a
// header and a footer from `other`. Returns empty when `text` has too few
// lines to cut.
std::string plant_contained(std::string_view text, std::string_view other, uint64_t& state) {
  std::vector<std::string_view> lines = lines_of(text);
  if (lines.size() < 5) return {};
  const size_t want = text.size() * (20 + below(state, 61)) / 100;
  // The first line at which a run can start and still reach `want` bytes.
  size_t last_start = lines.size();
  for (size_t tail = 0; last_start > 0 && tail < want;) tail += lines[--last_start].size() + 1;
  size_t first = below(state, last_start + 1), taken = 0;
  std::string out = wrapper_line(other, state);
  if (!out.empty()) out += "\n\n";
  for (size_t i = first; i < lines.size() && taken < want; ++i) {
    out.append(lines[i]).append("\n");
    taken += lines[i].size() + 1;
  }
  std::string footer = wrapper_line(other, state);
  if (!footer.empty()) out.append("\n").append(footer).append("\n");
  return out;
}

class Output {
 public:
  explicit Output(const fs::path& path) : path_(path.string()), f_(std::fopen(path_.c_str(), "wb")) {
    if (f_ == nullptr) die(fmt::format("cannot create {}: {}", path_, std::strerror(errno)));
  }
  ~Output() {
    if (f_ != nullptr) std::fclose(f_);
  }
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  void write(const std::string& line) {
    if (std::fwrite(line.data(), 1, line.size(), f_) != line.size())
      die(fmt::format("cannot write {}: {}", path_, std::strerror(errno)));
  }
  void close() {
    if (std::fclose(f_) != 0) die(fmt::format("cannot write {}: {}", path_, std::strerror(errno)));
    f_ = nullptr;
  }

 private:
  std::string path_;
  std::FILE* f_;
};

struct Source {
  std::string id;
  std::string text;
};

struct Plant {
  std::string id;
  std::string source_id;
  std::string kind;
  std::string text;
  size_t due = 0;  // written after the round's document at this position
};

Options parse(int argc, char** argv) {
  Options o;
  auto value = [&](int& i) -> std::string {
    if (i + 1 >= argc) die(fmt::format("{} needs a value (see --help)", argv[i]));
    return argv[++i];
  };
  auto number = [&](int& i) -> double {
    std::string flag = argv[i], v = value(i);
    char* end = nullptr;
    double d = std::strtod(v.c_str(), &end);
    if (end == v.c_str() || *end != '\0' || d < 0) die(fmt::format("{}: not a non-negative number: {}", flag, v));
    return d;
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      fmt::print("{}", kUsage);
      std::exit(0);
    } else if (a == "--out") {
      o.out = value(i);
    } else if (a == "--target-mb") {
      o.target_mb = number(i);
    } else if (a == "--seed") {
      o.seed = static_cast<uint64_t>(number(i));
    } else if (a == "--plant-every") {
      o.plant_every = static_cast<uint64_t>(number(i));
    } else if (a.starts_with("-") && a != "-") {
      die(fmt::format("unknown option {} (see --help)", a));
    } else {
      o.sources.push_back(a);
    }
  }
  if (o.out.empty()) die("--out DIR is required (see --help)");
  if (o.sources.empty()) die("no SOURCE given (see --help)");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);

  std::vector<Source> sources;
  Vocabulary vocab;
  size_t rejected = 0;
  doppel::io::InputSet inputs(o.sources, doppel::io::ReaderOptions{});
  doppel::Status s = inputs.for_each(
      [&](doppel::io::Record&& r) {
        vocab.add_words_of(r.text);
        sources.push_back({std::move(r.id), std::move(r.text)});
        return doppel::Status::ok();
      },
      [&](const doppel::io::Problem& p) {
        if (p.severity == doppel::io::Problem::Severity::kRepaired) return doppel::Status::ok();
        ++rejected;
        fmt::print(stderr, "doppel-replicate: skipped: {}{}: {}\n", p.file,
                   p.line ? fmt::format(":{}", *p.line) : std::string(), p.reason);
        return doppel::Status::ok();
      });
  if (!s.is_ok()) die(s.message());
  if (sources.empty()) die("the sources hold no document");
  vocab.finish();

  std::error_code ec;
  fs::create_directories(o.out, ec);
  if (ec) die(fmt::format("cannot create {}: {}", o.out.string(), ec.message()));
  Output docs(o.out / "docs.jsonl"), planted(o.out / "planted.jsonl"), truth(o.out / "truth.jsonl");

  const auto target_bytes = static_cast<uint64_t>(o.target_mb * 1e6);
  const size_t n = sources.size();
  const size_t plant_delay = std::min<size_t>(1000, std::max<size_t>(1, n / 2));
  uint64_t text_bytes = 0, documents = 0, plants = 0;
  std::string line, text;
  auto write_doc = [&](const std::string& id, const std::string& body, const std::string& cluster) {
    line.clear();
    doppel::report::JsonObject(line).field("id", id).field("text", body).close();
    line += '\n';
    docs.write(line);
    line.clear();
    doppel::report::JsonObject(line).field("id", id).field("cluster", cluster).close();
    line += '\n';
    truth.write(line);
    text_bytes += body.size();
    ++documents;
  };
  auto write_plant = [&](const Plant& p) {
    write_doc(p.id, p.text, p.source_id);
    line.clear();
    doppel::report::JsonObject(line).field("a", p.id).field("b", p.source_id).field("kind", p.kind).close();
    line += '\n';
    planted.write(line);
    ++plants;
  };

  uint64_t round = 0;
  while (text_bytes < target_bytes) {
    std::vector<uint32_t> perm;
    if (round > 0) perm = vocab.permutation(o.seed, round);
    std::deque<Plant> pending;
    for (size_t i = 0; i < n && text_bytes < target_bytes; ++i) {
      map_words(vocab, round > 0 ? &perm : nullptr, sources[i].text, text);
      std::string id = round == 0 ? sources[i].id : fmt::format("r{}:{}", round, sources[i].id);
      write_doc(id, text, id);

      uint64_t state = mix(o.seed, round, i);
      size_t words = 0;
      if (o.plant_every > 0 && splitmix(state) % o.plant_every == 0 && (words = count_words(text)) >= 10) {
        static constexpr const char* kKinds[] = {"exact", "near", "contained"};
        int kind = static_cast<int>(below(state, 3));
        if (kind == 2 && words < 300) kind = 1;
        if (kind == 1 && words < 60) kind = 0;
        std::string body;
        if (kind == 2) {
          std::string other;
          map_words(vocab, round > 0 ? &perm : nullptr, sources[(i + 1 + below(state, n)) % n].text, other);
          body = plant_contained(text, other, state);
          if (body.empty()) kind = 1;
        }
        if (kind == 1) body = plant_near(vocab, text, words, state);
        if (kind == 0) body = plant_exact(text, state);
        pending.push_back({fmt::format("{}~{}", id, kKinds[kind]), id, kKinds[kind], std::move(body), i + plant_delay});
      }
      while (!pending.empty() && pending.front().due <= i) {
        write_plant(pending.front());
        pending.pop_front();
      }
    }
    // Copies whose source was written are written too, even past the target.
    for (const Plant& p : pending) write_plant(p);
    ++round;
  }
  docs.close();
  planted.close();
  truth.close();
  fmt::print(stderr,
             "doppel-replicate: {} sources ({} skipped), {} vocabulary words; wrote {} documents ({:.1f} MB of "
             "text, {} rounds begun), {} planted copies, to {}\n",
             n, rejected, vocab.size(), documents, text_bytes / 1e6, round, plants, o.out.string());
  return 0;
}
