// One connection of the sequential tools (fetch, pipeline, probe): a
// non-blocking TCP socket, with a TLS client session over it when the URL is
// https. The tools read and write plaintext; the session (tls_client.hpp)
// turns it into ciphertext here, so the framing code never knows about TLS.
// Every wait is bounded by a deadline, as in socket_io.hpp.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "client/common/deadline.hpp"
#include "client/common/socket_io.hpp"
#include "client/common/tls_client.hpp"
#include "client/common/url.hpp"
#include "sockets/fd.hpp"

namespace hs::client {

class Stream {
public:
  // Connects to url.address and, for https, completes the handshake within
  // the deadline. ok; Io::tls with error() naming the reason; or the
  // socket's outcome (refused, timeout, ...).
  Io connect(const Url& url, Deadline deadline);
  // For the probe: a TCP connection only (the caller speaks raw bytes).
  Io connect_tcp(const Url& url, Deadline deadline);

  // Sends what the socket takes now; `sent` plaintext bytes were taken
  // (with TLS: encrypted; some ciphertext may wait in pending_output()).
  Io send_some(std::string_view bytes, size_t& sent);
  // Sends everything (ciphertext included) within the deadline.
  Io send_all(std::string_view bytes, Deadline deadline);
  // TLS: ciphertext not yet taken by the socket (flush() sends what it can).
  bool pending_output() const;
  Io flush();
  // Plaintext received now into [buf, buf+cap): ok (n may be 0: call
  // again), again (wait for POLLIN), eof, reset, tls (error()), error.
  Io recv_some(char* buf, size_t cap, size_t& n);
  // Waits for `events` (POLLIN, POLLOUT) until the deadline: ok or timeout.
  Io wait(short events, Deadline deadline);

  int fd() const { return fd_.get(); }
  bool is_tls() const { return tls_.is_open(); }
  TlsClient& tls() { return tls_; }
  const std::string& error() const { return error_; }
  // https: the server ended the connection (close or reset) before the
  // handshake did: a full server's TLS listener answers so.
  bool closed_in_handshake() const { return closed_in_handshake_; }
  void close();

private:
  net::Fd fd_;
  TlsClient tls_;
  std::string error_;
  bool closed_in_handshake_ = false;
};

}  // namespace hs::client
