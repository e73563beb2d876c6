// The app layer's conn::Service: a Router filled from an app::Config (the
// command line fills the Config), the built-in handlers (static files, the
// status endpoint, the JSON API example), and the small error pages.
//
// Construction happens at start-up and may allocate (the route table, pattern
// copies, the open-file cache); route() and handle() never do. One App per
// worker: the static handler's file cache is not shared between threads.
//
//   app::Config cfg;
//   cfg.docroot = dir;                  // mounted at "/*" for GET, HEAD and OPTIONS
//   cfg.status_path = "/_status";       // optional
//   cfg.example_api = true;             // optional: /api/sum, /api/hello/{name}
//   app::App app(cfg);
//   if (!app.ok()) { fprintf(stderr, "homeserve: %.*s\n", ...app.error()); return 1; }
//   app.set_status_probe({&fill_sample, worker});   // net: see status_handler.hpp
//   ctx.service = &app;
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "app/example_api.hpp"
#include "app/router.hpp"
#include "app/static_files.hpp"
#include "app/status_handler.hpp"
#include "conn/exchange.hpp"
#include "core/clock.hpp"

namespace hs::app {

struct Config {
  std::string docroot = ".";      // served at "/" (GET, HEAD); empty: no static files
  bool dotfiles = false;          // serve `.name` files (default: 404)
  bool follow_symlinks = false;   // symlinks may leave the docroot (default: 404)
  bool listing = false;           // HTML listing of directories without index.html
  std::string cache_control;      // Cache-Control value for files; empty: none
  size_t file_cache = 256;        // open-file cache entries (0: none)
  size_t inline_max = 4 * 1024;   // files up to this leave inside the responder (capped by its body area)
  size_t content_cache = 64;      // small files whose bytes the file cache keeps (0: none)
  std::string status_path;        // e.g. "/_status"; empty: no status endpoint
  bool example_api = false;       // mount the JSON API example (--example-api)
  size_t max_routes = 32;         // room for the built-in routes and an embedder's own
  StatusProbe status_probe;       // may also be set later with set_status_probe()
  core::Millis (*clock)() = core::monotonic_now;  // for the uptime (tests inject one)
};

class App final : public conn::Service {
public:
  explicit App(const Config& config);
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // False when start-up failed (docroot missing, bad status path, ...); error() says why.
  bool ok() const { return error_[0] == '\0'; }
  std::string_view error() const { return error_; }

  // More routes may be added before serving (the table holds config.max_routes).
  Router& router() { return router_; }
  void set_status_probe(StatusProbe probe) { status_.set_probe(probe); }

  // ---- conn::Service ----
  conn::Route route(conn::Request& request) override;
  void handle(const conn::Route& route, const conn::Request& request, conn::Response& response) override;
  bool error_page(http::Status status, std::string_view reason, conn::Response& response) override;

private:
  void fail(const char* what, std::string_view detail, const char* why);

  Router router_;
  std::string cache_control_;
  StaticFiles static_files_;
  StatusHandler status_;
  ExampleApi example_;
  char error_[256] = {};
};

}  // namespace hs::app
