// Sans-I/O tests of the connection state machine: keep-alive, pipelining,
// cancellation after an error, every status it decides, and each timeout with
// an injected clock. Every test runs under both compaction modes.
#include "conn/connection.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "conn/memory_peer.hpp"
#include "response_reader.hpp"
#include "test_service.hpp"

namespace hs::conn {
namespace {

using testing::ParsedResponse;
using testing::split_responses;
using testing::TestService;

std::string get(std::string_view path, std::string_view extra = "") {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra) + "\r\n";
}

class ConnectionTest : public ::testing::TestWithParam<Compaction> {
protected:
  Limits limits() const {
    Limits l;
    l.buffer_size = 2048;
    l.max_target = 512;
    l.max_headers = 16;
    l.max_pipeline = 16;
    l.compaction = GetParam();
    return l;
  }
  std::vector<ParsedResponse> responses(const MemoryPeer& peer) {
    std::vector<ParsedResponse> list;
    EXPECT_TRUE(split_responses(peer.output, list)) << peer.output;
    return list;
  }
  TestService service;
};

TEST_P(ConnectionTest, AnswersOneRequestAndKeepsTheConnection) {
  MemoryPeer peer(limits(), service);
  peer.send(get("/hello"), 1);
  auto list = responses(peer);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].status, 200);
  EXPECT_EQ(list[0].body, "hello");
  EXPECT_TRUE(list[0].has_field("\r\nDate: "));
  EXPECT_FALSE(list[0].has_field("Connection: close"));
  EXPECT_FALSE(peer.conn.finished());
  EXPECT_FALSE(peer.buffer_attached()) << "an idle keep-alive connection must not pin a buffer";
  EXPECT_EQ(peer.responders_in_use(), 0u);
}

TEST_P(ConnectionTest, KeepAliveServesSequentialRequests) {
  MemoryPeer peer(limits(), service);
  for (int i = 0; i < 5; ++i) peer.send(get("/n/" + std::to_string(i)), i);
  auto list = responses(peer);
  ASSERT_EQ(list.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(list[i].body, "/n/" + std::to_string(i));
}

void expect_pipelined_in_order(ConnectionTest* t, MemoryPeer& peer, int n) {
  std::string all;
  for (int i = 0; i < n; ++i) all += get("/n/" + std::to_string(i) + std::string(i % 7, 'x'));
  EXPECT_EQ(peer.send(all, 1), all.size());
  std::vector<ParsedResponse> list;
  ASSERT_TRUE(split_responses(peer.output, list));
  ASSERT_EQ(list.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) EXPECT_EQ(list[i].body, "/n/" + std::to_string(i) + std::string(i % 7, 'x'));
  EXPECT_EQ(peer.responders_in_use(), 0u);
  (void)t;
}

TEST_P(ConnectionTest, PipelinesEightInOneRead) {
  MemoryPeer peer(limits(), service);
  expect_pipelined_in_order(this, peer, 8);
}

TEST_P(ConnectionTest, PipelinesSixtyFourBeyondTheDepthLimitInOrder) {
  MemoryPeer peer(limits(), service);
  expect_pipelined_in_order(this, peer, 64);
}

TEST_P(ConnectionTest, SplitAtEveryByteGivesTheSameAnswers) {
  std::string all = get("/n/a") + "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" +
                    "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n" +
                    get("/n/b");
  MemoryPeer whole(limits(), service);
  whole.send(all, 1);
  for (size_t split = 1; split < all.size(); ++split) {
    MemoryPeer peer(limits(), service);
    peer.send(std::string_view(all).substr(0, split), 1);
    peer.send(std::string_view(all).substr(split), 2);
    ASSERT_EQ(peer.output, whole.output) << "split at " << split;
  }
  auto list = responses(whole);
  ASSERT_EQ(list.size(), 4u);
  EXPECT_EQ(list[1].body, "hello");
  EXPECT_EQ(list[2].body, "abc");
}

TEST_P(ConnectionTest, ByteByByteDelivery) {
  std::string all = get("/n/1") + get("/n/2") + get("/n/3");
  MemoryPeer peer(limits(), service);
  for (char c : all) peer.send(std::string_view(&c, 1), 1);
  auto list = responses(peer);
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[2].body, "/n/3");
}

