// Table tests of the response framer: each row is a byte stream and the
// responses (or the error) it frames into, fed whole and split at every byte.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "client/common/response_framer.hpp"

namespace hs::client {
namespace {

using Event = ResponseFramer::Event;

struct Framed {
  int status;
  std::string body;
  bool close;
};

struct Outcome {
  std::vector<Framed> responses;
  FrameErrc error = FrameErrc::none;
};

// Feeds `stream` in pieces of at most `piece` bytes (0: whole), then finish().
// `heads`: which responses answer HEAD, by index.
Outcome drive(const std::string& stream, size_t piece, FramerLimits limits = {},
              const std::vector<bool>& heads = {}) {
  Outcome out;
  ResponseFramer f(limits);
  std::string pending;
  std::string body;
  size_t index = 0;
  auto run = [&]() -> bool {  // false on error
    for (int guard = 0; guard < 100000; ++guard) {
      if (f.idle() && index < heads.size() && heads[index]) f.expect_head_response();
      const ResponseFramer::Step s = f.feed(pending);
      body.append(s.body.data(), s.body.size());
      pending.erase(0, s.consumed);
      if (s.event == Event::complete) {
        out.responses.push_back({f.info().status, body, f.info().close});
        body.clear();
        ++index;
      } else if (s.event == Event::error) {
        out.error = f.error().kind;
        return false;
      } else if (s.event == Event::need_more) {
        return true;
      }
    }
    ADD_FAILURE() << "framer did not settle";
    return false;
  };
  const size_t step = piece == 0 ? stream.size() : piece;
  for (size_t at = 0; at < stream.size(); at += step) {
    pending.append(stream, at, step);
    if (!run()) return out;
  }
  if (!run()) return out;
  const ResponseFramer::Step s = f.finish(pending.size());
  body.append(s.body.data(), s.body.size());
  if (s.event == Event::complete) out.responses.push_back({f.info().status, body, f.info().close});
  if (s.event == Event::error) out.error = f.error().kind;
  return out;
}

struct Row {
  const char* name;
  std::string stream;
  std::vector<Framed> responses;  // expected, in order
  FrameErrc error = FrameErrc::none;
  std::vector<bool> heads = {};
};

const std::vector<Row>& rows() {
  static const std::vector<Row> r = {
      {"content_length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", {{200, "hello", false}}},
      {"two_pipelined",
       "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 404 Not Found\r\ncontent-length: 2\r\n\r\nbc",
       {{200, "a", false}, {404, "bc", false}}},
      {"empty_reason", "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", {{200, "", false}}},
      {"no_reason", "HTTP/1.1 204\r\n\r\n", {{204, "", false}}},
      {"bare_lf_head", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", {{200, "ok", false}}},
      {"connection_close", "HTTP/1.1 400 Bad Request\r\nConnection: keep-alive, Close\r\nContent-Length: 0\r\n\r\n",
       {{400, "", true}}},
      {"http10_closes", "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", {{200, "x", true}}},
      {"http10_keep_alive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx",
       {{200, "x", false}}},
      {"chunked",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1;ext=1\r\n!\r\n0\r\nX-T: 1\r\n\r\n"
       "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz",
       {{200, "hello!", false}, {200, "z", false}}},
      {"chunked_wins_over_length",
       "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n",
       {{200, "ab", false}}},
      {"until_close", "HTTP/1.1 200 OK\r\n\r\nall of it", {{200, "all of it", true}}},
      {"other_coding_until_close", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz", {{200, "zz", true}}},
      {"no_body_304", "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
       {{304, "", false}, {200, "", false}}},
      {"interim_100", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
       {{100, "", false}, {201, "ok", false}}},
      {"head_response",
       "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
       {{200, "", false}, {200, "abc", false}},
       FrameErrc::none,
       {true, false}},
      {"same_length_twice", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nq", {{200, "q", false}}},
      // Errors.
      {"not_http", "SSH-2.0-OpenSSH\r\n", {}, FrameErrc::bad_status_line},
      {"http2", "HTTP/2 200\r\n\r\n", {}, FrameErrc::bad_status_line},
      {"short_status", "HTTP/1.1 20 OK\r\n\r\n", {}, FrameErrc::bad_status_line},
      {"status_letters", "HTTP/1.1 2x0 OK\r\n\r\n", {}, FrameErrc::bad_status_line},
      {"status_no_space", "HTTP/1.1 200OK\r\n\r\n", {}, FrameErrc::bad_status_line},
      {"two_lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", {}, FrameErrc::bad_framing},
      {"length_list", "HTTP/1.1 200 OK\r\nContent-Length: 1, 1\r\n\r\na", {}, FrameErrc::bad_framing},
      {"length_sign", "HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\na", {}, FrameErrc::bad_framing},
      {"length_huge", "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n", {}, FrameErrc::too_large},
      {"no_colon", "HTTP/1.1 200 OK\r\nContent-Length 1\r\n\r\na", {}, FrameErrc::bad_framing},
      {"space_in_name", "HTTP/1.1 200 OK\r\nContent Length: 1\r\n\r\na", {}, FrameErrc::bad_framing},
      {"obs_fold", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n", {}, FrameErrc::bad_framing},
      {"chunk_not_hex", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", {}, FrameErrc::bad_framing},
      {"chunk_no_crlf", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\naX\r\n0\r\n\r\n", {},
       FrameErrc::bad_framing},
      {"chunk_17_digits", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000001\r\n", {},
       FrameErrc::too_large},
      {"truncated_body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", {}, FrameErrc::truncated},
      {"truncated_head", "HTTP/1.1 200 OK\r\nContent-Len", {}, FrameErrc::truncated},
      {"truncated_chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", {}, FrameErrc::truncated},
  };
  return r;
}

TEST(ResponseFramer, RowsWholeAndSplitAtEveryByte) {
  for (const Row& row : rows()) {
    for (size_t piece : {size_t{0}, size_t{1}, size_t{2}, size_t{3}, size_t{7}}) {
      SCOPED_TRACE(std::string(row.name) + " piece " + std::to_string(piece));
      const Outcome got = drive(row.stream, piece, {}, row.heads);
      EXPECT_EQ(got.error, row.error) << to_string(got.error);
      if (row.error != FrameErrc::none) continue;
      ASSERT_EQ(got.responses.size(), row.responses.size());
      for (size_t i = 0; i < got.responses.size(); ++i) {
        EXPECT_EQ(got.responses[i].status, row.responses[i].status) << i;
        EXPECT_EQ(got.responses[i].body, row.responses[i].body) << i;
        EXPECT_EQ(got.responses[i].close, row.responses[i].close) << i;
      }
    }
  }
}

TEST(ResponseFramer, ErrorsBeforeTheEndReportResponsesBefore) {
  // The first response is framed; the second's bad status line is an error.
  const Outcome got = drive("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naGARBAGE", 0);
  ASSERT_EQ(got.responses.size(), 1u);
  EXPECT_EQ(got.error, FrameErrc::bad_status_line);
}

TEST(ResponseFramer, HeadLimit) {
  const std::string big = "HTTP/1.1 200 OK\r\nX: " + std::string(200, 'a') + "\r\nContent-Length: 0\r\n\r\n";
  EXPECT_EQ(drive(big, 0, {.max_head = 100}).error, FrameErrc::too_large);
  EXPECT_EQ(drive(big, 1, {.max_head = 100}).error, FrameErrc::too_large);
  EXPECT_EQ(drive(big, 0, {.max_head = 1000}).error, FrameErrc::none);
  // No newline at all: still refused once above the limit.
  EXPECT_EQ(drive("HTTP/1.1 200 " + std::string(200, 'x'), 1, {.max_head = 100}).error, FrameErrc::too_large);
}

TEST(ResponseFramer, BodyLimit) {
  EXPECT_EQ(drive("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", 0, {.max_body = 10}).error, FrameErrc::too_large);
  EXPECT_EQ(drive("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\nabcdef\r\n0\r\n\r\n", 1,
                  {.max_body = 10})
                .error,
            FrameErrc::too_large);
  EXPECT_EQ(drive("HTTP/1.1 200 OK\r\n\r\n" + std::string(11, 'b'), 4, {.max_body = 10}).error, FrameErrc::too_large);
}

TEST(ResponseFramer, InfoAndPieces) {
  ResponseFramer f;
  const std::string s = "HTTP/1.1 206 Partial Content\r\nContent-Length: 4\r\n\r\nab";
  ResponseFramer::Step st = f.feed(std::string_view(s).substr(0, 10));
  EXPECT_EQ(st.event, Event::need_more);
  EXPECT_EQ(st.consumed, 0u);
  st = f.feed(s);
  ASSERT_EQ(st.event, Event::head);
  EXPECT_EQ(st.consumed, s.size() - 2);
  EXPECT_EQ(f.info().status, 206);
  EXPECT_EQ(f.info().body, BodyKind::length);
  EXPECT_EQ(f.info().content_length, 4u);
  st = f.feed("ab");
  EXPECT_EQ(st.event, Event::body);
  EXPECT_EQ(st.body, "ab");
  st = f.feed("");
  EXPECT_EQ(st.event, Event::need_more);
  st = f.feed("cdHTTP");
  EXPECT_EQ(st.event, Event::complete);
  EXPECT_EQ(st.consumed, 2u);
  EXPECT_EQ(st.body, "cd");
  EXPECT_EQ(f.info().body_bytes, 4u);
  EXPECT_TRUE(f.idle());
  EXPECT_EQ(f.finish(0).event, Event::need_more);
  // Errors are sticky.
  st = f.feed("XTTP/1.1 200 OK\r\n\r\n");
  EXPECT_EQ(st.event, Event::error);
  EXPECT_EQ(f.error().kind, FrameErrc::bad_status_line);
  EXPECT_EQ(f.feed("HTTP/1.1 200 OK\r\n\r\n").event, Event::error);
  f.reset();
  EXPECT_EQ(f.feed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").event, Event::complete);
}

}  // namespace
}  // namespace hs::client
