#include "client/bench/runner.hpp"

#include <sys/resource.h>
#include <time.h>

#include <cstdio>
#include <thread>
#include <vector>

#include "client/bench/loop.hpp"
#include "client/common/fd_limit.hpp"

namespace hs::client::bench {

namespace {

double cpu_seconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; }

void sleep_ns(int64_t ns) {
  timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  ::nanosleep(&ts, nullptr);
}

}  // namespace

bool execute(const RunSpec& spec, Result& result, std::string& error) {
  const uint32_t threads = std::max<uint32_t>(1, std::min(spec.threads, spec.connections));
  if (!ensure_fd_limit(uint64_t{spec.connections} + 64 + 4 * threads, error)) return false;
  const int64_t start = now_ns();
  std::vector<std::unique_ptr<Loop>> loops;
  uint32_t first = 0;
  for (uint32_t t = 0; t < threads; ++t) {
    LoopConfig lc;
    lc.address = spec.address;
    lc.requests = spec.requests;
    lc.connections = spec.connections / threads + (t < spec.connections % threads ? 1 : 0);
    lc.first_index = first;
    first += lc.connections;
    lc.depth = spec.depth;
    lc.deadline_ns = spec.duration_ns > 0 ? start + spec.duration_ns : kNoDeadline;
    if (spec.quota != 0) lc.quota = spec.quota / threads + (t < spec.quota % threads ? 1 : 0);
    if (spec.quota != 0 && lc.quota == 0) continue;
    lc.rate = spec.rate > 0 ? spec.rate * lc.connections / spec.connections : 0;
    lc.timeout_ns = spec.timeout_ns;
    lc.expect_status = spec.expect_status;
    lc.stop = spec.stop;
    lc.io = spec.io;
    lc.tls = spec.tls;
    lc.new_connection = spec.new_connection;
    auto loop = std::make_unique<Loop>();
    if (!loop->init(lc, error)) return false;
    loops.push_back(std::move(loop));
  }
  rusage before{}, after{};
  ::getrusage(RUSAGE_SELF, &before);
  std::vector<std::thread> workers;
  workers.reserve(loops.size());
  for (auto& loop : loops) workers.emplace_back([l = loop.get()] { l->run(); });

  // The progress line: once a second, on stderr, only when asked (a terminal).
  int64_t next_line = start + 1'000'000'000;
  uint64_t last_responses = 0;
  for (;;) {
    bool all_done = true;
    for (auto& l : loops) all_done = all_done && l->progress().done.load(std::memory_order_acquire);
    if (all_done) break;
    sleep_ns(20'000'000);
    const int64_t now = now_ns();
    if (spec.progress && now >= next_line) {
      uint64_t responses = 0, errors = 0;
      for (auto& l : loops) {
        responses += l->progress().responses.load(std::memory_order_relaxed);
        errors += l->progress().errors.load(std::memory_order_relaxed);
      }
      std::fprintf(stderr, "\r  %5.1f s  %12llu responses  %10.0f req/s  %llu errors   ",
                   static_cast<double>(now - start) / 1e9, static_cast<unsigned long long>(responses),
                   static_cast<double>(responses - last_responses), static_cast<unsigned long long>(errors));
      std::fflush(stderr);
      last_responses = responses;
      next_line += 1'000'000'000;
    }
  }
  for (auto& w : workers) w.join();
  const int64_t end = now_ns();
  ::getrusage(RUSAGE_SELF, &after);
  if (spec.progress) std::fprintf(stderr, "\r%78s\r", "");

  result.counters = Counters{};
  result.latency->reset();
  for (auto& l : loops) {
    result.counters.add(l->counters());
    result.latency->merge(l->histogram());
  }
  result.seconds = static_cast<double>(end - start) / 1e9;
  result.cpu_user = cpu_seconds(after.ru_utime) - cpu_seconds(before.ru_utime);
  result.cpu_sys = cpu_seconds(after.ru_stime) - cpu_seconds(before.ru_stime);
  return true;
}

}  // namespace hs::client::bench
