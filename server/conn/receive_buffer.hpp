// The unread bytes of one connection inside a borrowed receive buffer, with
// the two compaction modes of seed 002's optimisation idea:
//  - memmove: before reading, move the unread tail to the buffer start;
//  - readv: treat the buffer as a ring and read into its free space in up to
//    two pieces; bytes move only when a request straddles the end (linearize).
// Either way the parser always sees the current request as one slice.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <span>

#include "conn/limits.hpp"

namespace hs::conn {

class ReceiveBuffer {
public:
  void attach(std::span<char> mem, Compaction mode) {
    mem_ = mem;
    mode_ = mode;
    start_ = len_ = 0;
  }
  std::span<char> detach() {
    std::span<char> m = mem_;
    mem_ = {};
    start_ = len_ = 0;
    return m;
  }
  bool attached() const { return !mem_.empty(); }
  size_t size() const { return len_; }
  size_t capacity() const { return mem_.size(); }
  bool full() const { return attached() && len_ == mem_.size(); }
  bool wrapped() const { return start_ + len_ > mem_.size(); }

  // The unread bytes that are contiguous from the read position.
  std::span<char> contiguous() const {
    return mem_.subspan(start_, std::min(len_, mem_.size() - start_));
  }

  // Where the next read may write: up to two pieces. Returns the piece count.
  size_t read_space(std::span<char> (&out)[2]) {
    if (!attached() || full()) return 0;
    if (mode_ == Compaction::Memmove) {
      if (start_ > 0) {
        if (len_ > 0) std::memmove(mem_.data(), mem_.data() + start_, len_);
        start_ = 0;
      }
      out[0] = mem_.subspan(len_);
      return 1;
    }
    const size_t cap = mem_.size();
    const size_t end = start_ + len_;
    if (end >= cap) {  // already wrapped: one piece between the end and the start
      out[0] = mem_.subspan(end - cap, start_ - (end - cap));
      return 1;
    }
    out[0] = mem_.subspan(end);
    if (start_ == 0) return 1;
    out[1] = mem_.first(start_);
    return 2;
  }

  void commit(size_t n) { len_ += n; }

  // Forgets the last n unread bytes (after an in-place decoder shrank them).
  void drop_tail(size_t n) { len_ -= n; }

  void consume(size_t n) {
    len_ -= n;
    start_ = len_ == 0 ? 0 : (start_ + n) % mem_.size();
  }

  // Makes the unread bytes one slice starting at the buffer start.
  void linearize() {
    if (start_ == 0) return;
    if (wrapped()) {
      std::rotate(mem_.begin(), mem_.begin() + static_cast<std::ptrdiff_t>(start_), mem_.end());
    } else {
      std::memmove(mem_.data(), mem_.data() + start_, len_);
    }
    start_ = 0;
  }

private:
  std::span<char> mem_;
  Compaction mode_ = Compaction::Memmove;
  size_t start_ = 0;
  size_t len_ = 0;
};

}  // namespace hs::conn
