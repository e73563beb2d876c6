// The URLs the companion tools take: `http://127.0.0.1:8080/path?q`,
// `http://[::1]:8080/`, `http://localhost:8080` (localhost is 127.0.0.1), and
// the same with `https://` (port 443 by default; TLS via tls_client.hpp).
// Numeric hosts only otherwise (no resolver); other schemes, user info and
// bad ports are refused with a static reason. Parsed once at start-up.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "sockets/address.hpp"

namespace hs::client {

class TlsClientContext;
struct TlsOptions;

struct Url {
  net::Address address;  // where to connect
  std::string host;      // the Host field value: as written, with ":port" when given
  std::string target;    // origin-form request-target: "/path?query" ("/" when absent)
  bool https = false;    // the scheme was https
  std::string name;      // the host alone: "localhost", "127.0.0.1", "::1" (SNI, certificate check)
  // https: the TLS settings every connection to this URL uses (attach_tls).
  std::shared_ptr<const TlsClientContext> tls;
};

// Parses `text` into `out`. On failure returns false and sets `why` to a static
// message (e.g. "only http:// and https:// URLs are supported").
bool parse_url(std::string_view text, Url& out, const char*& why);

// For an https URL: builds its TLS context from the tool's flags (a plain
// http URL is left alone). False with a one-line reason (e.g. the --cacert
// file is missing).
bool attach_tls(Url& url, const TlsOptions& options, std::string& why);

}  // namespace hs::client
