// `homeserve bench`: checks the options, then runs the embedded scenarios,
// the idle-connection holder, or the load against the URLs given.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "client/bench/embedded.hpp"
#include "client/bench/hold.hpp"
#include "client/bench/options.hpp"
#include "client/bench/report.hpp"
#include "client/bench/runner.hpp"
#include "client/common/client_engine.hpp"
#include "client/common/stream.hpp"
#include "client/common/tls_client.hpp"
#include "client/common/url.hpp"

namespace hs::client::bench {

namespace {

constexpr int kUsage = 2;
constexpr uint32_t kMaxPipeline = 1024;
constexpr uint32_t kMaxConnections = 1'000'000;

std::atomic<bool> g_stop{false};

void on_signal(int) { g_stop.store(true); }

int usage(const std::string& message) {
  std::fprintf(stderr, "homeserve bench: %s\n", message.c_str());
  return kUsage;
}

bool same_address(const net::Address& a, const net::Address& b) {
  return a.length == b.length && std::memcmp(&a.storage, &b.storage, a.length) == 0;
}

}  // namespace

bool parse_duration(std::string_view text, int64_t& nanos) {
  double value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr == begin) return false;
  const std::string_view unit(ptr, static_cast<size_t>(end - ptr));
  double scale;
  if (unit.empty() || unit == "s") scale = 1e9;
  else if (unit == "ms") scale = 1e6;
  else if (unit == "us") scale = 1e3;
  else if (unit == "m") scale = 60e9;
  else if (unit == "h") scale = 3600e9;
  else return false;
  const double ns = value * scale;
  if (!(ns >= 1) || ns > 86400e9 * 365) return false;
  nanos = static_cast<int64_t>(std::llround(ns));
  return true;
}

int run(const Options& o) {
  int64_t duration_ns = 0, timeout_ns = 0;
  if (!o.duration.empty() && !parse_duration(o.duration, duration_ns))
    return usage("-d " + o.duration + ": expected a duration such as 10s, 500ms, 2m");
  if (!parse_duration(o.timeout, timeout_ns)) return usage("--timeout " + o.timeout + ": expected a duration");
  if (o.threads == 0 || o.threads > 1024) return usage("-t must be from 1 to 1024");
  if (o.connections > kMaxConnections) return usage("-c must be at most 1000000");
  if (o.pipeline == 0 || o.pipeline > kMaxPipeline) return usage("--pipeline must be from 1 to 1024");
  if (!(o.rate >= 0) || !std::isfinite(o.rate)) return usage("--rate must be a number of requests per second");
  for (const std::string& m : o.compaction)
    if (m != "memmove" && m != "readv") return usage("--compaction must be memmove or readv");

  net::IoKind io = net::IoKind::Epoll;
  std::string io_error;
  if (const int rc = resolve_io(o.io, io, io_error); rc != 0) {
    std::fprintf(stderr, "homeserve bench: %s\n", io_error.c_str());
    return rc;
  }

  struct sigaction sa{};
  sa.sa_handler = on_signal;
  ::sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  if (o.urls.empty()) {
    if (o.hold_idle) return usage("--hold-idle needs a URL");
    return run_embedded(o, duration_ns ? duration_ns : 3'000'000'000, io);
  }

  std::vector<Url> urls(o.urls.size());
  for (size_t i = 0; i < o.urls.size(); ++i) {
    const char* why = "";
    if (!parse_url(o.urls[i], urls[i], why)) return usage(o.urls[i] + ": " + why);
    if (i > 0 && (!same_address(urls[i].address, urls[0].address) || urls[i].host != urls[0].host))
      return usage("every URL must name the same host and port (" + o.urls[i] + ")");
  }
  if (o.new_connection && o.pipeline > 1) return usage("--new-connection sends one request per connection: no --pipeline");
  if (o.new_connection && o.hold_idle) return usage("--new-connection and --hold-idle do not go together");
  {
    std::string why;
    if (!attach_tls(urls[0], TlsOptions{o.insecure, o.cacert}, why)) return usage(why);
  }
  if (urls[0].https) {
    // One handshake first: a certificate that does not verify is one clear
    // line here, not a run of connect errors.
    Stream probe;
    if (probe.connect(urls[0], Deadline::after_seconds(5)) == Io::tls) {
      std::fprintf(stderr, "homeserve bench: %s: %s\n", o.urls[0].c_str(), probe.error().c_str());
      return 1;
    }
  }
  if (o.hold_idle) return hold_idle(o, urls[0], duration_ns ? duration_ns : 60'000'000'000, g_stop);

  RequestSpec rs;
  rs.method = o.method;
  rs.host = urls[0].host;
  for (const Url& u : urls) rs.targets.push_back(u.target);
  rs.headers = o.headers;
  if (o.new_connection) rs.headers.push_back("Connection: close");  // the server closes first: its TIME_WAIT, not ours
  rs.body = o.body;
  RequestSet requests;
  std::string error;
  if (!requests.build(rs, o.pipeline, error)) return usage(error);

  RunSpec spec;
  spec.address = urls[0].address;
  spec.requests = &requests;
  spec.connections = o.connections ? o.connections : 16;
  spec.threads = std::min(o.threads, spec.connections);
  spec.depth = o.pipeline;
  spec.quota = o.requests;
  spec.duration_ns = duration_ns ? duration_ns : (o.requests ? 0 : 10'000'000'000);
  spec.rate = o.rate;
  spec.timeout_ns = timeout_ns;
  spec.expect_status = o.expect_status;
  spec.progress = o.progress && !o.json && ::isatty(STDERR_FILENO);
  spec.stop = &g_stop;
  spec.io = io;
  spec.tls = urls[0].tls.get();
  spec.new_connection = o.new_connection;
  Result result;
  if (!execute(spec, result, error)) {
    std::fprintf(stderr, "homeserve bench: %s\n", error.c_str());
    return 1;
  }
  RunInfo info{o.urls, spec.connections, spec.threads, spec.depth, spec.rate, net::to_string(io)};
  if (o.json) std::printf("%s\n", json_summary(info, result).c_str());
  else print_text(stdout, info, result);
  return result.counters.responses > 0 && result.counters.error_total() == 0 ? 0 : 1;
}

}  // namespace hs::client::bench
