#include "app/responses.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace hs::app {

void write_error(conn::Response& response, http::Status status, std::string_view detail) {
  response.status(status);
  response.header("Content-Type", "text/plain; charset=utf-8");
  char line[192];
  char* p = std::to_chars(line, line + 8, http::code(status)).ptr;
  char* const end = line + sizeof line - 1;  // keep one byte for '\n'
  auto put = [&](std::string_view s) {
    const size_t n = std::min(s.size(), static_cast<size_t>(end - p));
    std::memcpy(p, s.data(), n);
    p += n;
  };
  put(" ");
  put(http::reason_phrase(status));
  if (!detail.empty()) {
    put(": ");
    put(detail);
  }
  *p++ = '\n';
  response.body(std::string_view(line, static_cast<size_t>(p - line)));
}

void write_method_not_allowed(conn::Response& response, MethodSet allowed) {
  char allow[96];
  response.status(http::Status::MethodNotAllowed);
  response.header("Allow", allowed.allow_text(allow));
  write_error(response, http::Status::MethodNotAllowed);
}

}  // namespace hs::app
