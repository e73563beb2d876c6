// The small answers every handler shares: text error bodies and 405 + Allow.
// One format everywhere, "<code> <reason phrase>\n" (plus ": detail" when a
// person would want to know why), so a log line and a body read the same.
#pragma once

#include <string_view>

#include "app/router.hpp"
#include "conn/exchange.hpp"
#include "http/status.hpp"

namespace hs::app {

// Status, Content-Type text/plain and the body "404 Not Found\n" (or
// "400 Bad Request: <detail>\n").
void write_error(conn::Response& response, http::Status status, std::string_view detail = {});

// 405 with `Allow: <allowed>` and the error body.
void write_method_not_allowed(conn::Response& response, MethodSet allowed);

}  // namespace hs::app
