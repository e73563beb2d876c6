// JSON writer: escaping, comma placement and misuse checks over a fixed buffer.
#include "json/writer.hpp"

#include "json/parser.hpp"
#include "json/utf8.hpp"

#include <charconv>
#include <cmath>
#include <cstring>

namespace hs::json {

const char* message(WriteErr e) noexcept {
  switch (e) {
    case WriteErr::ok: return "ok";
    case WriteErr::overflow: return "output buffer full";
    case WriteErr::invalid_utf8: return "string is not valid UTF-8";
    case WriteErr::invalid_value: return "value not representable in JSON";
    case WriteErr::misuse: return "writer calls out of order";
  }
  return "unknown error";
}

bool Writer::put(const char* s, std::size_t n) noexcept {
  if (buf_.size() - len_ < n) {
    fail(WriteErr::overflow);
    return false;
  }
  if (n != 0) std::memcpy(buf_.data() + len_, s, n);
  len_ += n;
  return true;
}

bool Writer::put(char c) noexcept {
  if (len_ == buf_.size()) {
    fail(WriteErr::overflow);
    return false;
  }
  buf_[len_++] = c;
  return true;
}

bool Writer::put_string(std::string_view s) noexcept {
  using uc = unsigned char;
  if (!put('"')) return false;
  const uc* p = reinterpret_cast<const uc*>(s.data());
  const uc* const end = p + s.size();
  while (p < end) {
    const uc* run = p;
    while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') ++p;
    if (p > run && !put(reinterpret_cast<const char*>(run), static_cast<std::size_t>(p - run))) return false;
    if (p == end) break;
    const uc c = *p;
    if (c >= 0x80) {
      const std::size_t n = detail::utf8_sequence_length(p, end);
      if (n == 0) {
        fail(WriteErr::invalid_utf8);
        return false;
      }
      if (!put(reinterpret_cast<const char*>(p), n)) return false;
      p += n;
      continue;
    }
    char esc[6] = {'\\', 0, 0, 0, 0, 0};
    std::size_t n = 2;
    switch (c) {
      case '"': esc[1] = '"'; break;
      case '\\': esc[1] = '\\'; break;
      case '\b': esc[1] = 'b'; break;
      case '\f': esc[1] = 'f'; break;
      case '\n': esc[1] = 'n'; break;
      case '\r': esc[1] = 'r'; break;
      case '\t': esc[1] = 't'; break;
      default: {
        static constexpr char hex[] = "0123456789abcdef";
        esc[1] = 'u';
        esc[2] = '0';
        esc[3] = '0';
        esc[4] = hex[c >> 4];
        esc[5] = hex[c & 15];
        n = 6;
      }
    }
    if (!put(esc, n)) return false;
    ++p;
  }
  return put('"');
}

bool Writer::before_value() noexcept {
  if (!ok()) return false;
  if (depth_ == 0) {
    if (root_done_) {
      fail(WriteErr::misuse);
      return false;
    }
    return true;
  }
  if (in_object()) {
    if (!have_key_) {
      fail(WriteErr::misuse);
      return false;
    }
    have_key_ = false;
    return true;
  }
  return !need_comma_ || put(',');
}

void Writer::after_value() noexcept {
  need_comma_ = true;
  if (depth_ == 0) root_done_ = true;
}

bool Writer::open(char c, bool object) noexcept {
  if (!before_value()) return false;
  if (depth_ == kMaxWriterDepth) {
    fail(WriteErr::misuse);
    return false;
  }
  if (!put(c)) return false;
  const std::uint64_t bit = std::uint64_t{1} << (depth_ % 64);
  if (object)
    stack_[depth_ / 64] |= bit;
  else
    stack_[depth_ / 64] &= ~bit;
  ++depth_;
  need_comma_ = false;
  return true;
}

bool Writer::close(char c, bool object) noexcept {
  if (!ok()) return false;
  if (depth_ == 0 || in_object() != object || have_key_) {
    fail(WriteErr::misuse);
    return false;
  }
  if (!put(c)) return false;
  --depth_;
  after_value();
  return true;
}

Writer& Writer::begin_object() noexcept {
  open('{', true);
  return *this;
}
Writer& Writer::end_object() noexcept {
  close('}', true);
  return *this;
}
Writer& Writer::begin_array() noexcept {
  open('[', false);
  return *this;
}
Writer& Writer::end_array() noexcept {
  close(']', false);
  return *this;
}

Writer& Writer::key(std::string_view k) noexcept {
  if (!ok()) return *this;
  if (!in_object() || have_key_) {
    fail(WriteErr::misuse);
    return *this;
  }
  if (need_comma_ && !put(',')) return *this;
  if (!put_string(k) || !put(':')) return *this;
  have_key_ = true;
  return *this;
}

Writer& Writer::string(std::string_view s) noexcept {
  if (before_value() && put_string(s)) after_value();
  return *this;
}

Writer& Writer::integer(std::int64_t v) noexcept {
  char tmp[24];
  const auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
  if (before_value() && put(tmp, static_cast<std::size_t>(r.ptr - tmp))) after_value();
  return *this;
}

Writer& Writer::real(double v) noexcept {
  if (!ok()) return *this;
  if (!std::isfinite(v)) {
    fail(WriteErr::invalid_value);
    return *this;
  }
  char tmp[32];
  const auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
  if (r.ec != std::errc()) {
    fail(WriteErr::invalid_value);
    return *this;
  }
  if (before_value() && put(tmp, static_cast<std::size_t>(r.ptr - tmp))) after_value();
  return *this;
}

Writer& Writer::number_text(std::string_view text) noexcept {
  if (!ok()) return *this;
  Token tok[1];
  const ParseResult r = parse(text, tok, Limits{0});
  if (!r.ok() || tok[0].type() != Type::number || tok[0].start != 0 || tok[0].end != text.size()) {
    fail(WriteErr::invalid_value);
    return *this;
  }
  if (before_value() && put(text.data(), text.size())) after_value();
  return *this;
}

Writer& Writer::boolean(bool v) noexcept {
  if (before_value() && (v ? put("true", 4) : put("false", 5))) after_value();
  return *this;
}

Writer& Writer::null() noexcept {
  if (before_value() && put("null", 4)) after_value();
  return *this;
}

}  // namespace hs::json
