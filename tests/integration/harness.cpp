#include "harness.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <mutex>
#include <stdexcept>

#include <openssl/err.h>
#include <openssl/ssl.h>

#ifndef HS_BINARY
#error "HS_BINARY must name the homeserve executable"
#endif

namespace hs::it {

namespace {

using Clock = std::chrono::steady_clock;

struct TestCertificate {
  std::string dir, cert, key;
  SSL_CTX* client = nullptr;
};

// Made once per process: an ECDSA P-256 certificate for 127.0.0.1, ::1 and
// localhost, in a directory removed at exit.
const TestCertificate& certificate() {
  static TestCertificate c;
  static std::once_flag once;
  std::call_once(once, [] {
    char tmpl[] = "/tmp/hs-it-tls-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return;
    c.dir = tmpl;
    const std::string cert = c.dir + "/cert.pem", key = c.dir + "/key.pem";
    const std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
                            "-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1 "
                            "-keyout " + key + " -out " + cert + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) return;
    c.cert = cert;
    c.key = key;
    ::setenv("CURL_CA_BUNDLE", cert.c_str(), 1);
    c.client = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(c.client, TLS1_2_VERSION);
    SSL_CTX_load_verify_locations(c.client, cert.c_str(), nullptr);
    SSL_CTX_set_verify(c.client, SSL_VERIFY_PEER, nullptr);
    std::atexit([] { std::system(("rm -rf " + c.dir).c_str()); });
  });
  return c;
}

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<Ms>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

// Reads what is available on a non-blocking fd into `out`.
void drain(int fd, std::string& out) {
  char buf[4096];
  for (int i = 0; i < 256; ++i) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return;
    out.append(buf, static_cast<size_t>(n));
  }
}

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

// fork + exec of homeserve with stdout and stderr on pipes.
bool deny_io_uring_now = false;

// In the child, before exec: io_uring_setup fails with EPERM from now on, as
// under a service manager's SystemCallFilter without @aio.
void refuse_io_uring_setup() {
  sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog{static_cast<unsigned short>(sizeof code / sizeof code[0]), code};
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
    _exit(126);
}

pid_t spawn(const std::vector<std::string>& args, int& out, int& err) {
  int o[2], e[2];
  if (::pipe2(o, O_CLOEXEC) != 0) return -1;
  if (::pipe2(e, O_CLOEXEC) != 0) {
    ::close(o[0]);
    ::close(o[1]);
    return -1;
  }
  // Tests run as root in CI: homeserve refuses that without --allow-root,
  // which this variable gives (also to a server `homeserve bench` starts).
  ::setenv("HOMESERVE_ALLOW_ROOT", "1", 1);
  std::vector<std::string> argv_s;
  argv_s.push_back(HS_BINARY);
  for (const auto& a : args) argv_s.push_back(a);
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  const bool deny = deny_io_uring_now;
  const pid_t pid = ::fork();
  if (pid == 0) {
    // A test process that dies (a signal, an abort) takes its servers with it.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (deny) refuse_io_uring_setup();
    ::dup2(o[1], STDOUT_FILENO);
    ::dup2(e[1], STDERR_FILENO);
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  ::close(o[1]);
  ::close(e[1]);
  out = o[0];
  err = e[0];
  ::fcntl(out, F_SETFL, O_NONBLOCK);
  ::fcntl(err, F_SETFL, O_NONBLOCK);
  return pid;
}

int decode_status(int wstatus) {
  if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
  return -1;
}

}  // namespace

DenyIoUring::DenyIoUring() { deny_io_uring_now = true; }
DenyIoUring::~DenyIoUring() { deny_io_uring_now = false; }

// ---- TempDir ----

TempDir::TempDir() {
  char tmpl[] = "/tmp/homeserve-it-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  ::nftw(
      path_.c_str(),
      [](const char* p, const struct stat*, int, struct FTW*) { return ::remove(p); }, 16,
      FTW_DEPTH | FTW_PHYS);
}

void TempDir::write(const std::string& name, std::string_view content) const {
  const std::string full = path_ + "/" + name;
  for (size_t slash = full.find('/', path_.size() + 1); slash != std::string::npos;
       slash = full.find('/', slash + 1))
    ::mkdir(full.substr(0, slash).c_str(), 0755);
  std::ofstream f(full, std::ios::binary);
  f.write(content.data(), static_cast<std::streamsize>(content.size()));
}

// ---- Server ----

