// What HTTPS changes in the answers, per connection: a plain listener that
// only redirects (--redirect-https: 308 to the same host and target on the
// HTTPS port, as nginx's `return 308 https://$host$request_uri`), and
// Strict-Transport-Security on every answer that leaves over TLS (--hsts).
// A Service wrapped around the app's (or the access log's), told by the
// worker which kind of connection it is about to drive.
#pragma once

#include <cstdint>

#include "conn/exchange.hpp"

namespace hs::net {

struct HttpsPolicyConfig {
  bool redirect = false;     // plain connections answer 308 to https://
  uint16_t https_port = 443; // the port named in the redirect (omitted when 443)
  uint64_t hsts = 0;         // max-age seconds (0: no header)
};

class HttpsPolicy final : public conn::Service {
public:
  HttpsPolicy(conn::Service& inner, const HttpsPolicyConfig& config);

  void begin(bool tls) { tls_ = tls; }

  conn::Route route(conn::Request& request) override;
  void handle(const conn::Route& route, const conn::Request& request, conn::Response& response) override;
  bool error_page(http::Status status, std::string_view reason, conn::Response& response) override;

private:
  void redirect(const conn::Request& request, conn::Response& response) const;
  void add_hsts(conn::Response& response) const;

  conn::Service& inner_;
  HttpsPolicyConfig config_;
  char hsts_value_[48] = {};  // "max-age=N", made once
  bool tls_ = false;
};

}  // namespace hs::net
