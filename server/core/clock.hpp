// Time as plain values: the connection and the timer wheel take `now` as an
// argument (so tests inject it), and only the event loop reads real clocks.
#pragma once

#include <cstdint>
#include <ctime>

namespace hs::core {

using Millis = int64_t;  // monotonic milliseconds
constexpr Millis kNever = INT64_MAX;

// CLOCK_MONOTONIC in milliseconds (used by the event loop only).
inline Millis monotonic_now() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return Millis{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

// Wall clock seconds, for Date and Last-Modified.
inline int64_t wall_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec;
}

}  // namespace hs::core
