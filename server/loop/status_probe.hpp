// Feeds the app's status endpoint (app/status_handler.hpp) with one worker's
// counters and pool occupancy. Called on that worker's own thread.
#pragma once

#include <cstdint>

#include "app/status_handler.hpp"
#include "loop/worker.hpp"

namespace hs::net {

struct StatusSource {
  const Worker* worker = nullptr;
  uint32_t index = 0;
  uint32_t count = 1;
};

// `source` must outlive the probe.
app::StatusProbe status_probe(const StatusSource& source);

}  // namespace hs::net
