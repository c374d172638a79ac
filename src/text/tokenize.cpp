// File: text/tokenize.cpp
//
// Word and character tokenisation of normalised text. One scanner drives both
// tokenize() (hashes) and token_strings() (strings) so that the two can never
// disagree about where tokens are.

#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "core/isa.hpp"
#include "text/normalize.hpp"
#include "text/shingle.hpp"
#include "text/text_internal.hpp"

// Tokens are short; the inlined XXH3 avoids a library call per token.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace doppel::text {
namespace {

enum class CharClass : uint8_t {
  kOther,     // separates tokens
  kWord,      // letter, digit or connector punctuation of a spaced script
  kMark,      // combining mark: continues whatever precedes it
  kUnspaced,  // letter of a script written without spaces: a token by itself
  kJoiner,    // ' or . : dropped when it sits between two word characters
};

constexpr std::array<CharClass, 128> make_ascii_classes() {
  std::array<CharClass, 128> classes{};
  for (int b = 0; b < 128; ++b) {
    const bool word = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') ||
                      b == '_';  // '_' is Pc, the only ASCII connector punctuation
    if (word) {
      classes[b] = CharClass::kWord;
    } else if (b == '\'' || b == '.') {
      classes[b] = CharClass::kJoiner;
    } else {
      classes[b] = CharClass::kOther;
    }
  }
  return classes;
}
constexpr std::array<CharClass, 128> kAsciiClasses = make_ascii_classes();

CharClass classify(int32_t cp) {
  switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
    case UTF8PROC_CATEGORY_PC:
      return internal::is_unspaced_script(cp) ? CharClass::kUnspaced : CharClass::kWord;
    case UTF8PROC_CATEGORY_ND:
      // Thai, Lao, Tibetan, Myanmar and Khmer digits still form numbers.
      return CharClass::kWord;
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
      return CharClass::kMark;
    default:
      return CharClass::kOther;
  }
}

struct Decoded {
  size_t len;
  CharClass cls;
};

inline Decoded next_char(const uint8_t* p, size_t avail) {
  if (*p < 0x80) return {1, kAsciiClasses[*p]};
  // CJK Unified Ideographs U+4E00..U+9FFF (lead bytes E4..E9), the bulk of
  // Chinese and Japanese text, are all letters (Lo) of an unspaced script;
  // the unit test checks that against utf8proc for the whole range.
  if (avail >= 3 && static_cast<uint8_t>(p[0] - 0xE4) <= 5 && (p[1] & 0xC0) == 0x80 &&
      (p[2] & 0xC0) == 0x80 && (p[0] != 0xE4 || p[1] >= 0xB8)) {
    return {3, CharClass::kUnspaced};
  }
  utf8proc_int32_t cp = 0;
  const utf8proc_ssize_t len = utf8proc_iterate(p, static_cast<utf8proc_ssize_t>(avail), &cp);
  if (len <= 0) return {1, CharClass::kOther};  // a stray byte separates, never crashes
  return {static_cast<size_t>(len), classify(cp)};
}

inline bool is_word(CharClass c) {
  return c == CharClass::kWord || c == CharClass::kMark || c == CharClass::kUnspaced;
}

// Forced inline: once per token, and a call in the batch loop of
// hash_tokens() costs about a fifth of its time.
[[gnu::always_inline]] inline uint64_t hash_bytes(const char* p, size_t len) {
  // Nearly every token is at most 16 bytes: call XXH3's short-input path
  // directly (force-inlined by xxhash.h) rather than the whole dispatcher. For
  // these lengths XXH3_64bits_withSeed computes exactly this.
  if (len <= 16) {
    return XXH3_len_0to16_64b(reinterpret_cast<const xxh_u8*>(p), len, XXH3_kSecret, kTokenSeed);
  }
  return XXH3_64bits_withSeed(p, len, kTokenSeed);
}

// Word mode. A spaced-script run continues through letters, marks and joiners
// that have a run character on both sides; unspaced characters take their
// trailing marks and stand alone. One step: skips one separator or emits one
// token that starts at i; returns where the next step starts.
template <typename Sink>
inline size_t scan_word_step(const uint8_t* src, size_t n, size_t i, Sink& sink) {
  const Decoded c = next_char(src + i, n - i);
  if (c.cls == CharClass::kOther || c.cls == CharClass::kJoiner) return i + c.len;
  const size_t begin = i;
  i += c.len;
  if (c.cls == CharClass::kUnspaced) {
    while (i < n) {
      const Decoded m = next_char(src + i, n - i);
      if (m.cls != CharClass::kMark) break;
      i += m.len;
    }
    sink.word(begin, i, false);
    return i;
  }
  bool dropped = false;
  while (i < n) {
    // Most of the text is ASCII letters: skip them without decoding.
    while (i < n && src[i] < 0x80 && kAsciiClasses[src[i]] == CharClass::kWord) ++i;
    if (i >= n) break;
    const Decoded d = next_char(src + i, n - i);
    if (d.cls == CharClass::kWord || d.cls == CharClass::kMark) {
      i += d.len;
      continue;
    }
    if (d.cls == CharClass::kJoiner && i + 1 < n) {
      const Decoded after = next_char(src + i + 1, n - i - 1);
      if (after.cls == CharClass::kWord || after.cls == CharClass::kMark) {
        dropped = true;
        i += 1 + after.len;
        continue;
      }
    }
    break;
  }
  sink.word(begin, i, dropped);
  return i;
}

