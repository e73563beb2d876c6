// TlsTransport as the loop will drive it, against OpenSSL's client in
// memory: ciphertext into the receive buffer, plaintext out in place,
// output() drained first. TLS 1.3 hands off (the handshake slot and
// OpenSSL's memory go back, the request that came with the client's
// Finished is decrypted after); TLS 1.2 stays on OpenSSL; the handshake pool
// bounds concurrent handshakes.
#include <gtest/gtest.h>

#include <openssl/ssl.h>

#include <string>
#include <vector>

#include "tls/tls_context.hpp"
#include "tls/tls_transport.hpp"
#include "tls_peer.hpp"

namespace hs::tls {
namespace {

class TransportTest : public ServerKeysTest<::testing::TestWithParam<int>> {
protected:
  // What the loop does on each event: received bytes in, output out. The
  // plaintext delivered, appended to `plain`.
  void deliver(TlsTransport& t, Client& c, const std::string& bytes, std::string& plain) {
    std::copy(bytes.begin(), bytes.end(), buf_.begin() + static_cast<long>(have_));
    size_t len = have_ + bytes.size();
    for (int round = 0; round < 4; ++round) {
      const TlsTransport::In in = t.on_received(buf_, len);
      plain.append(buf_.data(), in.plaintext);
      std::copy(buf_.begin() + static_cast<long>(in.plaintext),
                buf_.begin() + static_cast<long>(in.plaintext + in.partial), buf_.begin());
      have_ = in.partial;
      len = have_;
      if (t.output().empty()) break;
      c.give(t.output());  // the engine sends it...
      t.consume_output(t.output().size());  // ...and says so; then the loop calls again
    }
  }
  // Handshake, with the client's first request right behind its Finished.
  std::string connect(TlsTransport& t, Client& c, const std::string& request) {
    std::string plain;
    for (int round = 0; round < 10; ++round) {
      SSL_do_handshake(c.ssl);
      if (SSL_is_init_finished(c.ssl) == 1) break;  // its Finished waits, to go with the request
      deliver(t, c, c.take_output(), plain);
    }
    EXPECT_EQ(SSL_write(c.ssl, request.data(), static_cast<int>(request.size())), static_cast<int>(request.size()));
    deliver(t, c, c.take_output(), plain);
    return plain;
  }
  std::string respond(TlsTransport& t, Client& c, const std::string& body) {
    std::vector<char> out(sealed_size(16384) * 2);
    for (size_t at = 0; at < body.size();) {
      size_t written = 0;
      const size_t k = t.encrypt(std::span<const char>(body).subspan(at), out, written);
      EXPECT_GT(k, 0u);
      if (k == 0) break;
      c.give(std::span<const char>(out.data(), written));
      at += k;
    }
    std::string got;
    char tmp[16384];
    int n;
    while ((n = SSL_read(c.ssl, tmp, sizeof tmp)) > 0) got.append(tmp, static_cast<size_t>(n));
    return got;
  }

  std::vector<char> buf_ = std::vector<char>(16384);
  size_t have_ = 0;
};

TEST_P(TransportTest, RequestAndResponseThroughTheTransport) {
  HandshakePool pool(4);
  TlsTransport t;
  ASSERT_TRUE(t.start(pool, ctx_.get()));
  Client c(GetParam(), GetParam());
  const std::string request = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
  EXPECT_EQ(connect(t, c, request), request);
  if (GetParam() == TLS1_3_VERSION) {
    EXPECT_EQ(t.phase(), TlsTransport::Phase::Records);
    EXPECT_EQ(pool.in_use(), 0u) << "the handshake slot goes back after the hand-off";
  } else {
    EXPECT_EQ(t.phase(), TlsTransport::Phase::Session);
    EXPECT_EQ(pool.in_use(), 1u) << "TLS 1.2 keeps its session";
  }
  std::string body(50000, 'b');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('A' + i % 26);
  EXPECT_EQ(respond(t, c, body), body);
  // A second request, cut into 3-byte deliveries.
  const std::string second = "GET /2 HTTP/1.1\r\nHost: localhost\r\n\r\n";
  SSL_write(c.ssl, second.data(), static_cast<int>(second.size()));
  const std::string wire = c.take_output();
  std::string plain;
  for (size_t at = 0; at < wire.size(); at += 3) deliver(t, c, wire.substr(at, 3), plain);
  EXPECT_EQ(plain, second);
  t.close_notify();
  c.give(t.output());
  char tmp[8];
  EXPECT_EQ(SSL_read(c.ssl, tmp, sizeof tmp), 0);
  EXPECT_EQ(SSL_get_error(c.ssl, 0), SSL_ERROR_ZERO_RETURN);
  t.stop();
  EXPECT_EQ(pool.in_use(), 0u);
}

TEST_P(TransportTest, ThePoolBoundsHandshakes) {
  HandshakePool pool(1);
  TlsTransport a, b;
  ASSERT_TRUE(a.start(pool, ctx_.get()));
  EXPECT_FALSE(b.start(pool, ctx_.get())) << "no second handshake while the first runs";
  Client c(GetParam(), GetParam());
  connect(a, c, "x");
  EXPECT_EQ(b.start(pool, ctx_.get()), GetParam() == TLS1_3_VERSION)
      << "TLS 1.3 frees its slot at the hand-off; TLS 1.2 keeps it";
}

TEST_P(TransportTest, GarbageFailsTheHandshakeAndFreesNothingTwice) {
  HandshakePool pool(1);
  TlsTransport t;
  ASSERT_TRUE(t.start(pool, ctx_.get()));
  Client c(GetParam(), GetParam());
  std::string plain;
  deliver(t, c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", plain);
  EXPECT_TRUE(t.failed());
  EXPECT_EQ(plain, "");
  t.stop();
  t.stop();
  EXPECT_EQ(pool.in_use(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Versions, TransportTest, ::testing::Values(TLS1_3_VERSION, TLS1_2_VERSION));

}  // namespace
}  // namespace hs::tls
