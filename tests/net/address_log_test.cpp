// Table tests of the net layer's pure pieces: listen-address parsing and
// printing, the clock text, the access-log line format, start-up sizes.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "daemon/access_log.hpp"
#include "sockets/address.hpp"
#include "daemon/clock_text.hpp"
#include "loop/server.hpp"

namespace hs::net {
namespace {

struct AddressRow {
  const char* text;
  bool ok;
  const char* printed;  // when ok
  uint16_t port;
};

TEST(ListenAddress, ParsesAndPrints) {
  const AddressRow rows[] = {
      {"127.0.0.1:8080", true, "127.0.0.1:8080", 8080},
      {"0.0.0.0:0", true, "0.0.0.0:0", 0},
      {"[::1]:8080", true, "[::1]:8080", 8080},
      {"[::]:65535", true, "[::]:65535", 65535},
      {"[fe80::1]:80", true, "[fe80::1]:80", 80},
      {"127.0.0.1", false, "", 0},
      {"127.0.0.1:", false, "", 0},
      {"127.0.0.1:65536", false, "", 0},
      {"127.0.0.1:-1", false, "", 0},
      {"127.0.0.1:80x", false, "", 0},
      {"localhost:80", false, "", 0},
      {"::1:8080", false, "", 0},
      {"[::1]8080", false, "", 0},
      {"[::1:8080", false, "", 0},
      {"[127.0.0.1]:80", false, "", 0},
      {":80", false, "", 0},
      {"", false, "", 0},
  };
  for (const AddressRow& row : rows) {
    Address a;
    const char* why = nullptr;
    EXPECT_EQ(parse_address(row.text, a, why), row.ok) << row.text;
    if (!row.ok) {
      EXPECT_NE(why, nullptr) << row.text;
      continue;
    }
    char out[80];
    format_address(a, out, sizeof out);
    EXPECT_STREQ(out, row.printed);
    EXPECT_EQ(a.port(), row.port);
  }
}

TEST(ListenAddress, PeerIpIsCompactAndPrintable) {
  Address a;
  const char* why = nullptr;
  ASSERT_TRUE(parse_address("[::1]:1", a, why));
  char out[64];
  EXPECT_EQ(std::string(out, format_ip(peer_ip(a.storage), out, sizeof out)), "::1");
  ASSERT_TRUE(parse_address("10.1.2.3:1", a, why));
  EXPECT_EQ(std::string(out, format_ip(peer_ip(a.storage), out, sizeof out)), "10.1.2.3");
  EXPECT_EQ(std::string(out, format_ip(PeerIp{}, out, sizeof out)), "-");
  static_assert(sizeof(PeerIp) <= 20);
}

TEST(ClockText, FormatsDateAndLogTime) {
  ClockText c;
  c.refresh(784111777);  // Sun, 06 Nov 1994 08:49:37 GMT
  EXPECT_EQ(c.http_date(), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(c.log_time(), "06/Nov/1994:08:49:37 +0000");
  c.refresh(784111778);
  EXPECT_EQ(c.log_time(), "06/Nov/1994:08:49:38 +0000");
}

std::string read_all(int fd) {
  std::string s;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) s.append(buf, static_cast<size_t>(n));
  return s;
}

TEST(AccessLog, WritesCommonLogFormatInOneBatch) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_NONBLOCK), 0);
  char batch[4096];
  AccessLog log;
  log.init(batch, p[1]);
  Address a;
  const char* why = nullptr;
  ASSERT_TRUE(parse_address("192.168.1.9:1", a, why));
  log.record(peer_ip(a.storage), "06/Nov/1994:08:49:37 +0000", "GET", "/a b\"\x01", "HTTP/1.1", 200, 13);
  log.record(PeerIp{}, "06/Nov/1994:08:49:37 +0000", {}, {}, {}, 400, -1);
  EXPECT_EQ(read_all(p[0]), "");  // nothing written before the flush
  log.flush();
  EXPECT_EQ(read_all(p[0]),
            "192.168.1.9 - - [06/Nov/1994:08:49:37 +0000] \"GET /a b\\x22\\x01 HTTP/1.1\" 200 13\n"
            "- - - [06/Nov/1994:08:49:37 +0000] \"-\" 400 -\n");
  EXPECT_EQ(log.lines(), 2u);
  ::close(p[0]);
  ::close(p[1]);
}

TEST(AccessLog, AFullBatchIsWrittenEarlyNotDropped) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_NONBLOCK), 0);
  char batch[256];
  AccessLog log;
  log.init(batch, p[1]);
  for (int i = 0; i < 10; ++i) log.record(PeerIp{}, "t", "GET", "/x", "HTTP/1.1", 200, i);
  log.flush();
  const std::string all = read_all(p[0]);
  size_t lines = 0;
  for (char ch : all) lines += ch == '\n';
  EXPECT_EQ(lines, 10u);
  ::close(p[0]);
  ::close(p[1]);
}

TEST(StartupSizes, ArePrintedReadably) {
  EXPECT_EQ(format_size(16 * 1024, false), "16 KiB");
  EXPECT_EQ(format_size(1 << 20, false), "1 MiB");
  EXPECT_EQ(format_size(1500, false), "1500 B");
  EXPECT_EQ(format_size(1468006, true), "1.4 MiB");
}

TEST(StartupSizes, ImpossibleConfigurationsAreRefused) {
  ServerConfig c;
  Address a;
  const char* why = nullptr;
  ASSERT_TRUE(parse_address("127.0.0.1:0", a, why));
  c.listen.push_back(a);
  EXPECT_EQ(validate(c), "");
  ServerConfig bad = c;
  bad.worker.max_connections = 0;
  EXPECT_NE(validate(bad), "");
  bad = c;
  bad.worker.limits.buffer_size = 512;
  EXPECT_NE(validate(bad), "");
  bad = c;
  bad.worker.buffers = bad.worker.max_connections + 1;
  EXPECT_NE(validate(bad), "");
  bad = c;
  bad.workers = 0;
  EXPECT_NE(validate(bad), "");
  bad = c;
  bad.listen.clear();
  EXPECT_NE(validate(bad), "");
  // Sizes add up: the arena holds at least the buffers and responders.
  const size_t bytes = Worker::arena_bytes(c.worker);
  EXPECT_GE(bytes, size_t{c.worker.buffers} * c.worker.limits.buffer_size +
                       size_t{c.worker.responders} * c.worker.limits.responder_size);
}

}  // namespace
}  // namespace hs::net
