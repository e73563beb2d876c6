// The fixed-resource promise over TLS: once OpenSSL's memory is fixed
// (install_tls_memory) and the worker started, serving HTTPS performs zero
// heap allocations on the worker's thread outside that arena -- full
// handshakes (TLS 1.3 and 1.2), resumptions with tickets, keep-alive and
// pipelined requests, a big file sealed from pread, alerts from clients that
// send garbage records, and abrupt closes -- under each engine. OpenSSL's
// own allocations land in the arena (CRYPTO_set_mem_functions), which is
// fixed at start-up and never grows.
//
// install_tls_memory() must run before OpenSSL allocates anything in the
// process: ctest runs each test in a process of its own.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "app/app.hpp"
#include "daemon/signals.hpp"
#include "loop/worker.hpp"
#include "sockets/listener.hpp"
#include "support/alloc_counter.hpp"
#include "tls/record_layer.hpp"
#include "tls/tls_context.hpp"
#include "tls/tls_memory.hpp"

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

bool wait_fd(int fd, int err) {
  pollfd p{fd, static_cast<short>(err == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN), 0};
  return ::poll(&p, 1, 5000) > 0;
}

// A blocking TLS client over a socket, every wait bounded (5 s).
struct TlsClient {
  int fd = -1;
  SSL* ssl = nullptr;
  ~TlsClient() { close(); }
  bool connect(uint16_t port, SSL_CTX* ctx, SSL_SESSION* resume = nullptr) {
    fd = connect_to(port);
    if (fd < 0) return false;
    ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (resume != nullptr) SSL_set_session(ssl, resume);
    for (;;) {
      ERR_clear_error();  // SSL_get_error reads this thread's queue
      const int r = SSL_connect(ssl);
      if (r == 1) return true;
      const int e = SSL_get_error(ssl, r);
      if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) || !wait_fd(fd, e)) return false;
    }
  }
  bool write(const std::string& bytes) {
    size_t at = 0;
    while (at < bytes.size()) {
      ERR_clear_error();
      const int n = SSL_write(ssl, bytes.data() + at, static_cast<int>(bytes.size() - at));
      if (n > 0) {
        at += static_cast<size_t>(n);
        continue;
      }
      const int e = SSL_get_error(ssl, n);
      if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) || !wait_fd(fd, e)) return false;
    }
    return true;
  }
  // Status codes of `count` responses (Content-Length framing).
  std::vector<int> responses(size_t count) {
    std::vector<int> codes;
    std::string in;
    size_t parsed = 0;
    char buf[65536];
    while (codes.size() < count) {
      for (;;) {
        const size_t end = in.find("\r\n\r\n", parsed);
        if (end == std::string::npos) break;
        const size_t cl = in.find("Content-Length: ", parsed);
        const size_t len = cl != std::string::npos && cl < end ? std::strtoull(in.c_str() + cl + 16, nullptr, 10) : 0;
        if (in.size() < end + 4 + len) break;
        codes.push_back(std::atoi(in.c_str() + parsed + 9));
        parsed = end + 4 + len;
      }
      if (codes.size() >= count) break;
      ERR_clear_error();
      const int n = SSL_read(ssl, buf, sizeof buf);
      if (n > 0) {
        in.append(buf, static_cast<size_t>(n));
        continue;
      }
      const int e = SSL_get_error(ssl, n);
      if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) || !wait_fd(fd, e)) break;
    }
    return codes;
  }
  // Reads until the server closes (an alert, close_notify or FIN).
  bool until_closed() {
    char buf[4096];
    for (int i = 0; i < 1000; ++i) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n == 0 || (n < 0 && errno != EAGAIN)) return true;
      if (n < 0) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 5000) <= 0) return false;
      }
    }
    return false;
  }
  void close() {
    if (ssl != nullptr) SSL_free(ssl);
    ssl = nullptr;
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

std::string get(const std::string& path) { return "GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n"; }

class ZeroAllocationTls : public ::testing::TestWithParam<IoKind> {};

TEST_P(ZeroAllocationTls, ServingHttpsAfterStartUpAllocatesNothingOutsideTheArena) {
  std::string error;
  {
    std::string fallback;
    IoKind kind;
    if (GetParam() == IoKind::Uring && !choose_io(IoChoice::Uring, kind, fallback, error)) GTEST_SKIP() << error;
  }
  if (!hs::testing::allocation_counting_available()) GTEST_SKIP() << "ASan interposes malloc; counted in the release build";
  ::signal(SIGPIPE, SIG_IGN);  // OpenSSL's client writes may meet a closed socket
  // Before any other OpenSSL call: 64 MiB for the server and this test's clients.
  if (!tls::install_tls_memory(64u << 20, error)) GTEST_SKIP() << error << " (run it alone, as ctest does)";

  const std::filesystem::path root =
      std::filesystem::temp_directory_path() / ("hs-zero-alloc-tls-" + std::to_string(::getpid()));
  std::filesystem::create_directories(root / "www");
  std::ofstream(root / "www" / "small.txt") << std::string(1024, 's');
  std::ofstream(root / "www" / "big.bin") << std::string(300 * 1024, 'b');
  const std::string cert = (root / "cert.pem").string(), key = (root / "key.pem").string();
  if (std::system(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=t "
                   "-keyout " + key + " -out " + cert + " >/dev/null 2>&1").c_str()) != 0)
    GTEST_SKIP() << "openssl(1) could not make a certificate";

  tls::TicketKeys tickets;
  tls::TlsContext context(&tickets);
  ASSERT_TRUE(context.load(cert, key, error)) << error;

  app::Config ac;
  ac.docroot = (root / "www").string();
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
  wc.max_connections = 16;
  wc.buffers = 8;
  wc.responders = 32;
  wc.limits.keepalive_timeout = 60'000;
  wc.tls.context = &context;
  wc.tls.listener_mask = 1;
  wc.tls.handshakes = 4;
  wc.tls.seal_buffers = 4;
  Worker worker;
  Fd listeners[1] = {std::move(lr.fd)};
  ASSERT_TRUE(worker.init(wc, app, listeners, stop.fd(), -1, error)) << error;

  SSL_CTX* client13 = SSL_CTX_new(TLS_client_method());
  SSL_CTX* client12 = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_max_proto_version(client12, TLS1_2_VERSION);
  for (SSL_CTX* c : {client13, client12}) SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_CLIENT);

  std::atomic<const std::atomic<uint64_t>*> counter{nullptr};
  std::atomic<uint64_t> at_start{0};
  std::thread loop([&] {
    tls::prepare_thread();  // start-up on this thread (Worker::run does it too)
    const std::atomic<uint64_t>* mine = hs::testing::this_thread_allocations();
    at_start = mine->load();
    counter = mine;
    worker.run();
  });
  while (counter.load() == nullptr) std::this_thread::yield();

  size_t requests = 0;
  auto expect_ok = [&](TlsClient& c, size_t n) {
    const std::vector<int> codes = c.responses(n);
    ASSERT_EQ(codes.size(), n);
    for (int code : codes) ASSERT_EQ(code, 200);
    requests += n;
  };
  // 1. Full handshakes, TLS 1.3 and 1.2, each with a few keep-alive requests;
  //    the 1.3 session is kept for the resumptions.
  SSL_SESSION* session = nullptr;
  for (int i = 0; i < 60; ++i) {
    TlsClient c;
    ASSERT_TRUE(c.connect(port, i % 3 == 2 ? client12 : client13)) << i;
    for (int k = 0; k < 5; ++k) {
      ASSERT_TRUE(c.write(get("/small.txt")));
      expect_ok(c, 1);
    }
    if (i == 0) {
      session = SSL_get1_session(c.ssl);  // the ticket arrived with the first response
      SSL_set_shutdown(c.ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);  // a close that keeps it resumable
    }
  }
  ASSERT_NE(session, nullptr);
  // 2. Resumptions.
  size_t resumed = 0;
  for (int i = 0; i < 40; ++i) {
    TlsClient c;
    ASSERT_TRUE(c.connect(port, client13, session));
    resumed += SSL_session_reused(c.ssl) ? 1 : 0;
    ASSERT_TRUE(c.write(get("/small.txt")));
    expect_ok(c, 1);
    SSL_set_shutdown(c.ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_SESSION* next = SSL_get1_session(c.ssl);  // the newest ticket, as clients keep it
    SSL_SESSION_free(session);
    session = next;
  }
  EXPECT_GE(resumed, 30u);
  // 3. Pipelined batches with a big file sealed from pread.
  {
    TlsClient c;
    ASSERT_TRUE(c.connect(port, client13));
    std::string batch;
    for (int i = 0; i < 16; ++i) batch += get(i % 4 == 0 ? "/big.bin" : "/small.txt");
    for (int i = 0; i < 45; ++i) {
      ASSERT_TRUE(c.write(batch));
      expect_ok(c, 16);
    }
  }
  // 4. Garbage records after a handshake (an alert, then the close), garbage
  //    instead of a ClientHello, and abrupt closes mid-handshake and mid-response.
  for (int i = 0; i < 40; ++i) {
    TlsClient c;
    ASSERT_TRUE(c.connect(port, client13));
    const std::string bad = std::string("\x17\x03\x03\x00\x20", 5) + std::string(32, 'x');
    ASSERT_EQ(::send(c.fd, bad.data(), bad.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bad.size()));
    EXPECT_TRUE(c.until_closed());
    TlsClient noise;
    noise.fd = connect_to(port);
    const std::string junk(600, static_cast<char>(0x80 + i));
    ::send(noise.fd, junk.data(), junk.size(), MSG_NOSIGNAL);
    EXPECT_TRUE(noise.until_closed());
    TlsClient half;
    half.fd = connect_to(port);
    ::send(half.fd, "\x16\x03\x01\x02\x00\x01", 6, MSG_NOSIGNAL);
    half.close();
    TlsClient gone;
    ASSERT_TRUE(gone.connect(port, client13));
    ASSERT_TRUE(gone.write(get("/big.bin")));
    gone.close();
  }
  // The loop has handled every close once one more request is answered.
  {
    TlsClient c;
    ASSERT_TRUE(c.connect(port, client13));
    ASSERT_TRUE(c.write(get("/small.txt")));
    expect_ok(c, 1);
  }
  const uint64_t allocations = counter.load()->load() - at_start.load();
  stop.raise();
  loop.join();
  SSL_SESSION_free(session);
  SSL_CTX_free(client13);
  SSL_CTX_free(client12);
  std::filesystem::remove_all(root);

  const tls::TlsMemoryStats mem = tls::tls_memory_stats();
  EXPECT_GE(requests, 1'000u);
  EXPECT_GE(worker.stats().tls_handshakes, 140u);
  EXPECT_GE(worker.stats().tls_resumed, 30u);
  EXPECT_GE(worker.stats().tls_failures, 40u);
  EXPECT_EQ(allocations, 0u) << "heap allocations on the worker thread after start-up, outside the TLS arena";
  std::printf("zero-allocation over TLS: %zu requests, %llu handshakes (%llu resumed), %llu allocations after "
              "start-up; TLS arena peak %zu KiB of %zu KiB\n",
              requests, static_cast<unsigned long long>(worker.stats().tls_handshakes),
              static_cast<unsigned long long>(worker.stats().tls_resumed),
              static_cast<unsigned long long>(allocations), mem.peak >> 10, mem.capacity >> 10);
}

INSTANTIATE_TEST_SUITE_P(Engines, ZeroAllocationTls, ::testing::Values(IoKind::Epoll, IoKind::Uring),
                         [](const ::testing::TestParamInfo<IoKind>& info) { return std::string(to_string(info.param)); });

}  // namespace
}  // namespace hs::net
