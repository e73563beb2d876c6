#include "daemon/log_reopen.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace hs::net {

int reopen_log(const Fd& log, const std::string& path) {
  if (!log) return EBADF;
  Fd fresh(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!fresh) return errno;
  if (::dup3(fresh.get(), log.get(), O_CLOEXEC) < 0) return errno;
  return 0;
}

void reopen_access_log(const Fd& log, const std::string& path) {
  if (!log) return;
  if (const int e = reopen_log(log, path))
    std::fprintf(stderr, "homeserve: cannot reopen access log %s: %s (still writing to the old file)\n",
                 path.c_str(), std::strerror(e));
}

}  // namespace hs::net
