// homeserve: the one executable. Parses the command line (CLI11 stays in this
// folder) and hands plain configuration structs to the layers.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "client/bench/options.hpp"
#include "cli/serve.hpp"

namespace {

constexpr int kUsageError = 2;

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"homeserve: a small, fast HTTP/1.1 server with a resource footprint fixed at start-up"};
  app.fallthrough();
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", std::string("homeserve ") + HS_VERSION);

  app.set_config("--config", "", "Read options from a TOML/INI file ([serve] section for serve's options)");
  app.allow_config_extras(CLI::config_extras_mode::error);

  hs::cli::ServeOptions so;
  auto* serve = app.add_subcommand("serve", "Serve the files of a directory over HTTP/1.1");
  serve->add_option("dir", so.dir, "Document root")->capture_default_str()->check(CLI::ExistingDirectory);
  serve->add_option("--listen", so.listen, "Address to listen on, ADDR:PORT or [IPv6]:PORT (repeatable; port 0: any)")
      ->capture_default_str();
  serve->add_option("--max-connections", so.max_connections, "Connection slots per worker (more get 429)")
      ->capture_default_str();
  serve->add_option("--buffers", so.buffers, "Receive buffers per worker (only busy connections hold one)")
      ->capture_default_str();
  serve->add_option("--buffer-size", so.buffer_size, "Bytes per receive buffer; a whole head and body must fit (16k, 1M)")
      ->transform(CLI::AsSizeValue(false))
      ->default_str("16k");
  serve->add_option("--responders", so.responders, "Responses in flight per worker")->capture_default_str();
  serve->add_option("--max-pipeline", so.max_pipeline, "Pipelined requests in flight per connection; more wait")
      ->capture_default_str();
  serve->add_option("--workers", so.workers, "Event loops (threads), each with its own pools")->capture_default_str();
  serve->add_option("--compaction", so.compaction, "Receive buffer compaction")
      ->capture_default_str()
      ->check(CLI::IsMember({"memmove", "readv"}));
  serve->add_option("--header-timeout", so.header_timeout, "Seconds for a whole request head (408)")
      ->capture_default_str();
  serve->add_option("--body-timeout", so.body_timeout, "Seconds for a whole request body (408)")->capture_default_str();
  serve->add_option("--keepalive-timeout", so.keepalive_timeout, "Seconds an idle connection is kept")
      ->capture_default_str();
  serve->add_option("--send-timeout", so.send_timeout, "Seconds without write progress before closing")
      ->capture_default_str();
  serve->add_option("--shutdown-timeout", so.shutdown_timeout, "Seconds to finish responses after SIGTERM/SIGINT")
      ->capture_default_str();
  serve->add_option("--access-log", so.access_log, "Common Log Format access log: PATH, - (stdout) or off")
      ->capture_default_str();
  serve->add_option("--status-path", so.status_path, "Serve the JSON status endpoint at this path (e.g. /_status)")
      ->check([](const std::string& p) { return p.empty() || p[0] == '/' ? std::string() : "must start with '/'"; });
  serve->add_flag("--example-api", so.example_api, "Mount the JSON API example (/api/sum, /api/hello/{name})");

  hs::client::bench::Options bo;
  auto* bench = app.add_subcommand("bench", "Load generator: measure a server (no URL: the embedded readv/memmove scenarios)");
  bench->add_option("url", bo.urls, "URLs, taken round-robin (same host and port)");
  bench->add_option("-c,--connections", bo.connections, "Connections over all threads (default 16)");
  bench->add_option("-t,--threads", bo.threads, "Threads, each with its own epoll loop")->capture_default_str();
  bench->add_option("-d,--duration", bo.duration, "Run time: 10s, 500ms, 2m (default 10s; embedded: 3s per scenario)");
  bench->add_option("-n,--requests", bo.requests, "Stop after this many requests answered or failed");
  bench->add_option("--pipeline", bo.pipeline, "Requests in flight per connection")->capture_default_str();
  bench->add_option("-H,--header", bo.headers, "Extra request header 'Name: value' (repeatable)");
  bench->add_option("--method", bo.method, "Request method")->capture_default_str();
  bench->add_option("--body", bo.body, "Request body (sent with Content-Length)");
  bench->add_option("--rate", bo.rate, "Constant rate in requests/s over all connections; latency from each request's due time");
  bench->add_option("--timeout", bo.timeout, "No progress this long with requests in flight: a timeout error")
      ->capture_default_str();
  bench->add_option("--expect-status", bo.expect_status, "Status every response must have (default: any 2xx or 3xx)");
  bench->add_flag("--json", bo.json, "Print a JSON summary instead of the text report");
  bench->add_flag("!--no-progress", bo.progress, "No live progress line (it is shown only on a terminal anyway)");
  bench->add_option("--hold-idle", bo.hold_idle, "Open N keep-alive connections, one request each, and hold them for -d (default 60s)");
  bench->add_option("--compaction", bo.compaction, "Embedded scenarios: the server's compaction modes to run")
      ->check(CLI::IsMember({"memmove", "readv"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "homeserve: %s (see 'homeserve --help')\n", e.what());
    return kUsageError;
  }

  if (bench->parsed()) return hs::client::bench::run(bo);
  if (serve->parsed()) {
    so.buffers_given = serve->count("--buffers") > 0;
    return hs::cli::serve(so);
  }
  std::fputs(app.help().c_str(), stdout);
  return 0;
}