// The reference scanner (tokenize(), token_strings(), explain).
template <typename Sink>
void scan_words(std::string_view text, Sink& sink) {
  const auto* src = reinterpret_cast<const uint8_t*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) i = scan_word_step(src, n, i, sink);
}

// The hot loops of shingle_hashes() come in one copy per x86-64 level
// (core/isa.hpp): `Kernels` supplies the window masks of the word scanner, the
// hashing of a window's tokens and the shingle step over token hashes. Every
// copy computes the same integers as the baseline.

// Shingles [0, m - n + 1) of the token hashes t[0..m), m >= n, 1 <= n <= 64:
// shingle j = finish_shingle(XOR_i rotl(t[j + i], n - 1 - i), n), as
// shingle_sequence() defines it, kept rolling (three operations per shingle
// whatever n is).
void rolling_shingles(const uint64_t* t, size_t m, int n, uint64_t* out) {
  const auto width = static_cast<size_t>(n);
  uint64_t h = 0;
  for (size_t i = 0; i < width; ++i) h = std::rotl(h, 1) ^ t[i];
  out[0] = finish_shingle(h, width);
  const int out_rotation = n % 64;
  for (size_t j = 0; j + width < m; ++j) {
    h = std::rotl(h, 1) ^ std::rotl(t[j], out_rotation) ^ t[j + width];
    out[j + 1] = finish_shingle(h, width);
  }
}

// What every level's baseline shares, with or without SIMD.
struct ScalarKernels {
  // The hashes of `count` tokens without dropped joiners, token k at
  // text[begins[k], ends[k]) of text[0..size), into out[k].
  static void hash_tokens(const char* text, size_t /*size*/, const uint32_t* begins, const uint32_t* ends,
                          size_t count, uint64_t* out) {
    for (size_t k = 0; k < count; ++k) out[k] = hash_bytes(text + begins[k], ends[k] - begins[k]);
  }

  static void shingles(const uint64_t* t, size_t m, int n, uint64_t* out) { rolling_shingles(t, m, n, out); }
};

#if defined(__SSE2__)
// Bit masks over 64 bytes: which are non-ASCII, word characters, joiners.
struct WindowMasks {
  uint64_t non_ascii;
  uint64_t word;
  uint64_t joiner;
};

struct BaselineKernels : ScalarKernels {
  static WindowMasks window_masks(const uint8_t* p) {
    WindowMasks m{0, 0, 0};
    for (int part = 0; part < 4; ++part) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * part));
      auto in_range = [](__m128i x, char lo, char hi) {
        return _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(static_cast<char>(lo - 1))),
                             _mm_cmplt_epi8(x, _mm_set1_epi8(static_cast<char>(hi + 1))));
      };
      // Setting bit 5 folds 'A'-'Z' onto 'a'-'z' and moves no other byte into that range.
      const __m128i letter = in_range(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 'z');
      const __m128i word = _mm_or_si128(_mm_or_si128(letter, in_range(v, '0', '9')),
                                        _mm_cmpeq_epi8(v, _mm_set1_epi8('_')));
      const __m128i joiner =
          _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\'')), _mm_cmpeq_epi8(v, _mm_set1_epi8('.')));
      const int shift = 16 * part;
      m.non_ascii |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(v))) << shift;
      m.word |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(word))) << shift;
      m.joiner |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(joiner))) << shift;
    }
    return m;
  }

  // The tokens of a window from its masks: bit j of `starts` (of `lasts`)
  // set where a token begins (ends) at base + j. Writes each token's begin
  // and end (one past its last byte) and returns how many there are; both
  // outputs need room for 48 entries.
  static uint32_t token_bounds(uint64_t starts, uint64_t lasts, uint32_t base, uint32_t* begins, uint32_t* ends) {
    uint32_t count = 0;
    for (; starts != 0; starts &= starts - 1, lasts &= lasts - 1, ++count) {
      begins[count] = base + static_cast<uint32_t>(std::countr_zero(starts));
      ends[count] = base + static_cast<uint32_t>(std::countr_zero(lasts)) + 1;
    }
    return count;
  }

};

