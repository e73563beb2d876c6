// TlsSession against OpenSSL clients in memory (no sockets): the policy
// (TLS 1.2/1.3 only, AEAD only, ChaCha20 for clients that prefer it, ALPN
// http/1.1), data both ways, refusals with an alert, garbage, close_notify,
// and what a session costs in the TLS arena while handshaking and idle.
// Keys and certificates are made at test time with openssl(1).
#include <gtest/gtest.h>

#include <openssl/ssl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "tls/tls_context.hpp"
#include "tls/tls_memory.hpp"
#include "tls/tls_session.hpp"
#include "tls_peer.hpp"

namespace hs::tls {
namespace {

class TlsSessionTest : public ServerKeysTest<::testing::TestWithParam<const char*>> {
protected:
  const char* key_kind() const override { return GetParam(); }
};

TEST_P(TlsSessionTest, Tls13HandshakeAlpnAndDataBothWays) {
  Client c(TLS1_2_VERSION, TLS1_3_VERSION);
  TlsSession s;
  ASSERT_TRUE(s.open(ctx_.get()));
  pump(c, s);
  ASSERT_EQ(s.state(), TlsState::Open) << s.error();
  EXPECT_STREQ(s.version(), "TLSv1.3");
  EXPECT_EQ(s.alpn(), "http/1.1");
  // Client -> server.
  const std::string request = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
  ASSERT_EQ(SSL_write(c.ssl, request.data(), static_cast<int>(request.size())), static_cast<int>(request.size()));
  ASSERT_TRUE(s.feed(c.take_output()));
  char buf[256];
  const size_t n = s.read(buf);
  EXPECT_EQ(std::string(buf, n), request);
  // Server -> client, bigger than one record.
  std::string body(40000, 'x');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
  size_t taken = 0;
  while (taken < body.size()) {
    const size_t k = s.write(std::span<const char>(body).subspan(taken));
    ASSERT_GT(k, 0u);
    taken += k;
  }
  c.give(s.output());
  s.consume(s.output().size());
  std::string got(body.size(), '\0');
  size_t have = 0;
  while (have < got.size()) {
    const int k = SSL_read(c.ssl, got.data() + have, static_cast<int>(got.size() - have));
    if (k <= 0) break;
    have += static_cast<size_t>(k);
  }
  EXPECT_EQ(got, body);
  // close_notify from the client: Closed, not Failed.
  SSL_shutdown(c.ssl);
  s.feed(c.take_output());
  EXPECT_EQ(s.read(buf), 0u);
  EXPECT_EQ(s.state(), TlsState::Closed);
}

TEST_P(TlsSessionTest, Tls12NegotiatesAnEcdheAeadSuite) {
  Client c(TLS1_2_VERSION, TLS1_2_VERSION);
  TlsSession s;
  ASSERT_TRUE(s.open(ctx_.get()));
  pump(c, s);
  ASSERT_EQ(s.state(), TlsState::Open) << s.error();
  EXPECT_STREQ(s.version(), "TLSv1.2");
  const std::string cipher = s.cipher();
  EXPECT_EQ(cipher.rfind("ECDHE-", 0), 0u) << cipher;
  EXPECT_TRUE(cipher.find("GCM") != std::string::npos || cipher.find("CHACHA20") != std::string::npos) << cipher;
}

TEST_P(TlsSessionTest, ChaChaForClientsThatPreferItAesOtherwise) {
  {
    Client c(TLS1_3_VERSION, TLS1_3_VERSION, nullptr, "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256");
    TlsSession s;
    ASSERT_TRUE(s.open(ctx_.get()));
    pump(c, s);
    ASSERT_EQ(s.state(), TlsState::Open) << s.error();
    EXPECT_STREQ(s.cipher(), "TLS_CHACHA20_POLY1305_SHA256");
  }
  {
    Client c(TLS1_3_VERSION, TLS1_3_VERSION, nullptr, "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256");
    TlsSession s;
    ASSERT_TRUE(s.open(ctx_.get()));
    pump(c, s);
    ASSERT_EQ(s.state(), TlsState::Open) << s.error();
    EXPECT_STREQ(s.cipher(), "TLS_AES_128_GCM_SHA256");  // the server's order among AES suites
  }
}

struct Refusal {
  const char* name;
  int min_version, max_version;
  const char* ciphers12;
};

TEST_P(TlsSessionTest, OldProtocolsAndWeakSuitesAreRefusedWithAnAlert) {
  const Refusal rows[] = {
      {"TLS 1.0", TLS1_VERSION, TLS1_VERSION, "ALL:@SECLEVEL=0"},
      {"TLS 1.1", TLS1_1_VERSION, TLS1_1_VERSION, "ALL:@SECLEVEL=0"},
      {"TLS 1.2 CBC only", TLS1_2_VERSION, TLS1_2_VERSION, "AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES128-SHA"},
      {"TLS 1.2 RSA key exchange", TLS1_2_VERSION, TLS1_2_VERSION, "AES128-GCM-SHA256:AES256-GCM-SHA384"},
  };
  for (const Refusal& r : rows) {
    Client c(r.min_version, r.max_version, r.ciphers12);
    TlsSession s;
    ASSERT_TRUE(s.open(ctx_.get()));
    pump(c, s);
    EXPECT_EQ(s.state(), TlsState::Failed) << r.name;
    EXPECT_FALSE(s.error().empty()) << r.name;
    EXPECT_NE(SSL_is_init_finished(c.ssl), 1) << r.name;
  }
}

TEST_P(TlsSessionTest, GarbageAndPlainHttpFailWithoutACrash) {
  const std::string rows[] = {
      "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
      std::string("\x16\x03\x01\x00\x05hello", 10),
      std::string("\x17\x03\x03\xff\xff", 5) + std::string(300, 'z'),
      std::string(5000, '\0'),
  };
  for (const std::string& bytes : rows) {
    TlsSession s;
    ASSERT_TRUE(s.open(ctx_.get()));
    s.feed(bytes);
    char buf[64];
    EXPECT_EQ(s.read(buf), 0u);
    EXPECT_EQ(s.state(), TlsState::Failed) << bytes.substr(0, 16);
  }
}

TEST_P(TlsSessionTest, WithoutAlpnTheHandshakeStillCompletes) {
  Client c(TLS1_2_VERSION, TLS1_3_VERSION, nullptr, nullptr, false);
  TlsSession s;
  ASSERT_TRUE(s.open(ctx_.get()));
  pump(c, s);
  ASSERT_EQ(s.state(), TlsState::Open) << s.error();
  EXPECT_EQ(s.alpn(), "");
}

// What a TLS connection costs in the arena: handshaking and idle.
TEST_P(TlsSessionTest, ArenaCostPerSessionHandshakingAndIdle) {
  {  // OpenSSL sets up some tables on first use: not a session's cost
    Client c(TLS1_2_VERSION, TLS1_3_VERSION);
    TlsSession s;
    ASSERT_TRUE(s.open(ctx_.get()));
    pump(c, s);
  }
  const TlsMemoryStats before = tls_memory_stats();
  constexpr int kSessions = 16;
  std::vector<std::unique_ptr<TlsSession>> sessions;
  size_t handshake = 0;
  for (int i = 0; i < kSessions; ++i) {
    const size_t base = tls_memory_stats().in_use;
    Client c(TLS1_2_VERSION, TLS1_3_VERSION);
    auto s = std::make_unique<TlsSession>();
    ASSERT_TRUE(s->open(ctx_.get()));
    g_pump_peak = 0;
    pump(c, *s);
    ASSERT_EQ(s->state(), TlsState::Open) << s->error();
    handshake = std::max(handshake, g_pump_peak - base);
    s->release_buffers();
    sessions.push_back(std::move(s));
  }  // each client is gone by the next round: what stays is the servers'
  const TlsMemoryStats idle = tls_memory_stats();
  const double per_idle = static_cast<double>(idle.in_use - before.in_use) / kSessions;
  std::printf("[ figures  ] %s: arena per idle TLS 1.3 server session %.1f KiB (OpenSSL SSL object, buffers "
              "released); one handshake at its peak %.1f KiB (server and client together)\n",
              GetParam(), per_idle / 1024, static_cast<double>(handshake) / 1024);
  EXPECT_EQ(idle.failures, before.failures);
  EXPECT_GT(per_idle, 0.0);
  sessions.clear();
  EXPECT_LE(tls_memory_stats().in_use, before.in_use) << "sessions gave their memory back";
}

INSTANTIATE_TEST_SUITE_P(Keys, TlsSessionTest, ::testing::Values("ecdsa", "rsa"));

TEST(TlsMemory, InstallingTwiceOrLateIsRefused) {
  std::string why;
  EXPECT_FALSE(install_tls_memory(1 << 20, why));
  EXPECT_NE(why.find("already"), std::string::npos) << why;
  EXPECT_GT(tls_memory_stats().capacity, 0u);
}

}  // namespace
}  // namespace hs::tls
