// A bounded FIFO over storage it does not own (from the start-up arena), for
// per-connection pipeline queues and the access-log ring.
#pragma once

#include <cstddef>
#include <span>

namespace hs::core {

template <class T>
class FixedRing {
public:
  FixedRing() = default;
  explicit FixedRing(std::span<T> storage) : slots_(storage) {}
  void init(std::span<T> storage) { slots_ = storage; head_ = size_ = 0; }

  bool push(const T& v) {
    if (full()) return false;
    slots_[(head_ + size_) % slots_.size()] = v;
    ++size_;
    return true;
  }
  T& front() { return slots_[head_]; }
  const T& front() const { return slots_[head_]; }
  T& at(size_t i) { return slots_[(head_ + i) % slots_.size()]; }  // 0 = front
  const T& at(size_t i) const { return slots_[(head_ + i) % slots_.size()]; }
  void pop() {
    head_ = (head_ + 1) % slots_.size();
    --size_;
  }
  void clear() { head_ = size_ = 0; }
  bool empty() const { return size_ == 0; }
  bool full() const { return size_ == slots_.size(); }
  size_t size() const { return size_; }
  size_t capacity() const { return slots_.size(); }

private:
  std::span<T> slots_;
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace hs::core
