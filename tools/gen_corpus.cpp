// gen-corpus: a deterministic synthetic-corpus generator with planted copies
// and known truth, for doppel's tests and benchmarks.
//
// Every random choice comes from std::mt19937_64 (whose output the standard
// fixes) through the small samplers in `Rng` below, and all weights are
// integers, so the same flags give byte-identical files on any platform.
//
// Layout of the work: documents are planned in blocks (one block of --docs
// documents, or successive blocks until --target-mb is reached). A block plans
// its originals ("base" documents: a length and a seed each) and its copies (a
// kind, a source base document of the same block, a seed), shuffles the
// output order, and then generates and writes one document at a time. A copy
// regenerates its source from the source's seed, so no document text is kept
// in memory beyond the one being written.

#include <fmt/core.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_set>
#include <utility>
#include <vector>

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kUsage =
    R"(gen-corpus: write a deterministic synthetic corpus with planted copies and known truth.

Usage:
  gen-corpus --out DIR [options]

Options:
  --out DIR           output directory (created if missing)                    [required]
  --docs N            total number of documents, originals plus copies          [1000]
  --seed S            random seed (unsigned 64-bit)                              [1]
  --exact F           fraction of documents that are exact copies               [0.05]
  --near F            fraction of documents that are near copies                [0.10]
  --contained F       fraction of documents that are excerpts of an original    [0.10]
  --min-words N       shortest original, in words                               [40]
  --max-words N       longest original, in words                                [1200]
  --format FMT        jsonl (DIR/docs.jsonl) or txt (DIR/docs/<id>.txt)         [jsonl]
  --zstd              write DIR/docs.jsonl.zst instead of DIR/docs.jsonl
                      (pipes through the zstd program; jsonl only)
  --scenario S        copies (default: the planted copies below) or templates: the boilerplate
                      test corpus. Half the documents are short briefs (20-45 words) wrapped in
                      one long site template (they must stay apart); the rest are wire articles
                      and their reprints by 2-4 other sites, each in that site's own template,
                      40% of them truncated (they must be found). Documents carry a "source"
                      field (site-N or wire); planted.jsonl kinds: reprint, truncated.
  --target-mb M       keep generating until the documents' text reaches M
                      megabytes (1 MB = 1,000,000 bytes); --docs is ignored
  -h, --help          show this help

Outputs:
  DIR/docs.jsonl      one {"id":"g000123","text":"..."} per line, ids in file order;
                      copies are shuffled away from their sources
  DIR/truth.jsonl     one {"id":..,"cluster":..} per document: the id of the original
                      a copy derives from, or the document's own id
  DIR/planted.jsonl   one {"a":copy,"b":source,"kind":"exact"|"near"|"contained",
                      "jaccard":x,"containment":x} per planted copy

Planted copies (each derives from an original, never from another copy):
  exact      same text; whitespace, line breaks and the case of up to 2 words differ
  near       word edits until the word-5-gram Jaccard with the source is in [0.84, 0.97]
             (sources have >= 60 words)
  contained  a contiguous excerpt of 10%-90% of the source (>= 30 words), half of them
             wrapped in a short site header/footer; containment in the source >= 0.9
             (sources have >= 300 words)
The recorded values use word 5-grams of ASCII-lowercased alphanumeric words (a text with
fewer than 5 words has one shingle of all its words); containment is the fraction of the
copy's shingles found in the source.

Counts: with --docs N, round(N*F) documents of each copy kind and the rest originals.
With --target-mb, blocks of up to 8192 documents with the same fractions are generated
until the text is large enough; copies and sources always share a block.
Exit status: 0 on success, 1 on an I/O error, 2 on bad flags.
)";

[[noreturn]] void usage_error(const std::string& msg) {
  fmt::print(stderr, "gen-corpus: {}\n(see gen-corpus --help)\n", msg);
  std::exit(2);
}

[[noreturn]] void io_error(const std::string& msg) {
  fmt::print(stderr, "gen-corpus: {}\n", msg);
  std::exit(1);
}

// ---------------------------------------------------------------------------
// Randomness

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Independent seed for (stream, index) under the user's seed.
uint64_t derive(uint64_t seed, uint64_t stream, uint64_t index) {
  return splitmix64(splitmix64(seed ^ splitmix64(stream * 0x2545f4914f6cdd1dULL + 17)) + index);
}

enum Stream : uint64_t {
  kVocabStream = 1,
  kBaseLenStream = 2,
  kBaseTextStream = 3,
  kCopyStream = 4,
  kPlanStream = 5,
  kTemplateStream = 6,
};

class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}

  uint64_t next() { return engine_(); }

  // Uniform in [0, n), n > 0: Lemire's multiply-and-reject method (exact, no
  // modulo bias, and the same result on every platform).
  uint64_t below(uint64_t n) {
    __extension__ using u128 = unsigned __int128;
    u128 m = static_cast<u128>(engine_()) * n;
    auto low = static_cast<uint64_t>(m);
    if (low < n) {
      const uint64_t threshold = (0 - n) % n;  // 2^64 mod n
      while (low < threshold) {
        m = static_cast<u128>(engine_()) * n;
        low = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }

  // Uniform in [lo, hi].
  int64_t range(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo) + 1));
  }

  // True with probability num/den.
  bool chance(uint64_t num, uint64_t den) { return below(den) < num; }

 private:
  std::mt19937_64 engine_;
};

// ---------------------------------------------------------------------------
// Vocabulary: ~20,000 pronounceable pseudo-words, Zipf-weighted (exponent 1).

constexpr std::array<std::string_view, 40> kOnsets = {
    "",   "",   "",   "b",  "c",  "d",  "f",  "g",  "h",  "j",  "k",  "l",  "m",  "n",
    "p",  "r",  "s",  "t",  "v",  "w",  "z",  "br", "cr", "dr", "fr", "gr", "pr", "tr",
    "bl", "cl", "fl", "gl", "pl", "sl", "st", "sp", "sk", "sh", "ch", "th"};
constexpr std::array<std::string_view, 14> kVowels = {
    "a", "e", "i", "o", "u", "a", "e", "o", "ai", "ea", "ou", "io", "oa", "ee"};
constexpr std::array<std::string_view, 16> kCodas = {
    "", "", "", "", "", "n", "r", "l", "s", "t", "m", "nd", "st", "rk", "ng", "x"};
// Endings; the first eight come in US/UK-like pairs that near copies swap.
constexpr std::array<std::string_view, 16> kEndings = {
    "or", "our", "ize", "ise", "er", "re", "og", "ogue",
    "ing", "ly", "tion", "ment", "ness", "ed", "al", "ful"};

constexpr uint32_t kVocabSize = 20000;

uint64_t word_hash(std::string_view w);

// Built in place (not movable) because `words` points into `pool`.
struct Vocab {
  Vocab() = default;
  Vocab(const Vocab&) = delete;
  Vocab& operator=(const Vocab&) = delete;

  std::string pool;             // all words, back to back
  std::vector<uint32_t> refs;   // by rank, most frequent first: offset << 8 | length
  std::vector<uint64_t> hashes;         // word_hash of each word
  struct Alias {
    uint32_t threshold;  // keep this rank when the low 32 random bits are below it
    uint32_t alias;      // otherwise take this one
  };
  std::vector<Alias> table;  // Walker/Vose alias table over the Zipf weights

  std::string_view word(uint32_t rank) const {
    const uint32_t ref = refs[rank];
    return {pool.data() + (ref >> 8), ref & 0xffU};
  }

