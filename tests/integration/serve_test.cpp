// `homeserve serve` end to end over loopback: static files, keep-alive,
// pipelining, limits (429, 431, 413, 408), graceful shutdown, SIGPIPE,
// start-up errors. Run for both compaction modes where reading matters.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <string>

#include "harness.hpp"

namespace hs::it {
namespace {

std::string pattern_bytes(size_t n, unsigned seed) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    s[i] = static_cast<char>('a' + (x >> 24) % 26);
  }
  return s;
}

// A tiny whole-string pattern: '#' one or more digits, '@' one or more
// letters, '*' one or more characters other than space; anything else literal.
bool matches(std::string_view s, std::string_view pattern) {
  size_t i = 0;
  for (char p : pattern) {
    const auto run = [&](auto pred) {
      size_t n = 0;
      while (i < s.size() && pred(static_cast<unsigned char>(s[i]))) ++i, ++n;
      return n > 0;
    };
    if (p == '#') {
      if (!run([](unsigned char c) { return std::isdigit(c) != 0; })) return false;
    } else if (p == '@') {
      if (!run([](unsigned char c) { return std::isalpha(c) != 0; })) return false;
    } else if (p == '*') {
      if (!run([](unsigned char c) { return c != ' '; })) return false;
    } else {
      if (i >= s.size() || s[i] != p) return false;
      ++i;
    }
  }
  return i == s.size();
}

class Serve : public ::testing::TestWithParam<const char*> {
protected:
  void SetUp() override {
    dir.write("index.html", "<h1>home</h1>\n");
    dir.write("hello.txt", "hello, world\n");
    dir.write("sub/index.html", "sub index\n");
    for (int i = 0; i < 64; ++i) dir.write("p/" + std::to_string(i) + ".txt", "file-" + std::to_string(i) + "\n");
    dir.write("mid.bin", pattern_bytes(100 * 1024, 7));
  }

  void start(std::vector<std::string> args = {}) {
    args.insert(args.begin(), dir.path());
    args.push_back("--compaction");
    args.push_back(GetParam());
    std::string why;
    ASSERT_TRUE(server.start(args, &why)) << why;
  }

  Client connect() {
    Client c;
    EXPECT_TRUE(c.connect(server.port()));
    return c;
  }

  TempDir dir;
  Server server;
};

TEST_P(Serve, StartupLineNamesAddressAndReservation) {
  start();
  const std::string line = server.startup_line();
  if (tls_mode()) {
    // Buffers grow by one TLS record; the TLS pools, memory and path follow.
    EXPECT_TRUE(matches(line.substr(0, line.find(", 16 TLS handshakes")),
                        "listening on https://127.0.0.1:#; reserved #.# MiB: 1024 connections, 64 buffers x 32.3 KiB, "
                        "256 responders"))
        << line;
    EXPECT_NE(line.find(", 16 TLS handshakes, 16 TLS seal areas x 64.3 KiB; TLS memory "), std::string::npos) << line;
    EXPECT_NE(line.find("user-space TLS (kTLS "), std::string::npos) << line;
    return;
  }
  const std::string pools =
      "listening on 127.0.0.1:#; reserved #.# MiB: 1024 connections, 64 buffers x 16 KiB, 256 responders";
  // Then the engine: "; epoll", or "; io_uring rings #.# KiB; io_uring (...)".
  EXPECT_TRUE(matches(line, pools + "; epoll") ||
              (matches(line.substr(0, line.find("; io_uring rings")), pools) && line.find("; io_uring (") != std::string::npos))
      << line;
}

TEST_P(Serve, StaticFileAndHeadAnd404) {
  start();
  Client c = connect();
  ASSERT_TRUE(c.send_all(get("/hello.txt")));
  auto r = read_responses(c, 1, Ms(5000));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status, 200);
  EXPECT_EQ(r[0].body, "hello, world\n");
  EXPECT_EQ(r[0].field("Content-Length"), "13");
  EXPECT_NE(r[0].field("Content-Type").find("text/plain"), std::string::npos);
  EXPECT_FALSE(r[0].field("Date").empty());

  ASSERT_TRUE(c.send_all("HEAD /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n"));
  r = read_responses(c, 1, Ms(5000), /*head_only=*/true);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status, 200);
  EXPECT_EQ(r[0].field("Content-Length"), "13");

  ASSERT_TRUE(c.send_all(get("/missing.txt")));
  r = read_responses(c, 1, Ms(5000));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status, 404);

  ASSERT_TRUE(c.send_all(get("/sub/")));
  r = read_responses(c, 1, Ms(5000));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].body, "sub index\n");
}

