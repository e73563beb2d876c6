// The JSON status endpoint (opt-in: Config::status_path, e.g. "/_status"):
// uptime, pool sizes and occupancy, requests by status code, bytes in/out,
// 429s and timeouts, written with json::Writer straight into the responder.
//
// The app cannot see the event loop's pools, so the net layer supplies a
// StatusProbe: a function it owns that fills a StatusSample. It is called on
// the worker thread that answers the request and must fill the figures of that
// worker (its own conn::Stats and pools; nothing is shared between workers,
// so no locking). It may also sum several workers if it can do so safely.
//
// Body (one line; keys always present, zeros when there is no probe):
//   {"uptime_seconds":12,"worker":0,"workers":1,
//    "pools":{"connections":{"capacity":1024,"in_use":3},"buffers":{...},"responders":{...},
//             "idle_releases":5},  (times the idle pools' pages went back to the kernel)
//    "connections":{"accepted":40,"rejected_429":2},
//    "requests":{"total":118,"by_class":{"1xx":0,"2xx":..,"5xx":0},"by_code":{"200":..,"505":0}},
//    "bytes":{"in":9000,"out":120000},"timeouts":1,"buffer_waits":0}
// About 800 bytes: it fits a responder's body area with room to spare.
#pragma once

#include <cstdint>

#include "app/router.hpp"
#include "conn/exchange.hpp"
#include "conn/stats.hpp"
#include "core/clock.hpp"

namespace hs::app {

struct PoolGauge {
  uint64_t capacity = 0;
  uint64_t in_use = 0;
};

// Occupancy of the pools the event loop owns.
struct PoolGauges {
  PoolGauge connections;  // connection slots
  PoolGauge buffers;      // receive buffers
  PoolGauge responders;
  PoolGauge tls_handshakes;  // capacity 0: no TLS listener
  PoolGauge tls_seal_areas;
  uint64_t idle_releases = 0;  // times the idle pools' pages went back to the kernel
};

struct StatusSample {
  PoolGauges pools;
  conn::Stats stats;      // a copy of the worker's counters
  uint32_t worker = 0;    // which worker answered
  uint32_t workers = 1;
};

// Filled by the net layer: `fill(context, out)` on the answering worker's thread.
struct StatusProbe {
  void (*fill)(void* context, StatusSample& out) = nullptr;
  void* context = nullptr;
};

class StatusHandler final : public Handler {
public:
  // `started` and `clock` give the uptime: clock() - started, in ms.
  StatusHandler(StatusProbe probe, core::Millis started, core::Millis (*clock)() = core::monotonic_now)
      : probe_(probe), started_(started), clock_(clock) {}

  void set_probe(StatusProbe probe) { probe_ = probe; }
  void handle(const conn::Request& request, conn::Response& response) override;

private:
  StatusProbe probe_;
  core::Millis started_;
  core::Millis (*clock_)();
};

}  // namespace hs::app
