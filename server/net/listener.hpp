// Listening sockets: non-blocking, close-on-exec, SO_REUSEADDR, and
// SO_REUSEPORT so every worker binds its own socket to the same address and
// the kernel spreads connections between them.
#pragma once

#include "net/address.hpp"
#include "net/fd.hpp"

namespace hs::net {

struct ListenResult {
  Fd fd;
  int error = 0;            // errno of the failed step, 0 on success
  const char* step = "";    // "socket", "bind", "listen", ...
};

// Opens a listener on `addr`. When addr's port is 0 the kernel picks one;
// `addr` is updated with the bound port so further workers bind the same one.
ListenResult open_listener(Address& addr, int backlog);

}  // namespace hs::net