#ifdef DOPPEL_X86_LEVELS
// AVX-512 (x86-64-v4): one 64-byte compare per mask, eight tokens hashed per
// step and eight shingles per step. The functions carry the target attribute
// and are reached only through shingle_hashes_v4(), which is called only on
// CPUs that pass the run-time check (core::supported_isas).
typedef uint64_t U64x8 __attribute__((vector_size(64)));
// The zero-masked forms of intrinsics, with every lane on: GCC 12 warns about
// the plain forms' internal undefined operand (a false positive).
constexpr __mmask8 kAllLanes = 0xFF;

DOPPEL_V4 inline U64x8 rotl8(U64x8 x, int r) {
  return reinterpret_cast<U64x8>(_mm512_maskz_rolv_epi64(kAllLanes, reinterpret_cast<__m512i>(x), _mm512_set1_epi64(r)));
}

// The full 64-bit products of the lanes' low 32 bits.
DOPPEL_V4 inline U64x8 mul32x32(U64x8 x, U64x8 y) {
  return reinterpret_cast<U64x8>(_mm512_maskz_mul_epu32(kAllLanes, reinterpret_cast<__m512i>(x), reinterpret_cast<__m512i>(y)));
}

// Bytes with lo <= x <= hi (unsigned: x - lo <= hi - lo).
DOPPEL_V4 inline __mmask64 bytes_in_range(__m512i x, char lo, char hi) {
  return _mm512_cmple_epu8_mask(_mm512_sub_epi8(x, _mm512_set1_epi8(lo)), _mm512_set1_epi8(static_cast<char>(hi - lo)));
}

