#include "client/common/socket_io.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

#include "engine/socket_ops.hpp"

namespace hs::client {

namespace {

Io from_errno(int e) {
  switch (e) {
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
    case EINPROGRESS:
      return Io::again;
    case ECONNRESET:
    case EPIPE:
      return Io::reset;
    case ECONNREFUSED:
      return Io::refused;
    case ETIMEDOUT:
      return Io::timeout;
    default:
      return Io::error;
  }
}

}  // namespace

const char* to_string(Io io) {
  switch (io) {
    case Io::ok: return "ok";
    case Io::again: return "again";
    case Io::eof: return "closed";
    case Io::reset: return "reset";
    case Io::timeout: return "timeout";
    case Io::refused: return "refused";
    case Io::error: return "error";
    case Io::tls: return "TLS failure";
  }
  return "?";
}

net::Fd tcp_socket(const net::Address& to) {
  net::Fd fd(::socket(to.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd) {
    const int one = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  return fd;
}

net::Fd start_connect(const net::Address& to, Io& io) {
  net::Fd fd = tcp_socket(to);
  if (!fd) {
    io = Io::error;
    return fd;
  }
  if (::connect(fd.get(), to.sa(), to.length) == 0) {
    io = Io::ok;
  } else {
    io = from_errno(errno);
  }
  return fd;
}

Io finish_connect(int fd) {
  const int err = net::socket_error(fd);
  if (err == 0) return Io::ok;
  const Io io = from_errno(err);
  return io == Io::again ? Io::error : io;
}

net::Fd connect_to(const net::Address& to, Deadline deadline, Io& io) {
  net::Fd fd = start_connect(to, io);
  if (io != Io::again) return fd;
  io = wait_for(fd.get(), POLLOUT, deadline);
  if (io == Io::ok) io = finish_connect(fd.get());
  return fd;
}

Io send_some(int fd, std::string_view bytes, size_t& sent) {
  sent = 0;
  for (int i = 0; i < 64 && sent < bytes.size(); ++i) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    const Io io = from_errno(errno);
    return io == Io::again ? Io::again : io;
  }
  return Io::ok;
}

Io send_all(int fd, std::string_view bytes, Deadline deadline) {
  // Each round sends something or waits; the deadline bounds the rounds.
  for (;;) {
    size_t sent = 0;
    const Io io = send_some(fd, bytes, sent);
    bytes.remove_prefix(sent);
    if (bytes.empty()) return Io::ok;
    if (io != Io::ok && io != Io::again) return io;
    if (io == Io::again && wait_for(fd, POLLOUT, deadline) != Io::ok) return Io::timeout;
  }
}

Io recv_some(int fd, char* buf, size_t cap, size_t& n) {
  n = 0;
  for (int i = 0; i < 8; ++i) {
    const ssize_t r = ::recv(fd, buf, cap, 0);
    if (r > 0) {
      n = static_cast<size_t>(r);
      return Io::ok;
    }
    if (r == 0) return Io::eof;
    if (errno == EINTR) continue;
    return from_errno(errno);
  }
  return Io::again;
}

Io wait_for(int fd, short events, Deadline deadline) {
  for (int i = 0; i < 1000; ++i) {
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, deadline.ms_left());
    if (r > 0) return Io::ok;  // ready, or an error/hang-up the next call reports
    if (r == 0) return Io::timeout;
    if (errno != EINTR) return Io::error;
  }
  return Io::timeout;
}

void set_abortive_close(int fd) {
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

}  // namespace hs::client
