// RecordStream after the hand-off: ciphertext in the caller's buffer becomes
// contiguous plaintext whatever the cut, records out are read by OpenSSL's
// client, and the post-handshake protocol is table-driven: one row per
// sequence of records from the peer, and the state, alert and key updates
// expected.
#include <gtest/gtest.h>

#include <openssl/ssl.h>

#include <string>
#include <vector>

#include "tls/record_stream.hpp"
#include "tls_peer.hpp"

namespace hs::tls {
namespace {

constexpr uint8_t kAlertT = 21, kHandshakeT = 22, kAppT = 23;

class RecordStreamTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(g_memory);
    if (!conn_.start("TLS_AES_128_GCM_SHA256")) {
      if (conn_.why.rfind("openssl(1)", 0) == 0) GTEST_SKIP() << conn_.why;
      FAIL() << conn_.why;
    }
    stream_.start(conn_.state);
    peer_ = conn_.state;
    std::swap(peer_.read, peer_.write);  // seals as the client would
  }
  // Feeds `wire` cut into pieces of `step` bytes, as the engine would
  // deliver them; the plaintext that comes out, in order.
  std::string feed(const std::string& wire, size_t step) {
    std::vector<char> buf(wire.size() + 64);
    size_t have = 0;  // partial ciphertext kept at buf[0, have)
    std::string plain;
    for (size_t at = 0; at < wire.size(); at += step) {
      const size_t n = std::min(step, wire.size() - at);
      std::copy(wire.begin() + static_cast<long>(at), wire.begin() + static_cast<long>(at + n), buf.begin() + static_cast<long>(have));
      const RecordStream::In in = stream_.decrypt(buf, have + n);
      plain.append(buf.data(), in.plaintext);
      std::copy(buf.begin() + static_cast<long>(in.plaintext), buf.begin() + static_cast<long>(in.plaintext + in.partial), buf.begin());
      have = in.partial;
    }
    return plain;
  }
  // One record from the peer with inner type and bytes we choose.
  std::string peer_record(uint8_t type, const std::string& body) {
    std::vector<char> rec(sealed_size(body.size()));
    const size_t n = seal(peer_, type, body, rec);
    EXPECT_GT(n, 0u);
    return std::string(rec.data(), n);
  }

  HandedOff conn_;
  RecordStream stream_;
  RecordState peer_;
};

TEST_F(RecordStreamTest, PlaintextIsContiguousWhateverTheCut) {
  std::string wire, expect;
  for (int i = 0; i < 6; ++i) {
    const std::string part = "request " + std::to_string(i) + std::string(static_cast<size_t>(i) * 700, 'p');
    wire += conn_.client_sends(part);
    expect += part;
  }
  const RecordState saved = conn_.state;
  for (size_t step : {wire.size(), size_t{1}, size_t{5}, size_t{6}, size_t{100}, size_t{4095}}) {
    stream_.start(saved);
    EXPECT_EQ(feed(wire, step), expect) << "step " << step;
    EXPECT_EQ(stream_.state(), RecordStream::State::Open);
  }
}

TEST_F(RecordStreamTest, RecordsOutAreReadByTheClientAtAnyRecordSize) {
  std::string body(70000, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 23);
  for (size_t max_record : {size_t{16384}, size_t{1400}, size_t{1}}) {
    std::vector<char> out(sealed_size(16384) * 4);
    std::string sent;
    size_t taken = 0;
    const size_t limit = max_record == 1 ? 300 : body.size();
    while (taken < limit) {
      size_t written = 0;
      const size_t k = stream_.encrypt(std::span<const char>(body).subspan(taken, limit - taken), out, written, max_record);
      ASSERT_GT(k, 0u);
      // Every record at most max_record bytes of plaintext.
      for (size_t at = 0; at < written;) {
        const size_t len = (static_cast<uint8_t>(out[at + 3]) << 8) | static_cast<uint8_t>(out[at + 4]);
        EXPECT_LE(len, max_record + 1 + kTagBytes);
        at += kRecordHeader + len;
      }
      conn_.client->give(std::span<const char>(out.data(), written));
      taken += k;
    }
    EXPECT_EQ(conn_.client_reads(), body.substr(0, limit)) << max_record;
  }
}