TEST_P(Serve, KeepAliveServesManyRequestsOnOneConnection) {
  start();
  Client c = connect();
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(c.send_all(get("/p/" + std::to_string(i) + ".txt")));
    auto r = read_responses(c, 1, Ms(5000));
    ASSERT_EQ(r.size(), 1u) << i;
    EXPECT_EQ(r[0].body, "file-" + std::to_string(i) + "\n");
    EXPECT_TRUE(r[0].field("Connection").empty());
  }
  // Connection: close is honoured and the server closes.
  ASSERT_TRUE(c.send_all(get("/hello.txt", "Connection: close\r\n")));
  std::string rest;
  EXPECT_TRUE(c.read_to_eof(rest, Ms(5000)));
  Response r;
  ASSERT_TRUE(parse_response(rest, r));
  EXPECT_EQ(r.field("Connection"), "close");
}

void pipeline(Serve& t, Client& c, int n) {
  std::string burst;
  for (int i = 0; i < n; ++i) {
    if (i % 5 == 4) {
      burst += get("/mid.bin");
    } else {
      burst += get("/p/" + std::to_string(i) + ".txt");
    }
  }
  ASSERT_TRUE(c.send_all(burst));  // one write
  auto r = read_responses(c, static_cast<size_t>(n), Ms(10000));
  ASSERT_EQ(r.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(r[static_cast<size_t>(i)].status, 200) << i;
    if (i % 5 == 4) {
      EXPECT_EQ(r[static_cast<size_t>(i)].body.size(), 100u * 1024) << i;
    } else {
      EXPECT_EQ(r[static_cast<size_t>(i)].body, "file-" + std::to_string(i) + "\n") << i;
    }
  }
  (void)t;
}

TEST_P(Serve, Pipelining8And64InOrder) {
  start();
  Client c = connect();
  pipeline(*this, c, 8);
  pipeline(*this, c, 64);
  // The connection is still usable afterwards.
  ASSERT_TRUE(c.send_all(get("/hello.txt")));
  EXPECT_EQ(read_responses(c, 1, Ms(5000)).size(), 1u);
}

TEST_P(Serve, PipelineWithFewRespondersAndBuffersWaitsInsteadOfFailing) {
  start({"--responders", "2", "--buffers", "1", "--max-pipeline", "4"});
  Client a = connect();
  Client b = connect();
  std::string burst;
  for (int i = 0; i < 32; ++i) burst += get("/p/" + std::to_string(i) + ".txt");
  ASSERT_TRUE(a.send_all(burst));
  ASSERT_TRUE(b.send_all(burst));
  auto ra = read_responses(a, 32, Ms(10000));
  auto rb = read_responses(b, 32, Ms(10000));
  ASSERT_EQ(ra.size(), 32u);
  ASSERT_EQ(rb.size(), 32u);
  for (size_t i = 0; i < 32; ++i) {
    EXPECT_EQ(ra[i].body, "file-" + std::to_string(i) + "\n");
    EXPECT_EQ(rb[i].body, "file-" + std::to_string(i) + "\n");
  }
}

