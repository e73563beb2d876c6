// Request head parser: the field semantics (framing, Host, Connection, Expect)
// and the scan paths. The byte loop itself lives in request_head_core.inc and
// is compiled once per path (portable, SSE4.2, AVX2) from the bottom of this file.
#include "http/request_head.hpp"

#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>

#include "http/char_classes.hpp"
#include "http/scan_simd.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#define HS_HTTP_X86 1
#else
#define HS_HTTP_X86 0
#endif

namespace hs::http {

namespace {

enum class Step : uint8_t { Ok, More, Fail };

// The per-path byte loop is inlined into one function per path.
#define HS_INLINE inline __attribute__((always_inline))


// Everything one call needs; fields remembered across header lines live here.
struct Ctx {
  const char* base;  // buf.data()
  const char* end;   // base + min(buf.size(), max_head_bytes)
  RequestHead& out;
  Header* storage;  // the caller's array (kept as two words: see parse_request_head)
  size_t capacity;
  const HeadLimits& limits;
  Error err{};
  std::string_view target_authority{};  // set for absolute-form targets
  uint64_t cl = 0;
  unsigned host_count = 0;
  bool in_fields = false;  // the request line parsed; now in the field section
  bool absolute_form = false;
  bool cl_seen = false;
  bool te_seen = false;
  bool te_chunked = false;  // `chunked` seen (it is then the last coding so far)
  bool te_other = false;    // a coding other than `chunked` seen
  bool conn_close = false;
  bool conn_keep_alive = false;
  bool expect_100 = false;
  bool expect_bad = false;
};

Step fail(Ctx& c, Status s, const char* why) {
  c.err = Error{s, why};
  return Step::Fail;
}

HeadResult failed(const Ctx& c) { return HeadResult{ParseState::Failed, c.err, 0}; }

HeadResult incomplete(const Ctx& c, size_t size, size_t view) {
  if (size > c.limits.max_head_bytes)
    return HeadResult{ParseState::Failed, Error{Status::HeaderFieldsTooLarge, "header section too large"}, 0};
  return HeadResult{ParseState::Incomplete, Error{}, view};
}

// RFC 9112 §2.2: empty lines before the request line are skipped (any number,
// all counted in head_bytes and in max_head_bytes).
size_t skip_leading_crlf(const Ctx& c) {
  const char* p = c.base;
  while (c.end - p >= 2 && p[0] == '\r' && p[1] == '\n') p += 2;
  return static_cast<size_t>(p - c.base);
}

// Is there a CRLFCRLF whose final LF is at index >= from?
bool find_head_end(const Ctx& c, size_t from) {
  const size_t size = static_cast<size_t>(c.end - c.base);
  while (from < size) {
    const void* hit = std::memchr(c.base + from, '\n', size - from);
    if (!hit) return false;
    const size_t i = static_cast<size_t>(static_cast<const char*>(hit) - c.base);
    if (i >= 3 && c.base[i - 1] == '\r' && c.base[i - 2] == '\n' && c.base[i - 3] == '\r') return true;
    from = i + 1;
  }
  return false;
}

// Case-insensitive equality of a received token with a lower-case literal.
bool ieq(std::string_view a, std::string_view lower_lit) {
  if (a.size() != lower_lit.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (chars::lower(a[i]) != lower_lit[i]) return false;
  return true;
}

// Case-insensitive equality of a field name (token characters only) with a
// lower-case literal of the same length, a word at a time: OR-ing 0x20 lowers
// letters and maps no other token character onto a letter, '-' or a digit.
bool name_is(std::string_view name, std::string_view lit) {
  const char* a = name.data();
  const char* b = lit.data();
  const size_t n = lit.size();
  if (n < 8) {  // 4 <= n < 8: two overlapping words of 4
    uint32_t x, y, u, v;
    std::memcpy(&x, a, 4);
    std::memcpy(&y, a + n - 4, 4);
    std::memcpy(&u, b, 4);
    std::memcpy(&v, b + n - 4, 4);
    return ((x | 0x20202020u) == u) & ((y | 0x20202020u) == v);
  }
  uint64_t x, y, u, v;  // 8 <= n <= 24: up to three words of 8
  constexpr uint64_t kLow = 0x2020202020202020ull;
  std::memcpy(&x, a, 8);
  std::memcpy(&y, a + n - 8, 8);
  std::memcpy(&u, b, 8);
  std::memcpy(&v, b + n - 8, 8);
  bool same = ((x | kLow) == u) & ((y | kLow) == v);
  if (n > 16) {
    std::memcpy(&x, a + 8, 8);
    std::memcpy(&u, b + 8, 8);
    same &= (x | kLow) == u;
  }
  return same;
}

// "HTTP/1.1\r\n" or "HTTP/1.0\r\n" at p (10 readable bytes), two loads.
inline bool is_http1x_crlf(const char* p) {
  static constexpr char k11[] = "HTTP/1.1\r\n";
  uint64_t w, want;
  uint16_t tail, want_tail;
  std::memcpy(&w, p, 8);
  std::memcpy(&want, k11, 8);
  std::memcpy(&tail, p + 8, 2);
  std::memcpy(&want_tail, k11 + 8, 2);
  // The minor digit is the 8th byte; '0' and '1' differ only in bit 0.
  uint64_t minor_bit;
  std::memcpy(&minor_bit, "\0\0\0\0\0\0\0\x01", 8);
  return ((w | minor_bit) == want) & (tail == want_tail);
}

Method method_of(std::string_view m) {
  switch (m.size()) {
    case 3:
      if (m == "GET") return Method::Get;
      if (m == "PUT") return Method::Put;
      break;
    case 4:
      if (m == "HEAD") return Method::Head;
      if (m == "POST") return Method::Post;
      break;
    case 5:
      if (m == "PATCH") return Method::Patch;
      if (m == "TRACE") return Method::Trace;
      break;
    case 6:
      if (m == "DELETE") return Method::Delete;
      break;
    case 7:
      if (m == "OPTIONS") return Method::Options;
      if (m == "CONNECT") return Method::Connect;
      break;
    default:
      break;
  }
  return Method::Other;
}

// Returns the length of one valid UTF-8 sequence starting at p (a byte >= 0x80),
// 0 when the bytes up to `end` are a valid but cut prefix, -1 when invalid
// (stray continuation byte, overlong form, surrogate, above U+10FFFF).
int utf8_sequence(const char* p, const char* end) {
  const auto b0 = static_cast<unsigned char>(p[0]);
  int n;
  unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // > U+10FFFF
  } else {
    return -1;
  }
  for (int i = 1; i < n; ++i) {
    if (p + i == end) return 0;
    const auto b = static_cast<unsigned char>(p[i]);
    if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return -1;
  }
  return n;
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

// host [ ":" port ] with host = reg-name / IPv4address / "[" IPv6address "]",
// a non-empty host and, when the colon is there, a port of 1-5 digits <= 65535.
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

Step check_other_target_form(Ctx& c);

HS_INLINE Step check_target_form(Ctx& c) {
  if (c.out.target[0] == '/' && c.out.method != Method::Connect) return Step::Ok;  // origin-form
  return check_other_target_form(c);
}

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

// `valid`: a SIMD path already proved the value valid.
HS_INLINE Step on_host(Ctx& c, std::string_view value, bool valid) {
  if (++c.host_count > 1) return fail(c, Status::BadRequest, "more than one Host field");
  if (!valid && !value.empty() && !valid_host(value)) return fail(c, Status::BadRequest, "invalid Host");
  if (!c.absolute_form) c.out.host = value;
  return Step::Ok;
}

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

// Checks that need the whole header section, in this order of precedence.
HS_INLINE Step finish(Ctx& c) {
  RequestHead& o = c.out;
  const bool v11 = o.version == Version::Http11;
  if (v11 && c.host_count == 0) return fail(c, Status::BadRequest, "missing Host");
  if (c.te_seen) {
    if (c.cl_seen) return fail(c, Status::BadRequest, "both Content-Length and Transfer-Encoding");
    if (!c.te_chunked) return fail(c, Status::BadRequest, "chunked is not the final coding");
    if (c.te_other) return fail(c, Status::NotImplemented, "unsupported transfer coding");
    o.framing = BodyFraming::Chunked;
  } else if (c.cl_seen) {
    o.framing = BodyFraming::ContentLength;
    o.content_length = c.cl;
  }
  if (c.expect_bad) return fail(c, Status::ExpectationFailed, "unsupported expectation");
  o.expect_continue = c.expect_100 && v11;  // RFC 9110 §10.1.1: ignored in 1.0
  o.keep_alive = !c.conn_close && (v11 || c.conn_keep_alive);
  return Step::Ok;
}

#if HS_HTTP_X86  // pieces of the SIMD paths
// Masks of a 64-byte window of the buffer starting at `start` (a line start):
// bit i of `nontchar` / `vstop` set when start[i] is not a token character /
// stops a field value scan; bits at or past `avail` (bytes left) are clear.
struct Window {
  const char* start;
  uint64_t vstop;
  uint64_t nontchar;
  uint64_t ows;  // SP or HTAB
  unsigned avail;
};

// A set of ASCII bytes by nibble for PSHUFB lookups: byte b is in the set
// when lo[b & 15] & hi[b >> 4] != 0 (one bit per row 0x00-0x70; bytes >= 0x80
// find hi == 0 and are never in a set).
struct NibbleTables {
  uint8_t lo[16];
  uint8_t hi[16];
};

template <class Pred>
constexpr NibbleTables make_nibbles(Pred in_set) {
  NibbleTables t{};
  for (int h = 0; h < 8; ++h) t.hi[h] = static_cast<uint8_t>(1u << h);
  for (int ch = 0; ch < 0x80; ++ch)
    if (in_set(ch)) t.lo[ch & 15] = static_cast<uint8_t>(t.lo[ch & 15] | (1u << (ch >> 4)));
  return t;
}

constexpr NibbleTables kTcharNibbles = make_nibbles([](int ch) { return chars::is_tchar(static_cast<char>(ch)); });
// Bytes of the fast Host check: reg-name characters except '%', and ':'.
constexpr NibbleTables kHostNibbles =
    make_nibbles([](int ch) { return ch == ':' || chars::is(chars::kRegName, static_cast<char>(ch)); });

// After a vector pass over a Host value of `len` bytes: `bad` marks bytes
// outside kHostNibbles, `colons` the colons, `digits` the digits. True when
// that proves the value a valid reg-name[:port]; false leaves the decision to
// valid_host.
HS_INLINE bool host_tail_ok(const char* v, size_t len, uint32_t bad, uint32_t colons, uint32_t digits) {
  if (bad) return false;
  if (colons == 0) return true;
  if (colons & (colons - 1)) return false;
  const auto k = static_cast<size_t>(__builtin_ctz(colons));
  const size_t plen = len - k - 1;
  if (k == 0 || plen == 0 || plen > 5) return false;
  const uint32_t port_bits = ((1u << plen) - 1) << (k + 1);
  if ((digits & port_bits) != port_bits) return false;
  return plen < 5 || std::memcmp(v + k + 1, "65535", 5) <= 0;
}

// Vector constants kept in memory: a load is cheaper than rebuilding a
// broadcast from an immediate after every call in the field loop.
struct alignas(32) Splat {
  uint8_t b[32];
};

constexpr Splat splat(uint8_t v) {
  Splat s{};
  for (uint8_t& x : s.b) x = v;
  return s;
}

inline constexpr Splat kSp20 = splat(0x20), kSp21 = splat(0x21), kSp7f = splat(0x7f), kSpTab = splat('\t'),
                       kSpHash = splat('#'), kSp0f = splat(0x0f);
#endif  // HS_HTTP_X86

// Is this field name possibly one that on_field handles (Host, Expect,
// Connection, Content-Length, Transfer-Encoding)? Keeps the call off the
// path of all other fields.
constexpr std::array<char, 18> kSpecialFirst = [] {
  std::array<char, 18> t{};
  t[4] = 'h';    // host
  t[6] = 'e';    // expect
  t[10] = 'c';   // connection
  t[14] = 'c';   // content-length
  t[17] = 't';   // transfer-encoding
  return t;
}();

inline bool maybe_special(std::string_view n) {
  return n.size() < kSpecialFirst.size() && kSpecialFirst[n.size()] == static_cast<char>(n[0] | 0x20);
}

// ---- portable path ---------------------------------------------------------
namespace portable {
#define HS_TGT

inline const char* find_target_stop(const char*, const char* p, const char* end) {
  while (end - p >= 4) {
    if (!chars::is(chars::kTarget, p[0])) return p;
    if (!chars::is(chars::kTarget, p[1])) return p + 1;
    if (!chars::is(chars::kTarget, p[2])) return p + 2;
    if (!chars::is(chars::kTarget, p[3])) return p + 3;
    p += 4;
  }
  while (p < end && chars::is(chars::kTarget, *p)) ++p;
  return p;
}

inline const char* find_value_stop(const char*, const char* p, const char* end) {
  while (end - p >= 4) {
    if (!chars::is(chars::kValue, p[0])) return p;
    if (!chars::is(chars::kValue, p[1])) return p + 1;
    if (!chars::is(chars::kValue, p[2])) return p + 2;
    if (!chars::is(chars::kValue, p[3])) return p + 3;
    p += 4;
  }
  while (p < end && chars::is(chars::kValue, *p)) ++p;
  return p;
}

#include "http/request_head_core.inc"
#undef HS_TGT
}  // namespace portable

#if HS_HTTP_X86
// ---- SIMD paths ------------------------------------------------------------
// A byte stops the target scan when it is <= 0x20 or >= 0x7f (one signed
// compare catches 0x00-0x20 and 0x80-0xff) or '#'; it stops the value scan
// when it is < 0x20 but not HTAB, or >= 0x7f.

inline __m128i ld16(const Splat& s) { return _mm_load_si128(reinterpret_cast<const __m128i*>(s.b)); }

HS_INLINE unsigned target_mask16(__m128i v) {
  const __m128i low = _mm_cmpgt_epi8(ld16(kSp21), v);
  const __m128i del = _mm_cmpeq_epi8(v, ld16(kSp7f));
  const __m128i hash = _mm_cmpeq_epi8(v, ld16(kSpHash));
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(low, del), hash)));
}

