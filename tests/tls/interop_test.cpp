// Interoperability over real loopback sockets: a small server in a thread
// speaks TLS through TlsTransport (handshake on OpenSSL, then our record
// layer for TLS 1.3), and independent clients fetch a response from it:
// curl, openssl s_client, GnuTLS's gnutls-cli (including a KeyUpdate it
// asks for), and Python's ssl module. A client that is not installed is
// skipped with its name.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "tls/tls_context.hpp"
#include "tls/tls_transport.hpp"
#include "tls_peer.hpp"

extern char** environ;

namespace hs::tls {
namespace {

constexpr const char* kResponse = "HTTP/1.1 200 OK\r\nContent-Length: 14\r\nConnection: close\r\n\r\nhello over tls";

bool write_all(int fd, std::span<const char> bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n <= 0) return false;
    bytes = bytes.subspan(static_cast<size_t>(n));
  }
  return true;
}

// One connection: read until a request head, answer, close_notify, close.
// Returns the TLS version it ran, "+keyupdate" when the client updated its
// keys ("" on failure).
std::string serve_one(int fd, HandshakePool& pool, SSL_CTX* ctx) {
  TlsTransport t;
  if (!t.start(pool, ctx)) return "";
  std::vector<char> buf(32768);
  size_t have = 0;
  std::string request;
  pollfd p{fd, POLLIN, 0};
  while (request.find("\r\n\r\n") == std::string::npos) {
    if (::poll(&p, 1, 5000) != 1) return "";
    const ssize_t n = ::read(fd, buf.data() + have, buf.size() - have);
    if (n <= 0) return "";
    size_t len = have + static_cast<size_t>(n);
    for (int round = 0; round < 4; ++round) {
      const TlsTransport::In in = t.on_received(buf, len);
      request.append(buf.data(), in.plaintext);
      std::memmove(buf.data(), buf.data() + in.plaintext, in.partial);
      have = len = in.partial;
      if (t.failed()) return "";
      if (t.output().empty()) break;
      if (!write_all(fd, t.output())) return "";
      t.consume_output(t.output().size());
    }
  }
  std::vector<char> out(sealed_size(16384));
  size_t written = 0;
  const std::string response = kResponse;
  if (t.encrypt(response, out, written) != response.size()) return "";
  if (!write_all(fd, std::span<const char>(out.data(), written))) return "";
  t.close_notify();
  write_all(fd, t.output());
  t.consume_output(t.output().size());
  const std::string version = t.version() + std::string(t.key_updates() > 0 ? "+keyupdate" : "");
  ::shutdown(fd, SHUT_WR);
  return version;
}

class TlsServerThread {
public:
  bool start(SSL_CTX* ctx) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listener_, 8) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      return false;
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this, ctx] {
      HandshakePool pool(4);
      while (!stop_) {
        pollfd p{listener_, POLLIN, 0};
        if (::poll(&p, 1, 100) != 1) continue;
        const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        const std::string v = serve_one(fd, pool, ctx);
        versions_.push_back(v);
        ::close(fd);
      }
    });
    return true;
  }
  // Stops accepting and joins the thread: versions_ is then complete.
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (listener_ >= 0) ::close(listener_);
    listener_ = -1;
  }
  ~TlsServerThread() { stop(); }
  int port() const { return port_; }
  std::vector<std::string> versions_;  // one per connection served (read after stop())

private:
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