struct V4Kernels {
  DOPPEL_V4 static WindowMasks window_masks(const uint8_t* p) {
    const __m512i v = _mm512_loadu_si512(p);
    const __mmask64 letter = bytes_in_range(_mm512_or_si512(v, _mm512_set1_epi8(0x20)), 'a', 'z');
    const __mmask64 word = letter | bytes_in_range(v, '0', '9') | _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('_'));
    const __mmask64 joiner =
        _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\'')) | _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('.'));
    return {_mm512_movepi8_mask(v), word, joiner};
  }

  // token_bounds() sixteen bit positions at a time: each quarter of a mask
  // picks its positions out of a vector of them in one compress, instead of
  // a loop whose exit mispredicts once per window.
  DOPPEL_V4 static uint32_t token_bounds(uint64_t starts, uint64_t lasts, uint32_t base, uint32_t* begins,
                                         uint32_t* ends) {
    const __m512i iota = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    const __m512i one = _mm512_set1_epi32(1);
    uint32_t b = 0;
    uint32_t e = 0;
    for (int quarter = 0; quarter < 4; ++quarter) {
      const __m512i at = _mm512_add_epi32(iota, _mm512_set1_epi32(static_cast<int>(base) + 16 * quarter));
      const auto s = static_cast<__mmask16>(starts >> (16 * quarter));
      const auto l = static_cast<__mmask16>(lasts >> (16 * quarter));
      _mm512_storeu_si512(begins + b, _mm512_maskz_compress_epi32(s, at));
      _mm512_storeu_si512(ends + e, _mm512_maskz_compress_epi32(l, _mm512_add_epi32(at, one)));
      b += static_cast<uint32_t>(std::popcount(static_cast<unsigned>(s)));
      e += static_cast<uint32_t>(std::popcount(static_cast<unsigned>(l)));
    }
    return b;
  }

  // XXH3_64bits_withSeed(token, kTokenSeed) for eight tokens at a time: each
  // lane computes xxhash's 1-3, 4-8 and 9-16 byte formulas from the token's
  // first and last eight bytes and keeps the one its length selects. The two
  // 8-byte reads may reach 8 bytes before the token and 8 past it, so tokens
  // that near an end of the text, and tokens over 16 bytes (rare), are hashed
  // one by one afterwards.
  DOPPEL_V4 static void hash_tokens(const char* text, size_t size, const uint32_t* begins, const uint32_t* ends,
                                    size_t count, uint64_t* out) {
    const xxh_u8* secret = XXH3_kSecret;
    const uint64_t seed = kTokenSeed;
    const uint64_t flip_1to3 = (XXH_readLE32(secret) ^ XXH_readLE32(secret + 4)) + seed;
    const uint64_t seed_4to8 = seed ^ (static_cast<uint64_t>(XXH_swap32(static_cast<uint32_t>(seed))) << 32);
    const uint64_t flip_4to8 = (XXH_readLE64(secret + 8) ^ XXH_readLE64(secret + 16)) - seed_4to8;
    const uint64_t flip_lo = (XXH_readLE64(secret + 24) ^ XXH_readLE64(secret + 32)) + seed;
    const uint64_t flip_hi = (XXH_readLE64(secret + 40) ^ XXH_readLE64(secret + 48)) - seed;
    const __m512i swap_bytes = _mm512_set_epi8(8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
                                               13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1,
                                               2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
    const uint64_t kLow32 = 0xFFFFFFFFu;
    // Lanes whose reads stay inside the text: 8 <= begin <= size - 8.
    const __m512i last_safe = _mm512_set1_epi64(static_cast<long long>(size >= 8 ? size - 8 : 0));
    const __mmask8 text_holds_16 = size >= 16 ? __mmask8{0xFF} : __mmask8{0};
    for (size_t k = 0; k < count; k += 8) {
      const __mmask8 live = count - k >= 8 ? __mmask8{0xFF} : static_cast<__mmask8>((1u << (count - k)) - 1);
      const __m512i first = _mm512_maskz_cvtepu32_epi64(live, _mm256_maskz_loadu_epi32(live, begins + k));
      const __m512i len = _mm512_sub_epi64(_mm512_maskz_cvtepu32_epi64(live, _mm256_maskz_loadu_epi32(live, ends + k)), first);
      const __mmask8 safe = live & text_holds_16 & _mm512_cmpge_epu64_mask(first, _mm512_set1_epi64(8)) &
                            _mm512_cmple_epu64_mask(first, last_safe);
      const __m512i last8 = _mm512_sub_epi64(_mm512_add_epi64(first, len), _mm512_set1_epi64(8));
      // Each token's first and last eight bytes. Eight plain loads per vector
      // beat a gather instruction (12% of the kernel's time on an AMD EPYC);
      // lanes that are not all safe (near an end of the text, or past the
      // last token) take the masked gather.
      U64x8 a, b;
      if (safe == 0xFF) {
        alignas(64) uint64_t av[8], bv[8];
        for (int j = 0; j < 8; ++j) {
          std::memcpy(&av[j], text + begins[k + j], 8);
          std::memcpy(&bv[j], text + ends[k + j] - 8, 8);
        }
        a = reinterpret_cast<U64x8>(_mm512_load_si512(av));
        b = reinterpret_cast<U64x8>(_mm512_load_si512(bv));
      } else {
        a = reinterpret_cast<U64x8>(_mm512_mask_i64gather_epi64(_mm512_setzero_si512(), safe, first, text, 1));
        b = reinterpret_cast<U64x8>(_mm512_mask_i64gather_epi64(_mm512_setzero_si512(), safe, last8, text, 1));
      }
      const U64x8 l = reinterpret_cast<U64x8>(len);
      // 1..3 bytes: the first, middle and last byte and the length, avalanched.
      const U64x8 c1 = a & 0xFF;
      const U64x8 c2 = (a >> ((l >> 1) << 3)) & 0xFF;
      const U64x8 c3 = b >> 56;
      U64x8 h13 = ((c1 << 16) | (c2 << 24) | c3 | (l << 8)) ^ flip_1to3;
      h13 ^= h13 >> 33;
      h13 *= XXH_PRIME64_2;
      h13 ^= h13 >> 29;
      h13 *= XXH_PRIME64_3;
      h13 ^= h13 >> 32;
      // 4..8 bytes: the first and last four, rrmxmx.
      U64x8 h48 = ((b >> 32) + ((a & kLow32) << 32)) ^ flip_4to8;
      h48 ^= rotl8(h48, 49) ^ rotl8(h48, 24);
      h48 *= 0x9FB21C651E98DF25ULL;
      h48 ^= (h48 >> 35) + l;
      h48 *= 0x9FB21C651E98DF25ULL;
      h48 ^= h48 >> 28;
      // 9..16 bytes: the first and last eight and their 128-bit product, folded.
      const U64x8 lo = a ^ flip_lo;
      const U64x8 hi = b ^ flip_hi;
      const U64x8 lo_swapped = reinterpret_cast<U64x8>(_mm512_shuffle_epi8(reinterpret_cast<__m512i>(lo), swap_bytes));
      const U64x8 lo_high = lo >> 32;
      const U64x8 hi_high = hi >> 32;
      const U64x8 p00 = mul32x32(lo, hi);
      const U64x8 p01 = mul32x32(lo, hi_high);
      const U64x8 p10 = mul32x32(lo_high, hi);
      const U64x8 p11 = mul32x32(lo_high, hi_high);
      const U64x8 cross = (p00 >> 32) + (p10 & kLow32) + p01;
      const U64x8 product_high = p11 + (p10 >> 32) + (cross >> 32);
      const U64x8 product_low = (cross << 32) | (p00 & kLow32);
      U64x8 h916 = l + lo_swapped + hi + (product_low ^ product_high);
      h916 ^= h916 >> 37;
      h916 *= 0x165667919E3779F9ULL;
      h916 ^= h916 >> 32;
      const __mmask8 from4 = _mm512_cmpge_epu64_mask(len, _mm512_set1_epi64(4));
      const __mmask8 from9 = _mm512_cmpge_epu64_mask(len, _mm512_set1_epi64(9));
      __m512i h = _mm512_mask_mov_epi64(reinterpret_cast<__m512i>(h13), from4, reinterpret_cast<__m512i>(h48));
      h = _mm512_mask_mov_epi64(h, from9, reinterpret_cast<__m512i>(h916));
      _mm512_mask_storeu_epi64(out + k, live, h);
      const __mmask8 one_by_one = (live & ~safe) | _mm512_mask_cmpgt_epu64_mask(live, len, _mm512_set1_epi64(16));
      for (unsigned lanes = one_by_one; lanes != 0; lanes &= lanes - 1) {
        const size_t lane = k + static_cast<size_t>(std::countr_zero(lanes));
        out[lane] = XXH3_64bits_withSeed(text + begins[lane], ends[lane] - begins[lane], seed);
      }
    }
  }

  // rolling_shingles() eight shingles per step, each from its n token hashes
  // directly (n loads per step, so only up to n = 16).
  DOPPEL_V4 static void shingles(const uint64_t* t, size_t m, int n, uint64_t* out) {
    if (n > 16) {
      rolling_shingles(t, m, n, out);
      return;
    }
    const size_t count = m - static_cast<size_t>(n) + 1;
    const uint64_t length_mix = static_cast<uint64_t>(n) * 0x9e3779b97f4a7c15ULL;
    size_t j = 0;
    for (; j + 8 <= count; j += 8) {
      U64x8 c = reinterpret_cast<U64x8>(_mm512_loadu_si512(t + j + n - 1));
      for (int i = 0; i + 1 < n; ++i) c ^= rotl8(reinterpret_cast<U64x8>(_mm512_loadu_si512(t + j + i)), n - 1 - i);
      c ^= length_mix;
      c ^= c >> 33;
      c *= 0xff51afd7ed558ccdULL;
      c ^= c >> 33;
      c *= 0xc4ceb9fe1a85ec53ULL;
      c ^= c >> 33;
      _mm512_storeu_si512(out + j, reinterpret_cast<__m512i>(c));
    }
    if (j < count) rolling_shingles(t + j, m - j, n, out + j);
  }
};
#endif  // DOPPEL_X86_LEVELS

