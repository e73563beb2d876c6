// Response head writer and HTTP dates: rows of (time -> IMF-fixdate), (date
// text -> Unix seconds or rejection), and writer sequences -> bytes or error.
#include "http/response_writer.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace hs::http {
namespace {

TEST(HttpDate, FormatRows) {
  struct R { int64_t t; std::string_view text; };
  const std::vector<R> rows = {
      {0, "Thu, 01 Jan 1970 00:00:00 GMT"},
      {784111777, "Sun, 06 Nov 1994 08:49:37 GMT"},
      {951782400, "Tue, 29 Feb 2000 00:00:00 GMT"},
      {1700000000, "Tue, 14 Nov 2023 22:13:20 GMT"},
      {-1, "Wed, 31 Dec 1969 23:59:59 GMT"},
      {4102444800, "Fri, 01 Jan 2100 00:00:00 GMT"},
      {253402300799, "Fri, 31 Dec 9999 23:59:59 GMT"},
      {std::numeric_limits<int64_t>::max(), "Fri, 31 Dec 9999 23:59:59 GMT"},
      {std::numeric_limits<int64_t>::min(), "Sat, 01 Jan 0000 00:00:00 GMT"},
  };
  for (const R& r : rows) {
    SCOPED_TRACE(r.t);
    char buf[kHttpDateLen];
    format_http_date(r.t, buf);
    EXPECT_EQ(std::string_view(buf, kHttpDateLen), r.text);
  }
}

TEST(HttpDate, ParseRows) {
  constexpr int64_t kNow2026 = 1795334400;  // 2026-11-22
  struct R { std::string_view text; std::optional<int64_t> want; int64_t now = 0; };
  const std::vector<R> rows = {
      {"Sun, 06 Nov 1994 08:49:37 GMT", 784111777},
      {"Sunday, 06-Nov-94 08:49:37 GMT", 784111777},
      {"Sun Nov  6 08:49:37 1994", 784111777},
      {"Sun Nov 06 08:49:37 1994", 784111777},
      {"Tue, 29 Feb 2000 00:00:00 GMT", 951782400},
      {"Thu, 01 Jan 1970 00:00:00 GMT", 0},
      {"Wed, 31 Dec 1969 23:59:59 GMT", -1},
      {"Fri, 31 Dec 9999 23:59:59 GMT", 253402300799},
      {"Mon, 06 Nov 1994 08:49:37 GMT", 784111777},  // day name not checked against the date
      {"Sun, 06 Nov 1994 08:49:60 GMT", 784111800},  // leap second
      {"Thursday, 01-Jan-70 00:00:00 GMT", 0},
      {"Tuesday, 31-Dec-69 23:59:59 GMT", 3155759999},
      {"Friday, 01-Jan-49 00:00:00 GMT", 2493072000, kNow2026},
      {"Saturday, 01-Jan-77 00:00:00 GMT", 220924800, kNow2026},
      // rejected
      {"", std::nullopt},
      {"Sun, 06 Nov 1994 08:49:37 UTC", std::nullopt},
      {"Sun, 06 Nov 1994 08:49:37 gmt", std::nullopt},
      {"Sun, 06 Nov 1994 08:49:37 GMT ", std::nullopt},
      {" Sun, 06 Nov 1994 08:49:37 GMT", std::nullopt},
      {"Sun, 6 Nov 1994 08:49:37 GMT", std::nullopt},
      {"Sun, 00 Nov 1994 08:49:37 GMT", std::nullopt},
      {"Sun, 31 Nov 1994 08:49:37 GMT", std::nullopt},
      {"Thu, 29 Feb 1900 00:00:00 GMT", std::nullopt},
      {"Sun, 06 Nov 1994 24:00:00 GMT", std::nullopt},
      {"Sun, 06 Nov 1994 08:60:00 GMT", std::nullopt},
      {"Sun, 06 Nov 1994 08:49:61 GMT", std::nullopt},
      {"Sun, 06 Xyz 1994 08:49:37 GMT", std::nullopt},
      {"Sun, 06 nov 1994 08:49:37 GMT", std::nullopt},
      {"Foo, 06 Nov 1994 08:49:37 GMT", std::nullopt},
      {"Sun, 06 Nov 94 08:49:37 GMT", std::nullopt},
      {"Sun, 06 Nov 1994 8:49:37 GMT", std::nullopt},
      {"Sunday, 06 Nov 1994 08:49:37 GMT", std::nullopt},
      {"Sun, 06-Nov-94 08:49:37 GMT", std::nullopt},
      {"Sunday, 06-Nov-1994 08:49:37 GMT", std::nullopt},
      {"Sunday, 06-Nov-94 08:49:37", std::nullopt},
      {"Sun Nov 6 08:49:37 1994", std::nullopt},
      {"Sun Nov  6 08:49:37 94", std::nullopt},
      {"Sun Nov  6 08:49:37 1994 GMT", std::nullopt},
      {"1994-11-06T08:49:37Z", std::nullopt},
  };
  for (const R& r : rows) {
    SCOPED_TRACE(r.text);
    EXPECT_EQ(parse_http_date(r.text, r.now), r.want);
  }
}

TEST(HttpDate, FormatThenParseRoundTrips) {
  char buf[kHttpDateLen];
  for (int64_t t = -400LL * 366 * 86400; t < 400LL * 366 * 86400; t += 86400 * 3 + 7919) {
    format_http_date(t, buf);
    ASSERT_EQ(parse_http_date(std::string_view(buf, kHttpDateLen)), t);
  }
}

TEST(DateCache, FormatsOncePerSecond) {
  DateCache dc;
  EXPECT_EQ(dc.get(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(dc.get(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(dc.formats(), 1u);
  EXPECT_EQ(dc.get(784111778), "Sun, 06 Nov 1994 08:49:38 GMT");
  EXPECT_EQ(dc.formats(), 2u);
  EXPECT_EQ(dc.get(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");  // clock went back
  EXPECT_EQ(dc.formats(), 3u);
  DateCache zero;
  EXPECT_EQ(zero.get(0), "Thu, 01 Jan 1970 00:00:00 GMT");
}

constexpr std::string_view kHead =
    "HTTP/1.1 200 OK\r\n"
    "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
    "Content-Length: 5\r\n"
    "Connection: keep-alive\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n";

Error write_standard(ResponseWriter& w) {
  DateCache dc;
  w.status_line(Status::Ok);
  w.date(dc.get(784111777));
  w.content_length(5);
  w.connection(true);
  w.header("Content-Type", "text/plain");
  return w.end();
}

TEST(ResponseWriter, StandardHead) {
  char buf[256];
  ResponseWriter w(buf);
  EXPECT_FALSE(write_standard(w));
  EXPECT_TRUE(w.complete());
  EXPECT_EQ(w.view(), kHead);
}

// Every buffer size: either the whole head, or a 500 with only whole lines
// written (a prefix of the head ending in CRLF, or nothing).
TEST(ResponseWriter, EveryBufferSize) {
  for (size_t n = 0; n <= kHead.size() + 1; ++n) {
    SCOPED_TRACE(n);
    std::string buf(n, '\0');
    ResponseWriter w(std::span<char>(buf.data(), n));
    const Error e = write_standard(w);
    if (n >= kHead.size()) {
      EXPECT_FALSE(e);
      EXPECT_EQ(w.view(), kHead);
      continue;
    }
    EXPECT_EQ(e.status, Status::InternalServerError);
    EXPECT_EQ(w.error().status, Status::InternalServerError);
    EXPECT_FALSE(w.complete());
    EXPECT_EQ(kHead.substr(0, w.size()), w.view());
    if (w.size() > 0) {
      EXPECT_EQ(w.view().substr(w.size() - 2), "\r\n");
    }
  }
}

TEST(ResponseWriter, Rows) {
  using Op = Error (*)(ResponseWriter&);
  struct R { const char* name; std::vector<Op> ops; std::string_view want; bool ok; };
  const std::vector<R> rows = {
      {"404 close",
       {[](ResponseWriter& w) { return w.status_line(Status::NotFound); },
        [](ResponseWriter& w) { return w.content_length(0); },
        [](ResponseWriter& w) { return w.connection(false); },
        [](ResponseWriter& w) { return w.end(); }},
       "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", true},
      {"custom status, big length, Last-Modified",
       {[](ResponseWriter& w) { return w.status_line(299, "Whatever It Is"); },
        [](ResponseWriter& w) { return w.content_length(18446744073709551615u); },
        [](ResponseWriter& w) { return w.http_date("Last-Modified", 0); },
        [](ResponseWriter& w) { return w.end(); }},
       "HTTP/1.1 299 Whatever It Is\r\nContent-Length: 18446744073709551615\r\n"
       "Last-Modified: Thu, 01 Jan 1970 00:00:00 GMT\r\n\r\n", true},
      {"empty value and tab inside",
       {[](ResponseWriter& w) { return w.status_line(Status::NoContent); },
        [](ResponseWriter& w) { return w.header("X-A", ""); },
        [](ResponseWriter& w) { return w.header("X-B", "a\tb"); },
        [](ResponseWriter& w) { return w.end(); }},
       "HTTP/1.1 204 No Content\r\nX-A: \r\nX-B: a\tb\r\n\r\n", true},
      {"CRLF in value (response splitting)",
       {[](ResponseWriter& w) { return w.status_line(Status::Ok); },
        [](ResponseWriter& w) { return w.header("X", "a\r\nSet-Cookie: x"); }},
       "HTTP/1.1 200 OK\r\n", false},
      {"NUL in value",
       {[](ResponseWriter& w) { return w.status_line(Status::Ok); },
        [](ResponseWriter& w) { return w.header("X", std::string_view("a\0b", 3)); }},
       "HTTP/1.1 200 OK\r\n", false},
      {"space in name",
       {[](ResponseWriter& w) { return w.status_line(Status::Ok); },
        [](ResponseWriter& w) { return w.header("X Y", "a"); }},
       "HTTP/1.1 200 OK\r\n", false},
      {"empty name",
       {[](ResponseWriter& w) { return w.status_line(Status::Ok); },
        [](ResponseWriter& w) { return w.header("", "a"); }},
       "HTTP/1.1 200 OK\r\n", false},
      {"leading space in value",
       {[](ResponseWriter& w) { return w.status_line(Status::Ok); },
        [](ResponseWriter& w) { return w.header("X", " a"); }},
       "HTTP/1.1 200 OK\r\n", false},
      {"field before status line", {[](ResponseWriter& w) { return w.header("X", "a"); }}, "", false},
      {"status line twice",
       {[](ResponseWriter& w) { return w.status_line(Status::Ok); },
        [](ResponseWriter& w) { return w.status_line(Status::Ok); }},
       "HTTP/1.1 200 OK\r\n", false},
      {"field after end",
       {[](ResponseWriter& w) { return w.status_line(Status::Ok); },
        [](ResponseWriter& w) { return w.end(); },
        [](ResponseWriter& w) { return w.header("X", "a"); }},
       "HTTP/1.1 200 OK\r\n\r\n", false},
      {"end without status", {[](ResponseWriter& w) { return w.end(); }}, "", false},
      {"status code 1000", {[](ResponseWriter& w) { return w.status_line(1000, "X"); }}, "", false},
      {"CR in reason", {[](ResponseWriter& w) { return w.status_line(200, "O\rK"); }}, "", false},
      {"sticky error",
       {[](ResponseWriter& w) { return w.status_line(Status::Ok); },
        [](ResponseWriter& w) { return w.header("X Y", "a"); },
        [](ResponseWriter& w) { return w.header("X", "a"); }},
       "HTTP/1.1 200 OK\r\n", false},
  };
  for (const R& r : rows) {
    SCOPED_TRACE(r.name);
    char buf[256];
    ResponseWriter w(buf);
    Error last;
    for (Op op : r.ops) last = op(w);
    EXPECT_EQ(!last, r.ok) << last.reason;
    EXPECT_EQ(!w.error(), r.ok);
    if (!r.ok) {
      EXPECT_EQ(w.error().status, Status::InternalServerError);
    }
    EXPECT_EQ(w.view(), r.want);
  }
}

// Status line last (the connection's way): fields first after a gap, the
// status line then right before them; the head is one contiguous range.
TEST(ResponseWriter, StatusLastRows) {
  using Op = Error (*)(ResponseWriter&);
  struct R { const char* name; size_t gap; std::vector<Op> ops; std::string_view want; bool ok; bool no_room = false; };
  const std::vector<R> rows = {
      {"fields then status",
       64,
       {[](ResponseWriter& w) { return w.header("Content-Type", "text/plain"); },
        [](ResponseWriter& w) { return w.status_line(Status::NotFound); },
        [](ResponseWriter& w) { return w.content_length(3); },
        [](ResponseWriter& w) { return w.end(); }},
       "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\n", true},
      {"no fields", 64,
       {[](ResponseWriter& w) { return w.status_line(Status::NoContent); },
        [](ResponseWriter& w) { return w.end(); }},
       "HTTP/1.1 204 No Content\r\n\r\n", true},
      {"gap exactly the status line", 17,
       {[](ResponseWriter& w) { return w.status_line(Status::Ok); },
        [](ResponseWriter& w) { return w.end(); }},
       "HTTP/1.1 200 OK\r\n\r\n", true},
      {"gap one byte short", 16, {[](ResponseWriter& w) { return w.status_line(Status::Ok); }}, "", false, true},
      {"end before the status line", 64,
       {[](ResponseWriter& w) { return w.header("X", "a"); }, [](ResponseWriter& w) { return w.end(); }},
       "X: a\r\n", false},
      {"status line twice", 64,
       {[](ResponseWriter& w) { return w.status_line(Status::Ok); },
        [](ResponseWriter& w) { return w.status_line(Status::Ok); }},
       "HTTP/1.1 200 OK\r\n", false},
      {"CRLF in a value before the status", 64,
       {[](ResponseWriter& w) { return w.header("X", "a\r\nSet-Cookie: 1"); },
        [](ResponseWriter& w) { return w.status_line(Status::Ok); }},
       "", false},
      {"LF in a long value", 64,
       {[](ResponseWriter& w) { return w.header("X", "0123456789abcdef\n0123456789"); }}, "", false},
      {"DEL in a value of eight", 64,
       {[](ResponseWriter& w) { return w.header("X", "abcdefg\x7f"); }}, "", false},
      {"tab in a value of four", 64,
       {[](ResponseWriter& w) { return w.header("X", "a\tbc"); }}, "X: a\tbc\r\n", true},
      {"custom reason with LF", 64,
       {[](ResponseWriter& w) { return w.status_line(200, "O\nK"); }}, "", false},
      {"runtime name not a token", 64,
       {[](ResponseWriter& w) { return w.header(FieldName(std::string_view("A\r\nB")), "1"); }}, "", false},
  };
  for (const R& r : rows) {
    SCOPED_TRACE(r.name);
    char buf[256];
    ResponseWriter w = ResponseWriter::status_last(buf, r.gap);
    Error last;
    for (Op op : r.ops) last = op(w);
    EXPECT_EQ(!last, r.ok) << last.reason;
    EXPECT_EQ(w.out_of_room(), r.no_room);
    EXPECT_EQ(w.view(), r.want);
    EXPECT_EQ(w.view().data(), buf + w.start());
  }
}

// reserve(n) keeps n bytes free for later fields; a field that would take
// them is refused as too large, and reserve(0) gives them back.
TEST(ResponseWriter, Reserve) {
  char buf[64];
  ResponseWriter w = ResponseWriter::status_last(buf, 20);
  w.reserve(29);
  EXPECT_FALSE(w.header("A", "0123456789"));  // 15 bytes: 35 used, 29 free
  EXPECT_TRUE(w.header("B", "1"));            // 6 more would leave 23 < 29
  EXPECT_TRUE(w.out_of_room());
  w.reset();
  EXPECT_FALSE(w.error());
  EXPECT_FALSE(w.header("A", "0123456789"));
  w.reserve(0);
  EXPECT_FALSE(w.header("B", "1"));
  EXPECT_FALSE(w.status_line(Status::Ok));
  EXPECT_FALSE(w.end());
  EXPECT_EQ(w.view(), "HTTP/1.1 200 OK\r\nA: 0123456789\r\nB: 1\r\n\r\n");
}

// Literal names are checked when compiled; runtime ones when made.
static_assert(FieldName("Content-Type").token());
static_assert(!FieldName("Content Type").token());
static_assert(!FieldName("").token());
static_assert(!FieldName(std::string_view("X\r\n")).token());

TEST(ResponseWriter, Reset) {
  char buf[8];
  ResponseWriter w(buf);
  EXPECT_TRUE(w.status_line(Status::Ok));
  w.reset();
  EXPECT_FALSE(w.error());
  EXPECT_EQ(w.size(), 0u);
}

}  // namespace
}  // namespace hs::http
