// The router (seed 001: "register handlers based on the uri path"): a fixed
// table of routes registered at start-up, resolved as soon as a request head
// is parsed (seed 000) so the handler's body policy is known before any body
// byte is read (seed 002).
//
// Patterns (matched against the decoded, normalised path):
//   /about            exact: the whole path, byte for byte (a trailing '/' counts)
//   /api/items/{id}   segments: `{name}` takes one whole non-empty segment and
//                     fills Request::params; literal segments match exactly
//   /static/*         prefix: every path starting with "/static/"; the rest
//                     ("css/a.css") is the param named "*". Prefix patterns are
//                     literal (no `{name}`); "/*" matches every path.
//
// Specificity: exact > `{param}` > prefix. Between two `{param}` patterns that
// both match, the one whose first param segment comes later wins (a literal
// beats a param at the first segment where they differ); between prefixes,
// the longest wins. The most specific matching pattern decides alone: routes
// registered with the same pattern (param names aside) form one resource whose
// methods are the union of theirs; a method outside it -> 405 with that union
// in `Allow`. No pattern matches -> 404. (So `GET /api/echo` with only
// `POST /api/echo` registered is 405, even when a `/*` prefix serves GET.)
//
// A handler is an interface (`Handler`), chosen over a function pointer plus
// context because the real handlers carry state (the docroot's fd, the status
// probe) and one virtual call costs the same as an indirect call through a
// pointer. `FunctionHandler` adapts a plain function and a context pointer.
// Handlers may be called from several workers at once when one App is shared:
// handle() must not mutate shared state without its own synchronisation.
//
// Memory: the route table is one array of `capacity` entries, allocated by the
// constructor; add() copies the pattern (allocation at start-up only).
// resolve() allocates nothing; it scans the table once (tens of routes) and
// matches a second time only to fill the params of the chosen route.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "conn/exchange.hpp"
#include "http/request_head.hpp"
#include "http/status.hpp"

namespace hs::app {

class Handler {
public:
  virtual ~Handler() = default;
  // Writes the answer: status, fields, then a body or a file range.
  virtual void handle(const conn::Request& request, conn::Response& response) = 0;
};

using HandlerFn = void (*)(void* context, const conn::Request& request, conn::Response& response);

// A plain function plus a context pointer, as a Handler.
class FunctionHandler final : public Handler {
public:
  FunctionHandler(HandlerFn fn, void* context) : fn_(fn), context_(context) {}
  void handle(const conn::Request& request, conn::Response& response) override { fn_(context_, request, response); }

private:
  HandlerFn fn_;
  void* context_;
};

// A set of methods: one bit per http::Method (Other included, for routes that
// take any method).
class MethodSet {
public:
  constexpr MethodSet() = default;
  constexpr MethodSet(std::initializer_list<http::Method> methods) {
    for (http::Method m : methods) bits_ |= bit(m);
  }
  static constexpr MethodSet any() {
    MethodSet s;
    s.bits_ = static_cast<uint16_t>((1u << (static_cast<unsigned>(http::Method::Other) + 1)) - 1);
    return s;
  }
  constexpr bool has(http::Method m) const { return (bits_ & bit(m)) != 0; }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr bool overlaps(MethodSet o) const { return (bits_ & o.bits_) != 0; }
  constexpr MethodSet operator|(MethodSet o) const {
    MethodSet s;
    s.bits_ = static_cast<uint16_t>(bits_ | o.bits_);
    return s;
  }
  constexpr bool operator==(const MethodSet&) const = default;
  constexpr uint16_t bits() const { return bits_; }

  // "GET, HEAD, POST" (standard methods in a fixed order; Other is not listed),
  // for the Allow field. Truncates to `out`; 80 bytes always suffice.
  std::string_view allow_text(std::span<char> out) const;

private:
  static constexpr uint16_t bit(http::Method m) { return static_cast<uint16_t>(1u << static_cast<unsigned>(m)); }
  uint16_t bits_ = 0;
};

enum class RouteKind : uint8_t { Exact, Params, Prefix };

// One registered route. Read-only once registered.
struct RouteEntry {
  std::string pattern;        // as registered
  std::string_view prefix;    // Prefix: the pattern without its '*'
  RouteKind kind = RouteKind::Exact;
  MethodSet methods;          // this registration's methods
  MethodSet resource_methods; // union over the routes with the same pattern (the Allow set)
  Handler* handler = nullptr;
  uint64_t max_body = 0;      // 0: no body accepted (a body -> 413)
  uint16_t resource = 0;      // routes with the same pattern share this number
  uint8_t segments = 0;       // Params: segment count
  uint8_t param_count = 0;    // Params: `{name}` segments
  uint64_t param_mask = 0;    // Params: bit i set when segment i is a `{name}`
};

enum class AddError : uint8_t {
  none,
  table_full,       // more routes than the capacity given to the constructor
  bad_pattern,      // not starting with '/', '*' not last, `{` not a whole segment, ...
  too_many_params,  // more `{name}` segments than Request::params holds
  no_methods,
  no_handler,
  duplicate,        // same pattern with an overlapping method set
};
const char* message(AddError e);

struct Resolution {
  const RouteEntry* route = nullptr;         // the handler and its body policy
  http::Status status = http::Status::None;  // 404 or 405 when `route` is null
  const RouteEntry* resource = nullptr;      // 405: a route of the matched resource (its resource_methods)
};

class Router {
public:
  explicit Router(size_t capacity = 32);
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Registers `handler` for `methods` on `pattern`; a request body up to
  // `max_body` bytes is accepted (0: none). At start-up only.
  AddError add(MethodSet methods, std::string_view pattern, Handler& handler, uint64_t max_body = 0);

  // Finds the route for request.method and request.path and fills
  // request.params (only for the returned route). Never allocates.
  Resolution resolve(conn::Request& request) const;

  size_t size() const { return count_; }
  size_t capacity() const { return capacity_; }
  const RouteEntry& at(size_t i) const { return entries_[i]; }

private:
  std::unique_ptr<RouteEntry[]> entries_;
  size_t capacity_ = 0;
  size_t count_ = 0;
  uint16_t resources_ = 0;
};

}  // namespace hs::app