TEST_P(ConnectionTest, ErrorInTheMiddleCancelsLaterRequests) {
  std::string all = get("/n/1") + get("/n/2") + "GET /bad HTTP/1.1\r\nHost: x\r\nBad Field : 1\r\n\r\n" + get("/n/4");
  MemoryPeer peer(limits(), service);
  peer.send(all, 1);
  auto list = responses(peer);
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].body, "/n/1");
  EXPECT_EQ(list[1].body, "/n/2");
  EXPECT_EQ(list[2].status, 400);
  EXPECT_TRUE(list[2].has_field("Connection: close"));
  EXPECT_TRUE(peer.conn.finished());
  EXPECT_EQ(peer.responders_in_use(), 0u);
}

struct StatusRow {
  const char* name;
  std::string request;
  int status;
  bool closes;
};

TEST_P(ConnectionTest, EveryStatusTheConnectionDecides) {
  const std::string long_target = "/" + std::string(600, 'a');
  const std::vector<StatusRow> rows = {
      {"ok", get("/hello"), 200, false},
      {"not found", get("/nope"), 404, false},
      {"method not allowed", "DELETE /hello HTTP/1.1\r\nHost: x\r\n\r\n", 405, false},
      {"not found, empty body keeps the connection", "POST /nope HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 404, false},
      {"malformed", "GET /hello HTTP/1.1\r\nHost x\r\n\r\n", 400, true},
      {"bad target", get("/a/../../etc/passwd"), 400, true},
      {"encoded slash", get("/a%2fb"), 400, true},
      {"version", "GET /hello HTTP/2.0\r\nHost: x\r\n\r\n", 505, true},
      {"uri too long", get(long_target), 414, true},
      {"too many fields", get("/hello", [] { std::string s; for (int i = 0; i < 20; ++i) s += "X-" + std::to_string(i) + ": v\r\n"; return s; }()), 431, true},
      {"head too large", get("/hello", "X-Big: " + std::string(2100, 'b') + "\r\n"), 431, true},
      {"body too large for route", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n", 413, true},
      {"body on a route without body", "POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", 405, true},
      {"body larger than buffer", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 99999\r\n\r\n", 413, true},
      {"smuggling CL+TE", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400, true},
      {"bad chunk", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, true},
      {"response overflow", get("/big"), 500, false},
  };
  for (const StatusRow& row : rows) {
    MemoryPeer peer(limits(), service);
    peer.send(row.request, 1);
    std::vector<ParsedResponse> list;
    ASSERT_TRUE(split_responses(peer.output, list)) << row.name;
    ASSERT_EQ(list.size(), 1u) << row.name << "\n" << peer.output;
    EXPECT_EQ(list[0].status, row.status) << row.name;
    EXPECT_TRUE(list[0].has_field("Content-Length: ")) << row.name;
    EXPECT_EQ(list[0].has_field("Connection: close"), row.closes) << row.name;
    EXPECT_EQ(peer.conn.finished(), row.closes) << row.name;
    EXPECT_EQ(peer.responders_in_use(), 0u) << row.name;
  }
}

// A handler's field goes through the head writer: a name that is not a token
// or a value with CR, LF or another control byte would end the field (or the
// head) early and smuggle another; the connection answers 500 instead, with
// none of the handler's fields, and keeps the connection (the framing of the
// stream is intact). Valid values leave byte for byte as given.
TEST_P(ConnectionTest, HandlerFieldsAreCheckedBeforeTheyLeave) {
  struct Row {
    const char* name;
    std::string path;   // /field-value or /field-name
    std::string body;   // the value (or the name) the handler writes
    int status;
    std::string field;  // 200: the field as sent
  };
  const std::vector<Row> rows = {
      {"plain value", "/field-value", "abc", 200, "\r\nX-Echo: abc\r\n"},
      {"tab inside", "/field-value", "a\tb", 200, "\r\nX-Echo: a\tb\r\n"},
      {"obs-text", "/field-value", "caf\xc3\xa9", 200, "\r\nX-Echo: caf\xc3\xa9\r\n"},
      {"empty value", "/field-value", "", 200, "\r\nX-Echo: \r\n"},
      {"long value", "/field-value", std::string(100, 'v'), 200, "\r\nX-Echo: " + std::string(100, 'v') + "\r\n"},
      {"CRLF smuggles a field", "/field-value", "a\r\nSet-Cookie: x=1", 500, ""},
      {"CRLF CRLF ends the head", "/field-value", "a\r\n\r\nHTTP/1.1 200 OK", 500, ""},
      {"bare LF", "/field-value", "a\nSet-Cookie: x=1", 500, ""},
      {"bare CR", "/field-value", "a\rb", 500, ""},
      {"CR in a long value", "/field-value", std::string(40, 'v') + "\r" + std::string(40, 'v'), 500, ""},
      {"LF last", "/field-value", "abc\n", 500, ""},
      {"NUL", "/field-value", std::string("a\0b", 3), 500, ""},
      {"DEL", "/field-value", "a\x7f", 500, ""},
      {"other control byte", "/field-value", "a\x01b", 500, ""},
      {"leading space", "/field-value", " a", 500, ""},
      {"trailing tab", "/field-value", "a\t", 500, ""},
      {"token name", "/field-name", "X-Ok", 200, "\r\nX-Ok: 1\r\n"},
      {"name with CRLF", "/field-name", "X\r\nSet-Cookie", 500, ""},
      {"name with space", "/field-name", "X Y", 500, ""},
      {"name with colon", "/field-name", "X:", 500, ""},
      {"empty name", "/field-name", "", 500, ""},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    MemoryPeer peer(limits(), service);
    const std::string request = "POST " + row.path + " HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                                std::to_string(row.body.size()) + "\r\n\r\n" + row.body;
    peer.send(request + get("/hello"), 1);  // the next request is still answered
    std::vector<ParsedResponse> list;
    ASSERT_TRUE(split_responses(peer.output, list)) << peer.output;
    ASSERT_EQ(list.size(), 2u) << peer.output;
    EXPECT_EQ(list[0].status, row.status);
    EXPECT_EQ(list[1].status, 200);
    EXPECT_FALSE(peer.conn.finished());
    EXPECT_EQ(peer.responders_in_use(), 0u);
    if (row.status == 200) {
      EXPECT_TRUE(list[0].has_field(row.field)) << list[0].head;
      EXPECT_EQ(list[0].body, "ok");
    } else {
      EXPECT_FALSE(list[0].has_field("Set-Cookie")) << list[0].head;
      EXPECT_FALSE(list[0].has_field("X-")) << list[0].head;
      EXPECT_TRUE(list[0].body.starts_with("500 Internal Server Error: invalid header field ")) << list[0].body;
    }
  }
}

TEST_P(ConnectionTest, MethodNotAllowedCarriesAllow) {
  MemoryPeer peer(limits(), service);
  peer.send("PUT /hello HTTP/1.1\r\nHost: x\r\n\r\n", 1);
  auto list = responses(peer);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_TRUE(list[0].has_field("\r\nAllow: GET, HEAD\r\n"));
}

TEST_P(ConnectionTest, HeadHasTheFieldsButNoBody) {
  MemoryPeer peer(limits(), service);
  peer.send("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n", 1);
  EXPECT_NE(peer.output.find("Content-Length: 5\r\n"), std::string::npos);
  EXPECT_TRUE(peer.output.ends_with("\r\n\r\n")) << peer.output;
}

TEST_P(ConnectionTest, Http10ClosesUnlessKeepAlive) {
  MemoryPeer closes(limits(), service);
  closes.send("GET /hello HTTP/1.0\r\n\r\n", 1);
  EXPECT_NE(closes.output.find("Connection: close"), std::string::npos);
  EXPECT_TRUE(closes.conn.finished());

  MemoryPeer keeps(limits(), service);
  keeps.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 1);
  EXPECT_NE(keeps.output.find("Connection: keep-alive"), std::string::npos);
  EXPECT_FALSE(keeps.conn.finished());
}

TEST_P(ConnectionTest, ConnectionCloseIsHonoured) {
  MemoryPeer peer(limits(), service);
  peer.send(get("/hello", "Connection: close\r\n") + get("/hello"), 1);
  auto list = responses(peer);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_TRUE(list[0].has_field("Connection: close"));
  EXPECT_TRUE(peer.conn.finished());
}

TEST_P(ConnectionTest, ExpectContinueGetsAnInterimResponse) {
  MemoryPeer peer(limits(), service);
  peer.send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n", 1);
  EXPECT_EQ(peer.output, "HTTP/1.1 100 Continue\r\n\r\n");
  peer.send("ping", 2);
  EXPECT_NE(peer.output.find("\r\n\r\nping"), std::string::npos);
}

TEST_P(ConnectionTest, BodyArrivesAcrossReads) {
  MemoryPeer peer(limits(), service);
  peer.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01234", 1);
  EXPECT_TRUE(peer.output.empty());
  EXPECT_TRUE(peer.buffer_attached());
  peer.send("56789", 2);
  auto list = responses(peer);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].body, "0123456789");
}

