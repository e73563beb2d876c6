// Raising the process's descriptor limit (RLIMIT_NOFILE) for tools that open
// many connections.
#pragma once

#include <cstdint>
#include <string>

namespace hs::client {

// Makes the soft limit at least `needed`, raising the hard limit too when
// allowed (root). Returns false with a one-line reason naming the limits and
// how to raise them.
bool ensure_fd_limit(uint64_t needed, std::string& why);

}  // namespace hs::client