HS_INLINE unsigned value_mask16(__m128i v) {
  const __m128i low = _mm_cmpgt_epi8(ld16(kSp20), v);
  const __m128i tab = _mm_cmpeq_epi8(v, ld16(kSpTab));
  const __m128i del = _mm_cmpeq_epi8(v, ld16(kSp7f));
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(_mm_andnot_si128(tab, low), del)));
}

// 16-byte blocks (SSE2 instructions, used by the SSE4.2 path); the last
// partial block is read as the 16 bytes ending at `end` (when the buffer has
// them) with the already-seen bytes masked off.
template <unsigned (*Mask)(__m128i), const char* (*Scalar)(const char*, const char*, const char*)>
HS_INLINE const char* scan16(const char* base, const char* p, const char* end) {
  while (end - p >= 16) {
    const unsigned m = Mask(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    if (m) return p + __builtin_ctz(m);
    p += 16;
  }
  if (p == end) return end;
  if (end - base >= 16) {
    const char* q = end - 16;
    const unsigned m = Mask(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q))) >> (p - q);
    return m ? p + __builtin_ctz(m) : end;
  }
  return Scalar(base, p, end);
}

namespace sse42 {
#define HS_TGT __attribute__((target("sse4.2")))
#define HS_LINE_BLOCKS 1
HS_TGT HS_INLINE const char* find_target_stop(const char* base, const char* p, const char* end) {
  return scan16<target_mask16, portable::find_target_stop>(base, p, end);
}
HS_TGT HS_INLINE const char* find_value_stop(const char* base, const char* p, const char* end) {
  return scan16<value_mask16, portable::find_value_stop>(base, p, end);
}


HS_TGT HS_INLINE unsigned nonset_mask16(__m128i v, const NibbleTables& t) {
  const __m128i lo_tab = _mm_loadu_si128(reinterpret_cast<const __m128i*>(t.lo));
  const __m128i hi_tab = _mm_loadu_si128(reinterpret_cast<const __m128i*>(t.hi));
  const __m128i nib = ld16(kSp0f);
  const __m128i lo = _mm_shuffle_epi8(lo_tab, _mm_and_si128(v, nib));
  const __m128i hi = _mm_shuffle_epi8(hi_tab, _mm_and_si128(_mm_srli_epi16(v, 4), nib));
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(lo, hi), _mm_setzero_si128())));
}

