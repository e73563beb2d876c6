#include "tls/tls_memory.hpp"

#include <openssl/crypto.h>

#include <mutex>

#include "core/buddy_arena.hpp"

namespace hs::tls {

namespace {

// Constructed on first use and never destroyed: OpenSSL frees from its own
// atexit handlers, after static destructors could have run.
struct Arena {
  core::BuddyArena arena;
  std::mutex lock;
  uint64_t allocations = 0;
};
Arena* g_arena = nullptr;

void* tls_malloc(size_t n, const char*, int) {
  std::lock_guard<std::mutex> g(g_arena->lock);
  void* p = g_arena->arena.allocate(n);
  if (p != nullptr) ++g_arena->allocations;
  return p;
}

void* tls_realloc(void* p, size_t n, const char*, int) {
  std::lock_guard<std::mutex> g(g_arena->lock);
  if (n == 0) {  // realloc(p, 0) frees, as OpenSSL expects of CRYPTO_realloc
    g_arena->arena.release(p);
    return nullptr;
  }
  if (p == nullptr) ++g_arena->allocations;
  return g_arena->arena.reallocate(p, n);
}

void tls_free(void* p, const char*, int) {
  if (p == nullptr) return;
  std::lock_guard<std::mutex> g(g_arena->lock);
  g_arena->arena.release(p);
}

}  // namespace

bool install_tls_memory(size_t bytes, std::string& why) {
  if (g_arena != nullptr) {
    why = "the TLS memory is already installed";
    return false;
  }
  auto* a = new Arena();  // start-up, before serving; deliberately never freed
  if (!a->arena.reserve(bytes)) {
    delete a;
    why = "cannot reserve " + std::to_string(bytes) + " bytes for TLS";
    return false;
  }
  g_arena = a;
  if (CRYPTO_set_mem_functions(tls_malloc, tls_realloc, tls_free) != 1) {
    g_arena = nullptr;
    delete a;
    why = "OpenSSL allocated before its memory could be fixed (CRYPTO_set_mem_functions)";
    return false;
  }
  return true;
}

void release_idle_tls_memory() {
  if (g_arena == nullptr) return;
  std::lock_guard<std::mutex> g(g_arena->lock);
  g_arena->arena.release_free_pages(16);
}

void reset_tls_memory_peak() {
  if (g_arena == nullptr) return;
  std::lock_guard<std::mutex> g(g_arena->lock);
  g_arena->arena.reset_peak();
}

TlsMemoryStats tls_memory_stats() {
  TlsMemoryStats s;
  if (g_arena == nullptr) return s;
  std::lock_guard<std::mutex> g(g_arena->lock);
  s.capacity = g_arena->arena.capacity();
  s.in_use = g_arena->arena.in_use();
  s.peak = g_arena->arena.peak();
  s.allocations = g_arena->allocations;
  s.failures = g_arena->arena.failures();
  return s;
}

}  // namespace hs::tls
