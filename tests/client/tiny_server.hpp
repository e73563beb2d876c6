// A tiny HTTP/1.1 server for the tools' tests: one thread, poll over a few
// hundred loopback connections, and a caller-supplied answer per request head.
// It can misbehave on purpose: swap two pipelined answers, keep a connection
// open after a 400, answer 200 to everything. Bodies announced with
// Content-Length are skipped. Every wait is bounded; the destructor stops and
// joins the thread.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace hs::test {

class TinyServer {
public:
  // head: the request head (through the empty line); index: its position on
  // its connection (0 for the first). Returns the response bytes; an empty
  // string means no answer at all.
  using Answer = std::function<std::string(std::string_view head, size_t index)>;

  struct Options {
    Answer answer;
    size_t swap_at = SIZE_MAX;  // answers index swap_at and swap_at+1 leave swapped
    bool close_after_400 = true;
    bool close_after_each = false;  // close every connection once its first answer is sent
  };

  explicit TinyServer(Options o) : o_(std::move(o)) {
    listen_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    const int one = 1;
    ::setsockopt(listen_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (::bind(listen_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_, 1024) != 0) return;
    socklen_t len = sizeof a;
    ::getsockname(listen_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    if (::pipe2(stop_, O_CLOEXEC | O_NONBLOCK) != 0) return;
    thread_ = std::thread([this] { loop(); });
  }
  ~TinyServer() {
    if (thread_.joinable()) {
      const char c = 1;
      [[maybe_unused]] ssize_t n = ::write(stop_[1], &c, 1);
      thread_.join();
    }
    for (Conn& c : conns_) ::close(c.fd);
    if (listen_ >= 0) ::close(listen_);
    if (stop_[0] >= 0) ::close(stop_[0]);
    if (stop_[1] >= 0) ::close(stop_[1]);
  }
  TinyServer(const TinyServer&) = delete;
  TinyServer& operator=(const TinyServer&) = delete;

  uint16_t port() const { return port_; }
  std::string url(std::string_view path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }

  // The target of a request head ("GET /a HTTP/1.1..." -> "/a").
  static std::string target(std::string_view head) {
    const size_t sp = head.find(' ');
    const size_t sp2 = head.find(' ', sp + 1);
    if (sp == std::string_view::npos || sp2 == std::string_view::npos) return {};
    return std::string(head.substr(sp + 1, sp2 - sp - 1));
  }
  static bool is_head(std::string_view head) { return head.substr(0, 5) == "HEAD "; }
  static std::string response(int status, std::string_view body, bool head_request = false,
                              std::string_view extra = {}) {
    std::string r = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\n" + std::string(extra) + "\r\n";
    if (!head_request) r += body;
    return r;
  }

private:
  struct Conn {
    int fd;
    std::string in;
    std::string out;
    size_t index = 0;
    size_t skip = 0;          // body bytes still to skip
    std::string held;         // a swapped answer waiting for its successor
    bool close_after = false;
  };

  void loop() {
    for (int round = 0; round < 10'000'000; ++round) {
      std::vector<pollfd> p;
      p.push_back({stop_[0], POLLIN, 0});
      p.push_back({listen_, POLLIN, 0});
      for (const Conn& c : conns_)
        p.push_back({c.fd, static_cast<short>(POLLIN | (c.out.empty() ? 0 : POLLOUT)), 0});
      if (::poll(p.data(), p.size(), 1000) < 0) continue;
      if (p[0].revents) return;
      if (p[1].revents) accept_all();
      std::vector<Conn> keep;
      for (size_t i = 0; i < conns_.size() && i + 2 < p.size(); ++i) {
        Conn& c = conns_[i];
        bool alive = true;
        if (p[i + 2].revents & (POLLIN | POLLHUP | POLLERR)) alive = read(c);
        if (alive && !c.out.empty()) alive = write(c);
        if (alive && c.close_after && c.out.empty()) alive = false;
        if (alive) {
          keep.push_back(std::move(c));
        } else {
          ::close(c.fd);
        }
      }
      for (size_t i = p.size() - 2; i < conns_.size(); ++i) keep.push_back(std::move(conns_[i]));
      conns_ = std::move(keep);
    }
  }

  void accept_all() {
    for (int i = 0; i < 1024; ++i) {
      const int fd = ::accept4(listen_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      conns_.push_back(Conn{fd, {}, {}, 0, 0, {}, false});
    }
  }

  bool read(Conn& c) {
    char buf[65536];
    for (int i = 0; i < 64; ++i) {
      const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n == 0) return false;
      if (n < 0) return errno == EAGAIN || errno == EINTR;
      c.in.append(buf, static_cast<size_t>(n));
      frame(c);
    }
    return true;
  }

  void frame(Conn& c) {
    for (int guard = 0; guard < 100000 && !c.close_after; ++guard) {
      if (c.skip > 0) {
        const size_t n = std::min(c.skip, c.in.size());
        c.in.erase(0, n);
        c.skip -= n;
        if (c.skip > 0) return;
      }
      const size_t end = c.in.find("\r\n\r\n");
      if (end == std::string::npos) return;
      const std::string head = c.in.substr(0, end + 4);
      c.in.erase(0, end + 4);
      const size_t cl = head.find("Content-Length: ");
      if (cl != std::string::npos) c.skip = std::strtoull(head.c_str() + cl + 16, nullptr, 10);
      std::string answer = o_.answer(head, c.index);
      if (c.index == o_.swap_at) {
        c.held = std::move(answer);
      } else {
        c.out += answer;
        if (!c.held.empty() && c.index == o_.swap_at + 1) c.out += std::move(c.held);
      }
      ++c.index;
      if ((answer.rfind("HTTP/1.1 400", 0) == 0 && o_.close_after_400) || o_.close_after_each) c.close_after = true;
    }
  }

  bool write(Conn& c) {
    for (int i = 0; i < 64 && !c.out.empty(); ++i) {
      const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
      if (n < 0) return errno == EAGAIN || errno == EINTR;
      c.out.erase(0, static_cast<size_t>(n));
    }
    return true;
  }

  Options o_;
  int listen_ = -1;
  int stop_[2] = {-1, -1};
  uint16_t port_ = 0;
  std::thread thread_;
  std::vector<Conn> conns_;
};

}  // namespace hs::test
