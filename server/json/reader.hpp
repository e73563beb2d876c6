// Read API over a parsed token array: find members by key, iterate arrays and
// objects, decode strings into a caller-supplied buffer, read numbers with
// range checks. Values are small cursors (no allocation, no exceptions); a
// missing value is an invalid Value that every accessor treats as absent, so
// lookups chain: doc.root()["user"]["id"].as_int64().
//
// Strings: a string's decoded form is never longer than its raw form
// (Value::raw().size()), so a buffer that large always suffices. Escaped
// surrogate pairs decode to one 4-byte UTF-8 sequence; lone surrogates never
// reach the reader because the parser rejects them (Errc::lone_surrogate).
//
// Numbers: integers are read with std::from_chars into int64_t; a number with
// a fraction or exponent is not an integer (ReadErr::not_integer, even "1.0"),
// outside [-2^63, 2^63-1] is ReadErr::out_of_range. Doubles: a magnitude above
// DBL_MAX is ReadErr::out_of_range; one below the smallest subnormal reads as
// +-0.0 (like strtod's rounding, reported as ok); "-0" reads as -0.0.
#pragma once

#include "json/parser.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace hs::json {

enum class ReadErr : std::uint8_t {
  ok,
  missing,           // the Value is invalid (member not found, index past the end, ...)
  wrong_type,
  not_integer,       // has a fraction or an exponent
  out_of_range,
  buffer_too_small,  // decoded string does not fit the caller's buffer
};

const char* message(ReadErr e) noexcept;

struct StringRead {
  ReadErr error = ReadErr::missing;
  std::string_view value;  // into the input (no escapes) or into the caller's buffer
  bool ok() const noexcept { return error == ReadErr::ok; }
};

class Value;
struct Member;

// A parsed document: views of the input and of the tokens; both must outlive it.
class Document {
public:
  Document() = default;
  // `tokens` must be exactly what parse() produced for `input` (first token_count).
  Document(std::string_view input, std::span<const Token> tokens) noexcept : input_(input), tokens_(tokens) {}

  Value root() const noexcept;
  std::string_view input() const noexcept { return input_; }
  std::span<const Token> tokens() const noexcept { return tokens_; }
  bool empty() const noexcept { return tokens_.empty(); }

private:
  std::string_view input_;
  std::span<const Token> tokens_;
};

// Parses and wraps: on success `doc` views input and the used tokens.
struct Parsed {
  Error error;
  Document doc;
  bool ok() const noexcept { return error.ok(); }
};
Parsed parse_document(std::string_view input, std::span<Token> tokens, const Limits& limits = {}) noexcept;

class Value {
public:
  Value() = default;
  Value(const char* input, const Token* tokens, std::uint32_t index) noexcept : in_(input), tok_(tokens), i_(index) {}

  bool valid() const noexcept { return tok_ != nullptr; }
  explicit operator bool() const noexcept { return valid(); }
  Type type() const noexcept { return valid() ? t().type() : Type::invalid; }
  bool is_object() const noexcept { return type() == Type::object; }
  bool is_array() const noexcept { return type() == Type::array; }
  bool is_string() const noexcept { return type() == Type::string; }
  bool is_number() const noexcept { return type() == Type::number; }
  bool is_bool() const noexcept { return type() == Type::boolean; }
  bool is_null() const noexcept { return type() == Type::null; }

  // Token index and byte offset in the input (for error messages).
  std::uint32_t index() const noexcept { return i_; }
  std::uint32_t offset() const noexcept;
  // The raw bytes: strings without their quotes and with escapes as written.
  std::string_view raw() const noexcept;
  // Members of an object, elements of an array, 0 otherwise.
  std::uint32_t size() const noexcept { return is_object() || is_array() ? t().count() : 0; }

  std::optional<bool> as_bool() const noexcept;
  ReadErr get_bool(bool& out) const noexcept;
  ReadErr get_int64(std::int64_t& out) const noexcept;
  ReadErr get_double(double& out) const noexcept;
  std::optional<std::int64_t> as_int64() const noexcept;
  std::optional<double> as_double() const noexcept;

  // Decoded string. Without escapes the result views the input (no copy);
  // otherwise it is decoded into `buf`.
  StringRead get_string(std::span<char> buf) const noexcept;
  // True when this is a string whose decoded value equals `s` (no buffer needed).
  bool equals(std::string_view s) const noexcept;

  // Object member by (decoded) key; the first match in document order.
  Value find(std::string_view key) const noexcept;
  Value operator[](std::string_view key) const noexcept { return find(key); }
  Value operator[](const char* key) const noexcept { return find(key); }
  // Array element by position (linear walk over siblings).
  Value at(std::uint32_t i) const noexcept;

  class Iterator;
  class MemberIterator;
  template <class It>
  struct Range {
    It b, e;
    It begin() const noexcept { return b; }
    It end() const noexcept { return e; }
  };
  // Empty ranges when this is not an array / object.
  Range<Iterator> elements() const noexcept;
  Range<MemberIterator> members() const noexcept;

private:
  const Token& t() const noexcept { return tok_[i_]; }
  friend class Iterator;
  friend class MemberIterator;
  const char* in_ = nullptr;
  const Token* tok_ = nullptr;
  std::uint32_t i_ = 0;
};

struct Member {
  Value key;
  Value value;
};

class Value::Iterator {
public:
  Iterator() = default;
  Iterator(const char* in, const Token* tok, std::uint32_t i, std::uint32_t left) noexcept
      : in_(in), tok_(tok), i_(i), left_(left) {}
  Value operator*() const noexcept { return Value(in_, tok_, i_); }
  Iterator& operator++() noexcept {
    i_ = tok_[i_].next;
    --left_;
    return *this;
  }
  bool operator==(const Iterator& o) const noexcept { return left_ == o.left_; }
  bool operator!=(const Iterator& o) const noexcept { return left_ != o.left_; }

private:
  const char* in_ = nullptr;
  const Token* tok_ = nullptr;
  std::uint32_t i_ = 0;
  std::uint32_t left_ = 0;
};

class Value::MemberIterator {
public:
  MemberIterator() = default;
  MemberIterator(const char* in, const Token* tok, std::uint32_t i, std::uint32_t left) noexcept
      : in_(in), tok_(tok), i_(i), left_(left) {}
  Member operator*() const noexcept { return {Value(in_, tok_, i_), Value(in_, tok_, i_ + 1)}; }
  MemberIterator& operator++() noexcept {
    i_ = tok_[i_ + 1].next;
    --left_;
    return *this;
  }
  bool operator==(const MemberIterator& o) const noexcept { return left_ == o.left_; }
  bool operator!=(const MemberIterator& o) const noexcept { return left_ != o.left_; }

private:
  const char* in_ = nullptr;
  const Token* tok_ = nullptr;
  std::uint32_t i_ = 0;
  std::uint32_t left_ = 0;
};

inline Value Document::root() const noexcept {
  return tokens_.empty() ? Value() : Value(input_.data(), tokens_.data(), 0);
}

// Decodes a raw string body (escapes valid as the parser checked them) into
// `out`; returns the decoded length, or SIZE_MAX when `out` is too small.
std::size_t unescape(std::string_view raw, std::span<char> out) noexcept;

}  // namespace hs::json