Server::~Server() {
  if (pid_ > 0 && status_ < 0) {
    ::kill(pid_, SIGKILL);
    int ws = 0;
    ::waitpid(pid_, &ws, 0);
  }
  // A sanitizer report from the server fails the test that ran it.
  const std::string err = read_stderr();
  if (has_sanitizer_report(err))
    ADD_FAILURE() << "the server reported:\n" << err;
  if (pidfd_ >= 0) ::close(pidfd_);
  if (out_ >= 0) ::close(out_);
  if (err_ >= 0) ::close(err_);
}

bool Server::start(const std::vector<std::string>& args, std::string* failure) {
  std::vector<std::string> full{"serve"};
  bool has_listen = false, has_config = false;
  for (const auto& a : args) {
    full.push_back(a);
    if (a == "--listen") has_listen = true;
    if (a == "--config" || a == "--io") has_config = true;  // the engine is named there
  }
  if (!has_listen && tls_mode() && !has_config) {
    if (test_cert().empty()) {
      if (failure) *failure = "openssl(1) could not make the test certificate";
      return false;
    }
    for (const char* a : {"--tls-listen", "127.0.0.1:0", "--tls-cert"}) full.push_back(a);
    full.push_back(test_cert());
    full.push_back("--tls-key");
    full.push_back(test_key());
  } else if (!has_listen) {
    full.push_back("--listen");
    full.push_back("127.0.0.1:0");
  }
  pid_ = spawn(full, out_, err_);
  if (pid_ < 0) return false;
  pidfd_ = pidfd_open(pid_);
  std::string out;
  const auto deadline = Clock::now() + Ms(10000);
  while (out.find('\n') == std::string::npos && Clock::now() < deadline) {
    pollfd p[2] = {{out_, POLLIN, 0}, {pidfd_, POLLIN, 0}};
    if (::poll(p, 2, remaining_ms(deadline)) <= 0) break;
    if (p[0].revents) drain(out_, out);
    if (p[1].revents && out.find('\n') == std::string::npos) {
      drain(out_, out);
      if (out.find('\n') == std::string::npos) break;  // exited without the line
    }
  }
  const size_t nl = out.find('\n');
  if (nl == std::string::npos) {
    if (failure) *failure = "no start-up line; stdout: " + out + " stderr: " + read_stderr();
    return false;
  }
  line_ = out.substr(0, nl);
  // "listening on 127.0.0.1:PORT; ..." or "[::1]:PORT"
  const size_t semi = line_.find(';');
  const size_t colon = line_.rfind(':', semi);
  if (semi == std::string::npos || colon == std::string::npos) return false;
  port_ = static_cast<uint16_t>(std::atoi(line_.substr(colon + 1, semi - colon - 1).c_str()));
  // The suite runs once per engine (HOMESERVE_IO): the server must say it runs that one.
  const char* io = has_config ? nullptr : std::getenv("HOMESERVE_IO");
  if (io != nullptr && std::string_view(io) == "epoll" && !line_.ends_with("; epoll"))
    ADD_FAILURE() << "HOMESERVE_IO=epoll but the server says: " << line_;
  if (io != nullptr && std::string_view(io) == "uring" && line_.find("; io_uring") == std::string::npos)
    ADD_FAILURE() << "HOMESERVE_IO=uring but the server says: " << line_;
  return port_ != 0;
}

double Server::reserved_bytes() const {
  const size_t at = line_.find("reserved ");
  if (at == std::string::npos) return 0;
  const double v = std::atof(line_.c_str() + at + 9);
  const size_t unit = line_.find_first_of("KMG", at + 9);
  if (unit == std::string::npos) return v;
  switch (line_[unit]) {
    case 'K': return v * 1024;
    case 'M': return v * 1024 * 1024;
    default: return v * 1024 * 1024 * 1024;
  }
}

void Server::signal(int sig) const {
  if (pid_ > 0 && status_ < 0) ::kill(pid_, sig);
}

int Server::wait_exit(Ms timeout) {
  if (status_ >= 0) return status_;
  const auto deadline = Clock::now() + timeout;
  for (int i = 0; i < 1000; ++i) {
    int ws = 0;
    const pid_t r = ::waitpid(pid_, &ws, WNOHANG);
    if (r == pid_) {
      status_ = decode_status(ws);
      return status_;
    }
    if (Clock::now() >= deadline) return -1;
    pollfd p{pidfd_, POLLIN, 0};
    ::poll(&p, 1, remaining_ms(deadline));
  }
  return -1;
}

std::string Server::read_stderr() {
  if (err_ >= 0) drain(err_, err_text_);
  return err_text_;
}

