// The strict JSON parser: one flat state machine (labels and gotos), no
// recursion; the open-container stack is threaded through Token::next.
#include "json/parser.hpp"

#include "json/utf8.hpp"

#include <cstdio>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace hs::json {
namespace {

using uc = unsigned char;
constexpr std::uint32_t kNone = 0xFFFFFFFFu;

inline bool is_ws(uc c) noexcept {
  constexpr std::uint64_t mask = (1ull << ' ') | (1ull << '\n') | (1ull << '\r') | (1ull << '\t');
  return c <= ' ' && ((mask >> c) & 1u) != 0;
}
inline bool is_digit(uc c) noexcept { return static_cast<unsigned>(c - '0') < 10u; }

// Bytes that end the fast scan inside a string: '"', '\\', controls, non-ASCII.
struct PlainTable {
  bool plain[256];
  constexpr PlainTable() : plain() {
    for (int c = 0; c < 256; ++c) plain[c] = c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
  }
};
constexpr PlainTable kPlain;

// Scans a string body starting after its opening quote. Returns the position
// of the closing quote, or nullptr with `err` set. Sets bit 3 of `meta` when
// the string holds an escape.
inline const uc* scan_string(const uc* p, const uc* end, const uc* base, std::uint32_t& meta, Error& err) noexcept {
  auto fail = [&](Errc code, const uc* at) -> const uc* {
    err = {code, static_cast<std::uint32_t>(at - base)};
    return nullptr;
  };
  for (;;) {
#if defined(__SSE2__)
    {
      const __m128i quote = _mm_set1_epi8('"');
      const __m128i bslash = _mm_set1_epi8('\\');
      const __m128i space = _mm_set1_epi8(0x20);
      for (;;) {
        if (end - p < 16) {
          while (p < end && kPlain.plain[*p]) ++p;
          break;
        }
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        // Signed compare: bytes >= 0x80 are negative, so "< 0x20" catches them too.
        const __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
                                       _mm_cmplt_epi8(v, space));
        const unsigned bits = static_cast<unsigned>(_mm_movemask_epi8(m));
        if (bits != 0) {
          p += __builtin_ctz(bits);
          break;
        }
        p += 16;
      }
    }
#else
    while (p < end && kPlain.plain[*p]) ++p;
#endif
    if (p == end) return fail(Errc::unexpected_end, end);
    const uc c = *p;
    if (c == '"') return p;
    if (c == '\\') {
      meta |= 8u;
      if (end - p < 2) return fail(Errc::unexpected_end, end);
      switch (p[1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
          p += 2;
          continue;
        case 'u': {
          if (end - p < 6) {
            for (const uc* q = p + 2; q < end; ++q)
              if (detail::hex_value(*q) < 0) return fail(Errc::invalid_escape, p);
            return fail(Errc::unexpected_end, end);
          }
          const long cp = detail::hex4(p + 2);
          if (cp < 0) return fail(Errc::invalid_escape, p);
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (end - p >= 12 && p[6] == '\\' && p[7] == 'u') {
              const long lo = detail::hex4(p + 8);
              if (lo < 0) return fail(Errc::invalid_escape, p + 6);
              if (lo >= 0xDC00 && lo <= 0xDFFF) {
                p += 12;
                continue;
              }
            }
            return fail(Errc::lone_surrogate, p);
          }
          if (cp >= 0xDC00 && cp <= 0xDFFF) return fail(Errc::lone_surrogate, p);
          p += 6;
          continue;
        }
        default:
          return fail(Errc::invalid_escape, p);
      }
    }
    if (c < 0x20) return fail(Errc::control_character, p);
    const std::size_t len = detail::utf8_sequence_length(p, end);
    if (len == 0) return fail(Errc::invalid_utf8, p);
    p += len;
  }
}

// Scans a number starting at p (a '-' or a digit). Returns one past its end,
// or nullptr with `err` set.
inline const uc* scan_number(const uc* p, const uc* end, const uc* base, Error& err) noexcept {
  auto fail = [&](Errc code, const uc* at) -> const uc* {
    err = {code, static_cast<std::uint32_t>(at - base)};
    return nullptr;
  };
  if (*p == '-') {
    ++p;
    if (p == end) return fail(Errc::unexpected_end, end);
  }
  if (*p == '0') {
    ++p;
    if (p < end && is_digit(*p)) return fail(Errc::invalid_number, p);  // leading zero
  } else if (is_digit(*p)) {
    ++p;
    while (p < end && is_digit(*p)) ++p;
  } else {
    return fail(Errc::invalid_number, p);
  }
  if (p < end && *p == '.') {
    ++p;
    if (p == end) return fail(Errc::unexpected_end, end);
    if (!is_digit(*p)) return fail(Errc::invalid_number, p);
    ++p;
    while (p < end && is_digit(*p)) ++p;
  }
  if (p < end && (*p | 0x20) == 'e') {
    ++p;
    if (p < end && (*p == '+' || *p == '-')) ++p;
    if (p == end) return fail(Errc::unexpected_end, end);
    if (!is_digit(*p)) return fail(Errc::invalid_number, p);
    ++p;
    while (p < end && is_digit(*p)) ++p;
  }
  return p;
}

}  // namespace

