#include "tls/kernel_tls.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#ifndef TCP_ULP
#define TCP_ULP 31
#endif

namespace hs::tls {

int probe_kernel_tls() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  // On an unconnected socket a kernel with the module refuses with
  // ENOTCONN (it needs an established connection); without it, ENOENT.
  const int r = ::setsockopt(fd, IPPROTO_TCP, TCP_ULP, "tls", sizeof "tls");
  const int e = r == 0 ? 0 : errno;
  ::close(fd);
  return e == ENOTCONN ? 0 : e;
}

std::string describe_tls_path() {
  const int e = probe_kernel_tls();
  if (e == 0) return "user-space TLS (kTLS available in this kernel, not used by this version)";
  return std::string("user-space TLS (kTLS unavailable: TCP_ULP tls: ") + std::strerror(e) + ")";
}

}  // namespace hs::tls