HS_TGT HS_INLINE bool host_fast(const char* base, const char* v, size_t len, const char* end) {
  if (len == 0 || len > 16) return false;
  __m128i x;
  unsigned shift = 0;
  if (end - v >= 16) {
    x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(v));
  } else if (end - base >= 16) {
    x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(end - 16));
    shift = static_cast<unsigned>(16 - (end - v));
  } else {
    return false;
  }
  const uint32_t keep = (1u << len) - 1;
  const uint32_t bad = (nonset_mask16(x, kHostNibbles) >> shift) & keep;
  const uint32_t colons = (static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(':')))) >> shift) & keep;
  const __m128i dig = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('0' - 1)), _mm_cmpgt_epi8(_mm_set1_epi8('9' + 1), x));
  const uint32_t digits = static_cast<unsigned>(_mm_movemask_epi8(dig)) >> shift;
  return host_tail_ok(v, len, bad, colons, digits);
}

HS_TGT HS_INLINE bool window_masks(const char* base, const char* p, const char* end, Window& w) {
  const ptrdiff_t left = end - p;
  const char* q = p;
  unsigned shift = 0;
  if (left < 64) {
    if (end - base < 64) return false;
    q = end - 64;
    shift = static_cast<unsigned>(64 - left);
  }
  uint64_t vs = 0, nt = 0, ows = 0;
  for (int i = 0; i < 4; ++i) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q + 16 * i));
    vs |= uint64_t{value_mask16(v)} << (16 * i);
    nt |= uint64_t{nonset_mask16(v, kTcharNibbles)} << (16 * i);
    const __m128i sp = _mm_or_si128(_mm_cmpeq_epi8(v, ld16(kSp20)), _mm_cmpeq_epi8(v, ld16(kSpTab)));
    ows |= uint64_t{static_cast<unsigned>(_mm_movemask_epi8(sp))} << (16 * i);
  }
  w = Window{p, vs >> shift, nt >> shift, ows >> shift, left < 64 ? static_cast<unsigned>(left) : 64u};
  return true;
}

