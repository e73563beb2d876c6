// The tools' TLS client layer against a real TLS server: `openssl s_server
// -WWW` on 127.0.0.1, an ephemeral port, with a throwaway self-signed
// certificate made at test time (nothing private is committed). The server
// is a child process started and stopped by its PID. Skipped when the
// openssl command is absent.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "client/bench/requests.hpp"
#include "client/bench/runner.hpp"
#include "client/common/fetch.hpp"
#include "client/common/stream.hpp"
#include "client/common/tls_client.hpp"
#include "client/common/url.hpp"

namespace hs::client {
namespace {

namespace fs = std::filesystem;

std::string find_openssl() {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  for (size_t at = 0; at <= dirs.size();) {
    const size_t end = std::min(dirs.find(':', at), dirs.size());
    const fs::path p = fs::path(dirs.substr(at, end - at)) / "openssl";
    if (::access(p.c_str(), X_OK) == 0) return p.string();
    at = end + 1;
  }
  return {};
}

// Runs argv in `dir` (stdout/stderr to dir/log); returns the PID (-1 on failure).
pid_t spawn(const std::vector<std::string>& argv, const fs::path& dir) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  if (::chdir(dir.c_str()) != 0) ::_exit(127);
  const int log = ::open("log", O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (log >= 0) {
    ::dup2(log, 1);
    ::dup2(log, 2);
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execv(args[0], args.data());
  ::_exit(127);
}

int wait_exit(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

class TlsServer : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    openssl_ = find_openssl();
    if (openssl_.empty()) return;
    char tmpl[] = "/tmp/hs-tls-test-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return;
    dir_ = tmpl;
    std::ofstream(dir_ / "index.html") << "hello\n";
    const pid_t gen = spawn({openssl_, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                             "-keyout", "key.pem", "-out", "cert.pem", "-days", "1", "-subj", "/CN=localhost",
                             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"},
                            dir_);
    if (gen < 0 || wait_exit(gen) != 0) return;
    port_ = free_port();
    pid_ = spawn({openssl_, "s_server", "-accept", "127.0.0.1:" + std::to_string(port_), "-cert", "cert.pem", "-key",
                  "key.pem", "-WWW", "-quiet"},
                 dir_);
    // Ready when it accepts a connection: polled, bounded.
    const Deadline ready = Deadline::in(Ms(5000));
    while (!ready.passed()) {
      Url u;
      const char* why = "";
      parse_url("http://127.0.0.1:" + std::to_string(port_) + "/", u, why);
      Io io = Io::error;
      net::Fd fd = connect_to(u.address, Deadline::in(Ms(200)), io);
      if (io == Io::ok) {
        up_ = true;
        break;
      }
      ::usleep(20'000);  // bounded by `ready`
    }
  }

  static void TearDownTestSuite() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      wait_exit(pid_);
      pid_ = -1;
    }
    if (!dir_.empty()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }

  void SetUp() override {
    if (openssl_.empty()) GTEST_SKIP() << "the openssl command is not installed: no TLS server to test against";
    ASSERT_TRUE(up_) << "openssl s_server did not start (see " << (dir_ / "log") << ")";
  }

  static std::string url(const char* host = "127.0.0.1") {
    return std::string("https://") + host + ":" + std::to_string(port_) + "/index.html";
  }
  static std::string cacert() { return (dir_ / "cert.pem").string(); }

  static Fetched get(const std::string& text, const TlsOptions& options, std::string& why) {
    Url u;
    const char* url_why = "";
    EXPECT_TRUE(parse_url(text, u, url_why)) << url_why;
    if (!attach_tls(u, options, why)) return {};
    return fetch(u, make_request("GET", u.target, u.host), Deadline::in(Ms(5000)));
  }

  static inline std::string openssl_;
  static inline fs::path dir_;
  static inline uint16_t port_ = 0;
  static inline pid_t pid_ = -1;
  static inline bool up_ = false;
};

TEST(TlsClient, OpensWithAClientHello) {
  TlsClientContext ctx;
  std::string why;
  ASSERT_TRUE(ctx.init(TlsOptions{true, ""}, "localhost", why)) << why;
  EXPECT_EQ(ctx.server_name(), "localhost");
  TlsClient t;
  ASSERT_TRUE(t.open(ctx)) << t.error();
  const auto hello = t.output();
  ASSERT_GT(hello.size(), 5u);
  EXPECT_EQ(static_cast<unsigned char>(hello[0]), 0x16);  // a handshake record
  EXPECT_EQ(t.state(), TlsState::handshaking);
  TlsClientContext by_ip;
  ASSERT_TRUE(by_ip.init(TlsOptions{true, ""}, "127.0.0.1", why)) << why;
  EXPECT_EQ(by_ip.server_name(), "");  // no SNI for an address
}

TEST(TlsClient, MissingCacertIsAOneLineError) {
  Url u;
  const char* url_why = "";
  ASSERT_TRUE(parse_url("https://127.0.0.1:1/", u, url_why));
  std::string why;
  EXPECT_FALSE(attach_tls(u, TlsOptions{false, "/nonexistent/ca.pem"}, why));
  EXPECT_EQ(why, "--cacert /nonexistent/ca.pem: No such file or directory");
}

TEST_F(TlsServer, GetWithCacert) {
  std::string why;
  const Fetched f = get(url(), TlsOptions{false, cacert()}, why);
  ASSERT_TRUE(why.empty()) << why;
  ASSERT_EQ(f.outcome, ReadOutcome::response) << f.describe();
  EXPECT_EQ(f.status, 200);
  EXPECT_EQ(f.body, "hello\n");
}

TEST_F(TlsServer, GetByNameWithCacert) {
  std::string why;
  const Fetched f = get(url("localhost"), TlsOptions{false, cacert()}, why);
  ASSERT_EQ(f.outcome, ReadOutcome::response) << f.describe() << why;
  EXPECT_EQ(f.status, 200);
}

TEST_F(TlsServer, SelfSignedFailsVerificationWithoutCacert) {
  std::string why;
  const Fetched f = get(url(), TlsOptions{}, why);  // the system store
  ASSERT_TRUE(why.empty()) << why;
  EXPECT_EQ(f.connect, Io::tls);
  EXPECT_NE(f.tls_error.find("certificate verification failed"), std::string::npos) << f.tls_error;
  EXPECT_NE(f.describe().find("self-signed"), std::string::npos) << f.describe();
}

TEST_F(TlsServer, InsecureSkipsVerification) {
  std::string why;
  const Fetched f = get(url(), TlsOptions{true, ""}, why);
  ASSERT_EQ(f.outcome, ReadOutcome::response) << f.describe();
  EXPECT_EQ(f.body, "hello\n");
}

TEST_F(TlsServer, SpeaksTls12AndTls13) {
  for (const TlsVersion v : {TlsVersion::v1_2, TlsVersion::v1_3}) {
    SCOPED_TRACE(to_string(v));
    Url u;
    const char* url_why = "";
    ASSERT_TRUE(parse_url(url(), u, url_why));
    auto ctx = std::make_shared<TlsClientContext>();
    std::string why;
    ASSERT_TRUE(ctx->init(TlsOptions{false, cacert()}, u.name, why, v, v)) << why;
    u.tls = ctx;
    Stream s;
    ASSERT_EQ(s.connect(u, Deadline::in(Ms(5000))), Io::ok) << s.error();
    EXPECT_STREQ(s.tls().version(), v == TlsVersion::v1_2 ? "TLSv1.2" : "TLSv1.3");
    ASSERT_EQ(s.send_all(make_request("GET", u.target, u.host), Deadline::in(Ms(5000))), Io::ok);
    ResponseReader reader(16 * 1024);
    ASSERT_EQ(reader.next(s, Deadline::in(Ms(5000))), ReadOutcome::response);
    EXPECT_EQ(reader.info().status, 200);
  }
}

// The bench loop (the engine, epoll) over TLS: a request count, every
// connection a fresh handshake (s_server -WWW closes after each answer).
TEST_F(TlsServer, BenchLoopCompletesOverTls) {
  Url u;
  const char* url_why = "";
  ASSERT_TRUE(parse_url(url(), u, url_why));
  std::string why;
  ASSERT_TRUE(attach_tls(u, TlsOptions{false, cacert()}, why)) << why;
  bench::RequestSpec rs;
  rs.host = u.host;
  rs.targets = {u.target};
  bench::RequestSet requests;
  ASSERT_TRUE(requests.build(rs, 1, why)) << why;
  for (const bool fresh : {false, true}) {
    SCOPED_TRACE(fresh ? "new connection per request" : "as the server closes");
    bench::RunSpec spec;
    spec.address = u.address;
    spec.requests = &requests;
    spec.connections = 2;
    spec.quota = 20;
    spec.duration_ns = 10'000'000'000;  // a bound, not a wait: the quota ends it
    spec.io = net::IoKind::Epoll;
    spec.tls = u.tls.get();
    spec.new_connection = fresh;
    bench::Result result;
    ASSERT_TRUE(bench::execute(spec, result, why)) << why;
    EXPECT_EQ(result.counters.responses, 20u);
    EXPECT_EQ(result.counters.error_total(), 0u);
    EXPECT_GE(result.counters.connects, 10u);
  }
}

}  // namespace
}  // namespace hs::client