RunResult run_homeserve(const std::vector<std::string>& args, Ms timeout) {
  RunResult r;
  int out = -1, err = -1;
  const pid_t pid = spawn(args, out, err);
  if (pid < 0) return r;
  const int pfd = pidfd_open(pid);
  const auto deadline = Clock::now() + timeout;
  bool exited = false;
  int ws = 0;
  for (int i = 0; i < 10000 && !exited; ++i) {
    pollfd p[3] = {{out, POLLIN, 0}, {err, POLLIN, 0}, {pfd, POLLIN, 0}};
    ::poll(p, 3, remaining_ms(deadline));
    drain(out, r.out);
    drain(err, r.err);
    if (::waitpid(pid, &ws, WNOHANG) == pid) exited = true;
    if (!exited && Clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &ws, 0);
      break;
    }
  }
  drain(out, r.out);
  drain(err, r.err);
  r.status = exited ? decode_status(ws) : -1;
  ::close(out);
  ::close(err);
  if (pfd >= 0) ::close(pfd);
  return r;
}

// ---- Client ----

Client::~Client() { close(); }

Client::Client(Client&& o) noexcept : fd_(o.fd_), ssl_(o.ssl_) {
  o.fd_ = -1;
  o.ssl_ = nullptr;
}

bool Client::connect(uint16_t port, int rcvbuf, bool v6) {
  if (!connect_tcp(port, rcvbuf, v6)) return false;
  if (!tls_mode()) return true;
  if (handshake(Ms(5000))) return true;
  close();
  return false;
}

bool Client::connect_tls(uint16_t port, Ms timeout, bool tls12_only) {
  if (!connect_tcp(port)) return false;
  if (handshake(timeout, tls12_only)) return true;
  close();
  return false;
}

bool Client::send_raw(std::string_view bytes) {
  return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
}

std::string Client::tls_version() const { return ssl_ != nullptr ? SSL_get_version(ssl_) : ""; }

bool Client::handshake(Ms timeout, bool tls12_only) {
  const TestCertificate& c = certificate();
  if (c.client == nullptr) return false;
  ssl_ = SSL_new(c.client);
  if (tls12_only) SSL_set_max_proto_version(ssl_, TLS1_2_VERSION);
  SSL_set_fd(ssl_, fd_);
  SSL_set1_host(ssl_, "127.0.0.1");
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    ERR_clear_error();  // SSL_get_error reads this thread's queue: nothing stale from another client
    const int r = SSL_connect(ssl_);
    if (r == 1) return true;
    const int e = SSL_get_error(ssl_, r);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) return false;
    pollfd p{fd_, static_cast<short>(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT), 0};
    if (::poll(&p, 1, remaining_ms(deadline)) <= 0) return false;
  }
}

bool Client::connect_tcp(uint16_t port, int rcvbuf, bool v6) {
  close();
  fd_ = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return false;
  if (rcvbuf > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  int rc;
  if (v6) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    a.sin6_addr = in6addr_loopback;
    rc = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rc = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  if (rc != 0) {
    close();
    return false;
  }
  ::fcntl(fd_, F_SETFL, O_NONBLOCK);
  return true;
}

bool Client::send_all(std::string_view bytes, Ms timeout) {
  const auto deadline = Clock::now() + timeout;
  size_t off = 0;
  while (ssl_ != nullptr && off < bytes.size()) {
    ERR_clear_error();
    const int n = SSL_write(ssl_, bytes.data() + off, static_cast<int>(std::min<size_t>(bytes.size() - off, 1 << 20)));
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    const int e = SSL_get_error(ssl_, n);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) return false;
    pollfd p{fd_, static_cast<short>(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT), 0};
    if (::poll(&p, 1, remaining_ms(deadline)) <= 0) return false;
  }
  while (off < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) return false;
    pollfd p{fd_, POLLOUT, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) <= 0) return false;
  }
  return true;
}

long Client::read_some(std::string& out, Ms timeout, size_t max) {
  if (ssl_ != nullptr) {
    // Records arrive whole or not at all: wait (bounded) until one opens.
    const auto deadline = Clock::now() + timeout;
    std::string buf(std::min<size_t>(max, 1 << 16), '\0');
    for (;;) {
      ERR_clear_error();
      const int n = SSL_read(ssl_, buf.data(), static_cast<int>(buf.size()));
      if (n > 0) {
        out.append(buf.data(), static_cast<size_t>(n));
        return n;
      }
      const int e = SSL_get_error(ssl_, n);
      if (e == SSL_ERROR_ZERO_RETURN) return 0;  // close_notify
      if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && errno != ECONNRESET) {
        ERR_clear_error();
        return 0;  // the TCP end without close_notify
      }
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
        ERR_clear_error();
        return -2;
      }
      pollfd p{fd_, static_cast<short>(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT), 0};
      if (::poll(&p, 1, remaining_ms(deadline)) <= 0) return -1;
    }
  }
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return -1;
  std::string buf(std::min<size_t>(max, 1 << 16), '\0');
  const ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
  if (n > 0) {
    out.append(buf.data(), static_cast<size_t>(n));
    return n;
  }
  if (n == 0) return 0;
  return errno == EAGAIN ? -1 : -2;
}

