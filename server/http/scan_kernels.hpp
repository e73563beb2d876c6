// Internal to the request head parser: the byte scans under it. A kernel
// (scalar, SSE4.2 with 16-byte blocks, AVX2 with 32-byte blocks) supplies only
// the per-ISA primitives, which turn one block into bit masks; each loop over
// the buffer (find_stop, window_masks, host_fast) is written once, below, as a
// template over the kernel.
//
// Memory rule of every loop: `base` is the start of the readable buffer; a
// kernel may read any byte in [base, end) but never outside it.
//
// Why primitives take a pointer and return plain masks: the loops carry no
// target attribute of their own (they get the ISA of the per-path function they
// are inlined into), so no vector type may cross their calls (GCC warns, clang
// refuses: the vector ABI differs without AVX).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "http/char_classes.hpp"
#include "http/request_head_state.hpp"

#if HS_HTTP_X86
#include <immintrin.h>
#endif

namespace hs::http::head {

// What ends a scan: Target, a byte that may not stand in a request-target
// (anything but VCHAR, or '#'); Value, a byte a field value run may not hold
// as is (CR, LF, other controls, DEL, and bytes >= 0x80, checked as UTF-8).
enum class Stops : uint8_t { Target, Value };

// Masks of a 64-byte window of the buffer starting at `start` (a line start):
// bit i of `nontchar` / `vstop` set when start[i] is not a token character /
// stops a field value scan; bits at or past `avail` (bytes left) are clear.
struct Window {
  const char* start;
  uint64_t vstop;
  uint64_t nontchar;
  uint64_t ows;  // SP or HTAB
  unsigned avail;
};

// One block's bits for a Window.
struct LineMasks {
  uint32_t vstop;
  uint32_t nontchar;
  uint32_t ows;
};

// One block's bits for host_fast: bytes outside kHostNibbles, colons, digits.
struct HostMasks {
  uint32_t bad;
  uint32_t colons;
  uint32_t digits;
};

// ---- kernels ---------------------------------------------------------------
// A kernel has kWidth (bytes per block; 1: no blocks, byte by byte) and, when
// kWidth > 1, Narrower (the kernel for a buffer shorter than one block) and
//   target_stops(p), value_stops(p)  bit i set when p[i] stops that scan
//   line_masks(p)                    LineMasks of the block at p
//   host_masks(p)                    HostMasks of the block at p
// each looking at exactly the kWidth bytes at p.

// Byte by byte through the tables of char_classes.hpp; every platform.
struct PortableKernel {
  static constexpr ptrdiff_t kWidth = 1;
};

#if HS_HTTP_X86
#define HS_TARGET_SSE42 __attribute__((target("sse4.2")))
#define HS_TARGET_AVX2 __attribute__((target("avx2,bmi,bmi2,popcnt")))

// A set of ASCII bytes by nibble for PSHUFB lookups: byte b is in the set
// when lo[b & 15] & hi[b >> 4] != 0 (one bit per row 0x00-0x70; bytes >= 0x80
// find hi == 0 and are never in a set).
struct NibbleTables {
  uint8_t lo[16];
  uint8_t hi[16];
};

template <class Pred>
constexpr NibbleTables make_nibbles(Pred in_set) {
  NibbleTables t{};
  for (int h = 0; h < 8; ++h) t.hi[h] = static_cast<uint8_t>(1u << h);
  for (int ch = 0; ch < 0x80; ++ch)
    if (in_set(ch)) t.lo[ch & 15] = static_cast<uint8_t>(t.lo[ch & 15] | (1u << (ch >> 4)));
  return t;
}

inline constexpr NibbleTables kTcharNibbles =
    make_nibbles([](int ch) { return chars::is_tchar(static_cast<char>(ch)); });
// Bytes of the fast Host check: reg-name characters except '%', and ':'.
inline constexpr NibbleTables kHostNibbles =
    make_nibbles([](int ch) { return ch == ':' || chars::is(chars::kRegName, static_cast<char>(ch)); });

// Vector constants kept in memory: a load is cheaper than rebuilding a
// broadcast from an immediate after every call in the field loop.
struct alignas(32) Splat {
  uint8_t b[32];
};

constexpr Splat splat(uint8_t v) {
  Splat s{};
  for (uint8_t& x : s.b) x = v;
  return s;
}

inline constexpr Splat kSp20 = splat(0x20), kSp21 = splat(0x21), kSp7f = splat(0x7f), kSpTab = splat('\t'),
                       kSpHash = splat('#'), kSp0f = splat(0x0f);

// A byte stops the target scan when it is <= 0x20 or >= 0x7f (one signed
// compare catches 0x00-0x20 and 0x80-0xff) or '#'; it stops the value scan
// when it is < 0x20 but not HTAB, or >= 0x7f.

// 16-byte blocks (SSE2 compares, SSSE3 PSHUFB), falling back to the scalar code.
struct Sse42Kernel {
  using V = __m128i;
  static constexpr ptrdiff_t kWidth = 16;
  using Narrower = PortableKernel;

