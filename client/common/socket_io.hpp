// Non-blocking TCP for the companion tools' sequential, single-connection
// checks (pipeline, probe, fetch): connect, send and receive, each bounded by
// a deadline (poll), with outcomes as values (no errno juggling in the
// tools). Tools that multiplex many connections (bench, flood) run on the
// server's engine (engine/engine.hpp) instead.
#pragma once

#include <cstddef>
#include <string_view>

#include "client/common/deadline.hpp"
#include "sockets/address.hpp"
#include "sockets/fd.hpp"

namespace hs::client {

enum class Io : unsigned char {
  ok,        // progress
  again,     // nothing now (non-blocking calls only)
  eof,       // the peer closed its side
  reset,     // ECONNRESET / EPIPE
  timeout,   // the deadline passed
  refused,   // ECONNREFUSED (connect)
  error,     // anything else (errno kept by the caller if it cares)
  tls,       // the TLS session failed (handshake, verification, alert): the stream says why
};

const char* to_string(Io io);

// A non-blocking TCP socket for `to`'s family, TCP_NODELAY on (empty on failure).
net::Fd tcp_socket(const net::Address& to);
// Starts a non-blocking connect (TCP_NODELAY on). `io` is ok when connected,
// again when in progress (wait for POLLOUT, then finish_connect), or the error.
net::Fd start_connect(const net::Address& to, Io& io);
// After POLLOUT on a connecting socket: ok or the connect error.
Io finish_connect(int fd);
// Connects within the deadline.
net::Fd connect_to(const net::Address& to, Deadline deadline, Io& io);

// Sends everything within the deadline.
Io send_all(int fd, std::string_view bytes, Deadline deadline);
// Sends what the socket takes now; `sent` bytes went out (ok or again).
Io send_some(int fd, std::string_view bytes, size_t& sent);
// Receives what is there now into [buf, buf+cap); ok with n > 0, again, eof, reset, error.
Io recv_some(int fd, char* buf, size_t cap, size_t& n);
// Waits for `events` (POLLIN/POLLOUT) until the deadline: ok or timeout.
Io wait_for(int fd, short events, Deadline deadline);

// Sets SO_LINGER 0 so close() sends RST (tests of reset handling).
void set_abortive_close(int fd);

}  // namespace hs::client
