// What `homeserve bench` prints: the text report, the --json summary (one
// document on stdout, written with hs::json::Writer), and number formats
// shared with the embedded scenarios' table.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "client/bench/runner.hpp"

namespace hs::json {
class Writer;
}

namespace hs::client::bench {

struct RunInfo {
  std::vector<std::string> urls;
  uint32_t connections = 0;
  uint32_t threads = 0;
  uint32_t depth = 1;
  double rate = 0;
  const char* io = "epoll";  // the engine the threads ran on
};

void print_text(std::FILE* out, const RunInfo& info, const Result& result);
std::string json_summary(const RunInfo& info, const Result& result);
// The result's members (requests, latency_us, errors, ...) into an open object.
void write_result(json::Writer& w, const Result& result);

double per_second(uint64_t n, double seconds);
// "812 us", "1.23 ms", "2.50 s".
std::string format_latency(uint64_t ns);
// "1.2 MiB", "900 B".
std::string format_bytes(double bytes);
// 1234567 -> "1,234,567".
std::string group_digits(uint64_t v);

}  // namespace hs::client::bench
