// The TLS 1.3 record layer after the hand-off, against OpenSSL's client:
// the client's records open (in order, across KeyUpdates), ours are read by
// the client (after OpenSSL's own session tickets), and every failure is an
// alert: a changed byte anywhere (bad_record_mac), a replayed or reordered
// record, an oversized or undersized record, the wrong outer type or
// version, all-padding plaintext. The state kept is a few hundred bytes.
#include <gtest/gtest.h>

#include <openssl/ssl.h>

#include <string>
#include <vector>

#include "tls/record_layer.hpp"
#include "tls/tls_context.hpp"
#include "tls/tls_session.hpp"
#include "tls_peer.hpp"

namespace hs::tls {
namespace {

constexpr uint8_t kAppData = 23, kHandshake = 22, kAlertType = 21;

class RecordLayerTest : public ::testing::TestWithParam<const char*> {
protected:
  void SetUp() override {
    ASSERT_TRUE(g_memory);
    conn_ = std::make_unique<HandedOff>();
    if (!conn_->start(GetParam())) {
      if (conn_->why.rfind("openssl(1)", 0) == 0) GTEST_SKIP() << conn_->why;
      FAIL() << conn_->why;
    }
    client_ = conn_->client.get();
  }
  RecordState& state() { return conn_->state; }

  // The client's next record(s), as bytes on the wire.
  std::string client_sends(const std::string& plaintext) { return conn_->client_sends(plaintext); }
  // Opens every whole record in `wire`; the application bytes, in order.
  std::string open_all(std::string wire, Alert* alert = nullptr) {
    std::string app;
    size_t at = 0;
    while (at < wire.size()) {
      OpenResult r = open(state(), std::span<char>(wire).subspan(at));
      if (r.alert != Alert::None) {
        if (alert != nullptr) *alert = r.alert;
        break;
      }
      if (r.consumed == 0) break;
      const char* text = wire.data() + at + kRecordHeader;
      if (r.type == kAppData) app.append(text, r.length);
      if (r.type == kHandshake && r.length >= 5 && static_cast<uint8_t>(text[0]) == 24) {  // KeyUpdate
        EXPECT_TRUE(state().update(state().read));
        if (text[4] == 1) {  // update_requested: ours too, announced under the old keys
          const char ku[] = {24, 0, 0, 1, 0};
          std::vector<char> rec(sealed_size(sizeof ku));
          const size_t n = seal(state(), kHandshake, std::span<const char>(ku, sizeof ku), rec);
          EXPECT_GT(n, 0u);
          client_->give(std::span<const char>(rec.data(), n));
          EXPECT_TRUE(state().update(state().write));
        }
      }
      at += r.consumed;
    }
    return app;
  }
  std::string client_reads() { return conn_->client_reads(); }
  void server_sends(const std::string& plaintext) {
    for (size_t at = 0; at < plaintext.size();) {
      const size_t chunk = std::min(kMaxPlaintext, plaintext.size() - at);
      std::vector<char> rec(sealed_size(chunk));
      const size_t n = seal(state(), kAppData, std::span<const char>(plaintext).subspan(at, chunk), rec);
      ASSERT_GT(n, 0u);
      client_->give(std::span<const char>(rec.data(), n));
      at += chunk;
    }
  }