#include "http/request_head_core.inc"
#undef HS_LINE_BLOCKS
#undef HS_TGT
}  // namespace sse42

namespace avx2 {
#define HS_TGT __attribute__((target("avx2,bmi,bmi2,popcnt")))

HS_TGT inline __m256i ld32(const Splat& s) { return _mm256_load_si256(reinterpret_cast<const __m256i*>(s.b)); }

HS_TGT HS_INLINE unsigned target_mask32(__m256i v) {
  const __m256i low = _mm256_cmpgt_epi8(ld32(kSp21), v);
  const __m256i del = _mm256_cmpeq_epi8(v, ld32(kSp7f));
  const __m256i hash = _mm256_cmpeq_epi8(v, ld32(kSpHash));
  return static_cast<unsigned>(_mm256_movemask_epi8(_mm256_or_si256(_mm256_or_si256(low, del), hash)));
}

HS_TGT HS_INLINE unsigned value_mask32(__m256i v) {
  const __m256i low = _mm256_cmpgt_epi8(ld32(kSp20), v);
  const __m256i tab = _mm256_cmpeq_epi8(v, ld32(kSpTab));
  const __m256i del = _mm256_cmpeq_epi8(v, ld32(kSp7f));
  return static_cast<unsigned>(_mm256_movemask_epi8(_mm256_or_si256(_mm256_andnot_si256(tab, low), del)));
}

HS_TGT HS_INLINE const char* find_target_stop(const char* base, const char* p, const char* end) {
  while (end - p >= 32) {
    const unsigned m = target_mask32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    if (m) return p + __builtin_ctz(m);
    p += 32;
  }
  if (p == end) return end;
  if (end - base >= 32) {
    const char* q = end - 32;
    const unsigned m = target_mask32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(q))) >> (p - q);
    return m ? p + __builtin_ctz(m) : end;
  }
  return sse42::find_target_stop(base, p, end);
}

