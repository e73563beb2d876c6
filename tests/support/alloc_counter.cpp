#include "support/alloc_counter.hpp"

#include <cstddef>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define HS_COUNTING 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HS_COUNTING 0
#else
#define HS_COUNTING 1
#endif
#else
#define HS_COUNTING 1
#endif

namespace {
thread_local std::atomic<uint64_t> t_allocations{0};
}

namespace hs::testing {
const std::atomic<uint64_t>* this_thread_allocations() { return &t_allocations; }
bool allocation_counting_available() { return HS_COUNTING == 1; }
}  // namespace hs::testing

#if HS_COUNTING
extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
void __libc_free(void*);

void* malloc(size_t n) {
  t_allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_malloc(n);
}
void* calloc(size_t n, size_t k) {
  t_allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_calloc(n, k);
}
void* realloc(void* p, size_t n) {
  t_allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_realloc(p, n);
}
void* aligned_alloc(size_t a, size_t n) {
  t_allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_memalign(a, n);
}
void* memalign(size_t a, size_t n) {
  t_allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_memalign(a, n);
}
int posix_memalign(void** out, size_t a, size_t n) {
  t_allocations.fetch_add(1, std::memory_order_relaxed);
  *out = __libc_memalign(a, n);
  return *out ? 0 : 12;
}
void free(void* p) { __libc_free(p); }
}
#endif
