// Listening sockets: non-blocking, close-on-exec, SO_REUSEADDR, and
// SO_REUSEPORT so every worker binds its own socket to the same address and
// the kernel spreads connections between them. TCP_NODELAY is set on the
// listener: accepted sockets inherit it (no setsockopt per connection).
#pragma once

#include <cstddef>

#include "sockets/address.hpp"
#include "sockets/fd.hpp"

namespace hs::net {

// Listen addresses one server takes (each worker has a listener per address).
constexpr size_t kMaxListenAddresses = 16;

struct ListenResult {
  Fd fd;
  int error = 0;            // errno of the failed step, 0 on success
  const char* step = "";    // "socket", "bind", "listen", ...
};

// Opens a listener on `addr`. When addr's port is 0 the kernel picks one;
// `addr` is updated with the bound port so further workers bind the same one.
ListenResult open_listener(Address& addr, int backlog);

// Checks that nothing listens on `addr` by binding it without SO_REUSEPORT
// (then letting go). Port 0: the kernel picks a free port, written to `addr`.
// Returns 0 or the errno of the bind (EADDRINUSE).
int claim_address(Address& addr);

}  // namespace hs::net
