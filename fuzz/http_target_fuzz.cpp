// libFuzzer target for hs::http::parse_target. Input: the raw request-target.
// Properties of every accepted target:
//  1. the path lies in the caller's buffer, starts with '/', has no empty,
//     `.` or `..` segment, no NUL, control byte or backslash;
//  2. it never leaves the root: an independent walk over the raw segments
//     (decoded by a separate simple decoder) never goes above depth 0;
//  3. normalising the output again is the identity, and so is parsing the
//     output percent-encoded again;
//  4. with a buffer smaller than the input, the result is the same or 414;
//  5. query parameters are views inside the query.
#include "http/target.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

using hs::http::Error;
using hs::http::Status;
using hs::http::Target;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "http_target_fuzz property failed: %s\n", what);
  std::abort();
}

#define CHECK(cond) \
  do {              \
    if (!(cond)) fail(#cond); \
  } while (0)

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

int hexv(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Lowest depth reached walking the raw path (0 = root; negative = escaped).
int min_depth(std::string_view raw) {
  int depth = 0, lowest = 0;
  size_t i = 0;
  while (i <= raw.size()) {
    const size_t j = raw.find('/', i);
    const std::string_view seg = raw.substr(i, j == std::string_view::npos ? raw.npos : j - i);
    std::string dec;
    for (size_t k = 0; k < seg.size(); ++k) {
      if (seg[k] == '%' && k + 2 < seg.size() + 0 && hexv(seg[k + 1]) >= 0 && hexv(seg[k + 2]) >= 0) {
        dec += static_cast<char>(hexv(seg[k + 1]) * 16 + hexv(seg[k + 2]));
        k += 2;
      } else {
        dec += seg[k];
      }
    }
    if (dec == "..") --depth;
    else if (!dec.empty() && dec != ".") ++depth;
    if (depth < lowest) lowest = depth;
    if (j == std::string_view::npos) break;
    i = j + 1;
  }
  return lowest;
}

std::string percent_encode(std::string_view path) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (char ch : path) {
    const auto c = static_cast<unsigned char>(ch);
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '/' || c == '-' || c == '_' || c == '~';
    if (plain) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

void check_path(std::string_view p) {
  CHECK(!p.empty() && p[0] == '/');
  CHECK(p.find("//") == std::string_view::npos);
  CHECK(p.find("/./") == std::string_view::npos);
  CHECK(p.find("/../") == std::string_view::npos);
  CHECK(!(p.size() >= 2 && p.substr(p.size() - 2) == "/."));
  CHECK(!(p.size() >= 3 && p.substr(p.size() - 3) == "/.."));
  for (char ch : p) {
    const auto c = static_cast<unsigned char>(ch);
    CHECK(c != '\\');
    CHECK(c >= 0x20 && c != 0x7f);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string in(reinterpret_cast<const char*>(data), size);
  std::string buf(in.size(), '\0');
  Target t;
  const Error e = hs::http::parse_target(in, std::span<char>(buf.data(), buf.size()), t);

  // 4. a smaller buffer: same answer, or 414.
  std::string small(in.size() / 2, '\0');
  Target ts;
  const Error es = hs::http::parse_target(in, std::span<char>(small.data(), small.size()), ts);
  if (es.status != Status::UriTooLong) {
    CHECK(es.status == e.status);
    if (!es) CHECK(ts.path == t.path);
  }

  if (e) {
    CHECK(e.status == Status::BadRequest);
    return 0;
  }
  CHECK(e.status == Status::None);
  // 1.
  CHECK(inside(t.path, std::string_view(buf)));
  CHECK(inside(t.raw_path, in));
  CHECK(inside(t.query, in));
  CHECK(inside(t.authority, in));
  check_path(t.path);
  // 2.
  CHECK(min_depth(t.raw_path) >= 0);
  // 3.
  std::string buf2(t.path.size(), '\0');
  std::string_view again;
  CHECK(!hs::http::normalize_decoded_path(t.path, std::span<char>(buf2.data(), buf2.size()), again));
  CHECK(again == t.path);
  const std::string enc = percent_encode(t.path);
  std::string buf3(enc.size(), '\0');
  Target t3;
  CHECK(!hs::http::parse_target(enc, std::span<char>(buf3.data(), buf3.size()), t3));
  CHECK(t3.path == t.path);
  // 5.
  hs::http::QueryIterator it(t.query);
  hs::http::QueryParam qp;
  size_t n = 0;
  while (it.next(qp)) {
    CHECK(inside(qp.key, t.query) && inside(qp.value, t.query));
    CHECK(++n <= t.query.size());
  }
  return 0;
}
