// Read API: string unescaping, key lookup, number conversion.
#include "json/reader.hpp"

#include "json/utf8.hpp"

#include <charconv>
#include <cstring>

namespace hs::json {
namespace {

using uc = unsigned char;

// Writes code point cp as UTF-8 into b (room for 4); returns the length.
inline std::size_t encode_utf8(std::uint32_t cp, char* b) noexcept {
  if (cp < 0x80) {
    b[0] = static_cast<char>(cp);
    return 1;
  }
  if (cp < 0x800) {
    b[0] = static_cast<char>(0xC0 | (cp >> 6));
    b[1] = static_cast<char>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    b[0] = static_cast<char>(0xE0 | (cp >> 12));
    b[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    b[2] = static_cast<char>(0x80 | (cp & 0x3F));
    return 3;
  }
  b[0] = static_cast<char>(0xF0 | (cp >> 18));
  b[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  b[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  b[3] = static_cast<char>(0x80 | (cp & 0x3F));
  return 4;
}

// Decodes a raw string body piece by piece: sink(const char*, size_t) -> bool
// (false stops). Malformed escapes (impossible after parse()) and lone
// surrogates decode to U+FFFD; the decoded size never exceeds raw.size().
template <class Sink>
bool decode(std::string_view raw, Sink&& sink) noexcept {
  const char* p = raw.data();
  const char* const end = p + raw.size();
  while (p < end) {
    const char* bs = static_cast<const char*>(std::memchr(p, '\\', static_cast<std::size_t>(end - p)));
    if (bs == nullptr) return sink(p, static_cast<std::size_t>(end - p));
    if (bs > p && !sink(p, static_cast<std::size_t>(bs - p))) return false;
    p = bs;
    char b[4];
    std::size_t n = 1;
    if (end - p < 2) {  // a trailing backslash: only from a hand-made raw string
      b[0] = '\\';
      p += 1;
    } else {
      const char c = p[1];
      p += 2;
      switch (c) {
        case 'b': b[0] = '\b'; break;
        case 'f': b[0] = '\f'; break;
        case 'n': b[0] = '\n'; break;
        case 'r': b[0] = '\r'; break;
        case 't': b[0] = '\t'; break;
        case 'u': {
          long cp = end - p >= 4 ? detail::hex4(reinterpret_cast<const uc*>(p)) : -1;
          if (cp < 0) {
            cp = 0xFFFD;  // "\u" without 4 hex digits: consume just "\u"
          } else {
            p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
              long lo = -1;
              if (end - p >= 6 && p[0] == '\\' && p[1] == 'u') lo = detail::hex4(reinterpret_cast<const uc*>(p + 2));
              if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
              } else {
                cp = 0xFFFD;
              }
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
              cp = 0xFFFD;
            }
          }
          n = encode_utf8(static_cast<std::uint32_t>(cp), b);
          break;
        }
        default: b[0] = c; break;  // '"', '\\', '/'
      }
    }
    if (!sink(b, n)) return false;
  }
  return true;
}

}  // namespace

std::size_t unescape(std::string_view raw, std::span<char> out) noexcept {
  std::size_t len = 0;
  const bool fits = decode(raw, [&](const char* s, std::size_t n) {
    if (out.size() - len < n) return false;
    std::memcpy(out.data() + len, s, n);
    len += n;
    return true;
  });
  return fits ? len : static_cast<std::size_t>(-1);
}

const char* message(ReadErr e) noexcept {
  switch (e) {
    case ReadErr::ok: return "ok";
    case ReadErr::missing: return "missing";
    case ReadErr::wrong_type: return "wrong type";
    case ReadErr::not_integer: return "not an integer";
    case ReadErr::out_of_range: return "out of range";
    case ReadErr::buffer_too_small: return "buffer too small";
  }
  return "unknown error";
}

Parsed parse_document(std::string_view input, std::span<Token> tokens, const Limits& limits) noexcept {
  const ParseResult r = parse(input, tokens, limits);
  if (!r.ok()) return {r.error, Document()};
  return {r.error, Document(input, std::span<const Token>(tokens.data(), r.token_count))};
}

std::uint32_t Value::offset() const noexcept {
  if (!valid()) return 0;
  return is_string() ? t().start - 1 : t().start;
}

std::string_view Value::raw() const noexcept {
  if (!valid()) return {};
  return {in_ + t().start, t().end - t().start};
}

std::optional<bool> Value::as_bool() const noexcept {
  if (!is_bool()) return std::nullopt;
  return in_[t().start] == 't';
}

ReadErr Value::get_bool(bool& out) const noexcept {
  if (!valid()) return ReadErr::missing;
  if (!is_bool()) return ReadErr::wrong_type;
  out = in_[t().start] == 't';
  return ReadErr::ok;
}

ReadErr Value::get_int64(std::int64_t& out) const noexcept {
  if (!valid()) return ReadErr::missing;
  if (!is_number()) return ReadErr::wrong_type;
  const std::string_view r = raw();
  if (r.find_first_of(".eE") != std::string_view::npos) return ReadErr::not_integer;
  std::int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(r.data(), r.data() + r.size(), v);
  if (ec == std::errc::result_out_of_range) return ReadErr::out_of_range;
  if (ec != std::errc() || ptr != r.data() + r.size()) return ReadErr::wrong_type;  // not reached after parse()
  out = v;
  return ReadErr::ok;
}

ReadErr Value::get_double(double& out) const noexcept {
  if (!valid()) return ReadErr::missing;
  if (!is_number()) return ReadErr::wrong_type;
  const std::string_view r = raw();
  const char* const end = r.data() + r.size();
  double v = 0;
  const auto [ptr, ec] = std::from_chars(r.data(), end, v);
  if (ec == std::errc::result_out_of_range) {
    // Overflow or underflow? Estimate the decimal exponent E of d.ddd x 10^E.
    const char* s = r.data();
    const bool neg = s < end && *s == '-';
    if (neg) ++s;
    long long e10 = 0;
    const char* ip = s;
    while (s < end && *s >= '0' && *s <= '9') ++s;
    if (s > ip && *ip != '0') {
      e10 = (s - ip) - 1;
    } else {
      e10 = -1;
      if (s < end && *s == '.') {
        ++s;
        while (s < end && *s == '0') {
          ++s;
          --e10;
        }
      }
    }
    while (s < end && *s != 'e' && *s != 'E') ++s;
    if (s < end) {
      ++s;
      bool eneg = false;
      if (s < end && (*s == '+' || *s == '-')) eneg = *s++ == '-';
      long long ev = 0;
      while (s < end && *s >= '0' && *s <= '9') {
        if (ev < 1000000000000LL) ev = ev * 10 + (*s - '0');
        ++s;
      }
      e10 += eneg ? -ev : ev;
    }
    if (e10 > 0) return ReadErr::out_of_range;
    out = neg ? -0.0 : 0.0;
    return ReadErr::ok;
  }
  if (ec != std::errc() || ptr != end) return ReadErr::wrong_type;  // not reached after parse()
  out = v;
  return ReadErr::ok;
}

std::optional<std::int64_t> Value::as_int64() const noexcept {
  std::int64_t v;
  if (get_int64(v) != ReadErr::ok) return std::nullopt;
  return v;
}

std::optional<double> Value::as_double() const noexcept {
  double v;
  if (get_double(v) != ReadErr::ok) return std::nullopt;
  return v;
}

StringRead Value::get_string(std::span<char> buf) const noexcept {
  if (!valid()) return {ReadErr::missing, {}};
  if (!is_string()) return {ReadErr::wrong_type, {}};
  if (!t().escaped()) return {ReadErr::ok, raw()};
  const std::size_t n = unescape(raw(), buf);
  if (n == static_cast<std::size_t>(-1)) return {ReadErr::buffer_too_small, {}};
  return {ReadErr::ok, std::string_view(buf.data(), n)};
}

bool Value::equals(std::string_view s) const noexcept {
  if (!is_string()) return false;
  const std::string_view r = raw();
  if (!t().escaped()) return r == s;
  if (s.size() > r.size()) return false;  // decoding never lengthens
  std::size_t pos = 0;
  const bool same = decode(r, [&](const char* piece, std::size_t n) {
    if (s.size() - pos < n || std::memcmp(s.data() + pos, piece, n) != 0) return false;
    pos += n;
    return true;
  });
  return same && pos == s.size();
}

Value Value::find(std::string_view key) const noexcept {
  if (!is_object()) return {};
  std::uint32_t k = i_ + 1;
  for (std::uint32_t left = t().count(); left != 0; --left) {
    const Token& kt = tok_[k];
    if (!kt.escaped()) {
      if (kt.end - kt.start == key.size() && (key.empty() || std::memcmp(in_ + kt.start, key.data(), key.size()) == 0))
        return Value(in_, tok_, k + 1);
    } else if (Value(in_, tok_, k).equals(key)) {
      return Value(in_, tok_, k + 1);
    }
    k = tok_[k + 1].next;
  }
  return {};
}

Value Value::at(std::uint32_t i) const noexcept {
  if (!is_array() || i >= t().count()) return {};
  std::uint32_t e = i_ + 1;
  while (i-- != 0) e = tok_[e].next;
  return Value(in_, tok_, e);
}

Value::Range<Value::Iterator> Value::elements() const noexcept {
  if (!is_array()) return {};
  return {Iterator(in_, tok_, i_ + 1, t().count()), Iterator(in_, tok_, 0, 0)};
}

Value::Range<Value::MemberIterator> Value::members() const noexcept {
  if (!is_object()) return {};
  return {MemberIterator(in_, tok_, i_ + 1, t().count()), MemberIterator(in_, tok_, 0, 0)};
}

}  // namespace hs::json