  // One 64-bit draw: the high half picks a slot, the low half decides between
  // the slot's rank and its alias.
  uint32_t draw(Rng& rng) const {
    const uint64_t r = rng.next();
    const auto slot = static_cast<uint32_t>(((r >> 32) * table.size()) >> 32);
    const Alias& a = table[slot];
    return static_cast<uint32_t>(r) < a.threshold ? slot : a.alias;
  }
};

std::string make_pseudo_word(Rng& rng, int syllables) {
  std::string w;
  for (int s = 0; s < syllables; ++s) {
    w += kOnsets[rng.below(kOnsets.size())];
    w += kVowels[rng.below(kVowels.size())];
    if (s + 1 == syllables || rng.chance(1, 3)) w += kCodas[rng.below(kCodas.size())];
  }
  return w;
}

void build_vocab(Vocab& v, uint64_t seed) {
  Rng rng(derive(seed, kVocabStream, 0));
  std::unordered_set<std::string> seen;
  seen.reserve(kVocabSize * 2);

  auto fresh_word = [&](bool with_ending) {
    for (;;) {
      const uint64_t roll = rng.below(100);
      const int syl = roll < 30 ? 1 : roll < 75 ? 2 : roll < 95 ? 3 : 4;
      std::string w = make_pseudo_word(rng, syl);
      if (with_ending) w += kEndings[rng.below(kEndings.size())];
      const bool has_consonant = w.find_first_not_of("aeiou") != std::string::npos;
      if (w.size() >= 2 && has_consonant && seen.insert(w).second) return w;
    }
  };

  // Decide what each rank holds: the 150 most frequent are ordinary words;
  // below that ~6% are capitalised names and ~2% numbers.
  enum Kind : uint8_t { kOrdinary, kName, kNumber };
  std::vector<Kind> kinds(kVocabSize, kOrdinary);
  uint32_t n_ordinary = 0;
  for (uint32_t r = 0; r < kVocabSize; ++r) {
    if (r >= 150) {
      const uint64_t roll = rng.below(100);
      kinds[r] = roll < 6 ? kName : roll < 8 ? kNumber : kOrdinary;
    }
    if (kinds[r] == kOrdinary) ++n_ordinary;
  }

  std::vector<std::string> ordinary;
  ordinary.reserve(n_ordinary);
  for (uint32_t i = 0; i < n_ordinary; ++i) ordinary.push_back(fresh_word(rng.chance(1, 5)));
  // Short words are the frequent ones, as in real text.
  std::stable_sort(ordinary.begin(), ordinary.end(),
                   [](const std::string& a, const std::string& b) { return a.size() < b.size(); });

  std::vector<std::string> words;
  words.reserve(kVocabSize);
  uint32_t next_ordinary = 0;
  for (uint32_t r = 0; r < kVocabSize; ++r) {
    switch (kinds[r]) {
      case kOrdinary:
        words.push_back(std::move(ordinary[next_ordinary++]));
        break;
      case kName: {
        std::string w = fresh_word(rng.chance(1, 4));
        w[0] = static_cast<char>(w[0] - 'a' + 'A');
        words.push_back(std::move(w));
        break;
      }
      case kNumber:
        for (;;) {
          const uint64_t roll = rng.below(10);
          const uint64_t n = roll < 3   ? rng.range(1, 99)
                             : roll < 6 ? rng.range(1700, 2099)
                             : roll < 8 ? rng.range(100, 999)
                                        : rng.range(1000, 99999);
          std::string w = std::to_string(n);
          if (seen.insert(w).second) {
            words.push_back(std::move(w));
            break;
          }
        }
        break;
    }
  }

  size_t pool_size = 0;
  for (const std::string& w : words) pool_size += w.size();
  v.pool.reserve(pool_size);
  for (const std::string& w : words) v.pool += w;
  size_t off = 0;
  for (const std::string& w : words) {
    v.refs.push_back(static_cast<uint32_t>(off << 8 | w.size()));
    v.hashes.push_back(word_hash(w));
    off += w.size();
  }

  // Integer Zipf weights w_r = floor(2^32 / (r + 1)) in an alias table built
  // with integer arithmetic only (each slot holds `total` units).
  const uint64_t n = kVocabSize;
  std::vector<uint64_t> units(n);
  uint64_t total = 0;
  for (uint64_t r = 0; r < n; ++r) {
    const uint64_t w = (uint64_t{1} << 32) / (r + 1);
    units[r] = w * n;
    total += w;
  }
  v.table.assign(n, Vocab::Alias{0xffffffffU, 0});
  for (uint32_t r = 0; r < n; ++r) v.table[r].alias = r;
  std::vector<uint32_t> small, large;
  for (uint32_t r = 0; r < n; ++r) (units[r] < total ? small : large).push_back(r);
  while (!small.empty() && !large.empty()) {
    const uint32_t sm = small.back();
    small.pop_back();
    const uint32_t lg = large.back();
    __extension__ using u128 = unsigned __int128;
    v.table[sm].threshold = static_cast<uint32_t>((static_cast<u128>(units[sm]) << 32) / total);
    v.table[sm].alias = lg;
    units[lg] -= total - units[sm];
    if (units[lg] < total) {
      large.pop_back();
      small.push_back(lg);
    }
  }
}

// ---------------------------------------------------------------------------
// Documents as token lists

struct Tok {
  std::string_view w;  // the word (alphanumeric ASCII; names keep their capital);
                       // points into the vocabulary or a WordArena
  uint64_t h = 0;      // word_hash(w)
  char punct = 0;     // trailing punctuation: 0 , . ? !
  bool cap = false;   // first word of a sentence (rendered with a capital)
  bool para = false;  // paragraph break after this token
};
using Toks = std::vector<Tok>;

bool is_terminal(char p) { return p == '.' || p == '?' || p == '!'; }

char end_punct(Rng& rng) {
  const uint64_t roll = rng.below(100);
  return roll < 84 ? '.' : roll < 94 ? '?' : '!';
}

// Generates an original of n words into `sink`, which receives
// word(rank, sentence_start, trailing_punct) and paragraph_break().
template <class Sink>
void generate(const Vocab& v, Rng& rng, uint32_t n, Sink& sink) {
  uint32_t left = n;
  int64_t in_para = 0;
  int64_t para_len = rng.range(2, 6);
  while (left > 0) {
    uint32_t len = static_cast<uint32_t>(rng.range(6, 30));
    if (len >= left || left - len < 6) len = left;
    char prev = 0;
    uint64_t comma_bits = 0;  // 4 bits per word: a comma follows when they are all 0
    for (uint32_t k = 0; k < len; ++k) {
      if ((k & 15) == 0) comma_bits = rng.next();
      const uint32_t id = v.draw(rng);
      char punct = 0;
      if (k + 1 == len) {
        punct = end_punct(rng);
      } else if (k > 0 && prev == 0 && ((comma_bits >> (4 * (k & 15))) & 15) == 0) {
        punct = ',';
      }
      sink.word(id, k == 0, punct);
      prev = punct;
    }
    left -= len;
    if (++in_para == para_len && left > 0) {
      sink.paragraph_break();
      in_para = 0;
      para_len = rng.range(2, 6);
    }
  }
}

struct TokenSink {
  const Vocab& v;
  Toks toks;
  void word(uint32_t id, bool cap, char punct) {
    Tok t;
    t.w = v.word(id);
    t.h = v.hashes[id];
    t.cap = cap;
    t.punct = punct;
    toks.push_back(t);
  }
  void paragraph_break() { toks.back().para = true; }
};

