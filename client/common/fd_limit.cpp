#include "client/common/fd_limit.hpp"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>

namespace hs::client {

bool ensure_fd_limit(uint64_t needed, std::string& why) {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) {
    why = std::string("cannot read the descriptor limit: ") + std::strerror(errno);
    return false;
  }
  if (rl.rlim_cur >= needed) return true;  // RLIM_INFINITY is the largest value
  rlimit want = rl;
  want.rlim_cur = needed;
  if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < needed) want.rlim_max = needed;  // needs CAP_SYS_RESOURCE
  if (::setrlimit(RLIMIT_NOFILE, &want) == 0) return true;
  const int e = errno;
  why = "need " + std::to_string(needed) + " descriptors but the limit is " + std::to_string(rl.rlim_cur) +
        " (hard " + (rl.rlim_max == RLIM_INFINITY ? std::string("unlimited") : std::to_string(rl.rlim_max)) +
        ") and raising it failed (" + std::strerror(e) +
        "): use fewer connections, raise it with 'ulimit -Hn', or run as root";
  return false;
}

}  // namespace hs::client
