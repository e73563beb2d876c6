// A hashed timing wheel over a fixed array of slots: O(1) schedule/cancel with
// intrusive nodes embedded in their owners (connection slots), no allocation.
// A deadline further away than one turn stays in its slot for later turns.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>

#include "core/clock.hpp"

namespace hs::core {

struct TimerNode {
  Millis deadline = kNever;
  TimerNode* prev = nullptr;
  TimerNode* next = nullptr;
  uint32_t owner = 0;  // whatever the owner needs to find itself (a slot index)
  bool linked() const { return prev != nullptr; }
};

class TimerWheel {
public:
  // `slots` heads (from the arena); `tick` is the resolution in ms.
  void init(std::span<TimerNode> slots, Millis tick, Millis now) {
    slots_ = slots;
    tick_ = tick;
    current_ = now / tick;
    for (TimerNode& head : slots_) head.prev = head.next = &head;
    count_ = 0;
  }

  // (Re)schedules `node` at `deadline`; kNever cancels.
  void schedule(TimerNode& node, Millis deadline) {
    cancel(node);
    if (deadline == kNever) return;
    node.deadline = deadline;
    int64_t tick = deadline / tick_;
    if (tick < current_) tick = current_;  // overdue: fire on the next expire()
    TimerNode& head = slots_[static_cast<size_t>(tick) % slots_.size()];
    node.next = &head;
    node.prev = head.prev;
    head.prev->next = &node;
    head.prev = &node;
    ++count_;
  }

  void cancel(TimerNode& node) {
    if (!node.linked()) return;
    node.prev->next = node.next;
    node.next->prev = node.prev;
    node.prev = node.next = nullptr;
    node.deadline = kNever;
    --count_;
  }

  // Fires (unlinks, then calls on_expired(node)) every node due at `now`.
  // The callback may reschedule the node it is given.
  template <class F>
  void expire(Millis now, F&& on_expired) {
    const int64_t target = now / tick_;
    // Visit at most one whole turn of slots, however long the loop slept.
    int64_t from = current_;
    if (target - from >= static_cast<int64_t>(slots_.size())) from = target - static_cast<int64_t>(slots_.size()) + 1;
    for (int64_t t = from; t <= target && count_ > 0; ++t) {
      TimerNode& head = slots_[static_cast<size_t>(t) % slots_.size()];
      // Detach the due nodes first so callbacks that reschedule into this
      // slot are not visited again in this pass.
      TimerNode due;
      due.prev = due.next = &due;
      for (TimerNode* n = head.next; n != &head;) {
        TimerNode* next = n->next;
        if (n->deadline <= now) {
          n->prev->next = n->next;
          n->next->prev = n->prev;
          n->next = &due;
          n->prev = due.prev;
          due.prev->next = n;
          due.prev = n;
        }
        n = next;
      }
      while (due.next != &due) {
        TimerNode* n = due.next;
        due.next = n->next;
        n->next->prev = &due;
        n->prev = n->next = nullptr;
        n->deadline = kNever;
        --count_;
        on_expired(*n);
      }
    }
    current_ = target;
  }

  // Milliseconds until the earliest pending deadline (expire() fires it then),
  // or -1 when nothing is pending: the engine's wait timeout. An idle server with
  // keep-alive connections thus wakes when a timer is due, not every tick.
  // Cost: the slots up to the first one holding a node due in this turn.
  int wait_hint(Millis now) const {
    if (count_ == 0) return -1;
    const int64_t n = static_cast<int64_t>(slots_.size());
    const int64_t first = std::max<int64_t>(current_, now / tick_);
    Millis earliest = kNever;
    for (int64_t t = first; t < first + n; ++t) {
      const TimerNode& head = slots_[static_cast<size_t>(t) % slots_.size()];
      for (const TimerNode* node = head.next; node != &head; node = node->next) {
        if (node->deadline / tick_ <= t) return due_in(node->deadline, now);
        earliest = std::min(earliest, node->deadline);  // a later turn
      }
    }
    return due_in(earliest, now);
  }

  size_t size() const { return count_; }

private:
  int due_in(Millis deadline, Millis now) const {
    if (deadline <= now) return 0;
    return static_cast<int>(std::min<Millis>(deadline - now, 24 * 3600 * 1000));
  }

  std::span<TimerNode> slots_;
  Millis tick_ = 1;
  int64_t current_ = 0;
  size_t count_ = 0;
};

}  // namespace hs::core
