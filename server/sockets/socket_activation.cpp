#include "sockets/socket_activation.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include <netinet/in.h>
#include <netinet/tcp.h>

namespace hs::net {

namespace {

bool parse_number(std::string_view text, long long& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

int parse_listen_env(const char* listen_pid, const char* listen_fds, pid_t self, const char*& why) {
  why = "";
  if (listen_pid == nullptr || listen_fds == nullptr) return 0;
  long long pid = 0;
  if (!parse_number(listen_pid, pid) || pid <= 0) {
    why = "LISTEN_PID is not a process id";
    return -1;
  }
  if (pid != self) return 0;  // meant for another process (e.g. our parent)
  long long n = 0;
  if (!parse_number(listen_fds, n) || n < 0) {
    why = "LISTEN_FDS is not a count";
    return -1;
  }
  if (n > static_cast<long long>(kMaxListenAddresses)) {
    why = "LISTEN_FDS: at most 16 sockets";
    return -1;
  }
  return static_cast<int>(n);
}

bool check_inherited_listener(int fd, Address& bound, std::string& why) {
  const std::string name = "inherited descriptor " + std::to_string(fd) + ": ";
  struct stat st{};
  if (::fstat(fd, &st) != 0) {
    why = name + std::strerror(errno);
    return false;
  }
  int type = 0, listening = 0;
  socklen_t len = sizeof type;
  if (!S_ISSOCK(st.st_mode) || ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) {
    why = name + "not a stream socket (the .socket unit needs ListenStream=)";
    return false;
  }
  len = sizeof listening;
  if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || listening == 0) {
    why = name + "not a listening socket (the .socket unit must not use Accept=yes)";
    return false;
  }
  Address a;
  a.length = sizeof a.storage;
  if (::getsockname(fd, a.sa(), &a.length) != 0) {
    why = name + std::strerror(errno);
    return false;
  }
  if (a.family() != AF_INET && a.family() != AF_INET6) {
    why = name + "not an IPv4 or IPv6 socket";
    return false;
  }
  const int fl = ::fcntl(fd, F_GETFL);
  if (fl < 0 || ::fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0 || ::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
    why = name + std::strerror(errno);
    return false;
  }
  bound = a;
  return true;
}

bool take_inherited_listeners(std::vector<Fd>& fds, std::vector<Address>& bound, std::string& error) {
  fds.clear();
  bound.clear();
  const char* why = "";
  const int n = parse_listen_env(std::getenv("LISTEN_PID"), std::getenv("LISTEN_FDS"), ::getpid(), why);
  if (n < 0) {
    error = std::string("socket activation: ") + why;
    return false;
  }
  if (n > 0) {
    ::unsetenv("LISTEN_PID");
    ::unsetenv("LISTEN_FDS");
    ::unsetenv("LISTEN_FDNAMES");
  }
  for (int i = 0; i < n; ++i) {
    Address a;
    std::string reason;
    if (!check_inherited_listener(kListenFdsStart + i, a, reason)) {
      error = "socket activation: " + reason;
      fds.clear();
      bound.clear();
      return false;
    }
    fds.emplace_back(kListenFdsStart + i);
    bound.push_back(a);
  }
  return true;
}

ListenResult adopt_listener(int inherited_fd) {
  ListenResult r;
  r.fd.reset(::fcntl(inherited_fd, F_DUPFD_CLOEXEC, 0));
  if (!r.fd) {
    r.error = errno;
    r.step = "dup";
    return r;
  }
  // Accepted sockets inherit it (no setsockopt per connection).
  const int one = 1;
  ::setsockopt(r.fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return r;
}

}  // namespace hs::net
