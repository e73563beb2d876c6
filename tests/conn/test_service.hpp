// A small Service for the connection's tests and fuzzer: GET /hello, GET
// /n/{anything} (echoes the path), POST /echo (echoes the body, up to 1 KiB),
// GET /big (a response larger than a responder -> 500), POST /field-value and
// POST /field-name (the body becomes the value of X-Echo, or the name of a
// field: the head writer must refuse CR, LF and other bytes -> 500), others
// 404/405.
#pragma once

#include <string_view>

#include "conn/exchange.hpp"

namespace hs::conn::testing {

class TestService : public Service {
public:
  Route route(Request& req) override {
    if (req.path == "/hello" || req.path == "/big" || req.path.starts_with("/n/")) {
      if (req.method != http::Method::Get && req.method != http::Method::Head)
        return {&kGet, 0, http::Status::MethodNotAllowed};
      return {&kGet, 0, http::Status::None};
    }
    if (req.path == "/echo" || req.path == "/field-value" || req.path == "/field-name") {
      if (req.method != http::Method::Post) return {&kPost, 0, http::Status::MethodNotAllowed};
      return {&kPost, 1024, http::Status::None};
    }
    return {nullptr, 0, http::Status::NotFound};
  }

  void handle(const Route& route, const Request& req, Response& resp) override {
    if (route.status != http::Status::None) {
      resp.status(route.status);
      if (route.status == http::Status::MethodNotAllowed)
        resp.header("Allow", route.handler == &kPost ? "POST" : "GET, HEAD");
      resp.body(http::reason_phrase(route.status));
      return;
    }
    resp.header("Content-Type", "text/plain");
    if (req.path == "/hello") {
      resp.body("hello");
    } else if (req.path == "/big") {
      for (int i = 0; i < 100; ++i) resp.body("0123456789012345678901234567890123456789012345678901234567890123");
    } else if (req.path == "/echo") {
      resp.body(req.body);
    } else if (req.path == "/field-value") {
      resp.header("X-Echo", req.body);
      resp.body("ok");
    } else if (req.path == "/field-name") {
      resp.header(http::FieldName(req.body), "1");
      resp.body("ok");
    } else {
      resp.body(req.path);
    }
  }

private:
  static constexpr int kGet = 1;
  static constexpr int kPost = 2;
};

}  // namespace hs::conn::testing
