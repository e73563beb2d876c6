// JSON writer for responses: builds a document into a caller-supplied fixed
// buffer. Escapes '"', '\\' and control characters (\b \f \n \r \t, others as
// \u00XX); passes non-ASCII through as UTF-8 after validating it. Any problem
// (buffer full, invalid UTF-8, a non-finite double, a call out of order) is
// sticky: later calls do nothing, status() says what happened and view() is
// empty, so a truncated document is never mistaken for a whole one.
//
// Nesting is limited to kMaxWriterDepth containers (a fixed bit stack).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace hs::json {

inline constexpr std::uint32_t kMaxWriterDepth = 256;

enum class WriteErr : std::uint8_t {
  ok,
  overflow,       // the buffer is full
  invalid_utf8,   // a string or key was not valid UTF-8
  invalid_value,  // NaN or infinity, or number_text() not a JSON number
  misuse,         // out of order: value without key in an object, unbalanced end, second root, too deep
};

const char* message(WriteErr e) noexcept;

class Writer {
public:
  explicit Writer(std::span<char> buf) noexcept : buf_(buf) {}

  Writer& begin_object() noexcept;
  Writer& end_object() noexcept;
  Writer& begin_array() noexcept;
  Writer& end_array() noexcept;
  Writer& key(std::string_view k) noexcept;  // inside an object, before each value
  Writer& string(std::string_view s) noexcept;
  Writer& integer(std::int64_t v) noexcept;
  Writer& real(double v) noexcept;  // shortest form that reads back exactly
  Writer& number_text(std::string_view json_number) noexcept;  // copied as is after a grammar check
  Writer& boolean(bool v) noexcept;
  Writer& null() noexcept;

  WriteErr status() const noexcept { return err_; }
  bool ok() const noexcept { return err_ == WriteErr::ok; }
  // True when exactly one complete root value has been written without error.
  bool complete() const noexcept { return ok() && depth_ == 0 && root_done_; }
  // The document so far; empty after any error.
  std::string_view view() const noexcept { return ok() ? std::string_view(buf_.data(), len_) : std::string_view(); }
  std::size_t size() const noexcept { return ok() ? len_ : 0; }

private:
  bool before_value() noexcept;  // comma / key checks; false on error
  void after_value() noexcept;
  bool open(char c, bool object) noexcept;
  bool close(char c, bool object) noexcept;
  bool put(const char* s, std::size_t n) noexcept;
  bool put(char c) noexcept;
  bool put_string(std::string_view s) noexcept;
  void fail(WriteErr e) noexcept {
    if (err_ == WriteErr::ok) err_ = e;
  }
  bool in_object() const noexcept { return depth_ != 0 && ((stack_[(depth_ - 1) / 64] >> ((depth_ - 1) % 64)) & 1u); }

  std::span<char> buf_;
  std::size_t len_ = 0;
  std::uint32_t depth_ = 0;
  std::uint64_t stack_[kMaxWriterDepth / 64] = {};  // bit set: that level is an object
  bool need_comma_ = false;  // a value was written at the current level
  bool have_key_ = false;    // a key was written and awaits its value
  bool root_done_ = false;
  WriteErr err_ = WriteErr::ok;
};

}  // namespace hs::json
