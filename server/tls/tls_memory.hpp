// OpenSSL's memory, fixed at start-up: every allocation OpenSSL makes after
// install_tls_memory() is served from one BuddyArena reserved there
// (CRYPTO_set_mem_functions), so TLS traffic never reaches malloc and cannot
// grow the process. When the arena is full OpenSSL sees a failed allocation
// and reports an error (a handshake fails, a connection closes); nothing
// grows. OpenSSL may allocate from any worker thread: one lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace hs::tls {

// Must run before OpenSSL allocates anything (before any other OpenSSL call).
// False with a one-line reason: too late (OpenSSL already allocated), or the
// memory is not available. Once per process.
bool install_tls_memory(size_t bytes, std::string& why);

struct TlsMemoryStats {
  size_t capacity = 0;   // the reservation
  size_t in_use = 0;     // bytes of blocks handed to OpenSSL (headers included)
  size_t peak = 0;
  uint64_t allocations = 0;
  uint64_t failures = 0; // allocations refused: the arena was full
};
TlsMemoryStats tls_memory_stats();
// Starts a new peak from what is in use now (to measure one phase).
void reset_tls_memory_peak();
// The pages of the arena's large free blocks (64 KiB and more: what finished
// handshakes left) go back to the kernel; the reservation stays. Called by
// an idle worker, at most once a second.
void release_idle_tls_memory();

}  // namespace hs::tls
