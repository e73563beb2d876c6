// Every limit of a connection, named once. The command line fills it; the
// start-up line prints it; tests exercise the answer at each one.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/clock.hpp"

namespace hs::conn {

enum class Compaction : uint8_t {
  Memmove,  // move the unread tail to the buffer start before reading more
  Readv,    // read into the free space in two pieces (ring), move only when a request wraps
};

struct Limits {
  size_t buffer_size = 16 * 1024;   // receive buffer: a whole head (431) and body (413) must fit
  size_t max_headers = 64;          // more fields -> 431
  size_t max_target = 8 * 1024;     // longer request-target -> 414
  uint32_t max_pipeline = 16;       // requests in flight per connection; more wait
  size_t responder_size = 4 * 1024; // head + small body of one response
  size_t responder_head = 1024;     // of which the head may use this much
  Compaction compaction = Compaction::Memmove;
  core::Millis header_timeout = 10'000;     // whole head must arrive -> 408 and close
  core::Millis body_timeout = 10'000;       // whole body must arrive -> 408 and close
  core::Millis keepalive_timeout = 5'000;   // idle between requests -> close
  core::Millis send_timeout = 10'000;       // client stops reading -> close
};

}  // namespace hs::conn
