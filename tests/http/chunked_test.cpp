// Chunked decoder conformance rows: raw body bytes -> state, status, decoded
// body, consumed bytes. Every row runs whole, split at every byte, and one
// byte at a time; all three must agree.
#include "http/chunked.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace hs::http {
namespace {

using namespace std::string_literals;

enum Lim : uint8_t { Small, Big };  // Small: the table's limits; Big: max_body = 2^64-1

struct Row {
  const char* name;
  std::string input;
  ChunkedState state;
  Status status;       // Failed rows
  std::string body;    // Done rows: decoded body
  size_t tail = 0;     // Done rows: bytes after the body (next request)
  Lim lim = Small;
};

ChunkedLimits limits_for(Lim lim) {
  ChunkedLimits l;
  l.max_body = lim == Big ? std::numeric_limits<uint64_t>::max() : 16;
  l.max_ext_bytes = 16;
  l.max_trailer_fields = 2;
  l.max_trailer_bytes = 40;
  return l;
}

constexpr auto Done = ChunkedState::Done;
constexpr auto More = ChunkedState::NeedMore;
constexpr auto Fail = ChunkedState::Failed;
constexpr auto S400 = Status::BadRequest;
constexpr auto S413 = Status::ContentTooLarge;
constexpr auto S431 = Status::HeaderFieldsTooLarge;
constexpr auto None = Status::None;

const std::vector<Row>& rows() {
  static const std::vector<Row> r = {
      // ---- accepted
      {"one chunk", "5\r\nhello\r\n0\r\n\r\n", Done, None, "hello"},
      {"two chunks", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", Done, None, "hello world"},
      {"empty body", "0\r\n\r\n", Done, None, ""},
      {"leading zeros", "000005\r\nhello\r\n0\r\n\r\n", Done, None, "hello"},
      {"16 digits", "0000000000000005\r\nhello\r\n0000000000000000\r\n\r\n", Done, None, "hello"},
      {"upper hex", "A\r\n0123456789\r\n0\r\n\r\n", Done, None, "0123456789"},
      {"lower hex", "a\r\n0123456789\r\n0\r\n\r\n", Done, None, "0123456789"},
      {"ext name", "5;ext\r\nhello\r\n0\r\n\r\n", Done, None, "hello"},
      {"ext token value", "5;n=v\r\nhello\r\n0\r\n\r\n", Done, None, "hello"},
      {"ext quoted value", "5;n=\"a \\\"b\"\r\nhello\r\n0\r\n\r\n", Done, None, "hello"},
      {"ext BWS before ;", "5 ;ext\r\nhello\r\n0\r\n\r\n", Done, None, "hello"},
      {"ext BWS everywhere", "5\t; a = b ;c\r\nhello\r\n0\r\n\r\n", Done, None, "hello"},
      {"ext two names", "5;a;b\r\nhello\r\n0\r\n\r\n", Done, None, "hello"},
      {"ext on last chunk", "0;e=1\r\n\r\n", Done, None, ""},
      {"ext exactly at limit", "5;aaaaaaaaaaaaaaa\r\nhello\r\n0\r\n\r\n", Done, None, "hello"},
      {"trailer", "5\r\nhello\r\n0\r\nX-Sum: abc\r\n\r\n", Done, None, "hello"},
      {"two trailers", "0\r\nA: 1\r\nB:2 \r\n\r\n", Done, None, ""},
      {"trailer empty value", "0\r\nX:\r\n\r\n", Done, None, ""},
      {"trailer obs-text", "0\r\nX: caf\xc3\xa9\r\n\r\n", Done, None, ""},
      {"pipelined next request", "5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n", Done, None, "hello", 16},
      {"pipelined junk", "0\r\n\r\n\r\n\n", Done, None, "", 3},
      {"max_body exactly", "10\r\n0123456789abcdef\r\n0\r\n\r\n", Done, None, "0123456789abcdef"},
      {"data holds CRLF", "4\r\n\r\n\r\n\r\n0\r\n\r\n", Done, None, "\r\n\r\n"},
      {"data holds NUL", "3\r\na\0b\r\n0\r\n\r\n"s, Done, None, "a\0b"s},
      {"2^63 accepted size", "8000000000000000\r\nabc", More, None, "", 0, Big},
      // ---- incomplete
      {"empty input", "", More, None, ""},
      {"partial data", "5\r\nhel", More, None, ""},
      {"partial size line", "5;a=\"x", More, None, ""},
      {"before final LF", "5\r\nhello\r\n0\r\n\r", More, None, ""},
      {"inside trailer", "0\r\nX: a", More, None, ""},
      // ---- chunk size
      {"0x prefix", "0x5\r\nhello\r\n0\r\n\r\n", Fail, S400, ""},
      {"minus sign", "-5\r\nhello\r\n0\r\n\r\n", Fail, S400, ""},
      {"plus sign", "+5\r\nhello\r\n0\r\n\r\n", Fail, S400, ""},
      {"leading space", " 5\r\nhello\r\n0\r\n\r\n", Fail, S400, ""},
      {"empty size", "\r\nhello\r\n0\r\n\r\n", Fail, S400, ""},
      {"trailing space", "5 \r\nhello\r\n0\r\n\r\n", Fail, S400, ""},
      {"trailing tab", "5\t\r\nhello\r\n0\r\n\r\n", Fail, S400, ""},
      {"trailing garbage", "5x\r\nhello\r\n0\r\n\r\n", Fail, S400, ""},
      {"space inside size", "1 0\r\n", Fail, S400, ""},
      {"17 digits", "00000000000000005\r\nhello\r\n0\r\n\r\n", Fail, S400, "", 0, Big},
      {"above 2^63", "8000000000000001\r\n", Fail, S400, "", 0, Big},
      {"2^64-1", "FFFFFFFFFFFFFFFF\r\n", Fail, S400, "", 0, Big},
      {"huge size", "FFFFFFFFFFFFFFFFFFFFFFFF\r\n", Fail, S413, ""},
      {"over max_body", "11\r\n", Fail, S413, ""},
      {"over max_body early", "100", Fail, S413, ""},
      {"over max_body in total", "9\r\n123456789\r\n8\r\n", Fail, S413, ""},
      {"one digit over max_body", "9\r\n123456789\r\n8", Fail, S413, ""},
      {"max_body exactly in total", "9\r\n123456789\r\n7\r\n1234567\r\n0\r\n\r\n", Done, None, "1234567891234567"},
      // ---- extensions
      {"ext control char", "5;\x01\r\nhello\r\n0\r\n\r\n", Fail, S400, ""},
      {"ext empty name", "5;=v\r\nhello\r\n0\r\n\r\n", Fail, S400, ""},
      {"ext empty value", "5;a=\r\nhello\r\n0\r\n\r\n", Fail, S400, ""},
      {"ext bare ;", "5;\r\nhello\r\n0\r\n\r\n", Fail, S400, ""},
      {"ext trailing space", "5;a \r\nhello\r\n0\r\n\r\n", Fail, S400, ""},
      {"ext value with space", "5;a=b c\r\nhello\r\n0\r\n\r\n", Fail, S400, ""},
      {"ext unterminated quote", "5;a=\"x\r\nhello\r\n0\r\n\r\n", Fail, S400, ""},
      {"ext DEL in quotes", "5;a=\"\x7f\"\r\nhello\r\n0\r\n\r\n", Fail, S400, ""},
      {"ext bad quoted-pair", "5;a=\"\\\x01\"\r\nhello\r\n0\r\n\r\n", Fail, S400, ""},
      {"ext after quote", "5;a=\"x\"y\r\nhello\r\n0\r\n\r\n", Fail, S400, ""},
      {"ext too long", "5;aaaaaaaaaaaaaaaa\r\nhello\r\n0\r\n\r\n", Fail, S400, ""},
      {"ext too long in total", "1;aaaaaaaa\r\nx\r\n1;aaaaaaaa\r\ny\r\n0\r\n\r\n", Fail, S400, ""},
      // ---- line endings and data framing
      {"LF only", "5\nhello\n0\n\n", Fail, S400, ""},
      {"LF after data", "5\r\nhello\n0\r\n\r\n", Fail, S400, ""},
      {"CR without LF", "5\rhello\r\n0\r\n\r\n", Fail, S400, ""},
      {"missing CRLF after data", "5\r\nhelloX\r\n0\r\n\r\n", Fail, S400, ""},
      {"data longer than size", "3\r\nhello\r\n0\r\n\r\n", Fail, S400, ""},
      {"CR CR after data", "5\r\nhello\r\r\n0\r\n\r\n", Fail, S400, ""},
      {"LF at end", "0\r\n\n", Fail, S400, ""},
      {"CR then junk at end", "0\r\n\rX", Fail, S400, ""},
      // ---- trailers
      {"too many trailers", "0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", Fail, S431, ""},
      {"trailers too large", "0\r\nX: 0123456789012345678901234567890123\r\n\r\n", Fail, S431, ""},
      {"trailer obs-fold", "0\r\nX: a\r\n b\r\n\r\n", Fail, S400, ""},
      {"trailer without colon", "0\r\nX\r\n\r\n", Fail, S400, ""},
      {"trailer empty name", "0\r\n: a\r\n\r\n", Fail, S400, ""},
      {"trailer space in name", "0\r\nX Y: a\r\n\r\n", Fail, S400, ""},
      {"trailer space before colon", "0\r\nX : a\r\n\r\n", Fail, S400, ""},
      {"trailer NUL in value", "0\r\nX: a\0b\r\n\r\n"s, Fail, S400, ""},
      {"trailer bare LF", "0\r\nX: a\n\r\n", Fail, S400, ""},
  };
  return r;
}

struct Outcome {
  ChunkedResult res;
  std::string body;
};

// Feeds `in` in pieces ending at each offset in `cuts` (then the whole).
Outcome run(const Row& row, const std::vector<size_t>& cuts) {
  std::string buf = row.input;
  std::span<char> region(buf.data(), buf.size());
  ChunkedDecoder dec(limits_for(row.lim));
  ChunkedResult res;
  for (size_t cut : cuts) {
    res = dec.feed(region.first(cut));
    if (res.state != ChunkedState::NeedMore) break;
    EXPECT_EQ(res.consumed, cut) << row.name;
  }
  if (res.state == ChunkedState::NeedMore || cuts.empty()) res = dec.feed(region);
  // A further call must not change anything.
  const ChunkedResult again = dec.feed(region);
  EXPECT_EQ(again.state, res.state) << row.name;
  EXPECT_EQ(again.consumed, res.consumed) << row.name;
  auto body = dec.body(region);
  return {res, std::string(body.data(), body.size())};
}

void check(const Row& row, const Outcome& o, const std::string& how) {
  SCOPED_TRACE(std::string(row.name) + " (" + how + ")");
  ASSERT_EQ(o.res.state, row.state) << o.res.error.reason;
  EXPECT_EQ(o.res.error.status, row.status) << o.res.error.reason;
  if (row.state == ChunkedState::Done) {
    EXPECT_EQ(o.body, row.body);
    EXPECT_EQ(o.res.consumed, row.input.size() - row.tail);
  } else if (row.state == ChunkedState::NeedMore) {
    EXPECT_EQ(o.res.consumed, row.input.size());
  } else {
    EXPECT_NE(o.res.error.reason, "");
  }
}

TEST(Chunked, RowsWhole) {
  for (const Row& row : rows()) check(row, run(row, {}), "whole");
}

TEST(Chunked, RowsSplitAtEveryByte) {
  for (const Row& row : rows())
    for (size_t k = 0; k <= row.input.size(); ++k)
      check(row, run(row, {k}), "split at " + std::to_string(k));
}

TEST(Chunked, RowsOneByteAtATime) {
  for (const Row& row : rows()) {
    std::vector<size_t> cuts;
    for (size_t k = 1; k <= row.input.size(); ++k) cuts.push_back(k);
    check(row, run(row, cuts), "bytewise");
  }
}

// The connection receives one byte at a time and compacts after every call:
// the decoded body must be the same and the pipelined tail must follow it.
TEST(Chunked, CompactAfterEveryByte) {
  for (const Row& row : rows()) {
    SCOPED_TRACE(row.name);
    std::string buf(row.input.size(), '\0');
    size_t have = 0;
    ChunkedDecoder dec(limits_for(row.lim));
    ChunkedResult res;
    for (char c : row.input) {
      buf[have++] = c;
      res = dec.feed(std::span<char>(buf.data(), have));
      if (res.state != ChunkedState::NeedMore) break;
      have = dec.compact(std::span<char>(buf.data(), have));
      EXPECT_EQ(have, dec.decoded_size());
    }
    if (row.input.empty()) res = dec.feed(std::span<char>(buf.data(), 0));
    ASSERT_EQ(res.state, row.state);
    EXPECT_EQ(res.error.status, row.status);
    if (res.state == ChunkedState::Done) {
      auto body = dec.body(std::span<char>(buf.data(), have));
      EXPECT_EQ(std::string(body.data(), body.size()), row.body);
    }
  }
}

// Streamed decoding (next(), the client's way): the same rows give the same
// state, status, body (the pieces joined) and consumed count, fed whole,
// split at every byte and one byte at a time; the input is never written.
Outcome stream(const Row& row, size_t piece) {
  const std::string input = row.input;
  ChunkedDecoder dec(limits_for(row.lim));
  Outcome o;
  std::string pending;
  size_t total = 0;
  const size_t step = piece == 0 ? std::max<size_t>(input.size(), 1) : piece;
  for (size_t at = 0; at <= input.size(); at += step) {
    pending.append(input, at, step);
    for (int guard = 0; guard < 100000; ++guard) {
      const ChunkedPiece p = dec.next(pending);
      o.body.append(p.data.data(), p.data.size());
      o.res = {p.state, p.error, 0};
      if (p.state == ChunkedState::Failed) return o;
      EXPECT_LE(p.consumed, pending.size());
      pending.erase(0, p.consumed);
      total += p.consumed;
      if (p.state == ChunkedState::Done || (p.data.empty() && pending.empty())) break;
    }
    if (o.res.state == ChunkedState::Done) break;
  }
  o.res.consumed = total;
  EXPECT_EQ(dec.consumed(), total);
  EXPECT_EQ(dec.decoded_size(), o.body.size());
  return o;
}

TEST(Chunked, RowsStreamed) {
  for (const Row& row : rows()) {
    for (size_t piece : {size_t{0}, size_t{1}, size_t{2}, size_t{5}}) {
      const Outcome o = stream(row, piece);
      check(row, o, "streamed in pieces of " + std::to_string(piece));
    }
    for (size_t k = 0; k <= row.input.size(); ++k) {
      // Two pieces: [0, k) then the rest.
      const std::string input = row.input;
      ChunkedDecoder dec(limits_for(row.lim));
      std::string pending = input.substr(0, k), body;
      ChunkedPiece p;
      size_t total = 0;
      bool second = false;
      for (int guard = 0; guard < 100000; ++guard) {
        p = dec.next(pending);
        body.append(p.data.data(), p.data.size());
        if (p.state != ChunkedState::NeedMore) break;
        pending.erase(0, p.consumed);
        total += p.consumed;
        if (p.data.empty() && pending.empty()) {
          if (second) break;
          pending = input.substr(k);
          second = true;
        }
      }
      if (p.state == ChunkedState::Done) total += p.consumed;
      check(row, {{p.state, p.error, total}, body}, "streamed, split at " + std::to_string(k));
    }
  }
}

TEST(Chunked, StreamedPiecesAreViewsIntoTheInput) {
  ChunkedDecoder dec;
  const std::string in = "5\r\nhello\r\n3;x=1\r\nabc\r\n0\r\nT: v\r\n\r\nNEXT";
  std::string_view rest = in;
  ChunkedPiece p = dec.next(rest);
  EXPECT_EQ(p.state, ChunkedState::NeedMore);
  EXPECT_EQ(p.data, "hello");
  EXPECT_EQ(p.data.data(), in.data() + 3);
  EXPECT_EQ(p.consumed, 8u);
  rest.remove_prefix(p.consumed);
  p = dec.next(rest);
  EXPECT_EQ(p.data, "abc");
  EXPECT_EQ(p.consumed, 12u);
  rest.remove_prefix(p.consumed);
  p = dec.next(rest);
  EXPECT_EQ(p.state, ChunkedState::Done);
  EXPECT_TRUE(p.data.empty());
  rest.remove_prefix(p.consumed);
  EXPECT_EQ(rest, "NEXT");
  EXPECT_EQ(dec.decoded_size(), 8u);
  EXPECT_EQ(dec.next(rest).consumed, 0u);  // settled
}

// Which failures are about size rather than grammar (a client's "too large").
TEST(Chunked, FailedOnSizeRows) {
  struct R { const char* input; Lim lim; Status status; bool size; };
  const std::vector<R> rows = {
      {"00000000000000005\r\n", Big, S400, true},  // 17 digits
      {"8000000000000001\r\n", Big, S400, true},   // above 2^63
      {"FFFFFFFFFFFFFFFF\r\n", Big, S400, true},
      {"11\r\n", Small, S413, true},               // above max_body
      {"5;aaaaaaaaaaaaaaaa\r\n", Small, S400, true},  // extensions above max_ext_bytes
      {"0\r\nA: 1\r\nB: 2\r\nC: 3\r\n", Small, S431, true},
      {"zz\r\n", Big, S400, false},
      {"5x\r\n", Big, S400, false},
      {"-5\r\n", Big, S400, false},
      {"5;\x01\r\n", Big, S400, false},
  };
  for (const R& r : rows) {
    SCOPED_TRACE(r.input);
    ChunkedDecoder dec(limits_for(r.lim));
    EXPECT_FALSE(dec.failed_on_size());
    const ChunkedPiece p = dec.next(r.input);
    ASSERT_EQ(p.state, ChunkedState::Failed);
    EXPECT_EQ(p.error.status, r.status);
    EXPECT_EQ(dec.failed_on_size(), r.size);
  }
}

}  // namespace
}  // namespace hs::http
