// A worked example of JSON API handlers (mounted by `homeserve serve
// --example-api`, see README "JSON API example"):
//
//   POST /api/sum           {"numbers":[1,2,3]}  ->  200 {"sum":6}
//   GET  /api/hello/{name}                        ->  200 {"hello":"<name>"}
//
// /api/sum reads the body with the strict JSON parser into a token array on
// the stack (kSumMaxTokens tokens, 16 bytes each), so it needs no allocation:
// - Content-Type not application/json (charset, when given, must be utf-8)
//   -> 415 {"error":"Content-Type must be application/json"}
// - bad JSON -> 400 with the parser's message, {"error":"expected ':' at byte 11"}
//   (more values than the token array holds -> 413)
// - valid JSON of the wrong shape -> 400 {"error":"expected {\"numbers\":[...]}"}
// - integers sum as integers (overflow -> 400 {"error":"sum out of range"});
//   any fraction or exponent makes the sum a double.
// Other methods get 405 from the router (each route is registered for one method).
#pragma once

#include <cstddef>
#include <cstdint>

#include "app/router.hpp"
#include "conn/exchange.hpp"

namespace hs::app {

inline constexpr size_t kSumMaxTokens = 256;
inline constexpr uint64_t kSumMaxBody = 4096;  // the route's body policy

class SumHandler final : public Handler {
public:
  void handle(const conn::Request& request, conn::Response& response) override;
};

class HelloHandler final : public Handler {
public:
  void handle(const conn::Request& request, conn::Response& response) override;
};

// Registers both routes on `router`. Returns the first registration error.
struct ExampleApi {
  SumHandler sum;
  HelloHandler hello;
  AddError mount(Router& router);
};

}  // namespace hs::app
