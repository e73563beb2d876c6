// Session resumption by tickets under TicketKeys: a ticket resumes (TLS 1.3
// and 1.2), one sealed with the previous key still resumes after a rotation,
// one older than two periods gets a full handshake, and a ticket from
// another server's keys too. The clock is the test's.
#include <gtest/gtest.h>

#include <openssl/ssl.h>

#include "tls/ticket_keys.hpp"
#include "tls/tls_context.hpp"
#include "tls_peer.hpp"

namespace hs::tls {
namespace {

int64_t g_now = 1'000'000;
int64_t fake_clock() { return g_now; }

// One handshake; the session the client keeps afterwards (null when none).
SSL_SESSION* connect(TlsContext& ctx, int version, SSL_SESSION* resume, bool* resumed) {
  Client c(version, version);
  if (resume != nullptr) {
    EXPECT_EQ(SSL_set_session(c.ssl, resume), 1);
  }
  TlsSession s;
  if (!s.open(ctx.get())) return nullptr;
  pump(c, s);
  if (s.state() != TlsState::Open) return nullptr;
  *resumed = s.resumed();
  EXPECT_EQ(SSL_session_reused(c.ssl) == 1, *resumed);
  c.give(s.output());  // TLS 1.3: the tickets come after the handshake
  s.consume(s.output().size());
  char buf[16];
  SSL_read(c.ssl, buf, sizeof buf);  // reads them (no data: WANT_READ)
  // A client that goes without a close_notify marks its session not
  // resumable when freed (OpenSSL): this one closed properly.
  SSL_set_shutdown(c.ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  return SSL_get1_session(c.ssl);
}

class TicketTest : public ServerKeysTest<::testing::TestWithParam<int>> {
protected:
  TlsContext& context() override { return ticketed_; }  // the fixture loads the keys into this one
  static constexpr int64_t kPeriod = 3600;
  TicketKeys tickets_{kPeriod, fake_clock};
  TlsContext ticketed_{&tickets_};
};

TEST_P(TicketTest, ATicketResumesUntilItsKeyIsTwoPeriodsOld) {
  bool resumed = true;
  SSL_SESSION* first = connect(ticketed_, GetParam(), nullptr, &resumed);
  ASSERT_NE(first, nullptr);
  EXPECT_FALSE(resumed);
  SSL_SESSION* again = connect(ticketed_, GetParam(), first, &resumed);
  EXPECT_TRUE(resumed) << "a fresh ticket resumes";
  SSL_SESSION_free(again);
  // One period on: the next ticket is sealed with a new key; the old one still resumes.
  g_now += kPeriod;
  SSL_SESSION* newer = connect(ticketed_, GetParam(), nullptr, &resumed);
  EXPECT_EQ(tickets_.rotations(), 1u);
  SSL_SESSION* old_again = connect(ticketed_, GetParam(), first, &resumed);
  EXPECT_TRUE(resumed) << "a ticket under the previous key resumes";
  SSL_SESSION_free(old_again);
  // Two periods after the first key was made: its tickets are refused.
  g_now += kPeriod;
  SSL_SESSION* too_old = connect(ticketed_, GetParam(), first, &resumed);
  EXPECT_FALSE(resumed) << "a ticket under a retired key gets a full handshake";
  SSL_SESSION_free(too_old);
  SSL_SESSION* newer_again = connect(ticketed_, GetParam(), newer, &resumed);
  EXPECT_TRUE(resumed);
  SSL_SESSION_free(newer_again);
  SSL_SESSION_free(newer);
  SSL_SESSION_free(first);
}

TEST_P(TicketTest, AnotherServersTicketGetsAFullHandshake) {
  TicketKeys other_keys{kPeriod, fake_clock};
  TlsContext other{&other_keys};
  std::string why;
  ASSERT_TRUE(other.load(keys_.cert, keys_.key, why)) << why;
  bool resumed = true;
  SSL_SESSION* foreign = connect(other, GetParam(), nullptr, &resumed);
  ASSERT_NE(foreign, nullptr);
  SSL_SESSION* s = connect(ticketed_, GetParam(), foreign, &resumed);
  EXPECT_FALSE(resumed);
  SSL_SESSION_free(s);
  SSL_SESSION_free(foreign);
}

TEST_P(TicketTest, AReloadKeepsTheKeys) {
  bool resumed = true;
  SSL_SESSION* first = connect(ticketed_, GetParam(), nullptr, &resumed);
  ASSERT_NE(first, nullptr);
  std::string why;
  ASSERT_TRUE(ticketed_.load(keys_.cert, keys_.key, why)) << why;  // a certificate renewal
  SSL_SESSION* again = connect(ticketed_, GetParam(), first, &resumed);
  EXPECT_TRUE(resumed);
  SSL_SESSION_free(again);
  SSL_SESSION_free(first);
}

INSTANTIATE_TEST_SUITE_P(Versions, TicketTest, ::testing::Values(TLS1_3_VERSION, TLS1_2_VERSION));

}  // namespace
}  // namespace hs::tls
