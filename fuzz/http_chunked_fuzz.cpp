// libFuzzer target for hs::http::ChunkedDecoder. Input: byte 0 picks the
// limits, bytes 1-2 the split point, the rest is the body region. Properties:
//  1. fed whole, fed in two pieces split at the data-derived point, and fed
//     one byte at a time with compact() after every call, the decoder gives
//     the same state and status, and the same decoded bytes; whole and split
//     also give the same `consumed`;
//  2. consumed <= input size, decoded size <= consumed, decoded size <=
//     max_body; the bytes after `consumed` are never written;
//  3. a body accepted whole, re-encoded as one chunk (with an extension and a
//     trailer), decodes to the same bytes;
//  4. streamed (next(), the client's way), whole and in two pieces split at
//     the same point, the decoder gives the same state, status and decoded
//     bytes as feed(), the same `consumed`, and never writes its input.
#include "http/chunked.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>

namespace {

using hs::http::ChunkedDecoder;
using hs::http::ChunkedLimits;
using hs::http::ChunkedPiece;
using hs::http::ChunkedResult;
using hs::http::ChunkedState;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "http_chunked_fuzz property failed: %s\n", what);
  std::abort();
}

#define CHECK(cond) \
  do {              \
    if (!(cond)) fail(#cond); \
  } while (0)

struct Run {
  ChunkedResult res;
  std::string buf;   // the region after decoding
  std::string body;  // the decoded bytes
};

Run whole(const std::string& in, const ChunkedLimits& lim) {
  Run r{{}, in, {}};
  ChunkedDecoder d(lim);
  std::span<char> region(r.buf.data(), r.buf.size());
  r.res = d.feed(region);
  CHECK(d.feed(region).state == r.res.state);  // idempotent once settled or starved
  auto b = d.body(region);
  r.body.assign(b.data(), b.size());
  return r;
}

Run split(const std::string& in, size_t at, const ChunkedLimits& lim) {
  Run r{{}, in, {}};
  ChunkedDecoder d(lim);
  std::span<char> region(r.buf.data(), r.buf.size());
  r.res = d.feed(region.first(at));
  if (r.res.state == ChunkedState::NeedMore) {
    CHECK(r.res.consumed == at);
    r.res = d.feed(region);
  }
  auto b = d.body(region);
  r.body.assign(b.data(), b.size());
  return r;
}

Run bytewise_compacting(const std::string& in, const ChunkedLimits& lim) {
  Run r{{}, std::string(in.size(), '\0'), {}};
  ChunkedDecoder d(lim);
  size_t have = 0;
  r.res = d.feed(std::span<char>(r.buf.data(), 0));
  for (size_t i = 0; i < in.size() && r.res.state == ChunkedState::NeedMore; ++i) {
    r.buf[have++] = in[i];
    r.res = d.feed(std::span<char>(r.buf.data(), have));
    if (r.res.state == ChunkedState::NeedMore) {
      have = d.compact(std::span<char>(r.buf.data(), have));
      CHECK(have == d.decoded_size());
    }
  }
  auto b = d.body(std::span<char>(r.buf.data(), have));
  r.body.assign(b.data(), b.size());
  return r;
}

// next() over `in` delivered as [0, at) then the rest.
Run streamed(const std::string& in, size_t at, const ChunkedLimits& lim) {
  Run r{{}, in, {}};
  ChunkedDecoder d(lim);
  std::string pending = in.substr(0, at);
  bool second = false;
  size_t total = 0;
  for (;;) {
    const ChunkedPiece p = d.next(pending);
    CHECK(p.consumed <= pending.size());
    if (!p.data.empty()) {
      CHECK(p.data.data() >= pending.data() && p.data.data() + p.data.size() == pending.data() + p.consumed);
      r.body.append(p.data.data(), p.data.size());
    }
    r.res = {p.state, p.error, 0};
    if (p.state == ChunkedState::Failed) break;
    total += p.consumed;
    pending.erase(0, p.consumed);
    if (p.state == ChunkedState::Done) break;
    if (p.data.empty() && pending.empty()) {
      if (second) break;
      pending = in.substr(at);
      second = true;
    }
  }
  r.res.consumed = total;
  CHECK(d.decoded_size() == r.body.size());
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  ChunkedLimits lim;
  switch (data[0] % 4) {
    case 0: lim.max_body = 16; break;
    case 1: lim.max_body = 1024; break;
    case 2: lim.max_body = std::numeric_limits<uint64_t>::max(); break;
    default: lim.max_body = 0; break;
  }
  if (data[0] & 4) {
    lim.max_ext_bytes = 8;
    lim.max_trailer_fields = 1;
    lim.max_trailer_bytes = 16;
  }
  const std::string in(reinterpret_cast<const char*>(data) + 3, size - 3);
  const size_t at = (static_cast<size_t>(data[1]) | static_cast<size_t>(data[2]) << 8) % (in.size() + 1);

  const Run a = whole(in, lim);
  const Run b = split(in, at, lim);
  const Run c = bytewise_compacting(in, lim);

  CHECK(a.res.state == b.res.state);
  CHECK(a.res.error.status == b.res.error.status);
  CHECK(a.res.consumed == b.res.consumed);
  CHECK(a.body == b.body);
  CHECK(a.res.state == c.res.state);
  CHECK(a.res.error.status == c.res.error.status);
  CHECK(a.body == c.body);

  const Run s1 = streamed(in, in.size(), lim);
  const Run s2 = streamed(in, at, lim);
  for (const Run* s : {&s1, &s2}) {
    CHECK(s->res.state == a.res.state);
    CHECK(s->res.error.status == a.res.error.status);
    CHECK(s->body == a.body);
    if (a.res.state != ChunkedState::Failed) CHECK(s->res.consumed == a.res.consumed);
  }

  CHECK(a.res.consumed <= in.size());
  CHECK(a.body.size() <= a.res.consumed);
  CHECK(a.body.size() <= lim.max_body);
  CHECK(std::memcmp(a.buf.data() + a.res.consumed, in.data() + a.res.consumed,
                    in.size() - a.res.consumed) == 0);
  if (a.res.state == ChunkedState::NeedMore) CHECK(a.res.consumed == in.size());
  if (a.res.state == ChunkedState::Failed) CHECK(a.res.error.status != hs::http::Status::None);
  else CHECK(a.res.error.status == hs::http::Status::None);

  if (a.res.state == ChunkedState::Done && !a.body.empty()) {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%zx", a.body.size());
    const std::string enc = std::string(hex) + ";x=\"y\"\r\n" + a.body + "\r\n0\r\nT: v\r\n\r\nNEXT";
    ChunkedLimits big;
    big.max_body = a.body.size();
    const Run e = whole(enc, big);
    CHECK(e.res.state == ChunkedState::Done);
    CHECK(e.body == a.body);
    CHECK(e.res.consumed == enc.size() - 4);
  }
  return 0;
}
