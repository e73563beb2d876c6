// homeserve: the one executable. Parses the command line (CLI11 stays in this
// folder) and hands plain configuration structs to the layers.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "client/bench/options.hpp"
#include "cli/serve.hpp"
#include "cli/version.hpp"
#include "client/flood/flood.hpp"
#include "client/pipeline/pipeline.hpp"
#include "client/probe/probe.hpp"

namespace {

constexpr int kUsageError = 2;

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"homeserve: a small, fast HTTP/1.1 server with a resource footprint fixed at start-up"};
  app.fallthrough();
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", hs::cli::version_text());

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
  serve->add_option("--responders", so.responders, "Responses in flight per worker (at most 65535)")->capture_default_str();
  serve->add_option("--max-pipeline", so.max_pipeline, "Pipelined requests in flight per connection; more wait")
      ->capture_default_str();
  serve->add_option("--workers", so.workers, "Event loops (threads), each with its own pools")->capture_default_str();
  serve->add_option("--compaction", so.compaction, "Receive buffer compaction")
      ->capture_default_str()
      ->check(CLI::IsMember({"memmove", "readv"}));
  serve->add_option("--io", so.io, "I/O engine: auto (io_uring where the kernel allows it, else epoll), epoll or uring")
      ->capture_default_str()
      ->envname("HOMESERVE_IO")
      ->check(CLI::IsMember({"auto", "epoll", "uring"}));
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
  serve->add_flag("--follow-symlinks", so.follow_symlinks, "Serve symlinks that point outside the document root");
  serve->add_flag("--dotfiles", so.dotfiles, "Serve .name files and directories (default: 404)");
  serve->add_flag("--listing", so.listing, "HTML listing of directories without index.html");
  serve->add_option("--cache-control", so.cache_control, "Cache-Control value for file responses (e.g. 'max-age=60')");
  serve->add_option("--file-cache", so.file_cache, "Open-file cache entries per worker (0: open every request)")
      ->capture_default_str();
  serve->add_option("--inline-max", so.inline_max, "Files up to this size leave with the head in one write (capped by the responder)")
      ->transform(CLI::AsSizeValue(false))
      ->default_str("4k");
  serve->add_option("--content-cache", so.content_cache,
                    "Small files (up to --inline-max) whose bytes the file cache keeps per worker (0: read every request)")
      ->capture_default_str();
  serve->add_option("--user", so.user, "Once bound, drop root privileges to this user (name or uid)");
  serve->add_option("--group", so.group, "With --user: this group instead of the user's primary group");
  serve->add_flag("--allow-root", so.allow_root, "Serve as root without --user (refused otherwise)")
      ->envname("HOMESERVE_ALLOW_ROOT");
  serve->add_option("--tls-listen", so.tls_listen, "HTTPS address, ADDR:PORT or [IPv6]:PORT (repeatable)");
  serve->add_option("--tls-cert", so.tls_cert, "PEM certificate chain for HTTPS (leaf first)");
  serve->add_option("--tls-key", so.tls_key, "PEM private key of --tls-cert (ECDSA or RSA)");
  serve->add_option("--tls-handshakes", so.tls_handshakes, "Concurrent TLS handshakes per worker (TLS 1.2 connections keep theirs)")
      ->capture_default_str();
  serve->add_option("--tls-buffers", so.tls_buffers, "Areas per worker where TLS records are sealed (64 KiB each)")
      ->capture_default_str();
  serve->add_flag("--redirect-https", so.redirect_https, "Plain listeners answer 308 to the https:// URL");
  serve->add_option("--hsts", so.hsts, "Add Strict-Transport-Security: max-age=SECONDS to HTTPS responses (0: none)")
      ->capture_default_str();

  hs::client::bench::Options bo;
  auto* bench = app.add_subcommand("bench", "Load generator: measure a server (no URL: the embedded readv/memmove scenarios)");
  bench->add_option("url", bo.urls, "URLs, taken round-robin (same host and port)");
  bench->add_option("-c,--connections", bo.connections, "Connections over all threads (default 16)");
  bench->add_option("-t,--threads", bo.threads, "Threads, each with its own event loop")->capture_default_str();
  bench->add_option("--io", bo.io, "I/O engine: auto (io_uring where the kernel allows it, else epoll), epoll or uring")
      ->capture_default_str();
  bench->add_option("-d,--duration", bo.duration, "Run time: 10s, 500ms, 2m (default 10s; embedded: 3s per scenario)");
  bench->add_option("-n,--requests", bo.requests, "Stop after this many requests answered or failed");
  bench->add_option("--pipeline", bo.pipeline, "Requests in flight per connection")->capture_default_str();
  bench->add_option("-H,--header", bo.headers, "Extra request header 'Name: value' (repeatable)")
      ->allow_extra_args(false);
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
      ->allow_extra_args(false)
      ->check(CLI::IsMember({"memmove", "readv"}));
  bench->add_flag("--new-connection", bo.new_connection, "A new connection per request (https: handshakes per second)");
  bench->add_flag("--insecure", bo.insecure, "https: do not verify the server's certificate");
  bench->add_option("--cacert", bo.cacert, "https: PEM file of CA certificates to verify against (default: system store)");

  hs::client::PipelineOptions po;
  auto* pipeline = app.add_subcommand("pipeline", "Check that pipelined requests are answered in order with the right bodies");
  pipeline->add_option("url", po.url, "http://HOST:PORT/path")->required();
  pipeline->add_option("-n,--requests", po.count, "Requests per round")->capture_default_str();
  pipeline->add_option("--depth", po.depth, "Requests per write (default: all in one write)");
  pipeline->add_option("--repeat", po.repeat, "Rounds, each on a fresh connection")->capture_default_str();
  pipeline->add_option("--bad-at", po.bad_at, "Make request K (from 1) bad: K-1 answers, a 400, then the close");
  pipeline->add_option("--paths", po.paths, "More targets on the same server, comma-separated (/a.txt,/b.txt)")
      ->delimiter(',');
  pipeline->add_option("--timeout", po.timeout, "Seconds per round")->capture_default_str();
  pipeline->add_flag("--insecure", po.tls.insecure, "https: do not verify the server's certificate");
  pipeline->add_option("--cacert", po.tls.cacert, "https: PEM file of CA certificates to verify against (default: system store)");

  hs::client::FloodOptions fo;
  auto* flood = app.add_subcommand("flood", "Open more connections than a server allows and check that it copes");
  flood->add_option("url", fo.url, "http://HOST:PORT/path")->required();
  flood->add_option("-c,--connections", fo.connections, "Connections opened at once")->capture_default_str();
  flood->add_option("--hold", fo.hold, "Seconds to hold the connections the server kept")->capture_default_str();
  flood->add_option("--expect", fo.expect, "Statuses that count as coping, comma-separated")
      ->delimiter(',')
      ->default_str("200,429");
  flood->add_option("--timeout", fo.timeout, "Seconds for every connection to be answered")->capture_default_str();
  flood->add_option("--io", fo.io, "I/O engine: auto (io_uring where the kernel allows it, else epoll), epoll or uring")
      ->capture_default_str();
  flood->add_option("--fresh-timeout", fo.fresh_timeout, "Seconds for a fresh request to be answered")
      ->capture_default_str();
  flood->add_flag("--insecure", fo.tls.insecure, "https: do not verify the server's certificate");
  flood->add_option("--cacert", fo.tls.cacert, "https: PEM file of CA certificates to verify against (default: system store)");

  hs::client::ProbeOptions pro;
  auto* probe = app.add_subcommand("probe", "Check the limits of a running server: one PASS/FAIL line per check");
  probe->add_option("url", pro.url, "http://HOST:PORT/path (a small file)")->required();
  probe->add_option("--buffer-size", pro.buffer_size, "The server's receive buffer: head and body must fit")
      ->transform(CLI::AsSizeValue(false))
      ->default_str("16k");
  probe->add_option("--max-body", pro.max_body, "Largest body the target accepts (default: --buffer-size)")
      ->transform(CLI::AsSizeValue(false));
  probe->add_option("--max-connections", pro.max_connections, "The server's connections per worker (0: skip)")
      ->capture_default_str();
  probe->add_option("--workers", pro.workers, "The server's workers")->capture_default_str();
  probe->add_option("--max-pipeline", pro.max_pipeline, "The server's pipelined requests per connection")
      ->capture_default_str();
  probe->add_option("--header-timeout", pro.header_timeout, "The server's seconds for a whole head")
      ->capture_default_str();
  probe->add_option("--timeout", pro.timeout, "Seconds to wait for each answer")->capture_default_str();
  probe->add_option("--handshake-timeout", pro.handshake_timeout, "https: the server's seconds for a whole TLS handshake")
      ->capture_default_str();
  probe->add_flag("--insecure", pro.tls.insecure, "https: do not verify the server's certificate");
  probe->add_option("--cacert", pro.tls.cacert, "https: PEM file of CA certificates to verify against (default: system store)");
  probe->add_option("--only", pro.only,
                    "Checks to run, comma-separated: header-size, body-size, header-timeout, malformed, "
                    "pipeline-depth, connections, smuggling; https: tls-versions, tls-plaintext, "
                    "tls-handshake-timeout, tls-renegotiation")
      ->delimiter(',');

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
  if (pipeline->parsed()) return hs::client::run_pipeline(po, stdout, stderr);
  if (flood->parsed()) return hs::client::run_flood(fo, stdout, stderr);
  if (probe->parsed()) return hs::client::run_probe(pro, stdout, stderr);
  if (serve->parsed()) {
    so.buffers_given = serve->count("--buffers") > 0;
    so.listen_given = serve->count("--listen") > 0;
    return hs::cli::serve(so);
  }
  std::fputs(app.help().c_str(), stdout);
  return 0;
}