TEST_P(Serve, ManyClientsOnSmallPoolsAreAllAnsweredWithBackPressure) {
  if (tls_mode())
    GTEST_SKIP() << "over TLS a handshake holds a receive buffer until it hands off: with both buffers held, "
                    "the clients' handshakes wait, and Client::connect() waits for its handshake";
  start({"--max-connections", "128", "--buffers", "2", "--responders", "8", "--status-path", "/_status"});
  // Two clients hold both buffers with half-sent heads.
  std::vector<Client> holders;
  for (int i = 0; i < 2; ++i) {
    holders.push_back(connect());
    ASSERT_TRUE(holders.back().send_all("GET /p/0.txt HTTP/1.1\r\n"));
  }
  constexpr int kClients = 100;
  constexpr int kRequests = 10;
  std::vector<Client> clients;
  for (int i = 0; i < kClients; ++i) clients.push_back(connect());
  for (int i = 0; i < kClients; ++i) {
    std::string burst;
    for (int k = 0; k < kRequests; ++k) burst += get(k == 3 ? "/mid.bin" : "/p/" + std::to_string((i + k) % 64) + ".txt");
    ASSERT_TRUE(clients[static_cast<size_t>(i)].send_all(burst));
  }
  // Nobody can be read while the buffers are held: the clients wait, they are not refused.
  std::string early;
  EXPECT_EQ(clients[0].read_some(early, Ms(200)), -1) << early;
  for (Client& h : holders) ASSERT_TRUE(h.send_all("Host: t\r\n\r\n"));
  for (Client& h : holders) EXPECT_EQ(read_responses(h, 1, Ms(5000)).size(), 1u);
  for (int i = 0; i < kClients; ++i) {
    auto r = read_responses(clients[static_cast<size_t>(i)], kRequests, Ms(20000));
    ASSERT_EQ(r.size(), static_cast<size_t>(kRequests)) << i;
    for (int k = 0; k < kRequests; ++k) {
      if (k == 3) {
        EXPECT_EQ(r[3].body.size(), 100u * 1024);
      } else {
        EXPECT_EQ(r[static_cast<size_t>(k)].body, "file-" + std::to_string((i + k) % 64) + "\n") << i << " " << k;
      }
    }
  }
  Client probe = connect();
  ASSERT_TRUE(probe.send_all(get("/_status")));
  auto st = read_responses(probe, 1, Ms(5000));
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].body.find("\"buffer_waits\":0"), std::string::npos) << st[0].body;  // it waited, did not fail
  EXPECT_NE(st[0].body.find("\"rejected_429\":0"), std::string::npos) << st[0].body;
}

TEST_P(Serve, BadRequestInPipelineIsAnsweredInOrderThenCloses) {
  start();
  Client c = connect();
  ASSERT_TRUE(c.send_all(get("/p/1.txt") + "BROKEN\r\n\r\n" + get("/p/2.txt")));
  std::string all;
  ASSERT_TRUE(c.read_to_eof(all, Ms(5000)));
  Response r1, r2, r3;
  ASSERT_TRUE(parse_response(all, r1));
  ASSERT_TRUE(parse_response(all, r2));
  EXPECT_EQ(r1.body, "file-1\n");
  EXPECT_EQ(r2.status, 400);
  EXPECT_EQ(r2.field("Connection"), "close");
  EXPECT_FALSE(parse_response(all, r3));
}

TEST_P(Serve, TooManyConnectionsGets429) {
  start({"--max-connections", "2"});  // --buffers follows (64 -> 2) when not given
  Client a = connect();
  Client b = connect();
  // Both hold a slot (answered, kept alive).
  for (Client* c : {&a, &b}) {
    ASSERT_TRUE(c->send_all(get("/hello.txt")));
    ASSERT_EQ(read_responses(*c, 1, Ms(5000)).size(), 1u);
  }
  if (tls_mode()) {
    // No 429 can be sent before a handshake, and none is afforded without a
    // slot: the connection is closed at once, cleanly.
    Client third;
    EXPECT_FALSE(third.connect(server.port()));
  } else {
  Client third = connect();
  std::string got;
  EXPECT_TRUE(third.read_to_eof(got, Ms(5000)));
  Response r;
  ASSERT_TRUE(parse_response(got, r)) << got;
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.field("Retry-After"), "1");
  EXPECT_EQ(r.field("Connection"), "close");
  EXPECT_EQ(std::to_string(r.body.size()), r.field("Content-Length"));
  }
  // A freed slot is usable again.
  a.close();
  bool served = false;
  for (int attempt = 0; attempt < 50 && !served; ++attempt) {
    Client d = connect();
    ASSERT_TRUE(d.send_all(get("/hello.txt")));
    auto rs = read_responses(d, 1, Ms(5000));
    served = rs.size() == 1 && rs[0].status == 200;
  }
  EXPECT_TRUE(served);
}

