#include "client/bench/embedded.hpp"

#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "client/bench/process.hpp"
#include "client/bench/report.hpp"
#include "client/bench/runner.hpp"
#include "engine/uring_engine.hpp"
#include "json/writer.hpp"
#include "sockets/address.hpp"

namespace hs::client::bench {

namespace {

struct Scenario {
  const char* name;
  const char* path;
  uint32_t connections;
  uint32_t depth;
};

constexpr Scenario kScenarios[] = {
    {"1 KiB keep-alive", "/1k.bin", 64, 1},
    {"1 KiB pipelined 16", "/1k.bin", 64, 16},
    {"1 MiB file", "/1m.bin", 16, 1},
};

struct Row {
  const Scenario* scenario;
  const char* engine;  // the server's --io
  std::string mode;
  Result result;
  uint64_t server_rss = 0;
  double server_cpu_us = 0;  // per response
};

class TempDocroot {
public:
  bool create() {
    char tmpl[] = "/tmp/homeserve-bench-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return false;
    path_ = tmpl;
    return write("1k.bin", 1024) && write("1m.bin", 1024 * 1024);
  }
  ~TempDocroot() {
    if (!path_.empty())
      ::nftw(
          path_.c_str(), [](const char* p, const struct stat*, int, struct FTW*) { return ::remove(p); }, 8,
          FTW_DEPTH | FTW_PHYS);
  }
  const std::string& path() const { return path_; }

private:
  bool write(const char* name, size_t n) {
    std::string bytes(n, '\0');
    for (size_t i = 0; i < n; ++i) bytes[i] = static_cast<char>('a' + i % 26);
    std::ofstream f(path_ + "/" + name, std::ios::binary);
    f.write(bytes.data(), static_cast<std::streamsize>(n));
    return static_cast<bool>(f);
  }
  std::string path_;
};

}  // namespace

int run_embedded(const Options& o, int64_t scenario_ns, net::IoKind io) {
  TempDocroot docroot;
  if (!docroot.create()) {
    std::fprintf(stderr, "homeserve bench: cannot create a temporary docroot in /tmp\n");
    return 1;
  }
  // Each compaction mode under each engine the kernel offers the server.
  std::vector<const char*> engines = {"epoll"};
  std::string uring_why;
  if (net::uring_usable(uring_why)) engines.push_back("uring");
  else if (!o.json) std::printf("homeserve bench: io_uring unavailable (%s): epoll only\n", uring_why.c_str());
  struct ServerRun {
    const char* engine;
    const std::string* mode;
  };
  std::vector<ServerRun> runs;
  for (const char* engine : engines)
    for (const std::string& m : o.compaction) runs.push_back({engine, &m});
  std::vector<Row> rows;
  bool any_error = false;
  for (const auto& [engine, mode_ptr] : runs) {
    const std::string& mode = *mode_ptr;
    ServerProcess server;
    std::string error;
    if (!server.start({docroot.path(), "--compaction", mode, "--workers", "1", "--keepalive-timeout", "60", "--io",
                       engine},
                      error)) {
      std::fprintf(stderr, "homeserve bench: %s\n", error.c_str());
      return 1;
    }
    net::Address address;
    const char* why = "";
    net::parse_address("127.0.0.1:" + std::to_string(server.port()), address, why);
    for (const Scenario& s : kScenarios) {
      RequestSpec rs;
      rs.host = "127.0.0.1:" + std::to_string(server.port());
      rs.targets = {s.path};
      rs.headers = o.headers;
      RequestSet requests;
      if (!requests.build(rs, s.depth, error)) {
        std::fprintf(stderr, "homeserve bench: %s\n", error.c_str());
        return 2;
      }
      RunSpec spec;
      spec.address = address;
      spec.requests = &requests;
      spec.connections = o.connections ? o.connections : s.connections;
      spec.threads = o.threads;
      spec.io = io;
      spec.depth = s.depth;
      spec.duration_ns = scenario_ns;
      Row row{&s, engine, mode, Result{}, 0, 0};
      if (o.progress && ::isatty(STDERR_FILENO))
        std::fprintf(stderr, "  %-20s %-5s %-8s ...\r", s.name, engine, mode.c_str());
      const double cpu0 = process_cpu_seconds(server.pid());
      if (!execute(spec, row.result, error)) {
        std::fprintf(stderr, "homeserve bench: %s\n", error.c_str());
        return 1;
      }
      const double cpu1 = process_cpu_seconds(server.pid());
      row.server_rss = process_rss(server.pid());
      const uint64_t n = row.result.counters.responses;
      row.server_cpu_us = n ? (cpu1 - cpu0) * 1e6 / static_cast<double>(n) : 0;
      any_error = any_error || row.result.counters.error_total() != 0 || n == 0;
      rows.push_back(std::move(row));
    }
    server.stop();
  }

  if (o.json) {
    std::vector<char> buf(4096 + 1024 * rows.size());
    json::Writer w(buf);
    w.begin_object().key("scenarios").begin_array();
    for (const Row& r : rows) {
      w.begin_object();
      w.key("scenario").string(r.scenario->name);
      w.key("compaction").string(r.mode);
      w.key("io").string(r.engine);
      w.key("connections").integer(o.connections ? o.connections : r.scenario->connections);
      w.key("pipeline").integer(r.scenario->depth);
      write_result(w, r.result);
      w.key("server_rss_bytes").integer(static_cast<int64_t>(r.server_rss));
      w.key("server_cpu_us_per_response").real(r.server_cpu_us);
      w.end_object();
    }
    w.end_array().end_object();
    std::printf("%s\n", std::string(w.view()).c_str());
    return any_error ? 1 : 0;
  }

  std::printf(
      "homeserve bench: embedded scenarios, %.1f s each, a homeserve (1 worker) per engine and compaction mode\n",
      static_cast<double>(scenario_ns) / 1e9);
  std::printf("%-20s %-6s %-9s %12s %10s %10s %12s %12s %8s\n", "scenario", "io", "mode", "req/s", "p50", "p99",
              "server RSS", "server cpu", "errors");
  for (const Row& r : rows) {
    const Histogram& h = *r.result.latency;
    char cpu[32];
    std::snprintf(cpu, sizeof cpu, "%.2f us", r.server_cpu_us);
    std::printf("%-20s %-6s %-9s %12.0f %10s %10s %12s %12s %8llu\n", r.scenario->name, r.engine, r.mode.c_str(),
                per_second(r.result.counters.responses, r.result.seconds), format_latency(h.percentile(50)).c_str(),
                format_latency(h.percentile(99)).c_str(), format_bytes(static_cast<double>(r.server_rss)).c_str(), cpu,
                static_cast<unsigned long long>(r.result.counters.error_total()));
  }
  // readv / memmove per scenario and engine, when both modes ran.
  const size_t n = std::size(kScenarios);
  if (o.compaction.size() == 2 && rows.size() == 2 * n * engines.size()) {
    for (size_t e = 0; e < engines.size(); ++e) {
      const Row* first = &rows[e * 2 * n];
      std::printf("compare: %s/%s req/s (%s):", o.compaction[1].c_str(), o.compaction[0].c_str(), engines[e]);
      for (size_t i = 0; i < n; ++i) {
        const double a = per_second(first[i].result.counters.responses, first[i].result.seconds);
        const double b = per_second(first[n + i].result.counters.responses, first[n + i].result.seconds);
        std::printf("%s %s %.2fx", i ? "," : "", kScenarios[i].name, a > 0 ? b / a : 0.0);
      }
      std::printf("\n");
    }
  }
  return any_error ? 1 : 0;
}

}  // namespace hs::client::bench
