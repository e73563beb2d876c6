#include "http/target.hpp"

namespace hs::http {
namespace {

constexpr int hex_value(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr bool is_alnum(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Raw path bytes other than '/' and '%': pchar (RFC 3986) plus the few bytes
// browsers leave unencoded.
constexpr bool is_path_char(unsigned char c) {
  if (is_alnum(c)) return true;
  switch (c) {
    case '-': case '.': case '_': case '~':                       // unreserved
    case '!': case '$': case '&': case '\'': case '(': case ')':  // sub-delims
    case '*': case '+': case ',': case ';': case '=':
    case ':': case '@':
    case '[': case ']': case '{': case '}': case '|': case '^': case '`':  // lenient
      return true;
    default:
      return false;
  }
}

// Raw query bytes: anything visible but '#'.
constexpr bool is_query_char(unsigned char c) { return c > 0x20 && c < 0x7f && c != '#'; }

constexpr bool is_authority_char(unsigned char c) {
  if (is_alnum(c)) return true;
  switch (c) {
    case '-': case '.': case '_': case '~': case '!': case '$': case '&': case '\'':
    case '(': case ')': case '*': case '+': case ',': case ';': case '=': case ':':
    case '[': case ']': case '%':
      return true;
    default:
      return false;
  }
}

constexpr bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

constexpr Error bad(const char* reason) { return Error{Status::BadRequest, reason}; }
constexpr Error too_long() { return Error{Status::UriTooLong, "decoded path buffer too small"}; }

bool iprefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

// Decodes (when `decode`) and normalises `raw`, which starts with '/', into
// `buf`. Segments are written one after the other; a `..` pops the last one.
Error build_path(std::string_view raw, bool decode, std::span<char> buf, std::string_view& out) {
  const size_t n = raw.size();
  const size_t cap = buf.size();
  char* const b = buf.data();
  size_t len = 0;         // normalised output so far: "" or "/seg/seg"
  bool trailing = false;  // output ends in '/'
  size_t i = 0;
  for (;;) {
    while (i < n && raw[i] == '/') ++i;
    if (i == n) {
      trailing = true;
      break;
    }
    if (len >= cap) return too_long();
    b[len] = '/';
    size_t w = len + 1;
    while (i < n && raw[i] != '/') {
      auto c = static_cast<unsigned char>(raw[i]);
      if (decode && c == '%') {
        if (n - i < 3) return bad("truncated percent escape");
        const int hi = hex_value(static_cast<unsigned char>(raw[i + 1]));
        const int lo = hex_value(static_cast<unsigned char>(raw[i + 2]));
        if (hi < 0 || lo < 0) return bad("invalid percent escape");
        c = static_cast<unsigned char>(hi * 16 + lo);
        i += 3;
        if (c == 0) return bad("encoded NUL in path");
        if (c == '/') return bad("encoded slash in path");
        if (c == '\\') return bad("backslash in path");
        if (is_control(c)) return bad("encoded control byte in path");
      } else {
        ++i;
        if (c == '\\') return bad("backslash in path");
        if (decode) {
          if (!is_path_char(c)) return bad("invalid byte in path");
        } else if (c == 0 || is_control(c)) {
          return bad("control byte in path");
        }
      }
      if (w >= cap) return too_long();
      b[w++] = static_cast<char>(c);
    }
    const std::string_view seg(b + len + 1, w - len - 1);
    if (seg == ".") {
      trailing = true;
    } else if (seg == "..") {
      if (len == 0) return bad("path climbs above the root");
      do --len; while (b[len] != '/');
      trailing = true;
    } else {
      len = w;
      trailing = false;
    }
    if (i == n) break;
  }
  if (len == 0 || trailing) {
    if (len >= cap) return too_long();
    b[len++] = '/';
  }
  out = std::string_view(b, len);
  return {};
}

}  // namespace

Error normalize_decoded_path(std::string_view path, std::span<char> out_buf,
                             std::string_view& out) {
  if (path.empty() || path[0] != '/') return bad("path does not start with '/'");
  return build_path(path, false, out_buf, out);
}

Error parse_target(std::string_view target, std::span<char> path_buf, Target& out) {
  out = Target{};
  if (target.empty()) return bad("empty request-target");
  std::string_view rest;
  if (target[0] == '/') {
    out.form = TargetForm::Origin;
    rest = target;
  } else {
    size_t skip = 0;
    if (iprefix(target, "http://")) skip = 7;
    else if (iprefix(target, "https://")) skip = 8;
    else return bad("request-target is neither origin-form nor absolute-form");
    out.form = TargetForm::Absolute;
    rest = target.substr(skip);
    size_t a = 0;
    while (a < rest.size() && rest[a] != '/' && rest[a] != '?') {
      const auto c = static_cast<unsigned char>(rest[a]);
      if (c == '@') return bad("userinfo in request-target");
      if (!is_authority_char(c)) return bad("invalid byte in authority");
      ++a;
    }
    if (a == 0) return bad("empty authority");
    out.authority = rest.substr(0, a);
    rest = rest.substr(a);
  }

  const size_t q = rest.find('?');
  out.raw_path = rest.substr(0, q);
  if (q != std::string_view::npos) {
    out.has_query = true;
    out.query = rest.substr(q + 1);
    for (char ch : out.query)
      if (!is_query_char(static_cast<unsigned char>(ch))) return bad("invalid byte in query");
  }
  const std::string_view raw = out.raw_path.empty() ? std::string_view("/") : out.raw_path;
  if (raw[0] != '/') return bad("path does not start with '/'");
  return build_path(raw, true, path_buf, out.path);
}

bool QueryIterator::next(QueryParam& out) {
  while (!rest_.empty()) {
    const size_t amp = rest_.find('&');
    const std::string_view elem = rest_.substr(0, amp);
    rest_ = amp == std::string_view::npos ? std::string_view() : rest_.substr(amp + 1);
    if (elem.empty()) continue;
    const size_t eq = elem.find('=');
    out.key = elem.substr(0, eq);
    out.has_value = eq != std::string_view::npos;
    out.value = out.has_value ? elem.substr(eq + 1) : std::string_view();
    return true;
  }
  return false;
}

Error decode_query_component(std::string_view in, std::span<char> out_buf,
                             std::string_view& out) {
  size_t w = 0;
  for (size_t i = 0; i < in.size();) {
    auto c = static_cast<unsigned char>(in[i]);
    if (c == '%') {
      if (in.size() - i < 3) return bad("truncated percent escape");
      const int hi = hex_value(static_cast<unsigned char>(in[i + 1]));
      const int lo = hex_value(static_cast<unsigned char>(in[i + 2]));
      if (hi < 0 || lo < 0) return bad("invalid percent escape");
      c = static_cast<unsigned char>(hi * 16 + lo);
      if (c == 0) return bad("encoded NUL in query");
      i += 3;
    } else {
      if (c == '+') c = ' ';
      ++i;
    }
    if (w >= out_buf.size()) return Error{Status::UriTooLong, "query buffer too small"};
    out_buf[w++] = static_cast<char>(c);
  }
  out = std::string_view(out_buf.data(), w);
  return {};
}

}  // namespace hs::http