  HS_TARGET_SSE42 static uint32_t target_stops(const char* p) {
    const V v = load(p);
    const V low = _mm_cmpgt_epi8(ld(kSp21), v);
    const V del = _mm_cmpeq_epi8(v, ld(kSp7f));
    return bits(_mm_or_si128(_mm_or_si128(low, del), _mm_cmpeq_epi8(v, ld(kSpHash))));
  }
  HS_TARGET_SSE42 static uint32_t value_stops(const char* p) { return value_bits(load(p)); }
  HS_TARGET_SSE42 static LineMasks line_masks(const char* p) {
    const V v = load(p);
    const V ows = _mm_or_si128(_mm_cmpeq_epi8(v, ld(kSp20)), _mm_cmpeq_epi8(v, ld(kSpTab)));
    return LineMasks{value_bits(v), nonset_bits(v, kTcharNibbles), bits(ows)};
  }
  HS_TARGET_SSE42 static HostMasks host_masks(const char* p) {
    const V x = load(p);
    const V dig = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('0' - 1)), _mm_cmpgt_epi8(_mm_set1_epi8('9' + 1), x));
    return HostMasks{nonset_bits(x, kHostNibbles), bits(_mm_cmpeq_epi8(x, _mm_set1_epi8(':'))), bits(dig)};
  }

 private:
  HS_TARGET_SSE42 HS_INLINE static V load(const char* p) { return _mm_loadu_si128(reinterpret_cast<const V*>(p)); }
  HS_TARGET_SSE42 HS_INLINE static V ld(const Splat& s) { return _mm_load_si128(reinterpret_cast<const V*>(s.b)); }
  HS_TARGET_SSE42 HS_INLINE static uint32_t bits(V m) { return static_cast<uint32_t>(_mm_movemask_epi8(m)); }
  HS_TARGET_SSE42 HS_INLINE static uint32_t value_bits(V v) {
    const V low = _mm_cmpgt_epi8(ld(kSp20), v);
    const V tab = _mm_cmpeq_epi8(v, ld(kSpTab));
    return bits(_mm_or_si128(_mm_andnot_si128(tab, low), _mm_cmpeq_epi8(v, ld(kSp7f))));
  }
  // Bytes of v outside the set.
  HS_TARGET_SSE42 HS_INLINE static uint32_t nonset_bits(V v, const NibbleTables& t) {
    const V nib = ld(kSp0f);
    const V lo = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const V*>(t.lo)), _mm_and_si128(v, nib));
    const V hi =
        _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const V*>(t.hi)), _mm_and_si128(_mm_srli_epi16(v, 4), nib));
    return bits(_mm_cmpeq_epi8(_mm_and_si128(lo, hi), _mm_setzero_si128()));
  }
};

// 32-byte blocks (AVX2), falling back to the SSE4.2 kernel.
struct Avx2Kernel {
  using V = __m256i;
  static constexpr ptrdiff_t kWidth = 32;
  using Narrower = Sse42Kernel;

