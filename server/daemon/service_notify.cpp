#include "daemon/service_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "sockets/fd.hpp"

namespace hs::net {

int notify_service_manager(std::string_view name, std::string_view state) {
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  if (name.size() < 2 || name.size() >= sizeof sun.sun_path || (name[0] != '/' && name[0] != '@')) return EINVAL;
  std::memcpy(sun.sun_path, name.data(), name.size());
  if (name[0] == '@') sun.sun_path[0] = '\0';  // abstract namespace: no terminating NUL in the length
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + (name[0] == '/' ? 1 : 0));
  Fd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return errno;
  for (int attempt = 0; attempt < 4; ++attempt) {
    const ssize_t n = ::sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL,
                               reinterpret_cast<const sockaddr*>(&sun), len);
    if (n == static_cast<ssize_t>(state.size())) return 0;
    if (n < 0 && errno != EINTR) return errno;
  }
  return EIO;
}

int notify_service_manager(std::string_view state) {
  const char* name = std::getenv("NOTIFY_SOCKET");
  if (name == nullptr || *name == '\0') return 0;
  return notify_service_manager(name, state);
}

}  // namespace hs::net