bool Client::read_to_eof(std::string& out, Ms timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const long n = read_some(out, Ms(remaining_ms(deadline)));
    if (n == 0 || n == -2) return true;
    if (n < 0 && Clock::now() >= deadline) return false;
  }
}

bool Client::wait_closed(Ms timeout) {
  std::string sink;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    sink.clear();
    const long n = read_some(sink, Ms(remaining_ms(deadline)));
    if (n == 0 || n == -2) return true;
    if (n < 0 && Clock::now() >= deadline) return false;
  }
}

void Client::abort() {
  if (fd_ < 0) return;
  linger l{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close();
}

void Client::close() {
  if (ssl_ != nullptr) SSL_free(ssl_);  // no close_notify: the tests close like a plain client
  ssl_ = nullptr;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

// ---- responses ----

std::string Response::field(std::string_view name) const {
  size_t pos = head.find("\r\n");
  while (pos != std::string::npos && pos + 2 < head.size()) {
    const size_t start = pos + 2;
    const size_t end = head.find("\r\n", start);
    const std::string_view line(head.data() + start, (end == std::string::npos ? head.size() : end) - start);
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos && colon == name.size() &&
        ::strncasecmp(line.data(), name.data(), name.size()) == 0) {
      std::string_view v = line.substr(colon + 1);
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      return std::string(v);
    }
    pos = end;
  }
  return {};
}

bool parse_response(std::string& stream, Response& out, bool head_only) {
  const size_t end = stream.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  Response r;
  r.head = stream.substr(0, end);
  if (r.head.compare(0, 9, "HTTP/1.1 ") != 0) return false;
  r.status = std::atoi(r.head.c_str() + 9);
  size_t length = 0;
  const std::string cl = r.field("Content-Length");
  if (!cl.empty() && !head_only) length = std::strtoull(cl.c_str(), nullptr, 10);
  if (stream.size() < end + 4 + length) return false;
  r.body = stream.substr(end + 4, length);
  stream.erase(0, end + 4 + length);
  out = std::move(r);
  return true;
}

std::vector<Response> read_responses(Client& c, size_t count, Ms timeout, bool head_only) {
  std::vector<Response> got;
  std::string stream;
  const auto deadline = Clock::now() + timeout;
  while (got.size() < count) {
    Response r;
    if (parse_response(stream, r, head_only)) {
      got.push_back(std::move(r));
      continue;
    }
    const long n = c.read_some(stream, Ms(remaining_ms(deadline)));
    if (n == 0 || n == -2) {
      while (got.size() < count && parse_response(stream, r, head_only)) got.push_back(std::move(r));
      break;
    }
    if (n < 0 && Clock::now() >= deadline) break;
  }
  return got;
}

std::string get(std::string_view path, std::string_view extra) {
  std::string s = "GET ";
  s += path;
  s += " HTTP/1.1\r\nHost: t\r\n";
  s += extra;
  s += "\r\n";
  return s;
}

std::string shell(const std::string& command, int* status) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int ws = ::pclose(p);
  if (status) *status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
  return out;
}

uint64_t rss_bytes(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;
  }
  return 0;
}

std::string url(uint16_t port, std::string_view path) {
  return (tls_mode() ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port) + std::string(path);
}

bool tls_mode() { return std::getenv("HOMESERVE_TLS_IO") != nullptr; }

namespace {
// TLS mode names its engine too: every homeserve started inherits it.
// OpenSSL writes to its sockets without MSG_NOSIGNAL: a server that closed
// first must be an error, not a SIGPIPE that ends the test.
const bool kEngineFromTlsMode = [] {
  if (const char* io = std::getenv("HOMESERVE_TLS_IO")) ::setenv("HOMESERVE_IO", io, 1);
  ::signal(SIGPIPE, SIG_IGN);
  return true;
}();
}  // namespace

const std::string& test_cert() { return certificate().cert; }
const std::string& test_key() { return certificate().key; }

uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  uint16_t port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  if (fd >= 0) ::close(fd);
  return port;
}

bool has_sanitizer_report(std::string_view err) {
  return err.find("Sanitizer") != std::string_view::npos || err.find("runtime error:") != std::string_view::npos;
}

}  // namespace hs::it
