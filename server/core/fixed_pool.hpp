// A pool of N objects over storage taken once (from the start-up arena): O(1)
// acquire and release through an intrusive free list of indices; never grows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace hs::core {

template <class T>
class FixedPool {
public:
  FixedPool() = default;

  // `items` and `next` must have the same size; both usually come from the arena.
  void init(std::span<T> items, std::span<uint32_t> next) {
    items_ = items;
    next_ = next;
    free_head_ = items.empty() ? kNone : 0;
    for (size_t i = 0; i < items.size(); ++i)
      next_[i] = i + 1 < items.size() ? static_cast<uint32_t>(i + 1) : kNone;
    in_use_ = 0;
  }

  // nullptr when every object is in use.
  T* acquire() {
    if (free_head_ == kNone) return nullptr;
    uint32_t i = free_head_;
    free_head_ = next_[i];
    next_[i] = kInUse;
    ++in_use_;
    return &items_[i];
  }

  void release(T* item) {
    uint32_t i = index_of(item);
    next_[i] = free_head_;
    free_head_ = i;
    --in_use_;
  }

  uint32_t index_of(const T* item) const { return static_cast<uint32_t>(item - items_.data()); }
  T& at(uint32_t i) { return items_[i]; }
  bool is_in_use(uint32_t i) const { return next_[i] == kInUse; }
  size_t capacity() const { return items_.size(); }
  size_t in_use() const { return in_use_; }
  size_t available() const { return items_.size() - in_use_; }

private:
  static constexpr uint32_t kNone = 0xffffffffu;
  static constexpr uint32_t kInUse = 0xfffffffeu;
  std::span<T> items_;
  std::span<uint32_t> next_;
  uint32_t free_head_ = kNone;
  size_t in_use_ = 0;
};

}  // namespace hs::core