ParseResult parse(std::string_view input, std::span<Token> tokens, const Limits& limits) noexcept {
  if (input.size() > kMaxInputSize) return {{Errc::input_too_large, 0}, 0};
  const uc* const base = reinterpret_cast<const uc*>(input.data());
  const uc* const end = base + input.size();
  const uc* p = base;
  Token* const t = tokens.data();
  const std::uint32_t cap = tokens.size() > kNone ? kNone : static_cast<std::uint32_t>(tokens.size());
  const std::uint32_t max_depth = limits.max_depth;
  std::uint32_t n = 0;           // tokens written
  std::uint32_t parent = kNone;  // innermost open container
  std::uint32_t depth = 0;
  bool in_object = false;        // parent is an object
  Error err;
  const uc* q = nullptr;
  std::uint32_t meta = 0;
  // A literal (true/false/null) at p: one token, p moves past it. False when
  // the bytes there are not that literal.
  auto literal = [&](const char* word, std::uint32_t len, Type type) {
    if (static_cast<std::size_t>(end - p) < len || std::memcmp(p, word, len) != 0) return false;
    const auto at = static_cast<std::uint32_t>(p - base);
    t[n] = {at, at + len, n + 1, static_cast<std::uint32_t>(type)};
    ++n;
    p += len;
    return true;
  };

#define HS_JSON_FAIL(code, at)                                                  \
  do {                                                                          \
    err = {Errc::code, static_cast<std::uint32_t>((at) - base)};               \
    goto fail;                                                                  \
  } while (0)
#define HS_JSON_SKIP_WS() \
  while (p < end && is_ws(*p)) ++p

value:  // a value must start at p (after whitespace)
  HS_JSON_SKIP_WS();
  if (p == end) HS_JSON_FAIL(unexpected_end, end);
  if (n == cap) HS_JSON_FAIL(too_many_tokens, p);
  switch (*p) {
    case '{':
      if (depth == max_depth) HS_JSON_FAIL(too_deep, p);
      ++depth;
      t[n] = {static_cast<std::uint32_t>(p - base), 0, parent, static_cast<std::uint32_t>(Type::object)};
      parent = n++;
      in_object = true;
      ++p;
      HS_JSON_SKIP_WS();
      if (p == end) HS_JSON_FAIL(unexpected_end, end);
      if (*p == '}') {
        ++p;
        goto close;
      }
      goto key;
    case '[':
      if (depth == max_depth) HS_JSON_FAIL(too_deep, p);
      ++depth;
      t[n] = {static_cast<std::uint32_t>(p - base), 0, parent, static_cast<std::uint32_t>(Type::array)};
      parent = n++;
      in_object = false;
      ++p;
      HS_JSON_SKIP_WS();
      if (p == end) HS_JSON_FAIL(unexpected_end, end);
      if (*p == ']') {
        ++p;
        goto close;
      }
      t[parent].meta += 16u;
      goto value;
    case '"':
      ++p;
      meta = static_cast<std::uint32_t>(Type::string);
      q = scan_string(p, end, base, meta, err);
      if (q == nullptr) goto fail;
      t[n] = {static_cast<std::uint32_t>(p - base), static_cast<std::uint32_t>(q - base), n + 1, meta};
      ++n;
      p = q + 1;
      goto after_value;
    case 't':
      if (!literal("true", 4, Type::boolean)) HS_JSON_FAIL(invalid_literal, p);
      goto after_value;
    case 'f':
      if (!literal("false", 5, Type::boolean)) HS_JSON_FAIL(invalid_literal, p);
      goto after_value;
    case 'n':
      if (!literal("null", 4, Type::null)) HS_JSON_FAIL(invalid_literal, p);
      goto after_value;
    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
      q = scan_number(p, end, base, err);
      if (q == nullptr) goto fail;
      t[n] = {static_cast<std::uint32_t>(p - base), static_cast<std::uint32_t>(q - base), n + 1,
              static_cast<std::uint32_t>(Type::number)};
      ++n;
      p = q;
      goto after_value;
    default:
      HS_JSON_FAIL(expected_value, p);
  }

key:  // a member name must start at p (whitespace skipped); counts the member
  if (*p != '"') HS_JSON_FAIL(expected_key, p);
  if (n == cap) HS_JSON_FAIL(too_many_tokens, p);
  t[parent].meta += 16u;
  ++p;
  meta = static_cast<std::uint32_t>(Type::string);
  q = scan_string(p, end, base, meta, err);
  if (q == nullptr) goto fail;
  t[n] = {static_cast<std::uint32_t>(p - base), static_cast<std::uint32_t>(q - base), n + 1, meta};
  ++n;
  p = q + 1;
  HS_JSON_SKIP_WS();
  if (p == end) HS_JSON_FAIL(unexpected_end, end);
  if (*p != ':') HS_JSON_FAIL(expected_colon, p);
  ++p;
  goto value;

close:  // p is one past the closing bracket of `parent`
  {
    const std::uint32_t c = parent;
    parent = t[c].next;
    t[c].next = n;
    t[c].end = static_cast<std::uint32_t>(p - base);
    --depth;
    in_object = parent != kNone && t[parent].type() == Type::object;
  }
  // fall through
after_value:
  if (parent == kNone) {
    HS_JSON_SKIP_WS();
    if (p != end) HS_JSON_FAIL(trailing_content, p);
    return {{}, n};
  }
  HS_JSON_SKIP_WS();
  if (p == end) HS_JSON_FAIL(unexpected_end, end);
  if (in_object) {
    if (*p == ',') {
      ++p;
      HS_JSON_SKIP_WS();
      if (p == end) HS_JSON_FAIL(unexpected_end, end);
      goto key;
    }
    if (*p == '}') {
      ++p;
      goto close;
    }
    HS_JSON_FAIL(expected_comma_or_object_end, p);
  }
  if (*p == ',') {
    ++p;
    t[parent].meta += 16u;
    goto value;
  }
  if (*p == ']') {
    ++p;
    goto close;
  }
  HS_JSON_FAIL(expected_comma_or_array_end, p);

fail:
  return {err, n};
#undef HS_JSON_FAIL
#undef HS_JSON_SKIP_WS
}

