#include "sockets/listener.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>

namespace hs::net {

ListenResult open_listener(Address& addr, int backlog) {
  ListenResult r;
  Fd fd(::socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) {
    r.error = errno;
    r.step = "socket";
    return r;
  }
  const int one = 1;
  // SO_REUSEADDR: restart while old connections sit in TIME_WAIT.
  // SO_REUSEPORT: one listener per worker on the same port.
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    r.error = errno;
    r.step = "setsockopt";
    return r;
  }
  if (addr.family() == AF_INET6) {
    // [::]:port means IPv6 only; an IPv4 address is listed separately.
    ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  }
  ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::bind(fd.get(), addr.sa(), addr.length) != 0) {
    r.error = errno;
    r.step = "bind";
    return r;
  }
  if (::listen(fd.get(), backlog) != 0) {
    r.error = errno;
    r.step = "listen";
    return r;
  }
  if (addr.port() == 0) {
    Address bound;
    bound.length = sizeof bound.storage;
    if (::getsockname(fd.get(), bound.sa(), &bound.length) != 0) {
      r.error = errno;
      r.step = "getsockname";
      return r;
    }
    addr.set_port(bound.port());
  }
  r.fd = std::move(fd);
  return r;
}

int claim_address(Address& addr) {
  Fd fd(::socket(addr.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return errno;
  const int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (addr.family() == AF_INET6) ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (::bind(fd.get(), addr.sa(), addr.length) != 0) return errno;
  if (addr.port() == 0) {
    Address bound;
    bound.length = sizeof bound.storage;
    if (::getsockname(fd.get(), bound.sa(), &bound.length) != 0) return errno;
    addr.set_port(bound.port());
  }
  return 0;
}

}  // namespace hs::net