HS_TGT HS_INLINE const char* find_value_stop(const char* base, const char* p, const char* end) {
  while (end - p >= 32) {
    const unsigned m = value_mask32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    if (m) return p + __builtin_ctz(m);
    p += 32;
  }
  if (p == end) return end;
  if (end - base >= 32) {
    const char* q = end - 32;
    const unsigned m = value_mask32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(q))) >> (p - q);
    return m ? p + __builtin_ctz(m) : end;
  }
  return sse42::find_value_stop(base, p, end);
}

HS_TGT HS_INLINE unsigned nonset_mask32(__m256i v, const NibbleTables& t) {
  const __m256i lo_tab = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(t.lo)));
  const __m256i hi_tab = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(t.hi)));
  const __m256i nib = ld32(kSp0f);
  const __m256i lo = _mm256_shuffle_epi8(lo_tab, _mm256_and_si256(v, nib));
  const __m256i hi = _mm256_shuffle_epi8(hi_tab, _mm256_and_si256(_mm256_srli_epi16(v, 4), nib));
  const __m256i zero = _mm256_cmpeq_epi8(_mm256_and_si256(lo, hi), _mm256_setzero_si256());
  return static_cast<unsigned>(_mm256_movemask_epi8(zero));
}

HS_TGT HS_INLINE bool host_fast(const char* base, const char* v, size_t len, const char* end) {
  if (len == 0 || len > 32) return false;
  __m256i x;
  unsigned shift = 0;
  if (end - v >= 32) {
    x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(v));
  } else if (end - base >= 32) {
    x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(end - 32));
    shift = static_cast<unsigned>(32 - (end - v));
  } else {
    return sse42::host_fast(base, v, len, end);
  }
  const uint32_t keep = len == 32 ? ~0u : (1u << len) - 1;
  const uint32_t bad = (nonset_mask32(x, kHostNibbles) >> shift) & keep;
  const uint32_t colons =
      (static_cast<unsigned>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, _mm256_set1_epi8(':')))) >> shift) & keep;
  const __m256i dig =
      _mm256_and_si256(_mm256_cmpgt_epi8(x, _mm256_set1_epi8('0' - 1)), _mm256_cmpgt_epi8(_mm256_set1_epi8('9' + 1), x));
  const uint32_t digits = static_cast<unsigned>(_mm256_movemask_epi8(dig)) >> shift;
  return host_tail_ok(v, len, bad, colons, digits);
}

