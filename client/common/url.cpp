#include "client/common/url.hpp"

#include <arpa/inet.h>

#include <charconv>

#include "client/common/tls_client.hpp"
#include "http/char_classes.hpp"

namespace hs::client {

namespace {

using http::chars::lower;

bool istarts_with(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (lower(s[i]) != prefix[i]) return false;
  return true;
}

bool iequals(std::string_view a, std::string_view b) { return a.size() == b.size() && istarts_with(a, b); }

// Bytes a request-target may carry as written on the command line: visible
// ASCII (percent-encoded or not); no spaces or controls.
bool target_ok(std::string_view t) {
  for (char c : t) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return false;
  }
  return true;
}

}  // namespace

bool parse_url(std::string_view text, Url& out, const char*& why) {
  out = Url{};
  const size_t scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) {
    why = "expected a URL like http://127.0.0.1:8080/path";
    return false;
  }
  const bool https = iequals(text.substr(0, scheme_end), "https");
  if (!https && !iequals(text.substr(0, scheme_end), "http")) {
    why = "only http:// and https:// URLs are supported";
    return false;
  }
  std::string_view rest = text.substr(scheme_end + 3);
  const size_t authority_end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, authority_end);
  std::string_view target = authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  if (const size_t hash = target.find('#'); hash != std::string_view::npos) target = target.substr(0, hash);
  if (authority.find('@') != std::string_view::npos) {
    why = "user information (user@) is not supported in the URL";
    return false;
  }
  if (authority.empty()) {
    why = "the URL has no host";
    return false;
  }

  std::string_view host;
  std::string_view port_text;
  if (authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      why = "an IPv6 host must be closed with ']'";
      return false;
    }
    host = authority.substr(0, close + 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        why = "expected ':PORT' after the IPv6 host";
        return false;
      }
      port_text = after.substr(1);
      if (port_text.empty()) {
        why = "the port must be a number from 1 to 65535";
        return false;
      }
    }
  } else {
    const size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) {
        why = "the port must be a number from 1 to 65535";
        return false;
      }
    }
  }
  unsigned port = https ? 443 : 80;
  if (!port_text.empty()) {
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 || port > 65535) {
      why = "the port must be a number from 1 to 65535";
      return false;
    }
  }

  // Reuse the listen-address parser: "IP:PORT" or "[IPv6]:PORT".
  std::string numeric;
  if (iequals(host, "localhost")) {
    numeric = "127.0.0.1";
  } else if (host.front() == '[') {
    numeric = std::string(host);
  } else {
    in_addr probe{};
    const std::string h(host);
    if (inet_pton(AF_INET, h.c_str(), &probe) != 1) {
      why = "the host must be a numeric IP address or localhost (no name resolution)";
      return false;
    }
    numeric = h;
  }
  numeric += ':';
  numeric += std::to_string(port);
  const char* address_why = "";
  if (!net::parse_address(numeric, out.address, address_why)) {
    why = host.front() == '[' ? "not a numeric IPv6 address" : address_why;
    return false;
  }

  if (target.empty()) target = "/";
  if (target.front() == '?') {
    out.target = "/";
    out.target += target;
  } else {
    out.target = std::string(target);
  }
  if (!target_ok(out.target)) {
    why = "the path may not hold spaces or control characters (percent-encode them)";
    return false;
  }
  out.host = std::string(authority);
  out.https = https;
  out.name = host.front() == '[' ? std::string(host.substr(1, host.size() - 2)) : std::string(host);
  return true;
}

bool attach_tls(Url& url, const TlsOptions& options, std::string& why) {
  url.tls.reset();
  if (!url.https) return true;
  auto ctx = std::make_shared<TlsClientContext>();
  if (!ctx->init(options, url.name, why)) return false;
  url.tls = std::move(ctx);
  return true;
}

}  // namespace hs::client
