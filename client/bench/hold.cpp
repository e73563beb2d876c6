#include "client/bench/hold.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <vector>

#include "client/bench/loop.hpp"
#include "client/bench/requests.hpp"
#include "client/common/fd_limit.hpp"
#include "client/common/response_framer.hpp"

namespace hs::client::bench {

namespace {

// Connects, sends `request`, reads one whole response; the socket stays open.
int open_one(const Url& url, std::string_view request, int64_t deadline) {
  const int fd = ::socket(url.address.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::connect(fd, url.address.sa(), url.address.length) != 0 ||
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return -1;
  }
  ResponseFramer framer;
  std::string pending;
  char buf[16384];
  for (;;) {
    const int64_t left = deadline - now_ns();
    pollfd p{fd, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left / 1'000'000) + 1) <= 0) break;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    pending.append(buf, static_cast<size_t>(n));
    size_t off = 0;
    for (int guard = 0; guard < 1 << 20 && off <= pending.size(); ++guard) {
      const ResponseFramer::Step s = framer.feed(std::string_view(pending).substr(off));
      off += s.consumed;
      if (s.event == ResponseFramer::Event::complete && framer.info().status >= 200)
        return framer.info().close ? (::close(fd), -1) : fd;
      if (s.event == ResponseFramer::Event::error) {
        ::close(fd);
        return -1;
      }
      if (s.event == ResponseFramer::Event::need_more) break;
    }
    pending.erase(0, off);
  }
  ::close(fd);
  return -1;
}

}  // namespace

int hold_idle(const Options& o, const Url& url, int64_t hold_ns, const std::atomic<bool>& stop) {
  const uint32_t n = o.hold_idle;
  if (std::string why; !ensure_fd_limit(uint64_t{n} + 64, why)) {
    std::fprintf(stderr, "homeserve bench: %s\n", why.c_str());
    return 1;
  }
  RequestSpec rs;
  rs.method = o.method;
  rs.host = url.host;
  rs.targets = {url.target};
  rs.headers = o.headers;
  rs.body = o.body;
  RequestSet requests;
  std::string error;
  if (!requests.build(rs, 1, error)) {
    std::fprintf(stderr, "homeserve bench: %s\n", error.c_str());
    return 2;
  }
  std::vector<pollfd> fds;
  fds.reserve(n);
  uint32_t failed = 0;
  for (uint32_t i = 0; i < n && !stop.load(); ++i) {
    const int fd = open_one(url, requests.window(0, 1), now_ns() + 5'000'000'000);
    if (fd < 0) ++failed;
    else fds.push_back({fd, POLLIN | POLLRDHUP, 0});
  }
  std::printf("holding %zu idle connections (%u failed)\n", fds.size(), failed);
  std::fflush(stdout);
  const int64_t deadline = now_ns() + hold_ns;
  size_t closed = 0;
  while (!stop.load() && closed < fds.size()) {
    const int64_t left = deadline - now_ns();
    if (left <= 0) break;
    const int r = ::poll(fds.data(), fds.size(), static_cast<int>(std::min<int64_t>(left / 1'000'000 + 1, 200)));
    if (r < 0 && errno != EINTR) break;
    for (pollfd& p : fds) {
      if (p.fd >= 0 && p.revents != 0) {
        ::close(p.fd);
        p.fd = -1;  // poll() ignores negative descriptors
        ++closed;
      }
    }
  }
  for (pollfd& p : fds)
    if (p.fd >= 0) ::close(p.fd);
  std::printf("held %zu idle connections; the server closed %zu of them meanwhile\n", fds.size(), closed);
  return failed == 0 && !fds.empty() ? 0 : 1;
}

}  // namespace hs::client::bench
