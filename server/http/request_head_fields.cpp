// What the request-target form and the fields the parser acts on mean
// (RFC 9112, RFC 9110): the out-of-line half of request_head_fields.hpp. Works
// on values the parse loop has already split out; never scans the buffer.
#include "http/request_head_fields.hpp"

#include "http/char_classes.hpp"

namespace hs::http::head {

namespace {

// Case-insensitive equality of a received token with a lower-case literal.
bool ieq(std::string_view a, std::string_view lower_lit) {
  if (a.size() != lower_lit.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (chars::lower(a[i]) != lower_lit[i]) return false;
  return true;
}

// dec-octet "." dec-octet "." dec-octet "." dec-octet (RFC 3986, no leading zeros).
bool valid_ipv4(std::string_view s) {
  int parts = 0;
  size_t i = 0;
  while (true) {
    size_t start = i;
    unsigned v = 0;
    while (i < s.size() && chars::is_digit(s[i]) && i - start < 3) v = v * 10 + static_cast<unsigned>(s[i++] - '0');
    const size_t len = i - start;
    if (len == 0 || v > 255 || (len > 1 && s[start] == '0')) return false;
    if (++parts == 4) return i == s.size();
    if (i == s.size() || s[i] != '.') return false;
    ++i;
  }
}

// IPv6address of RFC 3986 (no zone id, no IPvFuture).
bool valid_ipv6(std::string_view s) {
  size_t i = 0;
  int groups = 0;
  bool compressed = false;
  if (s.size() >= 2 && s[0] == ':' && s[1] == ':') {
    compressed = true;
    i = 2;
    if (i == s.size()) return true;
  } else if (!s.empty() && s[0] == ':') {
    return false;
  }
  while (true) {
    const size_t g = i;
    while (i < s.size() && chars::is(chars::kHex, s[i]) && i - g < 4) ++i;
    if (i < s.size() && s[i] == '.') {  // trailing IPv4 takes two groups
      if (!valid_ipv4(s.substr(g))) return false;
      groups += 2;
      break;
    }
    if (i == g) return false;
    ++groups;
    if (i == s.size()) break;
    if (s[i] != ':') return false;
    ++i;
    if (i < s.size() && s[i] == ':') {
      if (compressed) return false;
      compressed = true;
      ++i;
      if (i == s.size()) break;
    } else if (i == s.size()) {
      return false;
    }
    if (groups > 8) return false;
  }
  return compressed ? groups <= 7 : groups == 8;
}

}  // namespace

bool valid_host(std::string_view h) {
  size_t i = 0;
  if (!h.empty() && h[0] == '[') {
    const size_t close = h.find(']');
    if (close == std::string_view::npos || !valid_ipv6(h.substr(1, close - 1))) return false;
    i = close + 1;
  } else {
    // Four at a time over the plain reg-name characters first.
    const char* d = h.data();
    while (i + 4 <= h.size() && (chars::kTable[static_cast<unsigned char>(d[i])] &
                                 chars::kTable[static_cast<unsigned char>(d[i + 1])] &
                                 chars::kTable[static_cast<unsigned char>(d[i + 2])] &
                                 chars::kTable[static_cast<unsigned char>(d[i + 3])] & chars::kRegName))
      i += 4;
    while (i < h.size()) {
      const char ch = h[i];
      if (chars::is(chars::kRegName, ch)) {
        ++i;
      } else if (ch == '%' && i + 2 < h.size() && chars::is(chars::kHex, h[i + 1]) &&
                 chars::is(chars::kHex, h[i + 2])) {
        i += 3;
      } else {
        break;
      }
    }
    if (i == 0) return false;
  }
  if (i == h.size()) return true;
  if (h[i] != ':') return false;
  const std::string_view port = h.substr(i + 1);
  if (port.empty() || port.size() > 5) return false;
  unsigned v = 0;
  for (char d : port) {
    if (!chars::is_digit(d)) return false;
    v = v * 10 + static_cast<unsigned>(d - '0');
  }
  return v <= 65535;
}

// asterisk-form (OPTIONS only) or absolute-form; CONNECT (authority-form) is
// not supported.
Step check_other_target_form(Ctx& c) {
  const std::string_view t = c.out.target;
  if (c.out.method == Method::Connect) return fail(c, Status::NotImplemented, "CONNECT is not supported");
  if (t[0] == '/') return Step::Ok;  // origin-form
  if (t == "*") {
    if (c.out.method != Method::Options) return fail(c, Status::BadRequest, "asterisk-form only with OPTIONS");
    return Step::Ok;
  }
  // absolute-form: scheme "://" authority [ path-abempty ] [ "?" query ]
  const auto alpha = [](char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'); };
  if (!alpha(t[0])) return fail(c, Status::BadRequest, "invalid request-target");
  size_t i = 1;
  while (i < t.size() && (alpha(t[i]) || chars::is_digit(t[i]) || t[i] == '+' || t[i] == '-' || t[i] == '.')) ++i;
  if (t.substr(i, 3) != "://") return fail(c, Status::BadRequest, "invalid request-target");
  const size_t a = i + 3;
  size_t e = t.find_first_of("/?", a);
  if (e == std::string_view::npos) e = t.size();
  const std::string_view authority = t.substr(a, e - a);
  if (!valid_host(authority)) return fail(c, Status::BadRequest, "invalid authority in request-target");
  c.absolute_form = true;
  c.target_authority = authority;
  c.out.host = authority;
  return Step::Ok;
}

namespace {

// Content-Length = 1#DIGIT list whose members are all the same number.
Step on_content_length(Ctx& c, std::string_view v) {
  size_t i = 0;
  bool first = true;
  uint64_t value = 0;
  while (true) {
    while (i < v.size() && chars::is_ows(v[i])) ++i;
    const size_t start = i;
    uint64_t n = 0;
    while (i < v.size() && chars::is_digit(v[i])) {
      const auto d = static_cast<uint64_t>(v[i] - '0');
      if (n > (UINT64_MAX - d) / 10) return fail(c, Status::BadRequest, "Content-Length overflows");
      n = n * 10 + d;
      ++i;
    }
    if (i == start) return fail(c, Status::BadRequest, "invalid Content-Length");
    if (!first && n != value) return fail(c, Status::BadRequest, "conflicting Content-Length values");
    value = n;
    first = false;
    while (i < v.size() && chars::is_ows(v[i])) ++i;
    if (i == v.size()) break;
    if (v[i] != ',') return fail(c, Status::BadRequest, "invalid Content-Length");
    ++i;
  }
  if (c.cl_seen && c.cl != value) return fail(c, Status::BadRequest, "conflicting Content-Length values");
  c.cl_seen = true;
  c.cl = value;
  return Step::Ok;
}

// Skips a token at v[i]; false when there is none.
bool skip_token(std::string_view v, size_t& i) {
  const size_t start = i;
  while (i < v.size() && chars::is_tchar(v[i])) ++i;
  return i != start;
}

void skip_ows(std::string_view v, size_t& i) {
  while (i < v.size() && chars::is_ows(v[i])) ++i;
}

// quoted-string at v[i] (which is '"'); false when malformed.
bool skip_quoted(std::string_view v, size_t& i) {
  ++i;
  while (i < v.size()) {
    const auto ch = static_cast<unsigned char>(v[i]);
    if (ch == '"') {
      ++i;
      return true;
    }
    if (ch == '\\') {
      if (++i == v.size()) return false;
    }
    ++i;
  }
  return false;
}

// Transfer-Encoding = 1#transfer-coding; transfer-coding = token *( OWS ";" OWS
// token BWS "=" BWS ( token / quoted-string ) ). Fields add up to one list.
Step on_transfer_encoding(Ctx& c, std::string_view v) {
  if (c.out.version == Version::Http10)
    return fail(c, Status::BadRequest, "Transfer-Encoding in an HTTP/1.0 request");
  c.te_seen = true;
  size_t i = 0;
  while (true) {
    skip_ows(v, i);
    const size_t start = i;
    if (!skip_token(v, i)) return fail(c, Status::BadRequest, "malformed Transfer-Encoding");
    const std::string_view coding = v.substr(start, i - start);
    skip_ows(v, i);
    bool params = false;
    while (i < v.size() && v[i] == ';') {
      params = true;
      ++i;
      skip_ows(v, i);
      if (!skip_token(v, i)) return fail(c, Status::BadRequest, "malformed Transfer-Encoding");
      skip_ows(v, i);
      if (i == v.size() || v[i] != '=') return fail(c, Status::BadRequest, "malformed Transfer-Encoding");
      ++i;
      skip_ows(v, i);
      if (i < v.size() && v[i] == '"') {
        if (!skip_quoted(v, i)) return fail(c, Status::BadRequest, "malformed Transfer-Encoding");
      } else if (!skip_token(v, i)) {
        return fail(c, Status::BadRequest, "malformed Transfer-Encoding");
      }
      skip_ows(v, i);
    }
    const bool chunked = ieq(coding, "chunked");
    if (c.te_chunked)
      return fail(c, Status::BadRequest, chunked ? "chunked applied twice" : "chunked is not the final coding");
    if (chunked) {
      if (params) return fail(c, Status::BadRequest, "malformed Transfer-Encoding");
      c.te_chunked = true;
    } else {
      c.te_other = true;
    }
    if (i == v.size()) return Step::Ok;
    if (v[i] != ',') return fail(c, Status::BadRequest, "malformed Transfer-Encoding");
    ++i;
  }
}

// Connection = #connection-option (tokens; empty list elements are ignored).
Step on_connection(Ctx& c, std::string_view v) {
  size_t i = 0;
  while (true) {
    skip_ows(v, i);
    if (i == v.size()) return Step::Ok;
    if (v[i] == ',') {
      ++i;
      continue;
    }
    const size_t start = i;
    if (!skip_token(v, i)) return fail(c, Status::BadRequest, "malformed Connection");
    const std::string_view opt = v.substr(start, i - start);
    if (ieq(opt, "close")) c.conn_close = true;
    else if (ieq(opt, "keep-alive")) c.conn_keep_alive = true;
    skip_ows(v, i);
    if (i == v.size()) return Step::Ok;
    if (v[i] != ',') return fail(c, Status::BadRequest, "malformed Connection");
    ++i;
  }
}

// Expect: only 100-continue is known; anything else (or nothing) -> 417 at the end.
void on_expect(Ctx& c, std::string_view v) {
  size_t i = 0;
  bool any = false;
  while (i < v.size()) {
    size_t e = v.find(',', i);
    if (e == std::string_view::npos) e = v.size();
    std::string_view m = v.substr(i, e - i);
    while (!m.empty() && chars::is_ows(m.front())) m.remove_prefix(1);
    while (!m.empty() && chars::is_ows(m.back())) m.remove_suffix(1);
    if (!m.empty()) {
      any = true;
      if (ieq(m, "100-continue")) c.expect_100 = true;
      else c.expect_bad = true;
    }
    i = e + 1;
  }
  if (!any) c.expect_bad = true;
}

}  // namespace

Step on_field(Ctx& c, std::string_view name, std::string_view value) {
  switch (name.size()) {
    case 4:
      if (name_is(name, "host")) return on_host(c, value, false);
      break;
    case 6:
      if (name_is(name, "expect")) on_expect(c, value);
      break;
    case 10:
      if (name_is(name, "connection")) return on_connection(c, value);
      break;
    case 14:
      if (name_is(name, "content-length")) return on_content_length(c, value);
      break;
    case 17:
      if (name_is(name, "transfer-encoding")) return on_transfer_encoding(c, value);
      break;
    default:
      break;
  }
  return Step::Ok;
}

}  // namespace hs::http::head