// scan_words() for the dedup hot path: where 64 bytes in a row are ASCII, the
// tokens among them are found from bit masks (a word run plus joiners with a
// word character on both sides) instead of byte by byte; anything else takes
// scan_word_step(). The tests hold it to scan_words() on random text.
template <typename Kernels, typename Sink>
[[gnu::always_inline]] inline void scan_words_fast(std::string_view text, Sink& sink) {
  const auto* src = reinterpret_cast<const uint8_t*>(text.data());
  const size_t n = text.size();
  // Invariant: i never lies inside a token.
  size_t i = 0;
  while (i < n) {
    if (i + 64 > n) {
      i = scan_word_step(src, n, i, sink);
      continue;
    }
    const WindowMasks m = Kernels::window_masks(src + i);
    if (m.non_ascii != 0) {
      // Step past the window's last non-ASCII byte before looking again, so
      // text in other scripts pays for one window per 64 bytes, not per character.
      const size_t past = i + 64 - static_cast<size_t>(std::countl_zero(m.non_ascii));
      while (i < past) i = scan_word_step(src, n, i, sink);
      continue;
    }
    // Byte i - 1 is not in a token that could continue here (invariant), so
    // nothing to the left of bit 0 joins. A joiner at bit 63 cannot be judged
    // (its right neighbour is outside), so only runs ending by bit 62 count.
    const uint64_t token = m.word | (m.joiner & (m.word << 1) & (m.word >> 1));
    if constexpr (requires { sink.window_bounds(); }) {
      // The common window, no dropped joiners: token bounds come from the
      // start and end masks (Kernels::token_bounds) with no data-dependent
      // branch per token, and the sink hashes them later, many windows at a
      // time (ShingleSink::resolve). `next` follows the rule of the general loop
      // below: a run that reaches bit 62 opens the next window, else bit 63
      // when a run starts there, else bit 62.
      const uint64_t starts = token & ~(token << 1);
      uint64_t next = ((token >> 62) & 1) != 0
                          ? 63 - static_cast<uint64_t>(std::countl_zero(starts & (~uint64_t{0} >> 1)))
                          : 62 + ((token >> 63) & 1);
      const uint64_t done = (uint64_t{1} << next) - 1;  // the tokens that start (and end) below `next`
      if (next != 0 && (token & m.joiner & done) == 0 && sink.windows()) {
        const uint64_t s = starts & done;
        const uint64_t e = token & ~(token >> 1) & done;  // last byte of each token
        // At most 32 tokens: a token and its separator take at least two bytes.
        const auto [begins, ends] = sink.window_bounds();
        sink.window_words(Kernels::token_bounds(s, e, static_cast<uint32_t>(i), begins, ends));
        i += next;
        continue;
      }
    }
    uint64_t pos = 0;
    uint64_t next = 62;  // where the next window starts if no run is left open
    while (pos < 63) {
      const uint64_t rest = token >> pos;
      if (rest == 0) break;
      const uint64_t start = pos + static_cast<uint64_t>(std::countr_zero(rest));
      if (start >= 62) {
        next = start;
        break;
      }
      const uint64_t end = start + static_cast<uint64_t>(std::countr_one(token >> start));
      if (end > 62) {
        next = start;  // runs past what this window can judge
        break;
      }
      const uint64_t span = (end - start == 64 ? ~uint64_t{0} : ((uint64_t{1} << (end - start)) - 1)) << start;
      sink.word(i + start, i + end, (m.joiner & span) != 0);
      pos = end;
    }
    // A run that opens at bit 0 and outlasts the window is a long token: the
    // byte-wise step takes it whole (moving i into it would break the invariant).
    i = next == 0 ? scan_word_step(src, n, i, sink) : i + next;
  }
}
#else
// Without SSE2 the scanner takes no window path: only the scalar parts.
struct BaselineKernels : ScalarKernels {};