TEST_P(Serve, HeaderSectionTooLargeGets431) {
  start({"--buffer-size", "4k"});
  Client c = connect();
  std::string big = "X-Big: " + std::string(6000, 'b') + "\r\n";
  ASSERT_TRUE(c.send_all(get("/hello.txt", big)));
  std::string got;
  EXPECT_TRUE(c.read_to_eof(got, Ms(5000)));
  Response r;
  ASSERT_TRUE(parse_response(got, r)) << got.substr(0, 200);
  EXPECT_EQ(r.status, 431);
  EXPECT_EQ(r.field("Connection"), "close");
}

TEST_P(Serve, BodyTooLargeGets413BeforeTheBodyIsRead) {
  start({"--example-api"});
  Client c = connect();
  // The announced length alone decides; the body never comes.
  ASSERT_TRUE(c.send_all("POST /api/sum HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                         "Content-Length: 100000000\r\n\r\n"));
  std::string got;
  EXPECT_TRUE(c.read_to_eof(got, Ms(5000)));
  Response r;
  ASSERT_TRUE(parse_response(got, r)) << got;
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.field("Connection"), "close");
}

TEST_P(Serve, RejectedBodyStillReachesTheClientAsAResponseNotAReset) {
  start();
  Client c = connect();
  // GET with a body the static route does not take: 413 while the client is
  // still sending; lingering close lets it read the answer.
  const std::string body(200 * 1024, 'z');
  ASSERT_TRUE(c.send_all("GET /hello.txt HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(body.size()) +
                         "\r\n\r\n"));
  c.send_all(body, Ms(2000));  // may stop early once the server shuts its side
  std::string got;
  c.read_to_eof(got, Ms(5000));
  Response r;
  ASSERT_TRUE(parse_response(got, r)) << got.substr(0, 200);
  EXPECT_EQ(r.status, 413);
}

TEST_P(Serve, SlowHeadGets408) {
  start({"--header-timeout", "0.3"});
  Client c = connect();
  ASSERT_TRUE(c.send_all("GET /hello.txt HTTP/1.1\r\nHost: t\r\n"));  // never finished
  std::string got;
  EXPECT_TRUE(c.read_to_eof(got, Ms(5000)));  // poll-driven: returns on the close
  Response r;
  ASSERT_TRUE(parse_response(got, r)) << got;
  EXPECT_EQ(r.status, 408);
  EXPECT_EQ(r.field("Connection"), "close");
}

TEST_P(Serve, SlowlorisClientsDoNotHoldSlotsPastTheHeaderTimeout) {
  start({"--max-connections", "4", "--header-timeout", "0.5"});
  std::vector<Client> slow;
  for (int i = 0; i < 4; ++i) slow.push_back(connect());
  const std::string head = "GET /hello.txt HTTP/1.1\r\nHost: t\r\nX-Slow: " + std::string(200, 's');
  std::vector<std::string> got(slow.size());
  std::vector<bool> closed(slow.size(), false);
  size_t open = slow.size();
  // One byte per client every 50 ms (the poll is the pacing), far slower
  // than a head needs; every one is answered 408 and closed.
  for (size_t step = 0; step < head.size() && open > 0; ++step) {
    for (size_t i = 0; i < slow.size(); ++i) {
      if (closed[i]) continue;
      slow[i].send_all(std::string_view(head).substr(step, 1), Ms(100));
      const long n = slow[i].read_some(got[i], Ms(step == 0 ? 0 : 50 / static_cast<long>(slow.size())));
      if (n == 0 || n == -2) {
        closed[i] = true;
        --open;
      }
    }
  }
  for (size_t i = 0; i < slow.size(); ++i) {
    if (!closed[i]) closed[i] = slow[i].read_to_eof(got[i], Ms(3000));
    EXPECT_TRUE(closed[i]) << i;
    Response r;
    ASSERT_TRUE(parse_response(got[i], r)) << i << ": " << got[i];
    EXPECT_EQ(r.status, 408) << i;
  }
  // The slots are free again.
  Client c = connect();
  ASSERT_TRUE(c.send_all(get("/hello.txt")));
  auto r = read_responses(c, 1, Ms(5000));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status, 200);
}

