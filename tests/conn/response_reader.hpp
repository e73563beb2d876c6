// Splits a byte stream from the server into responses (status, fields,
// Content-Length body) so tests can assert on each one.
#pragma once

#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace hs::conn::testing {

struct ParsedResponse {
  int status = 0;
  std::string head;
  std::string body;
  bool has_field(std::string_view field) const { return head.find(field) != std::string::npos; }
};

// Returns false when the stream is not a sequence of well-formed responses.
inline bool split_responses(std::string_view out, std::vector<ParsedResponse>& list) {
  while (!out.empty()) {
    size_t end = out.find("\r\n\r\n");
    if (end == std::string_view::npos || !out.starts_with("HTTP/1.1 ") || out.size() < 12) return false;
    ParsedResponse r;
    r.head = std::string(out.substr(0, end + 4));
    r.status = std::atoi(std::string(out.substr(9, 3)).c_str());
    out.remove_prefix(end + 4);
    size_t len = 0;
    size_t cl = r.head.find("\r\nContent-Length: ");
    if (cl != std::string::npos) len = std::strtoull(r.head.c_str() + cl + 18, nullptr, 10);
    if (len > out.size()) return false;
    r.body = std::string(out.substr(0, len));
    out.remove_prefix(len);
    list.push_back(std::move(r));
  }
  return true;
}

}  // namespace hs::conn::testing