HS_TGT HS_INLINE bool window_masks(const char* base, const char* p, const char* end, Window& w) {
  const ptrdiff_t left = end - p;
  const char* q = p;
  unsigned shift = 0;
  if (left < 64) {
    if (end - base < 64) return false;
    q = end - 64;
    shift = static_cast<unsigned>(64 - left);
  }
  const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q));
  const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 32));
  const uint64_t vs = uint64_t{value_mask32(a)} | uint64_t{value_mask32(b)} << 32;
  const uint64_t nt = uint64_t{nonset_mask32(a, kTcharNibbles)} | uint64_t{nonset_mask32(b, kTcharNibbles)} << 32;
  const __m256i sa = _mm256_or_si256(_mm256_cmpeq_epi8(a, ld32(kSp20)), _mm256_cmpeq_epi8(a, ld32(kSpTab)));
  const __m256i sb = _mm256_or_si256(_mm256_cmpeq_epi8(b, ld32(kSp20)), _mm256_cmpeq_epi8(b, ld32(kSpTab)));
  const uint64_t ows = uint64_t{static_cast<unsigned>(_mm256_movemask_epi8(sa))} |
                       uint64_t{static_cast<unsigned>(_mm256_movemask_epi8(sb))} << 32;
  w = Window{p, vs >> shift, nt >> shift, ows >> shift, left < 64 ? static_cast<unsigned>(left) : 64u};
  return true;
}

