// The fixed-resource promise: after start-up, serving performs zero heap
// allocations. A real worker (under each engine: epoll and io_uring; pools, the app with static files,
// status and JSON example) serves more than 10,000 requests over loopback --
// keep-alive, pipelined, errors, 429s at the connection limit and header
// timeouts -- while malloc and friends are counted on the worker's thread.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "support/alloc_counter.hpp"
#include "app/app.hpp"
#include "sockets/listener.hpp"
#include "daemon/signals.hpp"
#include "loop/worker.hpp"

namespace hs::net {
namespace {

int connect_to(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

void send_all(int fd, const std::string& bytes) {
  size_t at = 0;
  while (at < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
    if (n <= 0) return;
    at += static_cast<size_t>(n);
  }
}

// Reads until `count` complete responses (by Content-Length; HEAD never used
// here) arrived or the peer closed; bounded by a 5 s poll deadline per read.
// Returns the status codes.
std::vector<int> read_responses(int fd, size_t count, bool until_close = false) {
  std::string in;
  std::vector<int> codes;
  char buf[65536];
  size_t parsed = 0;
  while (codes.size() < count || until_close) {
    // Parse what we have.
    for (;;) {
      size_t end = in.find("\r\n\r\n", parsed);
      if (end == std::string::npos) break;
      size_t cl = in.find("Content-Length: ", parsed);
      size_t len = (cl != std::string::npos && cl < end) ? std::strtoull(in.c_str() + cl + 16, nullptr, 10) : 0;
      if (in.size() < end + 4 + len) break;
      codes.push_back(std::atoi(in.c_str() + parsed + 9));
      parsed = end + 4 + len;
    }
    if (codes.size() >= count && !until_close) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) break;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  return codes;
}

std::string get(const std::string& path, const std::string& extra = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: t\r\n" + extra + "\r\n";
}

class ZeroAllocation : public ::testing::TestWithParam<IoKind> {};

TEST_P(ZeroAllocation, ServingAfterStartUpAllocatesNothing) {
  std::string error;
  {
    std::string fallback;
    IoKind kind;
    if (GetParam() == IoKind::Uring && !choose_io(IoChoice::Uring, kind, fallback, error)) GTEST_SKIP() << error;
  }
  if (!hs::testing::allocation_counting_available()) GTEST_SKIP() << "ASan interposes malloc; counted in the release build";
  {  // the counter itself must see an allocation, or this test proves nothing
    const uint64_t before = hs::testing::this_thread_allocations()->load();
    void* volatile p = std::malloc(64);
    std::free(p);
    ASSERT_GT(hs::testing::this_thread_allocations()->load(), before);
  }

  const std::filesystem::path root = std::filesystem::temp_directory_path() / ("hs-zero-alloc-" + std::to_string(::getpid()));
  std::filesystem::create_directories(root / "dir");
  std::ofstream(root / "small.txt") << std::string(1024, 's');
  std::ofstream(root / "big.bin") << std::string(200 * 1024, 'b');
  std::ofstream(root / "dir" / "index.html") << "<h1>index</h1>";

  app::Config ac;
  ac.docroot = root.string();
  ac.status_path = "/_status";
  ac.example_api = true;
  app::App app(ac);
  ASSERT_TRUE(app.ok()) << app.error();

  Address addr;
  const char* why = nullptr;
  ASSERT_TRUE(parse_address("127.0.0.1:0", addr, why));
  ListenResult lr = open_listener(addr, 512);
  ASSERT_TRUE(lr.fd) << lr.step;
  const uint16_t port = addr.port();
  StopEvent stop;
  ASSERT_EQ(stop.open(), 0);

  WorkerConfig wc;
  wc.io = GetParam();
  wc.max_connections = 8;
  wc.buffers = 4;
  wc.responders = 32;
  wc.limits.header_timeout = 150;
  wc.limits.keepalive_timeout = 60'000;
  Worker worker;
  Fd listeners[1] = {std::move(lr.fd)};
  ASSERT_TRUE(worker.init(wc, app, listeners, stop.fd(), -1, error)) << error;

  std::atomic<const std::atomic<uint64_t>*> counter{nullptr};
  std::atomic<uint64_t> at_start{0};
  std::thread loop([&] {
    const std::atomic<uint64_t>* mine = hs::testing::this_thread_allocations();
    at_start = mine->load();
    counter = mine;
    worker.run();
  });
  while (counter.load() == nullptr) std::this_thread::yield();

  size_t requests = 0;
  std::vector<int> codes;
  auto expect_codes = [&](const std::vector<int>& got, size_t n, int code) {
    ASSERT_EQ(got.size(), n);
    for (int c : got) ASSERT_EQ(c, code);
    requests += n;
  };

  // 1. Keep-alive: 4,000 sequential requests over one connection, mixed.
  {
    int fd = connect_to(port);
    ASSERT_GE(fd, 0);
    const std::string body = "{\"numbers\":[1,2,3]}";
    const std::string post = "POST /api/sum HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\n\r\n" + body;
    for (int i = 0; i < 800; ++i) {
      send_all(fd, get("/small.txt"));
      expect_codes(read_responses(fd, 1), 1, 200);
      send_all(fd, get("/dir/"));
      expect_codes(read_responses(fd, 1), 1, 200);
      send_all(fd, get("/missing"));
      expect_codes(read_responses(fd, 1), 1, 404);
      send_all(fd, post);
      expect_codes(read_responses(fd, 1), 1, 200);
      send_all(fd, get("/_status"));
      expect_codes(read_responses(fd, 1), 1, 200);
    }
    ::close(fd);
  }
  // 2. Pipelining: 250 batches of 16 in one write (more than max_pipeline waits).
  {
    int fd = connect_to(port);
    std::string batch;
    for (int i = 0; i < 16; ++i) batch += get(i % 4 == 0 ? "/big.bin" : "/small.txt");
    for (int i = 0; i < 250; ++i) {
      send_all(fd, batch);
      expect_codes(read_responses(fd, 16), 16, 200);
    }
    ::close(fd);
  }
  // 3. Errors that close: 400, 431, 413, 505 (2,000 connections).
  const std::string errors[] = {
      "GET /x HTTP/1.1\r\nHost: t\r\nBad Field: 1\r\n\r\n",
      get("/small.txt", "X-Big: " + std::string(20000, 'x') + "\r\n"),
      "POST /api/sum HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 999999\r\n\r\n",
      "GET / HTTP/3.0\r\nHost: t\r\n\r\n",
  };
  const int error_codes[] = {400, 431, 413, 505};
  for (int i = 0; i < 2000; ++i) {
    int fd = connect_to(port);
    send_all(fd, errors[i % 4]);
    expect_codes(read_responses(fd, 1, /*until_close=*/true), 1, error_codes[i % 4]);
    ::close(fd);
  }
  // 4. 429: fill every slot, then 200 more connections are refused with 429.
  {
    std::vector<int> held;
    for (int i = 0; i < 8; ++i) {
      int fd = connect_to(port);
      send_all(fd, get("/small.txt"));
      expect_codes(read_responses(fd, 1), 1, 200);
      held.push_back(fd);
    }
    for (int i = 0; i < 200; ++i) {
      int fd = connect_to(port);
      expect_codes(read_responses(fd, 1, true), 1, 429);
      ::close(fd);
    }
    // 5. Header timeouts: partial heads on the held connections -> 408.
    for (int fd : held) send_all(fd, "GET /small.txt HTTP/1.1\r\nHo");
    for (int fd : held) {
      expect_codes(read_responses(fd, 1, true), 1, 408);
      ::close(fd);
    }
  }
  // Let the loop finish closing what the client closed, then read the count.
  {
    int fd = connect_to(port);
    send_all(fd, get("/small.txt"));
    expect_codes(read_responses(fd, 1), 1, 200);
    ::close(fd);
  }
  const uint64_t allocations = counter.load()->load() - at_start.load();
  stop.raise();
  loop.join();
  std::filesystem::remove_all(root);

  EXPECT_GE(requests, 10'000u);
  EXPECT_GE(worker.stats().connections_rejected, 200u);
  EXPECT_GE(worker.stats().timeouts, 8u);
  EXPECT_EQ(allocations, 0u) << "heap allocations on the worker thread after start-up";
  std::printf("zero-allocation: %zu requests, %llu allocations after start-up\n", requests,
              static_cast<unsigned long long>(allocations));
}

INSTANTIATE_TEST_SUITE_P(Engines, ZeroAllocation, ::testing::Values(IoKind::Epoll, IoKind::Uring),
                         [](const ::testing::TestParamInfo<IoKind>& info) { return std::string(to_string(info.param)); });

}  // namespace
}  // namespace hs::net