TEST_P(Serve, IdleKeepAliveConnectionIsClosedAfterItsTimeout) {
  start({"--keepalive-timeout", "0.3"});
  Client c = connect();
  ASSERT_TRUE(c.send_all(get("/hello.txt")));
  ASSERT_EQ(read_responses(c, 1, Ms(5000)).size(), 1u);
  EXPECT_TRUE(c.wait_closed(Ms(5000)));
}

TEST_P(Serve, GracefulShutdownFinishesTheResponseInFlight) {
  const size_t size = 16u << 20;
  dir.write("large.bin", pattern_bytes(size, 3));
  start();
  Client c;
  ASSERT_TRUE(c.connect(server.port(), /*rcvbuf=*/4096));
  ASSERT_TRUE(c.send_all(get("/large.bin")));
  std::string got;
  // Some bytes arrive: the response is in flight.
  while (got.size() < 64 * 1024) ASSERT_GT(c.read_some(got, Ms(5000), 4096), 0);
  server.signal(SIGTERM);
  // New connections are refused once the listener is closed.
  bool refused = false;
  for (int i = 0; i < 200 && !refused; ++i) {
    Client probe;
    if (!probe.connect(server.port())) {
      refused = true;
    } else {
      std::string x;
      refused = probe.read_some(x, Ms(20)) == 0 || probe.read_some(x, Ms(0)) == -2;
    }
  }
  EXPECT_TRUE(refused);
  // The transfer completes, slowly read.
  for (int i = 0; i < 100000; ++i) {
    const long n = c.read_some(got, Ms(5000), 16384);
    if (n <= 0) break;
  }
  Response r;
  ASSERT_TRUE(parse_response(got, r)) << got.size();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.size(), size);
  EXPECT_TRUE(r.body == pattern_bytes(size, 3));
  EXPECT_EQ(server.wait_exit(Ms(10000)), 0);
}

TEST_P(Serve, ASecondSignalEndsTheDrainAtOnce) {
  dir.write("large.bin", pattern_bytes(16u << 20, 4));
  start({"--shutdown-timeout", "30"});
  Client c;
  ASSERT_TRUE(c.connect(server.port(), /*rcvbuf=*/4096));
  ASSERT_TRUE(c.send_all(get("/large.bin")));
  std::string got;
  ASSERT_GT(c.read_some(got, Ms(5000), 4096), 0);  // in flight, and the client stops reading
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait_exit(Ms(300)), -1);  // still draining
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait_exit(Ms(5000)), 1);
}

TEST_P(Serve, IdleConnectionsDoNotDelayShutdown) {
  start({"--keepalive-timeout", "60"});
  Client a = connect();
  ASSERT_TRUE(a.send_all(get("/hello.txt")));
  ASSERT_EQ(read_responses(a, 1, Ms(5000)).size(), 1u);
  Client b = connect();  // never sends
  server.signal(SIGINT);
  EXPECT_EQ(server.wait_exit(Ms(3000)), 0);
  EXPECT_TRUE(a.wait_closed(Ms(1000)));
  EXPECT_TRUE(b.wait_closed(Ms(1000)));
}

TEST_P(Serve, ClientsThatVanishMidResponseDoNotKillTheServer) {
  dir.write("large.bin", pattern_bytes(8u << 20, 5));
  start();
  for (int i = 0; i < 20; ++i) {
    Client c = connect();
    std::string burst;
    for (int k = 0; k < 4; ++k) burst += get("/large.bin");
    ASSERT_TRUE(c.send_all(burst));
    std::string some;
    c.read_some(some, Ms(2000), 1024);
    if (i % 2 == 0) {
      c.abort();  // RST
    } else {
      c.close();  // FIN with unread data: the server's writes get EPIPE/ECONNRESET
    }
  }
  Client c = connect();
  ASSERT_TRUE(c.send_all(get("/hello.txt")));
  auto r = read_responses(c, 1, Ms(5000));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status, 200);
  EXPECT_EQ(server.wait_exit(Ms(0)), -1);  // still running
}

