// ResponderHooks (conn/responder.hpp): a body produced in pieces as the
// connection writes counts in Content-Length, leaves whole and in order
// whatever the write sizes, is dropped for HEAD, and a refill that fails or
// produces nothing closes the connection instead of sending less. release()
// runs once per responder, sent or abandoned.
#include <gtest/gtest.h>

#include <string>

#include "conn/memory_peer.hpp"

namespace hs::conn {
namespace {

// GET /stream/N: N pieces "<i>:abcdefgh\n" after the first body "start\n".
// GET /broken: announces more than it produces.
class StreamService : public Service, public ResponderHooks {
public:
  Route route(Request&) override { return {this, 0, http::Status::None}; }
  void handle(const Route&, const Request& req, Response& resp) override {
    resp.header("Content-Type", "text/plain");
    resp.body("start\n");
    Responder& r = resp.responder();
    r.hooks = this;
    if (req.path == "/broken") {
      r.hook_data = 1000;  // pieces left: far more than announced below
      r.stream_remaining = 5;
      return;
    }
    const uint64_t pieces = req.path.size() > 8 ? static_cast<uint64_t>(req.path[8] - '0') : 0;
    r.hook_data = pieces;
    r.stream_remaining = pieces * kPiece.size();
  }
  bool refill(Responder& r) override {
    ++refills;
    if (r.hook_data == 0) return false;
    if (kPiece.size() > r.stream_remaining) return false;  // it would send more than announced
    std::string piece = kPiece;
    piece[0] = static_cast<char>('0' + r.hook_data);
    std::memcpy(r.body_area.data(), piece.data(), piece.size());
    r.head_len = 0;
    r.bytes_sent = 0;
    r.body_len = static_cast<uint32_t>(piece.size());
    r.stream_remaining -= piece.size();
    --r.hook_data;
    return true;
  }
  void release(Responder&) override { ++releases; }

  static inline const std::string kPiece = "x:abcdefgh\n";
  int refills = 0;
  int releases = 0;
};

Limits limits() {
  Limits l;
  l.buffer_size = 2048;
  l.max_target = 256;
  l.max_headers = 16;
  return l;
}

TEST(ResponderHooks, PiecesFollowInOrderWhateverTheWriteSize) {
  for (size_t max_write : {size_t{1}, size_t{5}, size_t{64}, SIZE_MAX}) {
    StreamService svc;
    MemoryPeer peer(limits(), svc, 4, max_write);
    peer.send("GET /stream/3 HTTP/1.1\r\nHost: t\r\n\r\nGET /stream/0 HTTP/1.1\r\nHost: t\r\n\r\n", 1);
    const std::string body = "start\n3:abcdefgh\n2:abcdefgh\n1:abcdefgh\n";
    const std::string& out = peer.output;
    const size_t first = out.find("Content-Length: " + std::to_string(body.size()) + "\r\n");
    ASSERT_NE(first, std::string::npos) << out;
    const size_t at = out.find("\r\n\r\n" + body + "HTTP/1.1 200 OK\r\n", first);
    ASSERT_NE(at, std::string::npos) << out;
    EXPECT_NE(out.find("Content-Length: 6\r\n", at), std::string::npos);
    EXPECT_EQ(out.substr(out.size() - 6), "start\n");
    EXPECT_EQ(svc.releases, 2);
    EXPECT_EQ(peer.responders_in_use(), 0u);
    EXPECT_FALSE(peer.conn.finished());
  }
}

TEST(ResponderHooks, HeadDropsTheStreamButReleases) {
  StreamService svc;
  MemoryPeer peer(limits(), svc);
  peer.send("HEAD /stream/3 HTTP/1.1\r\nHost: t\r\n\r\n", 1);
  EXPECT_NE(peer.output.find("Content-Length: 39\r\n"), std::string::npos) << peer.output;
  EXPECT_EQ(peer.output.find("start"), std::string::npos);
  EXPECT_EQ(svc.refills, 0);
  EXPECT_EQ(svc.releases, 1);
}

TEST(ResponderHooks, AFailedRefillClosesInsteadOfSendingOtherThanAnnounced) {
  StreamService svc;
  MemoryPeer peer(limits(), svc);
  peer.send("GET /broken HTTP/1.1\r\nHost: t\r\n\r\nGET /stream/1 HTTP/1.1\r\nHost: t\r\n\r\n", 1);
  EXPECT_NE(peer.output.find("Content-Length: 11\r\n"), std::string::npos) << peer.output;
  EXPECT_EQ(peer.output.substr(peer.output.size() - 6), "start\n") << "then nothing more";
  EXPECT_TRUE(peer.conn.finished());
  peer.conn.abort();
  EXPECT_EQ(svc.releases, 2) << "the queued second response is released too";
  EXPECT_EQ(peer.responders_in_use(), 0u);
}

}  // namespace
}  // namespace hs::conn