template <typename Kernels, typename Sink>
void scan_words_fast(std::string_view text, Sink& sink) {
  scan_words(text, sink);
}
#endif

// Character mode: one token per word character (with its trailing marks) and a
// space token wherever words are separated by anything else.
template <typename Sink>
void scan_chars(std::string_view text, Sink& sink) {
  const auto* src = reinterpret_cast<const uint8_t*>(text.data());
  const size_t n = text.size();
  bool have_token = false;
  bool in_gap = false;
  size_t gap_begin = 0;
  size_t i = 0;
  while (i < n) {
    const Decoded c = next_char(src + i, n - i);
    if (is_word(c.cls)) {
      if (in_gap && have_token) sink.space(gap_begin, i);
      in_gap = false;
      const size_t begin = i;
      i += c.len;
      while (i < n) {
        const Decoded m = next_char(src + i, n - i);
        if (m.cls != CharClass::kMark) break;
        i += m.len;
      }
      sink.word(begin, i, false);
      have_token = true;
      continue;
    }
    if (c.cls == CharClass::kJoiner && have_token && !in_gap && i + 1 < n &&
        is_word(next_char(src + i + 1, n - i - 1).cls)) {
      ++i;  // "lee's" stays l e e s, as in word mode
      continue;
    }
    if (!in_gap) {
      in_gap = true;
      gap_begin = i;
    }
    i += c.len;
  }
}

template <typename Sink>
void scan(std::string_view text, TokenMode mode, Sink& sink) {
  if (mode == TokenMode::kWord) {
    scan_words(text, sink);
  } else {
    scan_chars(text, sink);
  }
}

// Copies a token span without its dropped joiners. Inside a word-mode span every
// ' and . is a dropped joiner (a kept one would have ended the token), and
// neither byte can occur inside a multi-byte UTF-8 sequence.
void strip_joiners(std::string_view span, std::string& out) {
  out.clear();
  for (const char ch : span) {
    if (ch != '\'' && ch != '.') out += ch;
  }
}

class HashSink {
 public:
  HashSink(std::string_view text, std::vector<Token>& out)
      : text_(text), out_(out), space_hash_(hash_bytes(" ", 1)) {}

  void word(size_t begin, size_t end, bool dropped) {
    uint64_t h = 0;
    if (dropped) {
      strip_joiners(text_.substr(begin, end - begin), scratch_);
      h = hash_bytes(scratch_.data(), scratch_.size());
    } else {
      h = hash_bytes(text_.data() + begin, end - begin);
    }
    out_.push_back(Token{h, static_cast<uint32_t>(begin), static_cast<uint32_t>(end)});
  }

  void space(size_t begin, size_t end) {
    out_.push_back(Token{space_hash_, static_cast<uint32_t>(begin), static_cast<uint32_t>(end)});
  }

 private:
  std::string_view text_;
  std::vector<Token>& out_;
  uint64_t space_hash_;
  std::string scratch_;  // reused for every token with a dropped joiner
};

// Collects token hashes in a buffer of its own and turns them into shingle
// hashes a buffer at a time (Kernels::shingles), keeping the last n - 1 for the
// windows that span two buffers: the dedup path needs neither token spans nor a
// token vector, and a huge document needs no token array as large as itself.
template <typename Kernels>
class ShingleSink {
 public:
  ShingleSink(std::string_view text, int n, std::vector<uint64_t>& out)
      : text_(text),
        out_(out),
        width_(static_cast<size_t>(n)),
        space_hash_(hash_bytes(" ", 1)) {}

  void word(size_t begin, size_t end, bool dropped) {
    make_room(1);
    const size_t len = end - begin;
    if (dropped) {
      strip_joiners(text_.substr(begin, len), scratch_);
      buffer_[have_++] = hash_bytes(scratch_.data(), scratch_.size());
    } else {
      buffer_[have_++] = hash_bytes(text_.data() + begin, len);
    }
  }