TEST_P(Serve, AFileThatShrinksMidTransferClosesTheConnectionShort) {
  // Larger than the socket buffers on both sides can hold, so the server is
  // still sending when the file shrinks.
  const size_t size = 64u << 20;
  {  // sparse: nothing to build in memory or write to disk
    const int fd = ::open((dir.path() + "/shrinking.bin").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(size)), 0);
    ::close(fd);
  }
  start({"--send-timeout", "60"});  // the close must come from the shrink, not a timeout
  Client c;
  ASSERT_TRUE(c.connect(server.port()));
  ASSERT_TRUE(c.send_all(get("/shrinking.bin") + get("/hello.txt")));
  std::string got;
  while (got.size() < 64 * 1024) ASSERT_GT(c.read_some(got, Ms(5000), 4096), 0);
  ASSERT_EQ(::truncate((dir.path() + "/shrinking.bin").c_str(), 1 << 20), 0);
  EXPECT_TRUE(c.read_to_eof(got, Ms(8000)));
  // Never more than announced, never a second response glued to a short body.
  const size_t head_end = got.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos);
  EXPECT_NE(got.find("Content-Length: " + std::to_string(size)), std::string::npos);
  EXPECT_LT(got.size() - head_end - 4, size);
  EXPECT_EQ(got.find("hello, world"), std::string::npos);
  // The server carries on.
  Client d = connect();
  ASSERT_TRUE(d.send_all(get("/hello.txt")));
  auto r = read_responses(d, 1, Ms(5000));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status, 200);
}

TEST_P(Serve, CurlFetchesFilesAndReusesTheConnection) {
  dir.write("large.bin", pattern_bytes(3u << 20, 9));
  start();
  const std::string base = url(server.port(), "");  // https:// in TLS mode (curl trusts the test certificate)
  int status = -1;
  const std::string out = shell("curl -s --max-time 10 " + base + "/hello.txt", &status);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(out, "hello, world\n");
  const std::string file = dir.path() + "/curl.out";
  const std::string stats = shell("curl -s --max-time 20 -o " + file + " -o /dev/null -w '%{http_code} %{size_download} %{num_connects}' " +
                                      base + "/large.bin " + base + "/large.bin",
                                  &status);
  EXPECT_EQ(status, 0);
  // Two transfers, the second reusing the first connection (0 new connects).
  EXPECT_EQ(stats, "200 3145728 1200 3145728 0") << stats;
  std::ifstream f(file, std::ios::binary);
  std::string body((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(body == pattern_bytes(3u << 20, 9));
  const std::string head = shell("curl -s -I --max-time 10 " + base + "/nothing-here", &status);
  EXPECT_EQ(head.rfind("HTTP/1.1 404", 0), 0u) << head;
}

TEST_P(Serve, AccessLogWritesCommonLogFormat) {
  const std::string log = dir.path() + "/../" + "access-" + std::to_string(::getpid()) + ".log";
  start({"--access-log", log});
  Client c = connect();
  ASSERT_TRUE(c.send_all(get("/hello.txt") + get("/missing")));
  ASSERT_EQ(read_responses(c, 2, Ms(5000)).size(), 2u);
  server.signal(SIGTERM);
  ASSERT_EQ(server.wait_exit(Ms(5000)), 0);
  std::ifstream f(log);
  std::string l1, l2;
  std::getline(f, l1);
  std::getline(f, l2);
  ::unlink(log.c_str());
  const char* clf = "127.0.0.1 - - [#/@/#:#:#:# +0000] \"GET /* HTTP/1.1\" # #";
  EXPECT_TRUE(matches(l1, clf)) << l1;
  EXPECT_TRUE(matches(l2, clf)) << l2;
  EXPECT_NE(l1.find("\"GET /hello.txt HTTP/1.1\" 200 13"), std::string::npos) << l1;
  EXPECT_NE(l2.find(" 404 "), std::string::npos) << l2;
}

TEST_P(Serve, StatusEndpointReportsPools) {
  start({"--status-path", "/_status"});
  Client c = connect();
  ASSERT_TRUE(c.send_all(get("/_status")));
  auto r = read_responses(c, 1, Ms(5000));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status, 200);
  EXPECT_NE(r[0].body.find("\"connections\":{\"capacity\":1024,\"in_use\":1}"), std::string::npos) << r[0].body;
}

TEST_P(Serve, SeveralWorkersShareThePort) {
  start({"--workers", "2"});
  EXPECT_NE(server.startup_line().find("2 workers x (1024 connections"), std::string::npos)
      << server.startup_line();
  for (int i = 0; i < 20; ++i) {
    Client c = connect();
    ASSERT_TRUE(c.send_all(get("/hello.txt")));
    auto r = read_responses(c, 1, Ms(5000));
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].status, 200);
  }
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait_exit(Ms(5000)), 0);
}

