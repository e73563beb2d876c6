// Byte classes of the HTTP/1.1 grammar (RFC 9110 §5.6, RFC 3986 §2) as
// constexpr 256-entry tables, shared by the request head parser's scalar paths.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace hs::http::chars {

enum : uint8_t {
  kTchar = 1 << 0,     // token character: field names, methods, codings
  kTarget = 1 << 1,    // allowed in a request-target: VCHAR except '#'
  kValue = 1 << 2,     // allowed as is in a field value: HTAB, SP, VCHAR (not obs-text)
  kRegName = 1 << 3,   // reg-name: unreserved / sub-delims ('%' handled apart)
  kHex = 1 << 4,       // HEXDIG
  kDigit = 1 << 5,     // DIGIT
  kOws = 1 << 6,       // SP / HTAB
};

constexpr bool in(const char* set, int c) {
  for (const char* s = set; *s; ++s)
    if (static_cast<unsigned char>(*s) == c) return true;
  return false;
}

constexpr std::array<uint8_t, 256> make_table() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool digit = c >= '0' && c <= '9';
    uint8_t v = 0;
    if (alpha || digit || in("!#$%&'*+-.^_`|~", c)) v |= kTchar;
    if (c >= 0x21 && c <= 0x7e && c != '#') v |= kTarget;
    if (c == '\t' || (c >= 0x20 && c <= 0x7e)) v |= kValue;
    if (alpha || digit || in("-._~!$&'()*+,;=", c)) v |= kRegName;
    if (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) v |= kHex;
    if (digit) v |= kDigit;
    if (c == ' ' || c == '\t') v |= kOws;
    t[static_cast<size_t>(c)] = v;
  }
  return t;
}

inline constexpr std::array<uint8_t, 256> kTable = make_table();

constexpr bool is(uint8_t cls, char c) { return (kTable[static_cast<unsigned char>(c)] & cls) != 0; }
constexpr bool is_tchar(char c) { return is(kTchar, c); }
constexpr bool is_ows(char c) { return c == ' ' || c == '\t'; }
constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }

// ASCII lower case; exact on token characters (no other tchar maps to a letter).
constexpr char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c; }

// `s` without leading and trailing spaces and tabs (OWS).
constexpr std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace hs::http::chars
