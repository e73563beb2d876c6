// Counts heap allocations per thread by interposing malloc and friends (and
// so operator new) in the test binary. Not available under ASan, which
// interposes them itself: allocation_counting_available() says whether it
// works in this build. Shared by the app, net and client tests
// (tests/CMakeLists.txt links it into their binaries).
#pragma once

#include <atomic>
#include <cstdint>

namespace hs::testing {

// The calling thread's allocation counter; the address stays valid for the
// thread's lifetime, so another thread may read it.
const std::atomic<uint64_t>* this_thread_allocations();
bool allocation_counting_available();

// Allocations the calling thread makes between start() and stop(), summed
// over every such region: the test's own work (strings, gtest) stays outside.
class AllocationTally {
public:
  void start() { at_start_ = this_thread_allocations()->load(std::memory_order_relaxed); }
  void stop() { total_ += this_thread_allocations()->load(std::memory_order_relaxed) - at_start_; }
  uint64_t total() const { return total_; }

private:
  uint64_t at_start_ = 0;
  uint64_t total_ = 0;
};

}  // namespace hs::testing