  // Whether the scanner may hand over whole windows (bounds are 32-bit).
  bool windows() const { return text_.size() < std::numeric_limits<uint32_t>::max() - 64; }

  // Where the scanner writes the bounds of up to 32 tokens of one window (no
  // dropped joiners, in order, absolute positions; with room for 48, see
  // token_bounds()), then calls window_words(count). Their hashes are computed later, many windows at
  // once (see resolve()); until then their slots in buffer_ hold nothing.
  std::pair<uint32_t*, uint32_t*> window_bounds() {
    make_room(kMaxWindowTokens);
    if (pending_ + kMaxWindowTokens > kPendingCapacity || runs_ == kMaxRuns) resolve();
    return {pending_begins_ + pending_, pending_ends_ + pending_};
  }

  void window_words(uint32_t count) {
    if (count == 0) return;
    if (runs_ == 0 || run_end_ != have_) {
      // A token hashed on the spot came in between: the slots start a new run.
      run_first_[runs_] = static_cast<uint16_t>(pending_);
      run_slot_[runs_] = static_cast<uint16_t>(have_);
      ++runs_;
    }
    pending_ += count;
    have_ += count;
    run_end_ = have_;
  }

  void space(size_t /*begin*/, size_t /*end*/) {
    make_room(1);
    buffer_[have_++] = space_hash_;
  }

  void finish() {
    if (!flushed_ && have_ < width_) {
      // A document shorter than n tokens is one shingle of all of them.
      if (have_ == 0) return;
      resolve();
      uint64_t h = 0;
      for (size_t i = 0; i < have_; ++i) h = std::rotl(h, 1) ^ buffer_[i];
      out_.push_back(finish_shingle(h, have_));
      return;
    }
    emit();
  }

 private:
  // Token hashes per buffer: a window adds at most 32, and n <= 64 are kept.
  static constexpr size_t kCapacity = 2048;
  static constexpr size_t kMaxWindowTokens = 32;
  // Window tokens awaiting their hashes. Hashing one window's dozen tokens at
  // a time left a third of the eight-lane steps empty and paid the set-up per
  // window; a few hundred at a time fills nearly every lane. Their slots in
  // buffer_ form runs, split where a token was hashed on the spot (word()).
  static constexpr size_t kPendingCapacity = 512;
  static constexpr size_t kMaxRuns = 64;
  static_assert(kCapacity <= 65536 && kPendingCapacity <= 65536, "runs are 16-bit");

  void resolve() {
    for (size_t r = 0; r < runs_; ++r) {
      const size_t first = run_first_[r];
      const size_t end = r + 1 < runs_ ? run_first_[r + 1] : pending_;
      Kernels::hash_tokens(text_.data(), text_.size(), pending_begins_ + first, pending_ends_ + first, end - first,
                           buffer_ + run_slot_[r]);
    }
    pending_ = 0;
    runs_ = 0;
  }

  void make_room(size_t count) {
    if (have_ + count <= kCapacity) return;
    emit();
    std::copy(buffer_ + have_ - (width_ - 1), buffer_ + have_, buffer_);
    have_ = width_ - 1;
    flushed_ = true;
  }

  // The shingles of every window wholly inside the buffer.
  void emit() {
    resolve();
    if (have_ < width_) return;
    const size_t at = out_.size();
    out_.resize(at + have_ - width_ + 1);
    Kernels::shingles(buffer_, have_, static_cast<int>(width_), out_.data() + at);
  }

  std::string_view text_;
  std::vector<uint64_t>& out_;
  size_t width_;
  uint64_t space_hash_;
  size_t have_ = 0;
  bool flushed_ = false;  // some shingles already emitted
  std::string scratch_;
  uint64_t buffer_[kCapacity];
  size_t pending_ = 0;
  size_t runs_ = 0;
  size_t run_end_ = 0;            // the slot after the last run's
  uint16_t run_first_[kMaxRuns];  // where each run starts in the pending arrays
  uint16_t run_slot_[kMaxRuns];   // and in buffer_
  // token_bounds() may write 16 entries past a window's 32.
  uint32_t pending_begins_[kPendingCapacity + 16];
  uint32_t pending_ends_[kPendingCapacity + 16];
};

class StringSink {
 public:
  StringSink(std::string_view text, std::vector<std::string>& out) : text_(text), out_(out) {}

  void word(size_t begin, size_t end, bool dropped) {
    std::string s;
    if (dropped) {
      strip_joiners(text_.substr(begin, end - begin), s);
    } else {
      s.assign(text_.substr(begin, end - begin));
    }
    out_.push_back(std::move(s));
  }

  void space(size_t /*begin*/, size_t /*end*/) { out_.emplace_back(" "); }

 private:
  std::string_view text_;
  std::vector<std::string>& out_;
};

}  // namespace