ErrorKind kind_of(Errc e) noexcept {
  switch (e) {
    case Errc::ok: return ErrorKind::none;
    case Errc::invalid_utf8:
    case Errc::lone_surrogate: return ErrorKind::invalid_unicode;
    case Errc::too_deep: return ErrorKind::too_deep;
    case Errc::too_many_tokens: return ErrorKind::too_many_tokens;
    case Errc::input_too_large: return ErrorKind::too_large;
    default: return ErrorKind::syntax;
  }
}

const char* message(Errc e) noexcept {
  switch (e) {
    case Errc::ok: return "ok";
    case Errc::unexpected_end: return "unexpected end of input";
    case Errc::expected_value: return "expected a value";
    case Errc::expected_key: return "expected '\"' starting a member name";
    case Errc::expected_colon: return "expected ':'";
    case Errc::expected_comma_or_object_end: return "expected ',' or '}'";
    case Errc::expected_comma_or_array_end: return "expected ',' or ']'";
    case Errc::invalid_literal: return "invalid literal";
    case Errc::invalid_number: return "invalid number";
    case Errc::invalid_escape: return "invalid escape";
    case Errc::control_character: return "unescaped control character in string";
    case Errc::invalid_utf8: return "invalid UTF-8";
    case Errc::lone_surrogate: return "unpaired UTF-16 surrogate escape";
    case Errc::trailing_content: return "unexpected data after the value";
    case Errc::too_deep: return "nesting too deep";
    case Errc::too_many_tokens: return "too many values";
    case Errc::input_too_large: return "input too large";
  }
  return "unknown error";
}

std::string_view format_error(Error e, std::span<char> out) noexcept {
  if (out.empty()) return {};
  const int r = std::snprintf(out.data(), out.size(), "%s at byte %lu", message(e.code),
                              static_cast<unsigned long>(e.offset));
  if (r < 0) return {};
  const std::size_t len = static_cast<std::size_t>(r) < out.size() ? static_cast<std::size_t>(r) : out.size() - 1;
  return {out.data(), len};
}

}  // namespace hs::json
