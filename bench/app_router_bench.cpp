// Router and static-file handler costs: resolve() over a table of ~20 routes
// (exact, {param}, longest prefix, 404/405), and a whole static GET through
// App (route + openat2 + fstat + fields + close) as the baseline that issue 5's
// open-file cache is measured against.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <string>

#include "app/app.hpp"
#include "http/request_head.hpp"
#include "http/target.hpp"

namespace {

using hs::app::Router;
using hs::http::Method;

class Nop final : public hs::app::Handler {
public:
  void handle(const hs::conn::Request&, hs::conn::Response&) override {}
};

Nop g_nop;

Router& table() {
  static Router r(32);
  static bool filled = false;
  if (!filled) {
    filled = true;
    const hs::app::MethodSet get{Method::Get};
    r.add({Method::Get, Method::Head}, "/*", g_nop);
    r.add(get, "/", g_nop);
    r.add(get, "/static/*", g_nop);
    r.add(get, "/static/img/*", g_nop);
    r.add(get, "/_status", g_nop);
    r.add({Method::Post}, "/api/sum", g_nop, 4096);
    r.add(get, "/api/items", g_nop);
    r.add({Method::Post}, "/api/items", g_nop, 1024);
    r.add(get, "/api/items/{id}", g_nop);
    r.add({Method::Delete}, "/api/items/{id}", g_nop);
    r.add(get, "/api/items/{id}/tags", g_nop);
    r.add(get, "/api/users/{user}", g_nop);
    r.add(get, "/api/users/{user}/repos/{repo}", g_nop);
    r.add(get, "/api/{kind}/{id}", g_nop);
    r.add(get, "/api/{kind}/count", g_nop);
    r.add(get, "/login", g_nop);
    r.add({Method::Post}, "/login", g_nop, 1024);
    r.add(get, "/logout", g_nop);
    r.add(get, "/feed.xml", g_nop);
    r.add(get, "/health", g_nop);
  }
  return r;
}

void resolve(benchmark::State& state, Method method, const char* path) {
  Router& r = table();
  hs::conn::Request req;
  req.method = method;
  req.path = path;
  for (auto _ : state) {
    benchmark::DoNotOptimize(r.resolve(req));
    benchmark::ClobberMemory();
  }
}

void BM_ResolveExact(benchmark::State& s) { resolve(s, Method::Get, "/health"); }
void BM_ResolveParams(benchmark::State& s) { resolve(s, Method::Get, "/api/users/ann/repos/homeserve"); }
void BM_ResolvePrefix(benchmark::State& s) { resolve(s, Method::Get, "/photos/2026/summer/IMG_0042.jpg"); }
void BM_Resolve405(benchmark::State& s) { resolve(s, Method::Put, "/api/items"); }
BENCHMARK(BM_ResolveExact);
BENCHMARK(BM_ResolveParams);
BENCHMARK(BM_ResolvePrefix);
BENCHMARK(BM_Resolve405);

// A whole static GET through the app (no connection, no socket).
void BM_StaticGet(benchmark::State& state) {
  char tmpl[] = "/tmp/hs_bench_XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  const std::string root = tmpl;
  const std::string file = root + "/style.css";
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || ::write(fd, "body{}", 6) != 6) {
    state.SkipWithError("cannot write the test file");
    return;
  }
  ::close(fd);

  hs::app::Config cfg;
  cfg.docroot = root;
  hs::app::App app(cfg);
  const std::string text = "GET /style.css HTTP/1.1\r\nHost: bench\r\n\r\n";
  std::array<hs::http::Header, 8> headers;
  hs::http::RequestHead head;
  hs::http::parse_request_head(text, 0, head, headers, {});
  std::array<char, 256> path;
  hs::http::Target target;
  (void)hs::http::parse_target(head.target, path, target);
  hs::conn::Request req;
  req.head = &head;
  req.method = head.method;
  req.raw_target = head.target;
  req.path = target.path;

  std::array<char, 1024> head_area;
  std::array<char, 1024> body_area;
  hs::conn::Responder r;
  r.head_area = head_area;
  r.body_area = body_area;
  for (auto _ : state) {
    const hs::conn::Route route = app.route(req);
    hs::conn::Response resp(r);
    app.handle(route, req, resp);
    if (r.file_fd >= 0) ::close(r.file_fd);
  }
  ::unlink(file.c_str());
  ::rmdir(root.c_str());
}
BENCHMARK(BM_StaticGet);

}  // namespace

BENCHMARK_MAIN();