  HS_TARGET_AVX2 static uint32_t target_stops(const char* p) {
    const V v = load(p);
    const V low = _mm256_cmpgt_epi8(ld(kSp21), v);
    const V del = _mm256_cmpeq_epi8(v, ld(kSp7f));
    return bits(_mm256_or_si256(_mm256_or_si256(low, del), _mm256_cmpeq_epi8(v, ld(kSpHash))));
  }
  HS_TARGET_AVX2 static uint32_t value_stops(const char* p) { return value_bits(load(p)); }
  HS_TARGET_AVX2 static LineMasks line_masks(const char* p) {
    const V v = load(p);
    const V ows = _mm256_or_si256(_mm256_cmpeq_epi8(v, ld(kSp20)), _mm256_cmpeq_epi8(v, ld(kSpTab)));
    return LineMasks{value_bits(v), nonset_bits(v, kTcharNibbles), bits(ows)};
  }
  HS_TARGET_AVX2 static HostMasks host_masks(const char* p) {
    const V x = load(p);
    const V dig =
        _mm256_and_si256(_mm256_cmpgt_epi8(x, _mm256_set1_epi8('0' - 1)), _mm256_cmpgt_epi8(_mm256_set1_epi8('9' + 1), x));
    return HostMasks{nonset_bits(x, kHostNibbles), bits(_mm256_cmpeq_epi8(x, _mm256_set1_epi8(':'))), bits(dig)};
  }

 private:
  HS_TARGET_AVX2 HS_INLINE static V load(const char* p) { return _mm256_loadu_si256(reinterpret_cast<const V*>(p)); }
  HS_TARGET_AVX2 HS_INLINE static V ld(const Splat& s) { return _mm256_load_si256(reinterpret_cast<const V*>(s.b)); }
  HS_TARGET_AVX2 HS_INLINE static uint32_t bits(V m) { return static_cast<uint32_t>(_mm256_movemask_epi8(m)); }
  HS_TARGET_AVX2 HS_INLINE static uint32_t value_bits(V v) {
    const V low = _mm256_cmpgt_epi8(ld(kSp20), v);
    const V tab = _mm256_cmpeq_epi8(v, ld(kSpTab));
    return bits(_mm256_or_si256(_mm256_andnot_si256(tab, low), _mm256_cmpeq_epi8(v, ld(kSp7f))));
  }
  // Bytes of v outside the set (the 16-byte tables repeated in both lanes).
  HS_TARGET_AVX2 HS_INLINE static uint32_t nonset_bits(V v, const NibbleTables& t) {
    const V lo_tab = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(t.lo)));
    const V hi_tab = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(t.hi)));
    const V nib = ld(kSp0f);
    const V lo = _mm256_shuffle_epi8(lo_tab, _mm256_and_si256(v, nib));
    const V hi = _mm256_shuffle_epi8(hi_tab, _mm256_and_si256(_mm256_srli_epi16(v, 4), nib));
    return bits(_mm256_cmpeq_epi8(_mm256_and_si256(lo, hi), _mm256_setzero_si256()));
  }
};
#endif  // HS_HTTP_X86

// ---- the loops, once for every kernel --------------------------------------

template <class K, Stops S>
HS_INLINE uint32_t block_stops(const char* p) {
  if constexpr (S == Stops::Target) {
    return K::target_stops(p);
  } else {
    return K::value_stops(p);
  }
}