TEST_F(RecordStreamTest, ARequestedKeyUpdateIsAnsweredBeforeMoreData) {
  ASSERT_EQ(SSL_key_update(conn_.client->ssl, SSL_KEY_UPDATE_REQUESTED), 1);
  EXPECT_EQ(feed(conn_.client_sends("after the update"), 7), "after the update");
  EXPECT_EQ(stream_.key_updates(), 1u);
  ASSERT_FALSE(stream_.control().empty());
  std::vector<char> out(256);
  size_t written = 0;
  EXPECT_EQ(stream_.encrypt(std::string_view("blocked"), out, written), 0u) << "the answer goes first";
  conn_.client->give(stream_.control());
  stream_.consume_control(stream_.control().size());
  ASSERT_EQ(stream_.encrypt(std::string_view("under new keys"), out, written), 14u);
  conn_.client->give(std::span<const char>(out.data(), written));
  EXPECT_EQ(conn_.client_reads(), "under new keys");
  // A second request goes both ways again.
  ASSERT_EQ(SSL_key_update(conn_.client->ssl, SSL_KEY_UPDATE_REQUESTED), 1);
  EXPECT_EQ(feed(conn_.client_sends("again"), 3), "again");
  conn_.client->give(stream_.control());
  stream_.consume_control(stream_.control().size());
  ASSERT_EQ(stream_.encrypt(std::string_view("twice"), out, written), 5u);
  conn_.client->give(std::span<const char>(out.data(), written));
  EXPECT_EQ(conn_.client_reads(), "twice");
}

struct PeerRecord {
  uint8_t type;
  std::string body;
};
struct ProtocolRow {
  const char* name;
  std::vector<PeerRecord> records;
  RecordStream::State state;
  Alert sent;             // our alert (None: none)
  uint64_t key_updates;
  std::string plaintext;  // application bytes delivered
};

const std::string kKu0("\x18\x00\x00\x01\x00", 5), kKu1("\x18\x00\x00\x01\x01", 5);