  std::unique_ptr<HandedOff> conn_;
  Client* client_ = nullptr;
};

TEST_P(RecordLayerTest, StateIsSmall) {
  std::printf("[ figures  ] record state kept per TLS 1.3 connection: %zu bytes\n", sizeof(RecordState));
  EXPECT_LE(sizeof(RecordState), 256u);
}

TEST_P(RecordLayerTest, BothDirectionsAfterTheHandOff) {
  const std::string request = "GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n";
  EXPECT_EQ(open_all(client_sends(request)), request);
  std::string body(100000, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 7);
  server_sends(body);
  EXPECT_EQ(client_reads(), body);
  // And again, sequence numbers moving on both sides.
  EXPECT_EQ(open_all(client_sends("second")), "second");
  server_sends("pong");
  EXPECT_EQ(client_reads(), "pong");
}

TEST_P(RecordLayerTest, KeyUpdatesFromTheClientBothKinds) {
  ASSERT_EQ(SSL_key_update(client_->ssl, SSL_KEY_UPDATE_NOT_REQUESTED), 1);
  EXPECT_EQ(open_all(client_sends("after one update")), "after one update");
  ASSERT_EQ(SSL_key_update(client_->ssl, SSL_KEY_UPDATE_REQUESTED), 1);
  EXPECT_EQ(open_all(client_sends("after a requested update")), "after a requested update");
  server_sends("under our new keys");
  EXPECT_EQ(client_reads(), "under our new keys");
}

TEST_P(RecordLayerTest, EveryChangedByteIsABadRecordMac) {
  const std::string wire = client_sends("tamper with me");
  for (size_t i = kRecordHeader; i < wire.size(); ++i) {
    RecordState copy = state();
    std::string w = wire;
    w[i] = static_cast<char>(w[i] ^ 0x01);
    const OpenResult r = open(copy, w);
    EXPECT_EQ(r.alert, Alert::BadRecordMac) << "byte " << i;
  }
  // The header is the AEAD's associated data: a changed length is caught too.
  std::string w = wire;
  w[4] = static_cast<char>(w[4] - 1);
  RecordState copy = state();
  EXPECT_NE(open(copy, std::span<char>(w).first(w.size() - 1)).alert, Alert::None);
  EXPECT_EQ(open_all(wire), "tamper with me");  // the original still opens
}

TEST_P(RecordLayerTest, ReplayedAndReorderedRecordsFail) {
  const std::string first = client_sends("one");
  const std::string second = client_sends("two");
  Alert alert = Alert::None;
  EXPECT_EQ(open_all(second, &alert), "");  // out of order: wrong nonce
  EXPECT_EQ(alert, Alert::BadRecordMac);
  RecordLayerTest::SetUp();  // a fresh connection for the replay case
  const std::string once = client_sends("once");
  EXPECT_EQ(open_all(once), "once");
  alert = Alert::None;
  EXPECT_EQ(open_all(once, &alert), "");
  EXPECT_EQ(alert, Alert::BadRecordMac);
}

struct HeaderRow {
  const char* name;
  std::string bytes;
  Alert alert;
};

TEST_P(RecordLayerTest, HeadersAreCheckedBeforeAnyCrypto) {
  const HeaderRow rows[] = {
      {"handshake type outside", std::string("\x16\x03\x03\x00\x20", 5) + std::string(32, 'x'), Alert::UnexpectedMessage},
      {"change_cipher_spec", std::string("\x14\x03\x03\x00\x01\x01", 6), Alert::UnexpectedMessage},
      {"version 3.1", std::string("\x17\x03\x01\x00\x20", 5) + std::string(32, 'x'), Alert::DecodeError},
      {"longer than 2^14+256", std::string("\x17\x03\x03\x41\x01", 5), Alert::RecordOverflow},
      {"shorter than a tag", std::string("\x17\x03\x03\x00\x10", 5) + std::string(16, 'x'), Alert::BadRecordMac},
      {"empty body", std::string("\x17\x03\x03\x00\x00", 5), Alert::BadRecordMac},
  };
  for (const HeaderRow& row : rows) {
    RecordState copy = state();
    std::string w = row.bytes;
    EXPECT_EQ(open(copy, w).alert, row.alert) << row.name;
  }
  // Whole records only: a prefix waits, no alert.
  const std::string wire = client_sends("complete me");
  for (size_t n = 0; n < wire.size(); ++n) {
    RecordState copy = state();
    std::string w = wire.substr(0, n);
    const OpenResult r = open(copy, w);
    EXPECT_EQ(r.alert, Alert::None) << n;
    EXPECT_EQ(r.consumed, 0u) << n;
  }
}

TEST_P(RecordLayerTest, PaddingIsStrippedAndAllPaddingIsRefused) {
  // Our own records with padding, opened with the client's keys swapped in.
  RecordState peer = state();
  std::swap(peer.read, peer.write);  // seal as the client would
  const char inner[] = {'h', 'i', kAppData, 0, 0, 0, 0};
  std::vector<char> rec(sealed_size(sizeof inner));
  ASSERT_GT(seal(peer, 0, std::span<const char>(inner, sizeof inner), rec), 0u);
  // seal() appended type 0 after our bytes: the inner plaintext is
  // "hi" 23 0 0 0 0 0, i.e. "hi" as application data behind five zeros.
  OpenResult r = open(state(), rec);
  ASSERT_EQ(r.alert, Alert::None);
  EXPECT_EQ(r.type, kAppData);
  EXPECT_EQ(std::string(rec.data() + kRecordHeader, r.length), "hi");
  const char zeros[] = {0, 0, 0};
  std::vector<char> rec2(sealed_size(sizeof zeros));
  ASSERT_GT(seal(peer, 0, std::span<const char>(zeros, sizeof zeros), rec2), 0u);
  EXPECT_EQ(open(state(), rec2).alert, Alert::UnexpectedMessage);
}

TEST_P(RecordLayerTest, AClosingAlertArrivesAsAnAlertRecord) {
  SSL_shutdown(client_->ssl);
  std::string wire = client_->take_output();
  const OpenResult r = open(state(), wire);
  ASSERT_EQ(r.alert, Alert::None);
  EXPECT_EQ(r.type, kAlertType);
  ASSERT_EQ(r.length, 2u);
  EXPECT_EQ(wire[kRecordHeader + 1], 0);  // close_notify
}

INSTANTIATE_TEST_SUITE_P(Suites, RecordLayerTest,
                         ::testing::Values("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                                           "TLS_CHACHA20_POLY1305_SHA256"));

}  // namespace
}  // namespace hs::tls
