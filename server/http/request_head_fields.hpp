// Internal to the request head parser: what the request-target form and the
// fields the parser acts on (Host, Content-Length, Transfer-Encoding,
// Connection, Expect) mean, and the checks that need the whole head. The parse
// loop calls these; the hot few are inline here, the rest live in
// request_head_fields.cpp.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "http/request_head_state.hpp"

namespace hs::http::head {

// Case-insensitive equality of a field name (token characters only) with a
// lower-case literal of the same length, a word at a time: OR-ing 0x20 lowers
// letters and maps no other token character onto a letter, '-' or a digit.
inline bool name_is(std::string_view name, std::string_view lit) {
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

// host [ ":" port ] with host = reg-name / IPv4address / "[" IPv6address "]",
// a non-empty host and, when the colon is there, a port of 1-5 digits <= 65535.
bool valid_host(std::string_view h);

// Non-origin-form targets (and CONNECT): asterisk-form, absolute-form.
Step check_other_target_form(Ctx& c);

HS_INLINE Step check_target_form(Ctx& c) {
  if (c.out.target[0] == '/' && c.out.method != Method::Connect) return Step::Ok;  // origin-form
  return check_other_target_form(c);
}

// Is this field name possibly one that on_field handles (Host, Expect,
// Connection, Content-Length, Transfer-Encoding)? Keeps the call off the
// path of all other fields.
inline constexpr std::array<char, 18> kSpecialFirst = [] {
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

// Host. `valid`: a SIMD path already proved the value valid.
HS_INLINE Step on_host(Ctx& c, std::string_view value, bool valid) {
  if (++c.host_count > 1) return fail(c, Status::BadRequest, "more than one Host field");
  if (!valid && !value.empty() && !valid_host(value)) return fail(c, Status::BadRequest, "invalid Host");
  if (!c.absolute_form) c.out.host = value;
  return Step::Ok;
}

// One field line whose name passed maybe_special; other names are ignored.
Step on_field(Ctx& c, std::string_view name, std::string_view value);

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

}  // namespace hs::http::head