INSTANTIATE_TEST_SUITE_P(Compaction, Serve, ::testing::Values("memmove", "readv"));

// ---- start-up ----

TEST(ServeStartup, PortInUseIsAOneLineError) {
  // Hold a port without SO_REUSEPORT.
  Client holder;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  TempDir dir;
  const std::string addr = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  RunResult r = run_homeserve({"serve", dir.path(), "--listen", addr}, Ms(5000));
  ::close(fd);
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.rfind("homeserve: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("Address already in use"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

// Where a seccomp filter refuses io_uring (a unit's SystemCallFilter without
// @aio), --io auto serves with epoll and says why; --io uring refuses to start.
TEST(ServeStartup, AutoFallsBackToEpollWhereAFilterRefusesIoUring) {
  TempDir dir;
  dir.write("a.txt", "fallback\n");
  DenyIoUring deny;
  RunResult r = run_homeserve({"serve", dir.path(), "--listen", "127.0.0.1:0", "--io", "uring"}, Ms(5000));
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "homeserve: --io uring: io_uring_setup: Operation not permitted\n");
  Server s;
  std::string why;
  ASSERT_TRUE(s.start({dir.path(), "--io", "auto"}, &why)) << why;
  EXPECT_TRUE(s.startup_line().ends_with("; epoll (io_uring unavailable: io_uring_setup: Operation not permitted)"))
      << s.startup_line();
  Client c;
  ASSERT_TRUE(c.connect(s.port()));
  ASSERT_TRUE(c.send_all(get("/a.txt", "Connection: close\r\n")));
  std::string out;
  EXPECT_TRUE(c.read_to_eof(out, Ms(5000)));
  EXPECT_NE(out.find("\r\n\r\nfallback\n"), std::string::npos) << out;
}

// A second homeserve on a port a homeserve already serves must not join it
// through SO_REUSEPORT (the two would split the clients): it refuses, whatever
// --workers either runs, and the first keeps serving.
TEST(ServeStartup, SecondServerOnTheSamePortIsRefused) {
  for (const char* first_workers : {"1", "2"}) {
    TempDir dir;
    dir.write("a.txt", "first\n");
    Server first;
    ASSERT_TRUE(first.start({dir.path(), "--workers", first_workers}));
    const std::string addr = "127.0.0.1:" + std::to_string(first.port());
    for (const char* second_workers : {"1", "3"}) {
      RunResult r = run_homeserve({"serve", dir.path(), "--listen", addr, "--workers", second_workers}, Ms(5000));
      EXPECT_NE(r.status, 0) << first_workers << " then " << second_workers;
      EXPECT_EQ(r.out, "");
      EXPECT_NE(r.err.find("cannot listen on " + addr + ": Address already in use"), std::string::npos) << r.err;
      EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    }
    Client c;
    ASSERT_TRUE(c.connect(first.port()));
    ASSERT_TRUE(c.send_all(get("/a.txt", "Connection: close\r\n")));
    std::string out;
    EXPECT_TRUE(c.read_to_eof(out, Ms(5000)));
    EXPECT_NE(out.find("\r\n\r\nfirst\n"), std::string::npos) << out;
  }
}

TEST(ServeStartup, BadConfigurationsAreOneLineErrors) {
  TempDir dir;
  const std::vector<std::vector<std::string>> cases = {
      {"serve", dir.path() + "/no-such-dir"},
      {"serve", dir.path(), "--max-connections", "0"},
      {"serve", dir.path(), "--buffer-size", "512"},
      {"serve", dir.path(), "--buffers", "0"},
      {"serve", dir.path(), "--buffers", "100", "--max-connections", "10"},
      {"serve", dir.path(), "--responders", "0"},
      {"serve", dir.path(), "--responders", "65536"},  // more than a pipeline queue entry can name
      {"serve", dir.path(), "--workers", "0"},
      {"serve", dir.path(), "--listen", "localhost:80"},
      {"serve", dir.path(), "--listen", "127.0.0.1:99999"},
      {"serve", dir.path(), "--compaction", "sideways"},
      {"serve", dir.path(), "--header-timeout", "0"},
      {"serve", dir.path(), "--buffers", "100000000", "--max-connections", "100000000", "--buffer-size", "64M"},
  };
  for (const auto& args : cases) {
    RunResult r = run_homeserve(args, Ms(5000));
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_NE(r.status, 0) << joined;
    EXPECT_EQ(r.err.rfind("homeserve: ", 0), 0u) << joined << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << joined << ": " << r.err;
  }
}

TEST(ServeStartup, HelpListsEveryOptionWithItsDefault) {
  RunResult r = run_homeserve({"serve", "--help"}, Ms(5000));
  EXPECT_EQ(r.status, 0);
  for (const char* opt : {"--listen", "--max-connections", "--buffers", "--buffer-size", "--responders",
                          "--max-pipeline", "--workers", "--compaction", "--header-timeout", "--body-timeout",
                          "--keepalive-timeout", "--send-timeout", "--shutdown-timeout", "--access-log",
                          "--status-path"})
    EXPECT_NE(r.out.find(opt), std::string::npos) << opt;
  for (const char* def : {"127.0.0.1:8080", "1024", "64", "16k", "256", "memmove", "off"})
    EXPECT_NE(r.out.find(def), std::string::npos) << def;
  RunResult top = run_homeserve({"--help"}, Ms(5000));
  EXPECT_NE(top.out.find("--config"), std::string::npos) << top.out;
}

TEST(ServeStartup, ConfigFileFeedsOptionsAndRejectsUnknownKeys) {
  TempDir dir;
  dir.write("www/hello.txt", "from config\n");
  dir.write("good.toml", "[serve]\nmax-connections = 7\nbuffers = 3\nlisten = [\"127.0.0.1:0\"]\n");
  dir.write("bad.toml", "[serve]\nmax-connectionz = 7\n");
  Server s;
  std::string why;
  ASSERT_TRUE(s.start({dir.path() + "/www", "--config", dir.path() + "/good.toml", "--listen", "127.0.0.1:0"}, &why))
      << why;
  EXPECT_NE(s.startup_line().find("7 connections, 3 buffers"), std::string::npos) << s.startup_line();
  RunResult r = run_homeserve({"--config", dir.path() + "/bad.toml", "serve", dir.path()}, Ms(5000));
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(r.err.rfind("homeserve: ", 0), 0u) << r.err;
}

TEST(ServeStartup, ListensOnIpv6Loopback) {
  TempDir dir;
  dir.write("hello.txt", "v6\n");
  Server s;
  std::string why;
  if (!s.start({dir.path(), "--listen", "[::1]:0"}, &why)) {
    if (why.find("Cannot assign") != std::string::npos || why.find("not available") != std::string::npos)
      GTEST_SKIP() << "no IPv6 loopback here: " << why;
    FAIL() << why;
  }
  EXPECT_NE(s.startup_line().find("listening on [::1]:"), std::string::npos) << s.startup_line();
  Client c;
  ASSERT_TRUE(c.connect(s.port(), 0, /*v6=*/true));
  ASSERT_TRUE(c.send_all(get("/hello.txt")));
  auto r = read_responses(c, 1, Ms(5000));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].body, "v6\n");
}

}  // namespace
}  // namespace hs::it
