// Counts heap allocations per thread by interposing malloc and friends (and
// so operator new) in the test binary. Not available under ASan, which
// interposes them itself: counting() says whether it works in this build.
#pragma once

#include <atomic>
#include <cstdint>

namespace hs::testing {

// The calling thread's allocation counter; the address stays valid for the
// thread's lifetime, so another thread may read it.
const std::atomic<uint64_t>* this_thread_allocations();
bool allocation_counting_available();

}  // namespace hs::testing