TEST_P(ConnectionTest, HeaderTimeoutAnswers408AndCloses) {
  MemoryPeer peer(limits(), service);
  peer.send("GET /hello HTTP/1.1\r\nHo", 100);
  Limits l = limits();
  EXPECT_EQ(peer.conn.deadline(), l.header_timeout);  // from the accept at t=0
  peer.timeout(peer.conn.deadline());
  auto list = responses(peer);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].status, 408);
  EXPECT_TRUE(peer.conn.finished());
}

TEST_P(ConnectionTest, SlowlorisCannotExtendTheHeaderTimeout) {
  MemoryPeer peer(limits(), service);
  peer.send(get("/hello"), 0);  // first request done; keep-alive
  peer.output.clear();
  const core::Millis start = 1000;
  peer.send("G", start);
  for (int i = 1; i < 9; ++i) peer.send("X", start + i * 1000);  // one byte a second
  EXPECT_EQ(peer.conn.deadline(), start + limits().header_timeout);
}

TEST_P(ConnectionTest, IdleKeepAliveClosesSilently) {
  MemoryPeer peer(limits(), service);
  peer.send(get("/hello"), 500);
  peer.output.clear();
  EXPECT_EQ(peer.conn.deadline(), 500 + limits().keepalive_timeout);
  peer.timeout(peer.conn.deadline());
  EXPECT_TRUE(peer.output.empty());
  EXPECT_TRUE(peer.conn.finished());
}

