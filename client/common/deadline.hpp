// A point in time every wait of the companion tools is bounded by.
#pragma once

#include <chrono>

namespace hs::client {

using Clock = std::chrono::steady_clock;
using Ms = std::chrono::milliseconds;

struct Deadline {
  Clock::time_point at;

  static Deadline in(Ms ms) { return {Clock::now() + ms}; }
  static Deadline after_seconds(double s) {
    return {Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s))};
  }
  bool passed() const { return Clock::now() >= at; }
  // Milliseconds left for poll(): 0 once passed, rounded up so poll does not spin.
  int ms_left() const {
    const auto left = at - Clock::now();
    if (left <= Clock::duration::zero()) return 0;
    const auto ms = std::chrono::duration_cast<Ms>(left).count() + 1;
    return ms > 1'000'000'000 ? 1'000'000'000 : static_cast<int>(ms);
  }
};

// Milliseconds since `start`, as a double (for reports).
inline double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

}  // namespace hs::client