void tokenize(std::string_view text, TokenMode mode, std::vector<Token>& out) {
  out.clear();
  HashSink sink(text, out);
  scan(text, mode, sink);
}

namespace {

template <typename Kernels>
[[gnu::always_inline]] inline void shingle_hashes_impl(std::string_view normalized, TokenMode mode, int n,
                                                       std::vector<uint64_t>& out) {
  out.clear();
  if (n < 1) return;
  if (n > 64) {
    // Rotations are mod 64, and shingles this wide are rare enough to take
    // the token vector.
    std::vector<Token> tokens;
    tokenize(normalized, mode, tokens);
    shingle_sequence(tokens, n, out);
    return;
  }
  // A word takes at least one byte and a separator, a character token one byte.
  out.reserve(mode == TokenMode::kWord ? normalized.size() / 2 + 1 : normalized.size() + 1);
  ShingleSink<Kernels> sink(normalized, n, out);
  if (mode == TokenMode::kWord) {
    scan_words_fast<Kernels>(normalized, sink);
  } else {
    scan_chars(normalized, sink);
  }
  sink.finish();
}

using ShingleHashesFn = void (*)(std::string_view, TokenMode, int, std::vector<uint64_t>&);

void shingle_hashes_baseline(std::string_view normalized, TokenMode mode, int n, std::vector<uint64_t>& out) {
  shingle_hashes_impl<BaselineKernels>(normalized, mode, n, out);
}

#ifdef DOPPEL_X86_LEVELS
DOPPEL_V4 void shingle_hashes_v4(std::string_view normalized, TokenMode mode, int n, std::vector<uint64_t>& out) {
  shingle_hashes_impl<V4Kernels>(normalized, mode, n, out);
}
#endif

ShingleHashesFn shingle_hashes_for(core::Isa isa) {
#ifdef DOPPEL_X86_LEVELS
  if (isa == core::Isa::kX86V4) return shingle_hashes_v4;
#endif
  (void)isa;
  return shingle_hashes_baseline;
}

}  // namespace

void shingle_hashes(std::string_view normalized, TokenMode mode, int n, std::vector<uint64_t>& out) {
  static const ShingleHashesFn best = shingle_hashes_for(core::supported_isas().front());
  best(normalized, mode, n, out);
}

std::vector<std::string> token_strings(std::string_view text, TokenMode mode) {
  std::vector<std::string> out;
  StringSink sink(text, out);
  scan(text, mode, sink);
  return out;
}

namespace internal {

void shingle_hashes_with(core::Isa isa, std::string_view normalized, TokenMode mode, int n,
                         std::vector<uint64_t>& out) {
  shingle_hashes_for(isa)(normalized, mode, n, out);
}

bool is_unspaced_script(int32_t cp) {
  // Block ranges (Unicode 15), checked in ascending order.
  if (cp < 0x0E00) return false;
  if (cp <= 0x0FFF) return true;                    // Thai, Lao, Tibetan
  if (cp <= 0x109F) return cp >= 0x1000;            // Myanmar
  if (cp < 0x1780) return false;
  if (cp <= 0x17FF) return true;                    // Khmer
  if (cp >= 0x19E0 && cp <= 0x19FF) return true;    // Khmer Symbols
  if (cp < 0x2E80) return false;
  if (cp <= 0x2FDF) return true;                    // CJK Radicals Supplement, Kangxi Radicals
  if (cp >= 0x3005 && cp <= 0x3007) return true;    // iteration mark, closing mark, ideographic zero
  if (cp >= 0x3021 && cp <= 0x3029) return true;    // Hangzhou numerals
  if (cp >= 0x3038 && cp <= 0x303B) return true;    // more Hangzhou numerals, vertical iteration mark
  if (cp >= 0x3040 && cp <= 0x30FF) return true;    // Hiragana, Katakana
  if (cp >= 0x31F0 && cp <= 0x31FF) return true;    // Katakana Phonetic Extensions
  if (cp >= 0x3400 && cp <= 0x4DBF) return true;    // CJK Extension A
  if (cp >= 0x4E00 && cp <= 0x9FFF) return true;    // CJK Unified Ideographs
  if (cp >= 0xA9E0 && cp <= 0xA9FF) return true;    // Myanmar Extended-B
  if (cp >= 0xAA60 && cp <= 0xAA7F) return true;    // Myanmar Extended-A
  if (cp >= 0xF900 && cp <= 0xFAFF) return true;    // CJK Compatibility Ideographs
  if (cp >= 0xFF66 && cp <= 0xFF9F) return true;    // halfwidth Katakana
  if (cp >= 0x1AFF0 && cp <= 0x1B16F) return true;  // Kana Extended-B, Supplement, Extended-A, Small Kana
  return cp >= 0x20000 && cp <= 0x3FFFF;            // planes 2 and 3: CJK Extensions B-H, compatibility supplement
}

}  // namespace internal
}  // namespace doppel::text