TEST_P(ConnectionTest, BodyTimeoutAnswers408) {
  MemoryPeer peer(limits(), service);
  peer.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01", 200);
  EXPECT_EQ(peer.conn.deadline(), 200 + limits().body_timeout);
  peer.timeout(peer.conn.deadline());
  auto list = responses(peer);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].status, 408);
}

TEST_P(ConnectionTest, WaitsForAResponderInsteadOfFailing) {
  // Two responders, a client that does not read: requests wait in the buffer.
  MemoryPeer peer(limits(), service, /*responders=*/2, /*max_write=*/0);
  std::string all;
  for (int i = 0; i < 5; ++i) all += get("/n/" + std::to_string(i));
  peer.send(all, 1);
  EXPECT_EQ(peer.responders_in_use(), 2u);
  EXPECT_TRUE(peer.conn.waiting_for_responder());
  EXPECT_EQ(peer.conn.deadline(), 1 + limits().send_timeout);
  peer.timeout(peer.conn.deadline());  // the client never reads: closed
  EXPECT_TRUE(peer.conn.finished());
}

TEST_P(ConnectionTest, PartialWritesKeepOrder) {
  MemoryPeer peer(limits(), service, 8, /*max_write=*/7);
  std::string all;
  for (int i = 0; i < 12; ++i) all += get("/n/" + std::to_string(i));
  peer.send(all, 1);
  auto list = responses(peer);
  ASSERT_EQ(list.size(), 12u);
  EXPECT_EQ(list[11].body, "/n/11");
}

TEST_P(ConnectionTest, StopKeepAliveClosesAfterTheNextResponse) {
  MemoryPeer peer(limits(), service);
  peer.send(get("/n/1"), 1);
  peer.conn.stop_keep_alive();  // shutdown begins
  EXPECT_FALSE(peer.conn.finished());
  peer.send(get("/n/2") + get("/n/3"), 2);
  auto list = responses(peer);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_FALSE(list[0].has_field("Connection: close"));
  EXPECT_TRUE(list[1].has_field("Connection: close"));
  EXPECT_TRUE(peer.conn.finished());
}

TEST_P(ConnectionTest, PeerCloseAfterRequestsStillAnswersThem) {
  MemoryPeer peer(limits(), service);
  peer.send(get("/n/1") + get("/n/2"), 1);
  peer.peer_closed(2);
  EXPECT_EQ(responses(peer).size(), 2u);
  EXPECT_TRUE(peer.conn.finished());
}

INSTANTIATE_TEST_SUITE_P(Compaction, ConnectionTest,
                         ::testing::Values(Compaction::Memmove, Compaction::Readv),
                         [](const auto& info) { return info.param == Compaction::Memmove ? "memmove" : "readv"; });

}  // namespace
}  // namespace hs::conn