struct TextSink {
  const Vocab& v;
  std::string& out;
  std::string_view sep;
  void word(uint32_t id, bool cap, char punct) {
    out += sep;
    sep = " ";
    const size_t at = out.size();
    out += v.word(id);
    if (cap && out[at] >= 'a' && out[at] <= 'z') out[at] = static_cast<char>(out[at] - 'a' + 'A');
    if (punct) out += punct;
  }
  void paragraph_break() { sep = "\n\n"; }
};

Toks gen_tokens(const Vocab& v, Rng& rng, uint32_t n) {
  TokenSink sink{v, {}};
  sink.toks.reserve(n + 8);
  generate(v, rng, n, sink);
  return std::move(sink.toks);
}

std::string gen_text(const Vocab& v, Rng& rng, uint32_t n) {
  std::string out;
  out.reserve(static_cast<size_t>(n) * 7 + 16);
  TextSink sink{v, out};
  generate(v, rng, n, sink);
  return out;
}

void render(const Toks& toks, size_t begin, size_t end, std::string& out) {
  for (size_t i = begin; i < end; ++i) {
    if (i > begin) out += toks[i - 1].para ? "\n\n" : " ";
    const std::string_view w = toks[i].w;
    if (toks[i].cap && !w.empty() && w[0] >= 'a' && w[0] <= 'z') {
      out += static_cast<char>(w[0] - 'a' + 'A');
      out.append(w.substr(1));
    } else {
      out += w;
    }
    if (toks[i].punct) out += toks[i].punct;
  }
}

std::string render(const Toks& toks) {
  std::string out;
  out.reserve(toks.size() * 8);
  render(toks, 0, toks.size(), out);
  return out;
}

// ---------------------------------------------------------------------------
// Shingles: word 5-grams of ASCII-lowercased alphanumeric words.

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
constexpr uint64_t kFnvPrime = 0x100000001b3ULL;