TEST_F(RecordStreamTest, PostHandshakeProtocol) {
  using S = RecordStream::State;
  const std::vector<ProtocolRow> rows = {
      {"KeyUpdate, then data under the new keys", {{kHandshakeT, kKu0}, {kAppT, "new"}}, S::Open, Alert::None, 1, "new"},
      {"KeyUpdate in two records", {{kHandshakeT, kKu0.substr(0, 2)}, {kHandshakeT, kKu0.substr(2)}, {kAppT, "x"}}, S::Open, Alert::None, 1, "x"},
      {"KeyUpdate with bytes after it in its record", {{kHandshakeT, kKu0 + "z"}}, S::Failed, Alert::UnexpectedMessage, 0, ""},
      {"two KeyUpdates in one record", {{kHandshakeT, kKu0 + kKu0}}, S::Failed, Alert::UnexpectedMessage, 0, ""},
      {"NewSessionTicket from a client", {{kHandshakeT, std::string("\x04\x00\x00\x01\x00", 5)}}, S::Failed, Alert::UnexpectedMessage, 0, ""},
      {"Certificate unasked", {{kHandshakeT, std::string("\x0b\x00\x00\x01\x00", 5)}}, S::Failed, Alert::UnexpectedMessage, 0, ""},
      {"KeyUpdate with a 2-byte body", {{kHandshakeT, std::string("\x18\x00\x00\x02\x00\x00", 6)}}, S::Failed, Alert::DecodeError, 0, ""},
      {"KeyUpdate asking for 2", {{kHandshakeT, std::string("\x18\x00\x00\x01\x02", 5)}}, S::Failed, Alert::IllegalParameter, 0, ""},
      {"an empty handshake record", {{kHandshakeT, ""}}, S::Failed, Alert::UnexpectedMessage, 0, ""},
      {"a handshake fragment cut by data", {{kHandshakeT, kKu0.substr(0, 3)}, {kAppT, "x"}}, S::Failed, Alert::UnexpectedMessage, 0, ""},
      {"data, then close_notify, then more", {{kAppT, "last"}, {kAlertT, std::string("\x01\x00", 2)}, {kAppT, "ignored"}}, S::PeerClosed, Alert::None, 0, "last"},
      {"a fatal alert", {{kAlertT, std::string("\x02\x28", 2)}}, S::Failed, Alert::None, 0, ""},
      {"an alert of three bytes", {{kAlertT, std::string("\x01\x00\x00", 3)}}, S::Failed, Alert::DecodeError, 0, ""},
      {"user_canceled, then data", {{kAlertT, std::string("\x01\x5a", 2)}, {kAppT, "still"}}, S::Open, Alert::None, 0, "still"},
      {"an unknown content type", {{99, "?"}}, S::Failed, Alert::UnexpectedMessage, 0, ""},
      {"change_cipher_spec inside", {{20, "\x01"}}, S::Failed, Alert::UnexpectedMessage, 0, ""},
      {"empty application data records", {{kAppT, ""}, {kAppT, "a"}, {kAppT, ""}}, S::Open, Alert::None, 0, "a"},
  };
  const RecordState start = conn_.state;
  for (const ProtocolRow& row : rows) {
    stream_.start(start);
    peer_ = start;
    std::swap(peer_.read, peer_.write);
    std::string wire;
    for (const PeerRecord& r : row.records) {
      wire += peer_record(r.type, r.body);
      // The peer's own keys move on after a whole KeyUpdate it sent.
      if (r.type == kHandshakeT && (r.body == kKu0 || r.body == kKu1 || r.body == kKu0.substr(2))) peer_.update(peer_.write);
    }
    const std::string plain = feed(wire, wire.size());
    EXPECT_EQ(plain, row.plaintext) << row.name;
    EXPECT_EQ(stream_.state(), row.state) << row.name;
    EXPECT_EQ(stream_.alert_sent(), row.sent) << row.name;
    EXPECT_EQ(stream_.key_updates(), row.key_updates) << row.name;
    if (row.sent != Alert::None) {
      EXPECT_FALSE(stream_.control().empty()) << row.name << ": the alert is queued";
    }
  }
}

TEST_F(RecordStreamTest, OurFatalAlertAndOurCloseNotifyReachTheClient) {
  feed(peer_record(kHandshakeT, std::string("\x04\x00\x00\x01\x00", 5)), 64);
  ASSERT_EQ(stream_.state(), RecordStream::State::Failed);
  conn_.client->give(stream_.control());
  char buf[16];
  EXPECT_LE(SSL_read(conn_.client->ssl, buf, sizeof buf), 0);
  EXPECT_EQ(SSL_get_error(conn_.client->ssl, -1), SSL_ERROR_SSL);  // the client saw our fatal alert
  // A fresh connection closes gracefully.
  HandedOff other;
  ASSERT_TRUE(other.start("TLS_CHACHA20_POLY1305_SHA256")) << other.why;
  RecordStream s;
  s.start(other.state);
  s.close_notify();
  other.client->give(s.control());
  EXPECT_EQ(SSL_read(other.client->ssl, buf, sizeof buf), 0);
  EXPECT_EQ(SSL_get_error(other.client->ssl, 0), SSL_ERROR_ZERO_RETURN);
  size_t written = 0;
  std::vector<char> out(64);
  EXPECT_EQ(s.encrypt(std::string_view("late"), out, written), 0u);
}

}  // namespace
}  // namespace hs::tls
