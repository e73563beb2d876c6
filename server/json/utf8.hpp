// Internal: UTF-8 sequence validation shared by the parser and the writer.
#pragma once

#include <cstddef>

namespace hs::json::detail {

// Length (2-4) of the valid UTF-8 sequence whose lead byte (>= 0x80) is at p,
// or 0 when it is invalid: bad lead byte, overlong form, UTF-16 surrogate,
// above U+10FFFF, or truncated before `end`.
inline std::size_t utf8_sequence_length(const unsigned char* p, const unsigned char* end) noexcept {
  const unsigned c = p[0];
  const std::size_t avail = static_cast<std::size_t>(end - p);
  if (c < 0xC2) return 0;  // continuation byte, or overlong 2-byte lead C0/C1
  if (c < 0xE0) return (avail >= 2 && (p[1] & 0xC0) == 0x80) ? 2 : 0;
  if (c < 0xF0) {
    if (avail < 3) return 0;
    const unsigned lo = c == 0xE0 ? 0xA0 : 0x80;  // E0: overlong below A0
    const unsigned hi = c == 0xED ? 0x9F : 0xBF;  // ED: A0-BF would be a surrogate
    if (p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80) return 0;
    return 3;
  }
  if (c < 0xF5) {
    if (avail < 4) return 0;
    const unsigned lo = c == 0xF0 ? 0x90 : 0x80;  // F0: overlong below 90
    const unsigned hi = c == 0xF4 ? 0x8F : 0xBF;  // F4: above U+10FFFF from 90
    if (p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80) return 0;
    return 4;
  }
  return 0;
}

inline int hex_value(unsigned char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  c |= 0x20;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Reads the 4 hex digits at p (caller guarantees 4 bytes); -1 if not hex.
inline long hex4(const unsigned char* p) noexcept {
  const int a = hex_value(p[0]), b = hex_value(p[1]), c = hex_value(p[2]), d = hex_value(p[3]);
  if ((a | b | c | d) < 0) return -1;
  return (a << 12) | (b << 8) | (c << 4) | d;
}

}  // namespace hs::json::detail