bool is_alnum(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
unsigned char lower(unsigned char c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

uint64_t word_hash(std::string_view w) {
  uint64_t h = kFnvOffset;
  for (unsigned char c : w) h = (h ^ lower(c)) * kFnvPrime;
  return splitmix64(h);
}

using Shingles = std::vector<uint64_t>;  // sorted, unique

// Sorts uniformly distributed 64-bit hashes: a counting pass on the top bits,
// then an insertion sort that only has to fix order inside each bucket.
void sort_hashes(std::vector<uint64_t>& v) {
  const size_t n = v.size();
  if (n < 64) {
    std::sort(v.begin(), v.end());
    return;
  }
  int bits = 1;
  while ((size_t{1} << bits) < n) ++bits;
  const int shift = 64 - bits;
  thread_local std::vector<uint32_t> count;
  thread_local std::vector<uint64_t> tmp;
  count.assign((size_t{1} << bits) + 1, 0);
  tmp.resize(n);
  for (uint64_t x : v) ++count[(x >> shift) + 1];
  for (size_t b = 1; b < count.size(); ++b) count[b] += count[b - 1];
  for (uint64_t x : v) tmp[count[x >> shift]++] = x;
  for (size_t i = 1; i < n; ++i) {
    const uint64_t x = tmp[i];
    size_t j = i;
    while (j > 0 && tmp[j - 1] > x) {
      tmp[j] = tmp[j - 1];
      --j;
    }
    tmp[j] = x;
  }
  v.swap(tmp);
}

Shingles shingles_from_words(const std::vector<uint64_t>& wh) {
  Shingles s;
  if (wh.empty()) return s;
  // Word hashes are already well mixed: weigh each position by its own odd
  // constant, then mix.
  constexpr std::array<uint64_t, 5> kPos = {0x9e3779b97f4a7c15ULL, 0xc2b2ae3d27d4eb4fULL,
                                            0x165667b19e3779f9ULL, 0xd6e8feb86659fd93ULL,
                                            0xff51afd7ed558ccdULL};
  if (wh.size() < 5) {
    uint64_t x = wh.size();
    for (size_t j = 0; j < wh.size(); ++j) x += wh[j] * kPos[j];
    s.push_back(splitmix64(x));
  } else {
    s.resize(wh.size() - 4);
    for (size_t i = 0; i + 5 <= wh.size(); ++i) {
      const uint64_t x = 5 + wh[i] * kPos[0] + wh[i + 1] * kPos[1] + wh[i + 2] * kPos[2] +
                         wh[i + 3] * kPos[3] + wh[i + 4] * kPos[4];
      s[i] = splitmix64(x);
    }
  }
  sort_hashes(s);
  s.erase(std::unique(s.begin(), s.end()), s.end());
  return s;
}

Shingles shingles_of_text(std::string_view text) {
  std::vector<uint64_t> wh;
  wh.reserve(text.size() / 6);
  uint64_t h = kFnvOffset;
  bool in_word = false;
  for (unsigned char c : text) {
    if (is_alnum(c)) {
      h = (h ^ lower(c)) * kFnvPrime;
      in_word = true;
    } else if (in_word) {
      wh.push_back(splitmix64(h));
      h = kFnvOffset;
      in_word = false;
    }
  }
  if (in_word) wh.push_back(splitmix64(h));
  return shingles_from_words(wh);
}

Shingles shingles_of_tokens(const Toks& toks) {
  std::vector<uint64_t> wh;
  wh.reserve(toks.size());
  for (const Tok& t : toks) wh.push_back(t.h);
  return shingles_from_words(wh);
}

struct Overlap {
  double jaccard = 0;
  double containment = 0;  // |copy ∩ source| / |copy|
};

Overlap overlap(const Shingles& copy, const Shingles& source) {
  size_t i = 0, j = 0, inter = 0;
  while (i < copy.size() && j < source.size()) {
    if (copy[i] < source[j]) {
      ++i;
    } else if (source[j] < copy[i]) {
      ++j;
    } else {
      ++inter, ++i, ++j;
    }
  }
  Overlap o;
  const size_t uni = copy.size() + source.size() - inter;
  o.jaccard = uni == 0 ? 1.0 : static_cast<double>(inter) / static_cast<double>(uni);
  o.containment = copy.empty() ? 1.0 : static_cast<double>(inter) / static_cast<double>(copy.size());
  return o;
}

// ---------------------------------------------------------------------------
// Exact copies: whitespace, line breaks and the case of up to 2 words change.

std::string make_exact(const std::string& src, Rng& rng) {
  std::string out;
  out.reserve(src.size() + src.size() / 16 + 16);
  const uint64_t mode = rng.below(4);
  if (mode == 0) {
    // Re-wrap paragraphs at a fixed width.
    const size_t width = static_cast<size_t>(rng.range(48, 96));
    size_t col = 0;
    for (size_t i = 0; i < src.size(); ++i) {
      const char c = src[i];
      if (c == ' ' && col >= width) {
        out += '\n';
        col = 0;
      } else {
        out += c;
        col = (c == '\n') ? 0 : col + 1;
      }
    }
  } else if (mode == 1) {
    // Single line breaks between paragraphs, some doubled spaces, a trailing newline.
    for (size_t i = 0; i < src.size(); ++i) {
      if (src[i] == '\n' && i + 1 < src.size() && src[i + 1] == '\n') {
        out += '\n';
        ++i;
      } else if (src[i] == ' ' && rng.chance(1, 25)) {
        out += "  ";
      } else {
        out += src[i];
      }
    }
    out += '\n';
  } else if (mode == 2) {
    // Indented paragraphs, wider gaps, tabs and CRLF line ends.
    out += "    ";
    for (size_t i = 0; i < src.size(); ++i) {
      if (src[i] == '\n' && i + 1 < src.size() && src[i + 1] == '\n') {
        out += "\r\n\r\n\r\n    ";
        ++i;
      } else if (src[i] == ' ' && rng.chance(1, 40)) {
        out += '\t';
      } else {
        out += src[i];
      }
    }
    out += "\r\n";
  } else {
    // Everything on one line, with stray leading and trailing blanks.
    out += "  ";
    for (size_t i = 0; i < src.size(); ++i) {
      if (src[i] == '\n') {
        if (i + 1 < src.size() && src[i + 1] == '\n') ++i;
        out += ' ';
      } else {
        out += src[i];
      }
    }
    out += " \n";
  }

  // Change the letter case of up to two words.
  const uint64_t n_case = rng.below(3);
  if (n_case > 0) {
    std::vector<size_t> starts;
    for (size_t i = 0; i < out.size(); ++i) {
      if (is_alnum(static_cast<unsigned char>(out[i])) &&
          (i == 0 || !is_alnum(static_cast<unsigned char>(out[i - 1]))))
        starts.push_back(i);
    }
    for (uint64_t k = 0; k < n_case && !starts.empty(); ++k) {
      size_t p = starts[rng.below(starts.size())];
      const bool upper_first = out[p] >= 'A' && out[p] <= 'Z';
      const bool all_caps = rng.chance(1, 2);
      for (size_t q = p; q < out.size() && is_alnum(static_cast<unsigned char>(out[q])); ++q) {
        char& c = out[q];
        if (upper_first) {
          if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
        } else if (all_caps || q == p) {
          if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
        }
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Near copies: small edits until the Jaccard with the source is in [0.84, 0.97].

constexpr double kNearLo = 0.84;
constexpr double kNearHi = 0.97;

// US/UK-like ending swaps on pseudo-words.
constexpr std::array<std::pair<std::string_view, std::string_view>, 10> kSpellingSwaps = {{
    {"our", "or"}, {"or", "our"}, {"ize", "ise"}, {"ise", "ize"}, {"ogue", "og"},
    {"og", "ogue"}, {"yze", "yse"}, {"re", "er"}, {"er", "re"}, {"ll", "l"}}};

// Owns the words that edits invent (tokens point into it); std::deque keeps
// the strings in place as it grows.
using WordArena = std::deque<std::string>;

class NearEditor {
 public:
  NearEditor(const Vocab& v, Rng& rng, Toks& toks, WordArena& arena)
      : v_(v), rng_(rng), t_(toks), arena_(arena) {}

  void set_word(Tok& t, uint32_t id) {
    t.w = v_.word(id);
    t.h = v_.hashes[id];
  }
  void set_word(Tok& t, std::string w) {
    arena_.push_back(std::move(w));
    t.w = arena_.back();
    t.h = word_hash(t.w);
  }

  void substitute(size_t i) {
    for (int tries = 0; tries < 8; ++tries) {
      const uint32_t id = v_.draw(rng_);
      if (v_.word(id) != t_[i].w) {
        set_word(t_[i], id);
        return;
      }
    }
    set_word(t_[i], std::string(t_[i].w) + "s");
  }

  void insert_at_end() {
    Tok& last = t_.back();
    Tok t;
    set_word(t, v_.draw(rng_));
    t.punct = last.punct;
    last.punct = 0;
    t_.push_back(t);
  }

  void erase(size_t i) {
    const Tok t = t_[i];
    if (i > 0) {
      Tok& prev = t_[i - 1];
      if (is_terminal(t.punct) || (t.punct && !prev.punct)) prev.punct = t.punct;
      prev.para = prev.para || t.para;
    }
    if (t.cap && i + 1 < t_.size()) t_[i + 1].cap = true;
    t_.erase(t_.begin() + static_cast<std::ptrdiff_t>(i));
  }

  void swap_adjacent(size_t i) {
    std::swap(t_[i].w, t_[i + 1].w);
    std::swap(t_[i].h, t_[i + 1].h);
  }

  void change_punct(size_t i) {
    Tok& t = t_[i];
    const bool last = i + 1 == t_.size();
    if (is_terminal(t.punct)) {
      const char options[3] = {'.', '?', '!'};
      char p = t.punct;
      while (p == t.punct) p = options[rng_.below(3)];
      t.punct = p;
    } else if (t.punct == ',') {
      t.punct = 0;
    } else if (!last) {
      t.punct = ',';
    }
  }

  // US/UK-like respelling of the first word from `start` on with a swappable
  // ending. Returns false when there is none.
  bool respell(size_t start) {
    for (size_t k = 0; k < t_.size(); ++k) {
      Tok& t = t_[(start + k) % t_.size()];
      for (const auto& [from, to] : kSpellingSwaps) {
        if (t.w.size() > from.size() + 1 && t.w.ends_with(from)) {
          std::string w(t.w.substr(0, t.w.size() - from.size()));
          w += to;
          set_word(t, std::move(w));
          return true;
        }
      }
    }
    return false;
  }

  // One random edit that changes the word sequence. Insertions and erasures
  // are queued (positions refer to the tokens as they were at the last
  // flush) and applied together by flush(), so a batch costs one pass.
  void random_word_edit() {
    const size_t n = t_.size();
    const uint64_t kind = rng_.below(100);
    const size_t i = rng_.below(n);
    if (kind < 40) {
      substitute(i);
    } else if (kind < 58) {
      Tok t;
      set_word(t, v_.draw(rng_));
      inserts_.emplace_back(i, t);
    } else if (kind < 74 && n > 20) {
      erasures_.push_back(i);
    } else if (kind < 88 && n > 1) {
      swap_adjacent(std::min(i, n - 2));
    } else if (!respell(i)) {
      substitute(i);
    }
  }

  void flush() {
    if (inserts_.empty() && erasures_.empty()) return;
    std::stable_sort(inserts_.begin(), inserts_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::sort(erasures_.begin(), erasures_.end());
    erasures_.erase(std::unique(erasures_.begin(), erasures_.end()), erasures_.end());
    Toks out;
    out.reserve(t_.size() + inserts_.size());
    size_t ii = 0, ei = 0;
    bool carry_cap = false;  // an erased sentence start hands its capital on
    for (size_t i = 0; i < t_.size(); ++i) {
      Tok cur = t_[i];
      bool first = true;
      for (; ii < inserts_.size() && inserts_[ii].first == i; ++ii) {
        Tok t = inserts_[ii].second;
        t.cap = first && (cur.cap || carry_cap);
        if (t.cap) {
          cur.cap = false;
          carry_cap = false;
        }
        first = false;
        out.push_back(t);
      }
      if (ei < erasures_.size() && erasures_[ei] == i) {
        ++ei;
        if (!out.empty()) {
          Tok& prev = out.back();
          if (is_terminal(cur.punct) || (cur.punct && !prev.punct)) prev.punct = cur.punct;
          prev.para = prev.para || cur.para;
        }
        carry_cap = carry_cap || cur.cap;
        continue;
      }
      if (carry_cap) {
        cur.cap = true;
        carry_cap = false;
      }
      out.push_back(cur);
    }
    t_.swap(out);
    inserts_.clear();
    erasures_.clear();
  }

  // A gentle edit at the end of the text: changes at most one shingle.
  void gentle_edit() {
    if (t_.size() > 20 && rng_.chance(1, 2)) {
      erase(t_.size() - 1);
    } else {
      insert_at_end();
    }
  }

 private:
  const Vocab& v_;
  Rng& rng_;
  Toks& t_;
  WordArena& arena_;
  std::vector<std::pair<size_t, Tok>> inserts_;  // (insert before this index, token)
  std::vector<size_t> erasures_;
};

// Edits needed to bring the Jaccard from `from` down to `to`, given that each
// isolated word edit replaces about five of the copy's `s` shingles.
double edits_needed(double s, double from, double to) {
  const double shared_now = s * 2.0 * from / (1.0 + from);  // |A|=|B|=s assumed
  const double shared_then = s * 2.0 * to / (1.0 + to);
  return std::max(0.0, (shared_now - shared_then) / 5.0);
}

Toks make_near(const Vocab& v, const Toks& src, const Shingles& src_sh, Rng& rng, WordArena& arena) {
  const double target = static_cast<double>(rng.range(850, 960)) / 1000.0;
  const double s = static_cast<double>(src_sh.size());
  double first = 0.7;

  for (int attempt = 0;; ++attempt) {
    Toks t = src;
    NearEditor ed(v, rng, t, arena);
    const uint64_t n_punct = rng.range(1, 3);
    for (uint64_t k = 0; k < n_punct; ++k) ed.change_punct(rng.below(t.size()));
    const auto batch = static_cast<uint64_t>(edits_needed(s, 1.0, target) * first);
    for (uint64_t k = 0; k < batch; ++k) ed.random_word_edit();
    ed.flush();
    double j = overlap(shingles_of_tokens(t), src_sh).jaccard;
    if (j < kNearLo) {
      first /= 2;  // overshot: start again with a smaller first batch
      continue;
    }
    // Close in with batches of half the estimated remaining edits, undoing a
    // batch that overshoots; after a few overshoots use gentle edits only.
    int failures = 0;
    Toks saved;
    for (int step = 0; step < 100000 && j > target; ++step) {
      saved = t;
      if (failures < 3) {
        const auto k = std::max<uint64_t>(1, static_cast<uint64_t>(edits_needed(s, j, target) * 0.5));
        for (uint64_t e = 0; e < k; ++e) ed.random_word_edit();
        ed.flush();
      } else {
        ed.gentle_edit();
      }
      const double nj = overlap(shingles_of_tokens(t), src_sh).jaccard;
      if (nj < kNearLo) {
        std::swap(t, saved);
        ++failures;
        if (failures > 3 && j <= kNearHi) break;  // in range already; stop here
      } else {
        j = nj;
      }
    }
    if (j >= kNearLo && j <= kNearHi) return t;
    if (attempt > 50) io_error("internal error: a near copy did not converge");
    first /= 2;
  }
}

// ---------------------------------------------------------------------------
// Contained copies: an excerpt, sometimes inside site boilerplate.

constexpr std::array<std::string_view, 32> kBoilerplate = {
    "Home",           "News",          "Sign in",        "Subscribe",     "Menu",
    "Search",         "Local",         "Sport",          "Weather",       "Opinion",
    "Business",       "Culture",       "Share this",     "Read more",     "Most read",
    "Newsletter",     "Privacy",       "Terms of use",   "Contact us",    "About us",
    "Advertise",      "Careers",       "Cookie choices", "Back to top",   "Archive",
    "Events",         "Podcasts",      "Letters",        "Corrections",   "Help",
    "Print edition",  "All rights reserved"};
constexpr std::array<std::string_view, 10> kMastheads = {
    "Courier", "Gazette", "Ledger", "Post", "Herald", "Dispatch", "Chronicle", "Observer",
    "Bulletin", "Record"};

size_t count_words(std::string_view s) {
  size_t n = 0;
  bool in_word = false;
  for (unsigned char c : s) {
    const bool a = is_alnum(c);
    if (a && !in_word) ++n;
    in_word = a;
  }
  return n;
}

// A "A | B | C" line of at most `budget` words (possibly empty).
std::string boilerplate_line(Rng& rng, size_t budget, bool masthead) {
  std::string line;
  size_t used = 0;
  if (masthead && budget >= 2) {
    std::string name = make_pseudo_word(rng, static_cast<int>(rng.range(2, 3)));
    name[0] = static_cast<char>(name[0] - 'a' + 'A');
    line = fmt::format("{} {}", name, kMastheads[rng.below(kMastheads.size())]);
    used = 2;
  }
  uint64_t taken = 0;  // bit i: kBoilerplate[i] already on this line
  for (int tries = 0; tries < 12 && used < budget; ++tries) {
    const uint64_t pick = rng.below(kBoilerplate.size());
    const std::string_view item = kBoilerplate[pick];
    const size_t w = count_words(item);
    if (used + w > budget || (taken >> pick & 1U)) continue;
    taken |= uint64_t{1} << pick;
    if (!line.empty()) line += " | ";
    line += item;
    used += w;
  }
  return line;
}

std::string make_contained(const Toks& src, const Shingles& src_sh, Rng& rng) {
  const size_t n = src.size();
  const size_t lmin = std::max<size_t>(30, (n + 9) / 10);
  const size_t lmax = std::max(lmin, n * 9 / 10);
  const size_t want = std::clamp<size_t>(n * static_cast<size_t>(rng.range(100, 900)) / 1000, lmin, lmax);
  const size_t s0 = rng.below(n - want + 1);

  // Snap to sentence boundaries when one is close enough.
  std::vector<size_t> starts;
  for (size_t i = 0; i < n; ++i)
    if (src[i].cap) starts.push_back(i);
  size_t b = s0, e = s0 + want;
  {
    size_t best_b = n;
    for (size_t st : starts) {
      if (st + lmin > n) break;
      if (best_b == n || (st > s0 ? st - s0 : s0 - st) < (best_b > s0 ? best_b - s0 : s0 - best_b))
        best_b = st;
    }
    if (best_b != n) {
      size_t best_e = 0;
      auto consider = [&](size_t end) {
        if (end <= best_b) return;
        const size_t len = end - best_b;
        if (len < lmin || len > lmax) return;
        const size_t goal = best_b + want;
        const size_t d = end > goal ? end - goal : goal - end;
        const size_t bd = best_e > goal ? best_e - goal : goal - best_e;
        if (best_e == 0 || d < bd) best_e = end;
      };
      for (size_t st : starts) consider(st);  // a sentence ends where the next starts
      consider(n);
      if (best_e != 0) {
        b = best_b;
        e = best_e;
      }
    }
  }

  std::string body;
  body.reserve((e - b) * 8);
  render(src, b, e, body);

  if (rng.chance(1, 2)) {
    const size_t m = e - b;
    const size_t budget = m * 5 / 100;
    const size_t head = (budget + 1) / 2;
    const size_t foot = budget - head;
    const std::string header = boilerplate_line(rng, head, true);
    const std::string footer = boilerplate_line(rng, foot, false);
    std::string wrapped;
    wrapped.reserve(body.size() + header.size() + footer.size() + 8);
    if (!header.empty()) wrapped.append(header).append("\n\n");
    wrapped += body;
    if (!footer.empty()) wrapped.append("\n\n").append(footer);
    if (count_words(header) + count_words(footer) <= budget &&
        overlap(shingles_of_text(wrapped), src_sh).containment >= 0.9)
      return wrapped;
  }
  return body;
}

// ---------------------------------------------------------------------------
// Output

class Writer {
 public:
  Writer() = default;
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  ~Writer() { close(); }

  void open_file(const fs::path& p) {
    path_ = p.string();
    f_ = std::fopen(path_.c_str(), "wb");
    if (!f_) io_error(fmt::format("cannot open {}: {}", path_, std::strerror(errno)));
    buf_.reserve(kBuf + 4096);
  }

  void open_pipe(const std::string& command, const fs::path& p) {
    path_ = p.string();
    f_ = popen(command.c_str(), "w");
    pipe_ = true;
    if (!f_) io_error(fmt::format("cannot start '{}': {}", command, std::strerror(errno)));
    buf_.reserve(kBuf + 4096);
  }

  std::string& buf() { return buf_; }
  void maybe_flush() {
    if (buf_.size() >= kBuf) flush();
  }
  void flush() {
    if (!buf_.empty() && f_ && std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size())
      io_error(fmt::format("write error on {}: {}", path_, std::strerror(errno)));
    buf_.clear();
  }
  void close() {
    if (!f_) return;
    flush();
    const int rc = pipe_ ? pclose(f_) : std::fclose(f_);
    f_ = nullptr;
    if (rc != 0) io_error(fmt::format("error closing {}", path_));
  }

 private:
  static constexpr size_t kBuf = size_t{1} << 20;
  std::FILE* f_ = nullptr;
  bool pipe_ = false;
  std::string path_;
  std::string buf_;
};

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  size_t run = 0;  // start of the pending stretch that needs no escaping
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  q += '\'';
  return q;
}

// ---------------------------------------------------------------------------
// Options

struct Options {
  std::string out;
  uint64_t docs = 1000;
  uint64_t seed = 1;
  double exact = 0.05;
  double near = 0.10;
  double contained = 0.10;
  uint64_t min_words = 40;
  uint64_t max_words = 1200;
  std::string format = "jsonl";
  bool zstd = false;
  std::optional<double> target_mb;
  std::string scenario = "copies";
};

uint64_t parse_uint(std::string_view flag, std::string_view v) {
  uint64_t x = 0;
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (v.empty() || ec != std::errc() || p != v.data() + v.size())
    usage_error(fmt::format("{} needs a non-negative integer, got '{}'", flag, v));
  return x;
}

double parse_double(std::string_view flag, std::string_view v) {
  const std::string s(v);
  char* end = nullptr;
  errno = 0;
  const double x = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || errno != 0 || !std::isfinite(x))
    usage_error(fmt::format("{} needs a number, got '{}'", flag, v));
  return x;
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      fmt::print("{}", kUsage);
      std::exit(0);
    }
    if (arg == "--zstd") {
      o.zstd = true;
      continue;
    }
    std::string_view name = arg, value;
    bool inline_value = false;
    if (const size_t eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      inline_value = true;
    }
    static constexpr std::array<std::string_view, 11> kValued = {
        "--out", "--docs", "--seed", "--exact", "--near", "--contained",
        "--min-words", "--max-words", "--format", "--target-mb", "--scenario"};
    if (std::find(kValued.begin(), kValued.end(), name) == kValued.end()) {
      if (name == "--zstd") usage_error("--zstd takes no value");
      usage_error(fmt::format("unknown argument '{}'", arg));
    }
    if (!inline_value) {
      if (i + 1 >= argc) usage_error(fmt::format("{} needs a value", name));
      value = argv[++i];
    }
    if (name == "--out") {
      if (value.empty()) usage_error("--out needs a directory");
      o.out = value;
    } else if (name == "--docs") {
      o.docs = parse_uint(name, value);
    } else if (name == "--seed") {
      o.seed = parse_uint(name, value);
    } else if (name == "--exact") {
      o.exact = parse_double(name, value);
    } else if (name == "--near") {
      o.near = parse_double(name, value);
    } else if (name == "--contained") {
      o.contained = parse_double(name, value);
    } else if (name == "--min-words") {
      o.min_words = parse_uint(name, value);
    } else if (name == "--max-words") {
      o.max_words = parse_uint(name, value);
    } else if (name == "--format") {
      o.format = value;
    } else if (name == "--scenario") {
      o.scenario = std::string(value);
    } else if (name == "--target-mb") {
      o.target_mb = parse_double(name, value);
    }
  }

  if (o.out.empty()) usage_error("--out DIR is required");
  if (o.scenario != "copies" && o.scenario != "templates")
    usage_error(fmt::format("--scenario must be copies or templates, got '{}'", o.scenario));
  if (o.scenario == "templates" && (o.target_mb || o.format != "jsonl" || o.zstd))
    usage_error("--scenario templates writes plain JSONL only (no --target-mb, --format txt or --zstd)");
  if (o.docs < 1 || o.docs > 100'000'000) usage_error("--docs must be between 1 and 100000000");
  for (const auto& [flag, f] : {std::pair{"--exact", o.exact}, std::pair{"--near", o.near},
                                std::pair{"--contained", o.contained}}) {
    if (f < 0.0 || f > 1.0) usage_error(fmt::format("{} must be a fraction in [0, 1], got {}", flag, f));
  }
  if (o.exact + o.near + o.contained >= 1.0)
    usage_error("--exact + --near + --contained must be below 1 (some documents must be originals)");
  if (o.min_words < 1) usage_error("--min-words must be at least 1");
  if (o.max_words > 1'000'000) usage_error("--max-words must be at most 1000000");
  if (o.max_words < o.min_words) usage_error("--max-words must be >= --min-words");
  if (o.near > 0 && o.max_words < 60)
    usage_error("--near needs sources of at least 60 words: raise --max-words to 60 or more, or use --near 0");
  if (o.contained > 0 && o.max_words < 300)
    usage_error(
        "--contained needs sources of at least 300 words: raise --max-words to 300 or more, or use "
        "--contained 0");
  if (o.format != "jsonl" && o.format != "txt")
    usage_error(fmt::format("--format must be jsonl or txt, got '{}'", o.format));
  if (o.zstd && o.format != "jsonl") usage_error("--zstd works only with --format jsonl");
  if (o.target_mb && (*o.target_mb <= 0 || *o.target_mb > 1e7))
    usage_error("--target-mb must be a positive number of megabytes (at most 10000000)");
  return o;
}

// ---------------------------------------------------------------------------
// Generation

enum class Kind : uint8_t { kBase, kExact, kNear, kContained };

constexpr std::string_view kind_name(Kind k) {
  switch (k) {
    case Kind::kExact: return "exact";
    case Kind::kNear: return "near";
    case Kind::kContained: return "contained";
    default: return "base";
  }
}

struct Totals {
  uint64_t docs = 0;
  uint64_t base = 0;
  uint64_t exact = 0;
  uint64_t near = 0;
  uint64_t contained = 0;
  uint64_t text_bytes = 0;
  uint64_t copies = 0;  // global copy counter (seeds)
};

struct Sinks {
  Writer* docs = nullptr;  // jsonl output (null in txt mode)
  fs::path txt_dir;        // txt mode
  Writer* truth = nullptr;
  Writer* planted = nullptr;
};

uint64_t rounded_count(uint64_t n, double f) {
  return static_cast<uint64_t>(std::llround(static_cast<double>(n) * f));
}

std::string doc_id(uint64_t pos) { return fmt::format("g{:06d}", pos); }

void write_doc(Sinks& s, const std::string& id, const std::string& text) {
  if (s.docs) {
    std::string& b = s.docs->buf();
    b += "{\"id\":\"";
    b += id;
    b += "\",\"text\":";
    append_json_string(b, text);
    b += "}\n";
    s.docs->maybe_flush();
  } else {
    const fs::path p = s.txt_dir / (id + ".txt");
    std::FILE* f = std::fopen(p.string().c_str(), "wb");
    if (!f) io_error(fmt::format("cannot open {}: {}", p.string(), std::strerror(errno)));
    const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
    if (std::fclose(f) != 0 || !ok) io_error(fmt::format("write error on {}", p.string()));
  }
}

// Plans, shuffles, generates and writes one block of `n` documents.
void run_block(const Options& o, const Vocab& v, uint64_t block_index, uint64_t n, Sinks& sinks,
               Totals& tot) {
  Rng plan(derive(o.seed, kPlanStream, block_index));
  uint64_t n_exact = rounded_count(n, o.exact);
  uint64_t n_near = rounded_count(n, o.near);
  uint64_t n_cont = rounded_count(n, o.contained);
  // Keep at least one original when there are copies.
  while (n_exact + n_near + n_cont >= n && n_exact + n_near + n_cont > 0) {
    if (n_cont >= n_near && n_cont >= n_exact && n_cont > 0) {
      --n_cont;
    } else if (n_near >= n_exact && n_near > 0) {
      --n_near;
    } else {
      --n_exact;
    }
  }
  const uint64_t n_base = n - n_exact - n_near - n_cont;
  const uint64_t base0 = tot.base;

  // Base lengths (each from its own stream, so a base document is the same
  // whatever else is planned around it).
  std::vector<uint32_t> len(n_base);
  for (uint64_t j = 0; j < n_base; ++j) {
    Rng r(derive(o.seed, kBaseLenStream, base0 + j));
    len[j] = static_cast<uint32_t>(r.range(static_cast<int64_t>(o.min_words), static_cast<int64_t>(o.max_words)));
  }

  // Logical layout: [0, n_base) originals, then exact, near, contained copies.
  std::vector<Kind> kind(n, Kind::kBase);
  std::vector<uint32_t> src(n, UINT32_MAX);
  auto pick_sources = [&](uint64_t first, uint64_t count, Kind k, uint32_t min_len) {
    if (count == 0) return;
    std::vector<uint32_t> eligible;
    for (uint32_t j = 0; j < n_base; ++j)
      if (len[j] >= min_len) eligible.push_back(j);
    if (eligible.empty()) {
      // Lengthen one original so that it can serve (flags guarantee max >= min_len).
      const uint32_t j = static_cast<uint32_t>(plan.below(n_base));
      len[j] = static_cast<uint32_t>(
          plan.range(std::max<int64_t>(min_len, static_cast<int64_t>(o.min_words)), static_cast<int64_t>(o.max_words)));
      eligible.push_back(j);
    }
    for (uint64_t c = first; c < first + count; ++c) {
      kind[c] = k;
      src[c] = eligible[plan.below(eligible.size())];
    }
  };
  pick_sources(n_base, n_exact, Kind::kExact, 1);
  pick_sources(n_base + n_exact, n_near, Kind::kNear, 60);
  pick_sources(n_base + n_exact + n_near, n_cont, Kind::kContained, 300);

  // Output order: a shuffle, then a repair pass so related documents are not adjacent.
  std::vector<uint32_t> perm(n);
  for (uint32_t i = 0; i < n; ++i) perm[i] = i;
  for (uint64_t i = n; i > 1; --i) std::swap(perm[i - 1], perm[plan.below(i)]);
  auto root = [&](uint32_t x) { return src[x] == UINT32_MAX ? x : src[x]; };
  auto bad_at = [&](uint64_t p) {  // documents at p and p + 1 share an original
    return p + 1 < n && root(perm[p]) == root(perm[p + 1]);
  };
  for (int pass = 0; pass < 4; ++pass) {
    bool clean = true;
    for (uint64_t p = 0; p + 1 < n; ++p) {
      if (!bad_at(p)) continue;
      clean = false;
      for (int tries = 0; tries < 16; ++tries) {
        const uint64_t q = plan.below(n);
        std::swap(perm[p + 1], perm[q]);
        const bool ok = !bad_at(p) && !bad_at(p + 1) && !(q > 0 && bad_at(q - 1)) && !bad_at(q);
        if (ok) break;
        std::swap(perm[p + 1], perm[q]);
      }
    }
    if (clean) break;
  }
  std::vector<uint64_t> pos_of(n);
  for (uint64_t p = 0; p < n; ++p) pos_of[perm[p]] = p;

  const uint64_t pos0 = tot.docs;
  const uint64_t copy0 = tot.copies;
  for (uint64_t p = 0; p < n; ++p) {
    const uint32_t x = perm[p];
    const std::string id = doc_id(pos0 + p);
    std::string text;
    if (kind[x] == Kind::kBase) {
      Rng r(derive(o.seed, kBaseTextStream, base0 + x));
      text = gen_text(v, r, len[x]);
      ++tot.base;
    } else {
      const uint32_t b = src[x];
      Rng sr(derive(o.seed, kBaseTextStream, base0 + b));
      const Toks stoks = gen_tokens(v, sr, len[b]);
      // Words are alphanumeric and always separated, so these are exactly the
      // shingles of the rendered source text.
      const Shingles ssh = shingles_of_tokens(stoks);
      Rng r(derive(o.seed, kCopyStream, copy0 + (x - n_base)));
      switch (kind[x]) {
        case Kind::kExact:
          text = make_exact(render(stoks), r);
          ++tot.exact;
          break;
        case Kind::kNear: {
          WordArena arena;
          text = render(make_near(v, stoks, ssh, r, arena));
          ++tot.near;
          break;
        }
        default:
          text = make_contained(stoks, ssh, r);
          ++tot.contained;
          break;
      }
      const Overlap ov = overlap(shingles_of_text(text), ssh);
      std::string& pb = sinks.planted->buf();
      pb += fmt::format("{{\"a\":\"{}\",\"b\":\"{}\",\"kind\":\"{}\",\"jaccard\":{:.6f},\"containment\":{:.6f}}}\n",
                        id, doc_id(pos0 + pos_of[b]), kind_name(kind[x]), ov.jaccard, ov.containment);
      sinks.planted->maybe_flush();
    }
    const uint64_t cluster = kind[x] == Kind::kBase ? pos0 + p : pos0 + pos_of[src[x]];
    std::string& tb = sinks.truth->buf();
    tb += fmt::format("{{\"id\":\"{}\",\"cluster\":\"{}\"}}\n", id, doc_id(cluster));
    sinks.truth->maybe_flush();
    tot.text_bytes += text.size();
    write_doc(sinks, id, text);
  }
  tot.docs += n;
  tot.copies += n - n_base;
}

// ---------------------------------------------------------------------------
// The templates scenario (boilerplate-aware matching).

struct SiteTemplate {
  std::string name;
  std::string header;
  std::string footer;
};

SiteTemplate make_site(const Vocab& v, uint64_t seed, uint64_t site) {
  Rng rng(derive(seed, kTemplateStream, site));
  SiteTemplate t;
  t.name = fmt::format("site-{}", site);
  // A long template: masthead, navigation, a cookie notice, then a newsletter
  // pitch, share line and copyright after the article.
  t.header = boilerplate_line(rng, 6, true) + "\n" + boilerplate_line(rng, 10, false) + "\n" +
             boilerplate_line(rng, 10, false) + "\n" + gen_text(v, rng, 70);
  t.footer = gen_text(v, rng, 60) + "\n" + boilerplate_line(rng, 8, false) + "\n" +
             fmt::format("(c) 2025 {} Media Group. All rights reserved.", t.name);
  return t;
}

std::string wrap(const SiteTemplate& t, std::string_view body) {
  return t.header + "\n\n" + std::string(body) + "\n\n" + t.footer;
}

// The first paragraphs of `text` holding between 35% and 80% of its words.
std::string truncated(const std::string& text, Rng& rng) {
  std::vector<size_t> ends;  // end offset of each paragraph
  for (size_t at = text.find("\n\n"); at != std::string::npos; at = text.find("\n\n", at + 2)) ends.push_back(at);
  ends.push_back(text.size());
  const size_t total = count_words(text);
  const double want = 0.35 + 0.45 * static_cast<double>(rng.below(1000)) / 1000.0;
  for (size_t e : ends) {
    if (static_cast<double>(count_words(std::string_view(text).substr(0, e))) >= want * static_cast<double>(total))
      return text.substr(0, e);
  }
  return text;
}

void run_templates(const Options& o, const Vocab& v, Sinks& sinks, Totals& tot) {
  constexpr uint64_t kSites = 8;  // site-0 carries the briefs; sites 1..7 reprint articles
  std::vector<SiteTemplate> sites;
  for (uint64_t s = 0; s < kSites; ++s) sites.push_back(make_site(v, o.seed, s));
  Rng rng(derive(o.seed, kPlanStream, 1000));
  struct Doc {
    std::string text, source, kind;
    int64_t cluster;  // index into docs of the document it derives from (-1: itself)
  };
  std::vector<Doc> docs;
  const uint64_t n_briefs = std::max<uint64_t>(2, o.docs / 2);
  for (uint64_t i = 0; i < n_briefs; ++i) {
    docs.push_back({wrap(sites[0], gen_text(v, rng, static_cast<uint32_t>(rng.range(20, 45)))), sites[0].name,
                    "", -1});
  }
  while (docs.size() < o.docs) {
    const auto wire = static_cast<int64_t>(docs.size());
    const std::string article = gen_text(v, rng, static_cast<uint32_t>(rng.range(300, 600)));
    docs.push_back({article, "wire", "", -1});
    uint64_t taken = 0;
    const int64_t reprints = rng.range(2, 4);
    for (int64_t r = 0; r < reprints; ++r) {
      uint64_t site;
      do site = 1 + rng.below(kSites - 1); while (taken >> site & 1U);
      taken |= uint64_t{1} << site;
      const bool cut = rng.chance(2, 5);
      docs.push_back({wrap(sites[site], cut ? truncated(article, rng) : article), sites[site].name,
                      cut ? "truncated" : "reprint", wire});
    }
  }
  // Shuffle so reprints are not next to their wire story; ids follow the new order.
  std::vector<size_t> order(docs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
  std::vector<std::string> id_of(docs.size());
  for (size_t pos = 0; pos < order.size(); ++pos) id_of[order[pos]] = fmt::format("t{:06d}", pos);
  for (size_t pos = 0; pos < order.size(); ++pos) {
    const size_t i = order[pos];
    const Doc& d = docs[i];
    std::string& b = sinks.docs->buf();
    b += "{\"id\":\"" + id_of[i] + "\",\"source\":\"" + d.source + "\",\"text\":";
    append_json_string(b, d.text);
    b += "}\n";
    sinks.docs->maybe_flush();
    const std::string& cluster = d.cluster < 0 ? id_of[i] : id_of[static_cast<size_t>(d.cluster)];
    sinks.truth->buf() += fmt::format("{{\"id\":\"{}\",\"cluster\":\"{}\"}}\n", id_of[i], cluster);
    if (d.cluster >= 0) {
      const Overlap ov = overlap(shingles_of_text(d.text), shingles_of_text(docs[static_cast<size_t>(d.cluster)].text));
      sinks.planted->buf() +=
          fmt::format("{{\"a\":\"{}\",\"b\":\"{}\",\"kind\":\"{}\",\"jaccard\":{:.6f},\"containment\":{:.6f}}}\n",
                      id_of[i], cluster, d.kind, ov.jaccard, ov.containment);
      ++tot.contained;
    } else {
      ++tot.base;
    }
    tot.text_bytes += d.text.size();
    ++tot.docs;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_args(argc, argv);
  const auto t0 = std::chrono::steady_clock::now();

  const fs::path dir(o.out);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) io_error(fmt::format("cannot create directory {}: {}", o.out, ec.message()));

  Writer docs, truth, planted;
  Sinks sinks;
  sinks.truth = &truth;
  sinks.planted = &planted;
  fs::path docs_path;
  if (o.format == "txt") {
    sinks.txt_dir = dir / "docs";
    fs::create_directories(sinks.txt_dir, ec);
    if (ec) io_error(fmt::format("cannot create directory {}: {}", sinks.txt_dir.string(), ec.message()));
    docs_path = sinks.txt_dir;
  } else if (o.zstd) {
    if (std::system("command -v zstd >/dev/null 2>&1") != 0)
      io_error("--zstd needs the zstd program on PATH");
    docs_path = dir / "docs.jsonl.zst";
    fs::remove(dir / "docs.jsonl", ec);
    docs.open_pipe(fmt::format("zstd -q -f -3 -o {}", shell_quote(docs_path.string())), docs_path);
    sinks.docs = &docs;
  } else {
    docs_path = dir / "docs.jsonl";
    fs::remove(dir / "docs.jsonl.zst", ec);
    docs.open_file(docs_path);
    sinks.docs = &docs;
  }
  truth.open_file(dir / "truth.jsonl");
  planted.open_file(dir / "planted.jsonl");

  Vocab vocab;
  build_vocab(vocab, o.seed);
  Totals tot;
  if (o.scenario == "templates") {
    run_templates(o, vocab, sinks, tot);
  } else if (o.target_mb) {
    const auto target = static_cast<uint64_t>(std::llround(*o.target_mb * 1e6));
    for (uint64_t block = 0; tot.text_bytes < target; ++block) {
      const uint64_t remaining = target - tot.text_bytes;
      const uint64_t per_doc =
          tot.docs > 0 ? std::max<uint64_t>(1, tot.text_bytes / tot.docs) : (o.min_words + o.max_words) / 2 * 5 + 1;
      const uint64_t n = std::clamp<uint64_t>((remaining + per_doc - 1) / per_doc, 64, 8192);
      run_block(o, vocab, block, n, sinks, tot);
    }
  } else {
    run_block(o, vocab, 0, o.docs, sinks, tot);
  }
  docs.close();
  truth.close();
  planted.close();

  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double mb = static_cast<double>(tot.text_bytes) / 1e6;
  fmt::print(stderr,
             "gen-corpus: {} docs ({} original, {} exact, {} near, {} contained), {:.2f} MB of text -> {} "
             "(seed {}) in {:.2f} s, {:.1f} MB/s\n",
             tot.docs, tot.base, tot.exact, tot.near, tot.contained, mb, docs_path.string(), o.seed, secs,
             secs > 0 ? mb / secs : 0.0);
  return 0;
}