#define HS_LINE_BLOCKS 1
#include "http/request_head_core.inc"
#undef HS_LINE_BLOCKS
#undef HS_TGT
}  // namespace avx2
#endif  // HS_HTTP_X86

// ---- path selection --------------------------------------------------------
std::atomic<int> g_path{-1};

ScanPath best_path() {
#if HS_HTTP_X86
  if (scan_path_supported(ScanPath::Avx2)) return ScanPath::Avx2;
  if (scan_path_supported(ScanPath::Sse42)) return ScanPath::Sse42;
  return ScanPath::Portable;
#else
  return ScanPath::Portable;
#endif
}

ScanPath initial_path() {
  if (const char* env = std::getenv("HS_HTTP_SCAN")) {
    const std::string_view e(env);
    for (ScanPath p : {ScanPath::Portable, ScanPath::Sse42, ScanPath::Avx2})
      if (e == scan_path_name(p) && scan_path_supported(p)) return p;
  }
  return best_path();
}

}  // namespace

bool scan_path_supported(ScanPath p) {
  switch (p) {
    case ScanPath::Portable: return true;
#if HS_HTTP_X86
    case ScanPath::Sse42:
      __builtin_cpu_init();
      return __builtin_cpu_supports("sse4.2");
    case ScanPath::Avx2:  // compiled for AVX2 with BMI1/2 and POPCNT
      __builtin_cpu_init();
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") &&
             __builtin_cpu_supports("popcnt");
#else
    case ScanPath::Sse42:
    case ScanPath::Avx2: return false;
#endif
  }
  return false;
}

const char* scan_path_name(ScanPath p) {
  switch (p) {
    case ScanPath::Portable: return "portable";
    case ScanPath::Sse42: return "sse4.2";
    case ScanPath::Avx2: return "avx2";
  }
  return "?";
}

ScanPath active_scan_path() {
  int v = g_path.load(std::memory_order_relaxed);
  if (v < 0) {
    v = static_cast<int>(initial_path());
    g_path.store(v, std::memory_order_relaxed);
  }
  return static_cast<ScanPath>(v);
}

bool set_scan_path(ScanPath p) {
  if (!scan_path_supported(p)) return false;
  g_path.store(static_cast<int>(p), std::memory_order_relaxed);
  return true;
}

HeadResult parse_request_head(std::string_view buf, size_t scanned, RequestHead& out,
                              std::span<Header> header_storage, const HeadLimits& limits) {
  const size_t view = buf.size() < limits.max_head_bytes ? buf.size() : limits.max_head_bytes;
  out = RequestHead{};
  // The span arrives in memory when registers run out; reading its two words
  // apart (not as one 16-byte copy) avoids a store-forwarding stall.
  Header* const storage = header_storage.data();
  const size_t capacity = header_storage.size();
  Ctx c{buf.data(), buf.data() + view, out, storage, capacity, limits};
  int path = g_path.load(std::memory_order_relaxed);
  if (path < 0) path = static_cast<int>(active_scan_path());
  switch (static_cast<ScanPath>(path)) {
#if HS_HTTP_X86
    case ScanPath::Avx2: return avx2::run(c, buf.size(), scanned);
    case ScanPath::Sse42: return sse42::run(c, buf.size(), scanned);
#endif
    default: return portable::run(c, buf.size(), scanned);
  }
}

const Header* RequestHead::find(std::string_view name) const {
  for (const Header& h : headers) {
    if (h.name.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < name.size() && same; ++i) same = chars::lower(h.name[i]) == chars::lower(name[i]);
    if (same) return &h;
  }
  return nullptr;
}

std::string_view RequestHead::header(std::string_view name) const {
  const Header* h = find(name);
  return h != nullptr ? h->value : std::string_view{};
}

}  // namespace hs::http
