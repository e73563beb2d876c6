// Integration test harness: starts the real `homeserve` binary on an
// ephemeral loopback port (--listen 127.0.0.1:0, port read from the start-up
// line), over a temporary docroot, and talks to it with raw sockets. Every
// wait is a poll with a deadline; the child is killed by PID in teardown.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

typedef struct ssl_st SSL;

namespace hs::it {

using Ms = std::chrono::milliseconds;

// HOMESERVE_TLS_IO=ENGINE (TLS mode under that engine): every server the harness starts listens with
// --tls-listen (a certificate made once per process with openssl(1)), every
// Client speaks TLS to it (verifying that certificate), url() says https://
// and curl trusts the certificate (CURL_CA_BUNDLE). The same tests then
// assert the same bytes over TLS.
bool tls_mode();
// The test certificate and key (made on first use); empty when openssl(1) failed.
const std::string& test_cert();
const std::string& test_key();

// A temporary directory, removed with its contents when it goes away.
class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // Writes `content` to path()/name (creating sub-directories).
  void write(const std::string& name, std::string_view content) const;

private:
  std::string path_;
};

// While one lives, the servers and commands this harness starts run under a
// seccomp filter that refuses io_uring_setup with EPERM (as a unit's
// SystemCallFilter without @aio would).
struct DenyIoUring {
  DenyIoUring();
  ~DenyIoUring();
  DenyIoUring(const DenyIoUring&) = delete;
  DenyIoUring& operator=(const DenyIoUring&) = delete;
};

// The server under test.
class Server {
public:
  Server() = default;
  ~Server();  // SIGKILL by PID if still running, then reaped
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Starts `homeserve serve <args...>`; waits (bounded) for the start-up line.
  // `listen` is added unless args already hold a --listen. Returns false with
  // what the child printed when it did not start.
  bool start(const std::vector<std::string>& args, std::string* failure = nullptr);
  pid_t pid() const { return pid_; }
  uint16_t port() const { return port_; }
  const std::string& startup_line() const { return line_; }
  // Bytes reserved, as printed ("reserved 2.5 MiB" -> 2.5 * 2^20).
  double reserved_bytes() const;

  void signal(int sig) const;
  // Waits for the exit; returns the exit status, 128+signal, or -1 on timeout.
  int wait_exit(Ms timeout);
  // What the child wrote to stderr so far (drained without blocking).
  std::string read_stderr();

private:
  pid_t pid_ = -1;
  int pidfd_ = -1;
  int out_ = -1;  // child's stdout
  int err_ = -1;  // child's stderr
  uint16_t port_ = 0;
  std::string line_;
  std::string err_text_;
  int status_ = -1;
};

// Runs homeserve to completion (for start-up errors, --help): exit status and output.
struct RunResult {
  int status = -1;
  std::string out, err;
};
RunResult run_homeserve(const std::vector<std::string>& args, Ms timeout);

// A blocking-free TCP client over loopback.
class Client {
public:
  Client() = default;
  ~Client();
  Client(Client&& o) noexcept;
  Client& operator=(Client&&) = delete;
  Client(const Client&) = delete;

  // rcvbuf > 0 sets SO_RCVBUF before connecting (slow readers). In TLS mode
  // the handshake is done here too (false when it fails).
  bool connect(uint16_t port, int rcvbuf = 0, bool v6 = false);
  // TCP only, even in TLS mode (a client that never handshakes).
  bool connect_tcp(uint16_t port, int rcvbuf = 0, bool v6 = false);
  // TLS whatever the mode (verifying test_cert()), within `timeout`.
  bool connect_tls(uint16_t port, Ms timeout = Ms(5000), bool tls12_only = false);
  // Raw bytes on the socket under the TLS session (garbage records).
  bool send_raw(std::string_view bytes);
  // The negotiated protocol ("TLSv1.3"), "" for plain.
  std::string tls_version() const;
  bool send_all(std::string_view bytes, Ms timeout = Ms(5000));
  // Reads what is available within `timeout`; appends to `out`. Returns bytes
  // read, 0 at EOF, -1 on timeout (nothing arrived), -2 on error (e.g. reset).
  long read_some(std::string& out, Ms timeout, size_t max = 1 << 20);
  // Reads until EOF or the deadline; true on EOF (a reset also counts as the end).
  bool read_to_eof(std::string& out, Ms timeout);
  // Waits until the peer closes (EOF or reset) within `timeout`, discarding data.
  bool wait_closed(Ms timeout);
  // Sends RST on close.
  void abort();
  void close();
  int fd() const { return fd_; }

private:
  bool handshake(Ms timeout, bool tls12_only = false);
  int fd_ = -1;
  SSL* ssl_ = nullptr;
};

struct Response {
  int status = 0;
  std::string head;  // status line and fields
  std::string body;
  std::string field(std::string_view name) const;  // first value, "" when absent
};

// Parses complete responses from the front of `stream` (Content-Length
// framing; HEAD responses have no body when `head_only`). Consumes what it parsed.
bool parse_response(std::string& stream, Response& out, bool head_only = false);

// Reads until `count` responses are parsed (or the deadline). Returns them.
std::vector<Response> read_responses(Client& c, size_t count, Ms timeout, bool head_only = false);

// "GET /path HTTP/1.1\r\nHost: t\r\n" + extra + "\r\n"
std::string get(std::string_view path, std::string_view extra = {});

// Runs a command with the shell; returns stdout (for curl).
std::string shell(const std::string& command, int* status = nullptr);

// VmRSS of `pid` in bytes (0 when unreadable).
uint64_t rss_bytes(pid_t pid);

// "http://127.0.0.1:PORT" + path.
std::string url(uint16_t port, std::string_view path);

// A loopback port nobody listens on right now (bound, then closed); 0 on failure.
uint16_t free_port();

// True when a process's stderr holds an ASan/UBSan report.
bool has_sanitizer_report(std::string_view err);

}  // namespace hs::it
