// The URLs the companion tools take: `http://127.0.0.1:8080/path?q`,
// `http://[::1]:8080/`, `http://localhost:8080` (localhost is 127.0.0.1).
// Numeric hosts only otherwise (no resolver); other schemes, user info and
// bad ports are refused with a static reason. Parsed once at start-up.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sockets/address.hpp"

namespace hs::client {

struct Url {
  net::Address address;  // where to connect
  std::string host;      // the Host field value: as written, with ":port" when given
  std::string target;    // origin-form request-target: "/path?query" ("/" when absent)
};

// Parses `text` into `out`. On failure returns false and sets `why` to a static
// message (e.g. "only http:// URLs are supported (no TLS)").
bool parse_url(std::string_view text, Url& out, const char*& why);

}  // namespace hs::client
