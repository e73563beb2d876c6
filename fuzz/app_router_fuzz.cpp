// Router fuzzer. Input: byte 0 picks the method and the mode, the rest is a
// path (mode 0: resolved against a fixed table) or a pattern and a path split
// at the first '\n' (mode 1: registered, then resolved). Properties:
// - resolve never crashes; the status is None, 404 or 405;
// - a route comes with params whose values lie inside the path, and its "*"
//   param (prefix routes) is a suffix of the path;
// - a 405 names a resource whose methods exclude the request's method;
// - with "/*" in the table, no path starting with '/' is 404;
// - resolving again gives the same answer.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "app/router.hpp"

namespace {

using hs::app::AddError;
using hs::app::Handler;
using hs::app::MethodSet;
using hs::app::Resolution;
using hs::app::Router;
using hs::http::Method;
using hs::http::Status;

class Nop final : public Handler {
public:
  void handle(const hs::conn::Request&, hs::conn::Response&) override {}
};

Nop g_handler;

void check(bool ok) {
  if (!ok) std::abort();
}

Router& fixed_table() {
  static Router* router = [] {
    auto* r = new Router(16);
    const MethodSet get{Method::Get};
    r->add({Method::Get, Method::Head}, "/*", g_handler);
    r->add(get, "/", g_handler);
    r->add(get, "/static/*", g_handler);
    r->add(get, "/static/img/*", g_handler);
    r->add(get, "/api/items", g_handler);
    r->add({Method::Post}, "/api/items", g_handler, 100);
    r->add(get, "/api/items/{id}", g_handler);
    r->add({Method::Delete}, "/api/items/{key}", g_handler);
    r->add(get, "/api/{kind}/{id}", g_handler);
    r->add(get, "/api/{kind}/count", g_handler);
    r->add(get, "/a/{b}/c/{d}/e/{f}/g", g_handler);
    return r;
  }();
  return *router;
}

void check_resolution(const Router& router, Method method, std::string_view path, bool has_catch_all) {
  hs::conn::Request req;
  req.method = method;
  req.path = path;
  const Resolution r = router.resolve(req);
  if (r.route != nullptr) {
    check(r.status == Status::None);
    check(r.route->methods.has(method));
    check(req.param_count <= req.params.size());
    for (uint8_t i = 0; i < req.param_count; ++i) {
      const std::string_view v = req.params[i].value;
      check(v.empty() || (v.data() >= path.data() && v.data() + v.size() <= path.data() + path.size()));
      if (req.params[i].name == "*") check(path.ends_with(v) && v.data() + v.size() == path.data() + path.size());
      else check(!v.empty() && v.find('/') == std::string_view::npos);
    }
  } else {
    check(r.status == Status::NotFound || r.status == Status::MethodNotAllowed);
    if (r.status == Status::MethodNotAllowed) check(r.resource != nullptr && !r.resource->resource_methods.has(method));
    if (has_catch_all && path.starts_with('/')) check(r.status != Status::NotFound);
  }
  hs::conn::Request again;
  again.method = method;
  again.path = path;
  const Resolution r2 = router.resolve(again);
  check(r2.route == r.route && r2.status == r.status && again.param_count == req.param_count);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Method method = static_cast<Method>(data[0] % 10);
  const bool register_mode = (data[0] & 0x80) != 0;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  if (!register_mode) {
    check_resolution(fixed_table(), method, rest, true);
    return 0;
  }
  const size_t nl = rest.find('\n');
  const std::string_view pattern = rest.substr(0, nl);
  const std::string_view path = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  Router router(4);
  check(router.add({Method::Get}, "/x/{y}", g_handler) == AddError::none);
  const AddError e = router.add(MethodSet::any(), pattern, g_handler);
  check(e == AddError::none || router.size() == 1);
  check_resolution(router, method, path, false);
  check_resolution(router, method, pattern, false);
  return 0;
}
