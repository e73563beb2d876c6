// Response-head cost, the part every answer pays: a handler's fields written
// through conn::Response (Head_Fields*), and whole keep-alive requests through
// a Connection driven by MemoryPeer (Conn_*: parse, route, handle, status
// line, Date / Content-Length / Connection, gather). Two handlers: two short
// fields ("small") and the eight fields of a static-file answer ("static").
// No peer to compare with: the figures are for before/after comparisons.
#include <benchmark/benchmark.h>

#include <array>
#include <string>
#include <string_view>

#include "conn/memory_peer.hpp"

namespace {

using hs::conn::Request;
using hs::conn::Response;
using hs::conn::Route;

void small_fields(Response& resp) {
  resp.header("Content-Type", "text/plain");
  resp.header("Cache-Control", "no-store");
}

void static_fields(Response& resp) {
  resp.header("Content-Type", "text/css; charset=utf-8");
  resp.header("ETag", "\"5f3a2b1c-1a2b\"");
  resp.header("Last-Modified", "Sun, 22 Nov 2026 07:59:59 GMT");
  resp.header("Vary", "Accept-Encoding");
  resp.header("Cache-Control", "public, max-age=3600");
  resp.header("Accept-Ranges", "bytes");
  resp.header("X-Content-Type-Options", "nosniff");
  resp.header("Content-Range", "bytes 0-1023/4096");
}

class BenchService final : public hs::conn::Service {
public:
  explicit BenchService(bool many) : many_(many) {}
  Route route(Request&) override { return {this, 0, hs::http::Status::None}; }
  void handle(const Route&, const Request&, Response& resp) override {
    if (many_) static_fields(resp);
    else small_fields(resp);
    resp.body("hello, world\n");
  }

private:
  bool many_;
};

template <void (*Fields)(Response&)>
void BM_Head_Fields(benchmark::State& state) {
  std::array<char, 1024> head_area;
  std::array<char, 3072> body_area;
  hs::conn::Responder r;
  r.head_area = head_area;
  r.body_area = body_area;
  for (auto _ : state) {
    Response resp(r);
    Fields(resp);
    benchmark::DoNotOptimize(resp.fields_len());
    benchmark::ClobberMemory();
  }
}
BENCHMARK_TEMPLATE(BM_Head_Fields, small_fields)->Name("Head_Fields/small");
BENCHMARK_TEMPLATE(BM_Head_Fields, static_fields)->Name("Head_Fields/static");

void BM_Conn(benchmark::State& state, bool many, bool http10) {
  BenchService service(many);
  hs::conn::Limits limits;
  hs::conn::MemoryPeer peer(limits, service);
  const std::string_view request = http10
                                       ? "GET /style.css HTTP/1.0\r\nHost: bench\r\nConnection: keep-alive\r\n\r\n"
                                       : "GET /style.css HTTP/1.1\r\nHost: bench\r\n\r\n";
  peer.output.reserve(4096);
  size_t bytes = 0;
  for (auto _ : state) {
    peer.output.clear();
    peer.send(request, 0);
    bytes += peer.output.size();
  }
  if (peer.output.empty() || peer.conn.finished()) state.SkipWithError("no answer");
  state.counters["out_bytes"] = benchmark::Counter(static_cast<double>(bytes) / static_cast<double>(state.iterations()));
}
BENCHMARK_CAPTURE(BM_Conn, small, false, false)->Name("Conn_Get/small");
BENCHMARK_CAPTURE(BM_Conn, static, true, false)->Name("Conn_Get/static");
BENCHMARK_CAPTURE(BM_Conn, static_http10, true, true)->Name("Conn_Get/static_http10");

}  // namespace

BENCHMARK_MAIN();