bool have_tool(const char* name) {
  const std::string cmd = std::string("command -v ") + name + " >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

// Runs `argv` with `input` on its stdin (kept open until the program's
// stdout ends: the server closes first), bounded by 10 s. Its stdout.
std::string run_client(const std::vector<std::string>& argv, const std::string& input) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) return "";
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  std::vector<std::string> full = {"timeout", "10"};
  full.insert(full.end(), argv.begin(), argv.end());
  std::vector<char*> args;
  for (auto& a : full) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, "timeout", &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(in[0]);
  ::close(out[1]);
  std::string got;
  if (rc == 0) {
    write_all(in[1], input);
    char buf[4096];
    ssize_t n;
    while ((n = ::read(out[0], buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
  }
  ::close(in[1]);
  ::close(out[0]);
  if (rc == 0) ::waitpid(pid, nullptr, 0);
  return got;
}

struct ClientRow {
  const char* name;
  const char* tool;
  std::vector<std::string> argv;  // "PORT" is replaced
  std::string input;
  const char* version;           // the version the server must have run
};

class InteropTest : public ServerKeysTest<::testing::Test> {
protected:
  void check(const ClientRow& row) {
    if (!have_tool(row.tool)) {
      std::printf("[ skipped  ] %s: %s is not installed\n", row.name, row.tool);
      return;
    }
    TlsServerThread server;
    ASSERT_TRUE(server.start(ctx_.get()));
    std::vector<std::string> argv = row.argv;
    for (auto& a : argv) {
      const size_t at = a.find("PORT");
      if (at != std::string::npos) a.replace(at, 4, std::to_string(server.port()));
    }
    const std::string out = run_client(argv, row.input);
    EXPECT_NE(out.find("hello over tls"), std::string::npos) << row.name << " said:\n" << out;
    server.stop();
    ASSERT_EQ(server.versions_.size(), 1u) << row.name;
    EXPECT_EQ(server.versions_[0], row.version) << row.name;
  }
};

const std::string kGet = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";

TEST_F(InteropTest, Curl) {
  check({"curl TLS 1.3", "curl", {"curl", "-sk", "--tlsv1.3", "https://127.0.0.1:PORT/"}, "", "TLSv1.3"});
  check({"curl TLS 1.2", "curl", {"curl", "-sk", "--tlsv1.2", "--tls-max", "1.2", "https://127.0.0.1:PORT/"}, "", "TLSv1.2"});
}

TEST_F(InteropTest, OpenSslSClient) {
  check({"s_client TLS 1.3", "openssl", {"openssl", "s_client", "-quiet", "-tls1_3", "-connect", "127.0.0.1:PORT"}, kGet, "TLSv1.3"});
  check({"s_client TLS 1.2", "openssl", {"openssl", "s_client", "-quiet", "-tls1_2", "-connect", "127.0.0.1:PORT"}, kGet, "TLSv1.2"});
}

TEST_F(InteropTest, GnuTls) {
  check({"gnutls-cli TLS 1.3", "gnutls-cli", {"gnutls-cli", "--insecure", "--port", "PORT", "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.3", "127.0.0.1"}, kGet, "TLSv1.3"});
  // An inline command asks for a KeyUpdate both ways (update_requested) first.
  check({"gnutls-cli KeyUpdate", "gnutls-cli", {"gnutls-cli", "--insecure", "--inline-commands", "--port", "PORT", "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.3", "127.0.0.1"}, "^rekey1^\n" + kGet, "TLSv1.3+keyupdate"});
  check({"gnutls-cli TLS 1.2", "gnutls-cli", {"gnutls-cli", "--insecure", "--port", "PORT", "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.2", "127.0.0.1"}, kGet, "TLSv1.2"});
}

TEST_F(InteropTest, PythonSsl) {
  const std::string script =
      "import socket,ssl,sys\n"
      "c=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT);c.check_hostname=False;c.verify_mode=ssl.CERT_NONE\n"
      "c.minimum_version=c.maximum_version=getattr(ssl.TLSVersion,sys.argv[2])\n"
      "s=c.wrap_socket(socket.create_connection(('127.0.0.1',int(sys.argv[1]))))\n"
      "s.sendall(b'GET / HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n')\n"
      "d=b''\n"
      "while True:\n"
      "  b=s.recv(4096)\n"
      "  if not b: break\n"
      "  d+=b\n"
      "sys.stdout.write(d.decode())\n";
  check({"python ssl TLS 1.3", "python3", {"python3", "-c", script, "PORT", "TLSv1_3"}, "", "TLSv1.3"});
  check({"python ssl TLS 1.2", "python3", {"python3", "-c", script, "PORT", "TLSv1_2"}, "", "TLSv1.2"});
}

}  // namespace
}  // namespace hs::tls
