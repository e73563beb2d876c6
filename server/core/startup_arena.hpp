// The start-up arena: one heap block reserved when a worker starts, carved
// into every pool it needs. After start-up nothing else is allocated, and the
// arena's size is the figure printed in the "reserved ..." start-up line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <span>
#include <type_traits>

namespace hs::core {

class StartupArena {
public:
  StartupArena() = default;
  explicit StartupArena(size_t bytes) { reserve(bytes); }
  StartupArena(const StartupArena&) = delete;
  StartupArena& operator=(const StartupArena&) = delete;

  // Allocates the block (once). Returns false when the memory is not available.
  bool reserve(size_t bytes) {
    base_.reset(new (std::nothrow) std::byte[bytes]);
    if (!base_) return false;
    size_ = bytes;
    used_ = 0;
    return true;
  }

  // Carves n objects of T, value-initialised. Returns an empty span when the
  // arena is exhausted (a sizing bug: sizes are computed before reserve()).
  template <class T>
  std::span<T> take(size_t n) {
    static_assert(std::is_trivially_destructible_v<T> || std::is_default_constructible_v<T>);
    uintptr_t p = reinterpret_cast<uintptr_t>(base_.get()) + used_;
    uintptr_t aligned = (p + alignof(T) - 1) & ~(uintptr_t{alignof(T)} - 1);
    size_t need = (aligned - p) + n * sizeof(T);
    if (!base_ || used_ + need > size_) return {};
    used_ += need;
    T* first = reinterpret_cast<T*>(aligned);
    for (size_t i = 0; i < n; ++i) new (first + i) T();
    return {first, n};
  }

  // Carves n bytes left as they are: receive buffers and response areas. The
  // block comes from the kernel untouched, so these pages cost memory only
  // once traffic first writes them (and a LIFO pool keeps reusing the same
  // few); the reservation is still the bound, fixed at start-up.
  std::span<char> take_bytes(size_t n) {
    if (!base_ || used_ + n > size_) return {};
    char* first = reinterpret_cast<char*>(base_.get()) + used_;
    used_ += n;
    return {first, n};
  }

  // Carves n objects of T left uninitialised (trivial types whose pages
  // should stay untouched until used, like take_bytes).
  template <class T>
  std::span<T> take_raw(size_t n) {
    static_assert(std::is_trivially_default_constructible_v<T> && std::is_trivially_destructible_v<T>);
    uintptr_t p = reinterpret_cast<uintptr_t>(base_.get()) + used_;
    uintptr_t aligned = (p + alignof(T) - 1) & ~(uintptr_t{alignof(T)} - 1);
    size_t need = (aligned - p) + n * sizeof(T);
    if (!base_ || used_ + need > size_) return {};
    used_ += need;
    return {reinterpret_cast<T*>(aligned), n};
  }

  // Carves room for n objects of T and constructs none: the caller
  // placement-constructs each one before its first use, so a pool of large
  // objects costs memory only for those ever used (connection slots).
  template <class T>
  std::span<T> take_deferred(size_t n) {
    static_assert(std::is_trivially_destructible_v<T>, "the arena never runs destructors");
    uintptr_t p = reinterpret_cast<uintptr_t>(base_.get()) + used_;
    uintptr_t aligned = (p + alignof(T) - 1) & ~(uintptr_t{alignof(T)} - 1);
    size_t need = (aligned - p) + n * sizeof(T);
    if (!base_ || used_ + need > size_) return {};
    used_ += need;
    return {reinterpret_cast<T*>(aligned), n};
  }

  // Bytes to reserve for n objects of T, alignment slack included.
  template <class T>
  static constexpr size_t bytes_for(size_t n) { return n * sizeof(T) + alignof(T); }

  size_t size() const { return size_; }
  size_t used() const { return used_; }

private:
  std::unique_ptr<std::byte[]> base_;
  size_t size_ = 0;
  size_t used_ = 0;
};

}  // namespace hs::core
