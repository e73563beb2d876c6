#include "client/bench/requests.hpp"

#include "http/char_classes.hpp"
#include "http/media_type.hpp"

namespace hs::client::bench {

namespace {

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!http::chars::is_tchar(c)) return false;
  return true;
}

using http::media_iequals;

}  // namespace

bool RequestSet::build(const RequestSpec& spec, uint32_t depth, std::string& error) {
  if (!is_token(spec.method)) {
    error = "--method must be a token (e.g. GET, POST)";
    return false;
  }
  if (spec.targets.empty()) {
    error = "no URL";
    return false;
  }
  if (depth == 0) depth = 1;
  bool has_host = false, has_length = false;
  std::string fields;
  for (const std::string& h : spec.headers) {
    const size_t colon = h.find(':');
    if (colon == std::string::npos || !is_token(std::string_view(h).substr(0, colon)) ||
        h.find_first_of("\r\n") != std::string::npos) {
      error = "-H '" + h + "': expected 'Name: value'";
      return false;
    }
    const std::string_view name = std::string_view(h).substr(0, colon);
    if (media_iequals(name, "host")) has_host = true;
    if (media_iequals(name, "content-length") || media_iequals(name, "transfer-encoding")) has_length = true;
    fields += h;
    fields += "\r\n";
  }
  if (!has_host) fields = "Host: " + spec.host + "\r\n" + fields;
  const bool send_length = !has_length && (!spec.body.empty() || spec.method == "POST" || spec.method == "PUT");
  if (send_length) fields += "Content-Length: " + std::to_string(spec.body.size()) + "\r\n";
  fields += "\r\n";
  fields += spec.body;

  std::vector<std::string> one;
  for (const std::string& t : spec.targets) {
    if (t.empty() || t.find_first_of(" \r\n") != std::string::npos) {
      error = "bad request-target '" + t + "'";
      return false;
    }
    one.push_back(spec.method + " " + t + " HTTP/1.1\r\n" + fields);
  }
  count_ = one.size();
  depth_ = depth;
  head_ = spec.method == "HEAD";
  bytes_.clear();
  offsets_.clear();
  offsets_.push_back(0);
  for (size_t i = 0; i + 1 < count_ + depth_; ++i) {
    bytes_ += one[i % count_];
    offsets_.push_back(bytes_.size());
  }
  return true;
}

}  // namespace hs::client::bench
