// What one bench thread counts: responses, bytes, errors by kind, status
// classes, and its latency histogram. Merged by the main thread at the end.
#pragma once

#include <atomic>
#include <cstdint>

#include "client/bench/histogram.hpp"

namespace hs::client::bench {

enum class ErrorKind : uint8_t { connect, reset, timeout, framing, status };
constexpr int kErrorKinds = 5;
const char* to_string(ErrorKind kind);

struct Counters {
  uint64_t requests = 0;    // requests written (whole)
  uint64_t responses = 0;   // responses framed completely (any status)
  uint64_t bytes = 0;       // bytes read (heads, bodies, framing)
  uint64_t connects = 0;    // connections established
  uint64_t errors[kErrorKinds] = {};
  uint64_t status_class[6] = {};  // [0] other, [1] 1xx ... [5] 5xx

  uint64_t error_total() const {
    uint64_t t = 0;
    for (uint64_t e : errors) t += e;
    return t;
  }
  void add(const Counters& o) {
    requests += o.requests;
    responses += o.responses;
    bytes += o.bytes;
    connects += o.connects;
    for (int i = 0; i < kErrorKinds; ++i) errors[i] += o.errors[i];
    for (int i = 0; i < 6; ++i) status_class[i] += o.status_class[i];
  }
};

// Published by a thread (single writer, relaxed) for the progress line.
struct Progress {
  std::atomic<uint64_t> responses{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<bool> done{false};
};

}  // namespace hs::client::bench
