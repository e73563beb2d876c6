// Request head parsing: homeserve's parse_request_head against Debian's
// http_parser (2.9) on a small curl-style request and a browser-like one. Both
// sides record the method, the target and every header name/value span, and
// homeserve also does all its validation (Host, framing, UTF-8 of values).
#include <benchmark/benchmark.h>
#include <http_parser.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "bench/ratio_report.hpp"
#include "http/request_head.hpp"
#include "http/scan_simd.hpp"

namespace {

using hs::http::Header;
using hs::http::HeadLimits;
using hs::http::HeadResult;
using hs::http::ParseState;
using hs::http::RequestHead;
using hs::http::ScanPath;

// 88 bytes, 3 fields.
constexpr std::string_view kSmall =
    "GET /index.html HTTP/1.1\r\n"
    "Host: localhost:8080\r\n"
    "User-Agent: curl/7.88.1\r\n"
    "Accept: */*\r\n"
    "\r\n";

// About 700 bytes, 12 fields, as a current browser sends for an image.
constexpr std::string_view kBrowser =
    "GET /photos/2026/holiday/IMG_2041.jpg?size=large&v=3 HTTP/1.1\r\n"
    "Host: nas.home.arpa:8080\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
    "Accept: image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5\r\n"
    "Accept-Language: en-GB,en;q=0.7,de;q=0.3\r\n"
    "Accept-Encoding: gzip, deflate, br, zstd\r\n"
    "Referer: http://nas.home.arpa:8080/photos/2026/holiday/index.html?view=grid&sort=date\r\n"
    "Connection: keep-alive\r\n"
    "Cookie: session=3f9a1c0e7b2d4f6a8c1e3b5d7f9a2c4e; theme=dark; lang=en-GB; last_album=holiday-2026; "
    "thumbs=large; consent=functional\r\n"
    "Sec-Fetch-Dest: image\r\n"
    "Sec-Fetch-Mode: no-cors\r\n"
    "Sec-Fetch-Site: same-origin\r\n"
    "If-None-Match: \"5f2b-61a9c3e4d8b00\"\r\n"
    "\r\n";

// ---- homeserve --------------------------------------------------------------
void run_homeserve(benchmark::State& state, std::string_view req) {
  Header storage[64];
  const HeadLimits limits;
  RequestHead head;  // parse_request_head resets it
  for (auto _ : state) {
    const HeadResult r = parse_request_head(req, 0, head, storage, limits);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(head);
    if (r.state != ParseState::Complete) state.SkipWithError("homeserve did not accept the request");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(req.size()));
}

void run_homeserve_path(benchmark::State& state, std::string_view req, ScanPath path) {
  const ScanPath saved = hs::http::active_scan_path();
  if (!hs::http::set_scan_path(path)) {
    state.SkipWithError("scan path not supported on this CPU");
    for (auto _ : state) {
    }
    return;
  }
  run_homeserve(state, req);
  hs::http::set_scan_path(saved);
}

// ---- http_parser ------------------------------------------------------------
struct Span {
  const char* at;
  size_t len;
};

// Filled by the callbacks; the arrays are not cleared per run (homeserve's
// header array is not either), only the counters are.
struct Recorded {
  Span url;
  Span names[64];
  Span values[64];
  int count;
  unsigned method;
  bool complete;
};

int on_url(http_parser* p, const char* at, size_t len) {
  static_cast<Recorded*>(p->data)->url = {at, len};
  return 0;
}
int on_field(http_parser* p, const char* at, size_t len) {
  auto* r = static_cast<Recorded*>(p->data);
  if (r->count < 64) r->names[r->count] = {at, len};
  return 0;
}
int on_value(http_parser* p, const char* at, size_t len) {
  auto* r = static_cast<Recorded*>(p->data);
  if (r->count < 64) r->values[r->count++] = {at, len};
  return 0;
}
int on_headers_complete(http_parser* p) {
  auto* r = static_cast<Recorded*>(p->data);
  r->method = p->method;
  r->complete = true;
  return 0;
}

http_parser_settings make_settings() {
  http_parser_settings s;
  http_parser_settings_init(&s);
  s.on_url = on_url;
  s.on_header_field = on_field;
  s.on_header_value = on_value;
  s.on_headers_complete = on_headers_complete;
  return s;
}

void run_http_parser(benchmark::State& state, std::string_view req) {
  const http_parser_settings settings = make_settings();
  Recorded rec;
  for (auto _ : state) {
    rec.count = 0;
    rec.complete = false;
    http_parser parser;
    http_parser_init(&parser, HTTP_REQUEST);
    parser.data = &rec;
    const size_t n = http_parser_execute(&parser, &settings, req.data(), req.size());
    benchmark::DoNotOptimize(n);
    benchmark::DoNotOptimize(rec);
    if (!rec.complete) state.SkipWithError("http_parser did not accept the request");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(req.size()));
}

void BM_homeserve_small(benchmark::State& s) { run_homeserve(s, kSmall); }
void BM_http_parser_small(benchmark::State& s) { run_http_parser(s, kSmall); }
void BM_homeserve_browser(benchmark::State& s) { run_homeserve(s, kBrowser); }
void BM_http_parser_browser(benchmark::State& s) { run_http_parser(s, kBrowser); }
// Per scan path, for information (the ratio lines use the default path).
void BM_homeserve_small_portable(benchmark::State& s) { run_homeserve_path(s, kSmall, ScanPath::Portable); }
void BM_homeserve_browser_portable(benchmark::State& s) { run_homeserve_path(s, kBrowser, ScanPath::Portable); }
void BM_homeserve_small_sse42(benchmark::State& s) { run_homeserve_path(s, kSmall, ScanPath::Sse42); }
void BM_homeserve_browser_sse42(benchmark::State& s) { run_homeserve_path(s, kBrowser, ScanPath::Sse42); }

BENCHMARK(BM_homeserve_small);
BENCHMARK(BM_http_parser_small);
BENCHMARK(BM_homeserve_browser);
BENCHMARK(BM_http_parser_browser);
BENCHMARK(BM_homeserve_small_portable);
BENCHMARK(BM_homeserve_browser_portable);
BENCHMARK(BM_homeserve_small_sse42);
BENCHMARK(BM_homeserve_browser_sse42);

}  // namespace

int main(int argc, char** argv) {
  std::printf("scan path: %s; requests: small %zu bytes, browser %zu bytes\n",
              hs::http::scan_path_name(hs::http::active_scan_path()), kSmall.size(), kBrowser.size());
  // Repetitions interleaved, so a burst of load on a shared machine hits both
  // sides of a ratio alike; nine (not five) for a steadier median.
  return hs::bench::run_with_ratios(
      argc, argv,
      {
          {"parser-small", "BM_homeserve_small", "BM_http_parser_small", "http_parser"},
          {"parser-browser", "BM_homeserve_browser", "BM_http_parser_browser", "http_parser"},
      },
      {"--benchmark_enable_random_interleaving=true", "--benchmark_repetitions=9"});
}
