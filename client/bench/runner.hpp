// Runs one measurement: the threads (one Loop each) against one address, the
// live progress line, and the merged result. Used by `homeserve bench URL...`
// and by the embedded scenarios.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "client/bench/histogram.hpp"
#include "client/bench/requests.hpp"
#include "client/bench/stats.hpp"
#include "client/common/tls_client.hpp"
#include "engine/engine.hpp"
#include "sockets/address.hpp"

namespace hs::client::bench {

struct RunSpec {
  net::Address address;
  const RequestSet* requests = nullptr;
  uint32_t connections = 16;
  uint32_t threads = 1;
  uint32_t depth = 1;
  int64_t duration_ns = 10'000'000'000;  // 0 with a quota: until the quota is done
  uint64_t quota = 0;
  double rate = 0;                        // over all threads
  int64_t timeout_ns = 5'000'000'000;
  int expect_status = 0;
  bool progress = false;                  // the live line on stderr (the caller checks isatty)
  const std::atomic<bool>* stop = nullptr;
  net::IoKind io = net::IoKind::Epoll;    // the engine every thread runs on
  const TlsClientContext* tls = nullptr;  // https
  bool new_connection = false;            // one request per connection
};

struct Result {
  Counters counters;
  std::unique_ptr<Histogram> latency = std::make_unique<Histogram>();  // nanoseconds
  double seconds = 0;                     // wall time of the run
  double cpu_user = 0, cpu_sys = 0;       // this process over the run (seconds)
};

// Starts the threads, waits for them, merges. False (with a reason) only when
// a thread could not start; errors seen on the wire are in the result.
bool execute(const RunSpec& spec, Result& result, std::string& error);

}  // namespace hs::client::bench