// The first byte in [p, end) that stops a scan of kind S (end when none).
// Whole blocks from p; then the last partial block is read as the block ending
// at `end` (when the buffer has that many bytes) with the already-seen bytes
// shifted off; else the narrower kernel finishes.
template <class K, Stops S>
HS_INLINE const char* find_stop(const char* base, const char* p, const char* end) {
  if constexpr (K::kWidth == 1) {
    constexpr uint8_t cls = S == Stops::Target ? chars::kTarget : chars::kValue;
    while (end - p >= 4) {
      if (!chars::is(cls, p[0])) return p;
      if (!chars::is(cls, p[1])) return p + 1;
      if (!chars::is(cls, p[2])) return p + 2;
      if (!chars::is(cls, p[3])) return p + 3;
      p += 4;
    }
    while (p < end && chars::is(cls, *p)) ++p;
    return p;
  } else {
    while (end - p >= K::kWidth) {
      const uint32_t m = block_stops<K, S>(p);
      if (m) return p + __builtin_ctz(m);
      p += K::kWidth;
    }
    if (p == end) return end;
    if (end - base >= K::kWidth) {
      const char* q = end - K::kWidth;
      const uint32_t m = block_stops<K, S>(q) >> (p - q);
      return m ? p + __builtin_ctz(m) : end;
    }
    return find_stop<typename K::Narrower, S>(base, p, end);
  }
}

// The Window at p: the 64 bytes from p, or, near the end, the 64 bytes ending
// at `end` shifted so that bit 0 is p. False when the buffer is shorter than 64.
template <class K>
HS_INLINE bool window_masks(const char* base, const char* p, const char* end, Window& w) {
  static_assert(K::kWidth > 1 && 64 % K::kWidth == 0);
  const ptrdiff_t left = end - p;
  const char* q = p;
  unsigned shift = 0;
  if (left < 64) {
    if (end - base < 64) return false;
    q = end - 64;
    shift = static_cast<unsigned>(64 - left);
  }
  uint64_t vs = 0, nt = 0, ows = 0;
  for (ptrdiff_t i = 0; i < 64; i += K::kWidth) {
    const LineMasks m = K::line_masks(q + i);
    vs |= uint64_t{m.vstop} << i;
    nt |= uint64_t{m.nontchar} << i;
    ows |= uint64_t{m.ows} << i;
  }
  w = Window{p, vs >> shift, nt >> shift, ows >> shift, left < 64 ? static_cast<unsigned>(left) : 64u};
  return true;
}

// After a vector pass over a Host value of `len` bytes: `bad` marks bytes
// outside kHostNibbles, `colons` the colons, `digits` the digits. True when
// that proves the value a valid reg-name[:port]; false leaves the decision to
// valid_host.
HS_INLINE bool host_tail_ok(const char* v, size_t len, uint32_t bad, uint32_t colons, uint32_t digits) {
  if (bad) return false;
  if (colons == 0) return true;
  if (colons & (colons - 1)) return false;
  const auto k = static_cast<size_t>(__builtin_ctz(colons));
  const size_t plen = len - k - 1;
  if (k == 0 || plen == 0 || plen > 5) return false;
  const uint32_t port_bits = ((1u << plen) - 1) << (k + 1);
  if ((digits & port_bits) != port_bits) return false;
  return plen < 5 || std::memcmp(v + k + 1, "65535", 5) <= 0;
}

// True when one block proves the Host value [v, v+len) a valid
// reg-name[:port]; false leaves the decision to valid_host (values longer
// than a block, odd characters, IP literals, a buffer shorter than a block).
template <class K>
HS_INLINE bool host_fast(const char* base, const char* v, size_t len, const char* end) {
  constexpr ptrdiff_t W = K::kWidth;
  if (len == 0 || len > static_cast<size_t>(W)) return false;
  const char* q = v;
  unsigned shift = 0;
  if (end - v < W) {
    if (end - base < W) {
      if constexpr (K::Narrower::kWidth > 1) {
        return host_fast<typename K::Narrower>(base, v, len, end);
      } else {
        return false;
      }
    }
    q = end - W;
    shift = static_cast<unsigned>(W - (end - v));
  }
  const uint32_t keep = len == 32 ? ~0u : (1u << len) - 1;
  const HostMasks m = K::host_masks(q);
  return host_tail_ok(v, len, (m.bad >> shift) & keep, (m.colons >> shift) & keep, m.digits >> shift);
}

}  // namespace hs::http::head
