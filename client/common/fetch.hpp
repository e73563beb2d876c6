// One request on a fresh connection, its response kept whole: how the tools
// learn what a target answers before checking it, and check a server is
// still answering. (Start-up and checks only; the loaded paths never use it.)
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "client/common/deadline.hpp"
#include "client/common/response_reader.hpp"
#include "client/common/url.hpp"

namespace hs::client {

struct Fetched {
  ReadOutcome outcome = ReadOutcome::error;  // `response` when one arrived
  Io connect = Io::error;                    // ok when the connection was made
  int status = 0;
  bool close = false;
  std::string body;       // up to max_body bytes
  bool body_truncated = false;
  double ms = 0;          // connect to complete
  std::string tls_error;  // https: why the TLS session failed (handshake, verification, alert)
  bool handshake_closed = false;  // https: the server closed before the handshake ended (a full server)
  // A one-line account for a person: "200, 1024-byte body" or "connect refused".
  std::string describe() const;
};

// "METHOD target HTTP/1.1\r\nHost: host\r\n" + extra + "\r\n"
std::string make_request(std::string_view method, std::string_view target, std::string_view host,
                         std::string_view extra = {});

// Sends `request` (whole bytes) to url.address, reads one response (over
// TLS when the URL is https).
Fetched fetch(const Url& url, std::string_view request, Deadline deadline, size_t max_body = 16 << 20,
              bool head = false);

}  // namespace hs::client
