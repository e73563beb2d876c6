// Strict RFC 8259 JSON parser over a byte span into a caller-supplied token
// array (jsmn-style). No heap allocation, no recursion, no exceptions.
//
// Memory bound: a valid document of N bytes has at most (N+1)/2 tokens (each
// token has its own first byte, and every token but the first also needs a
// ',' or ':' before it or a container's closing byte after it), so a token
// array of tokens_needed_at_most(N) = N/2 + 1 entries (16 bytes each: 8 N + 16
// bytes) never fails a valid document with too_many_tokens. An invalid input
// may then report too_many_tokens where a later syntax error would have been
// found; with tokens_for_exact_errors(N) = N + 1 the error is always precise.
// The parser itself uses a fixed ~100 bytes of stack whatever the nesting: the
// stack of open containers lives in the token array (an open container's
// `next` field links to its parent until it is closed). Time is linear in N:
// each input byte is looked at a bounded number of times, whatever the nesting.
//
// Strictness: the RFC 8259 grammar exactly (no comments, no trailing commas,
// no leading '+' or zeros, no BOM, nothing after the value but whitespace),
// strings must be valid UTF-8 (no overlong forms, no encoded surrogates, no
// code point above U+10FFFF) and \u escapes must form proper surrogate pairs:
// a lone or inverted surrogate escape is rejected (Errc::lone_surrogate), so
// every accepted string decodes to valid UTF-8. Numbers are checked against
// the grammar only; range is checked when a number is read (reader.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace hs::json {

enum class Type : std::uint8_t { object, array, string, number, boolean, null, invalid = 7 };

// One parsed value. Tokens are in document order (pre-order); a container's
// children follow it, an object's children alternate key, value.
struct Token {
  // object/array: offset of '{' or '['; string: first byte after the opening
  // quote; number/literal: its first byte.
  std::uint32_t start;
  // object/array: one past the closing bracket; string: offset of the closing
  // quote; number/literal: one past its last byte.
  std::uint32_t end;
  // Index of the first token after this token's subtree: the next sibling if
  // there is one. For a key, the index of its value.
  std::uint32_t next;
  // bits 0-2 type, bit 3 "string contains escapes", bits 4-31 child count
  // (object: members, array: elements).
  std::uint32_t meta;

  Type type() const noexcept { return static_cast<Type>(meta & 7u); }
  bool escaped() const noexcept { return (meta & 8u) != 0; }
  std::uint32_t count() const noexcept { return meta >> 4; }
};
static_assert(sizeof(Token) == 16);

inline constexpr std::size_t kMaxInputSize = (std::size_t{1} << 28) - 1;  // 256 MiB - 1
inline constexpr std::uint32_t kDefaultMaxDepth = 1024;

// Tokens that suffice for any valid document of `input_size` bytes.
constexpr std::size_t tokens_needed_at_most(std::size_t input_size) noexcept { return input_size / 2 + 1; }
// Tokens with which even an invalid input gets its precise syntax error.
constexpr std::size_t tokens_for_exact_errors(std::size_t input_size) noexcept { return input_size + 1; }

struct Limits {
  // Open containers allowed at once; the (max_depth+1)-th '{' or '[' fails
  // with Errc::too_deep at its offset. 0 allows only a scalar document.
  std::uint32_t max_depth = kDefaultMaxDepth;
};

enum class Errc : std::uint8_t {
  ok,
  unexpected_end,         // input ended inside a value (or was empty)
  expected_value,
  expected_key,           // expected '"' starting a member name (or '}' after '{')
  expected_colon,
  expected_comma_or_object_end,
  expected_comma_or_array_end,
  invalid_literal,        // starts like true/false/null but is not
  invalid_number,
  invalid_escape,
  control_character,      // unescaped byte < 0x20 inside a string
  invalid_utf8,
  lone_surrogate,         // \uD800-\uDFFF escape not part of a proper pair
  trailing_content,       // something other than whitespace after the value
  too_deep,
  too_many_tokens,
  input_too_large,        // more than kMaxInputSize bytes
};

enum class ErrorKind : std::uint8_t { none, syntax, invalid_unicode, too_deep, too_many_tokens, too_large };

ErrorKind kind_of(Errc e) noexcept;
// Short English text, e.g. "expected ':'". Never null.
const char* message(Errc e) noexcept;

struct Error {
  Errc code = Errc::ok;
  std::uint32_t offset = 0;  // byte offset in the input where the problem is
  bool ok() const noexcept { return code == Errc::ok; }
  ErrorKind kind() const noexcept { return kind_of(code); }
};

// Writes e.g. "expected ':' at byte 17" into `out` (NUL-terminated when room)
// and returns a view of it; truncates to fit `out`.
std::string_view format_error(Error e, std::span<char> out) noexcept;


// Validates `input` and fills `tokens`. On success `token_count` tokens were
// written (the root is token 0). On failure the error says what and where;
// the token array content is then unspecified.
struct ParseResult {
  Error error;
  std::uint32_t token_count = 0;
  bool ok() const noexcept { return error.ok(); }
};

ParseResult parse(std::string_view input, std::span<Token> tokens, const Limits& limits = {}) noexcept;

}  // namespace hs::json
