#include "loop/https_policy.hpp"

#include <charconv>
#include <cstdio>
#include <cstring>

namespace hs::net {

namespace {
// The route that stands for "redirect": its handler is this marker.
const char kRedirect = 0;
constexpr std::string_view kMoved = "Moved to HTTPS\n";
}  // namespace

HttpsPolicy::HttpsPolicy(conn::Service& inner, const HttpsPolicyConfig& config) : inner_(inner), config_(config) {
  std::snprintf(hsts_value_, sizeof hsts_value_, "max-age=%llu", static_cast<unsigned long long>(config.hsts));
}

conn::Route HttpsPolicy::route(conn::Request& request) {
  if (!tls_ && config_.redirect) {
    conn::Route r;
    r.handler = &kRedirect;
    r.max_body = 0;  // a body is refused (413) rather than read: the client resends it to https
    return r;
  }
  return inner_.route(request);
}

void HttpsPolicy::handle(const conn::Route& route, const conn::Request& request, conn::Response& response) {
  if (route.handler == &kRedirect) {
    redirect(request, response);
    return;
  }
  inner_.handle(route, request, response);
  add_hsts(response);
}

bool HttpsPolicy::error_page(http::Status status, std::string_view reason, conn::Response& response) {
  const bool written = inner_.error_page(status, reason, response);
  add_hsts(response);
  return written;
}

void HttpsPolicy::add_hsts(conn::Response& response) const {
  if (tls_ && config_.hsts > 0) response.header("Strict-Transport-Security", std::string_view(hsts_value_));
}

// https://HOST[:PORT]TARGET, HOST from the Host field without its port. A
// request without Host (HTTP/1.0) or with one too long gets 400: there is
// nowhere to send it. The writer refuses control bytes in the value (500).
void HttpsPolicy::redirect(const conn::Request& request, conn::Response& response) const {
  std::string_view host = request.header("Host");
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    host = close == std::string_view::npos ? std::string_view{} : host.substr(0, close + 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  char location[1024];
  size_t n = 0;
  const auto put = [&](std::string_view s) {
    if (n + s.size() > sizeof location) return false;
    std::memcpy(location + n, s.data(), s.size());
    n += s.size();
    return true;
  };
  bool ok = !host.empty() && put("https://") && put(host);
  if (ok && config_.https_port != 443) {
    char port[8] = {':'};
    const auto [end, ec] = std::to_chars(port + 1, port + sizeof port, config_.https_port);
    ok = ec == std::errc() && put(std::string_view(port, static_cast<size_t>(end - port)));
  }
  // Origin form as received; an absolute form (a proxy's) gives its path.
  std::string_view target = request.raw_target;
  if (!target.starts_with('/')) {
    const size_t scheme = target.find("://");
    const size_t path = scheme == std::string_view::npos ? std::string_view::npos : target.find('/', scheme + 3);
    target = path == std::string_view::npos ? std::string_view("/") : target.substr(path);
  }
  ok = ok && put(target);
  if (!ok) {
    response.status(http::Status::BadRequest);
    response.header("Content-Type", "text/plain; charset=utf-8");
    response.body("400 Bad Request: no Host to redirect to (or the target is too long)\n");
    return;
  }
  response.status(http::Status::PermanentRedirect);
  response.header("Location", std::string_view(location, n));
  response.header("Content-Type", "text/plain; charset=utf-8");
  response.body(kMoved);
}

}  // namespace hs::net
