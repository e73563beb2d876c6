// The unread bytes of one connection inside a borrowed receive buffer, with
// the two compaction modes of seed 002's optimisation idea:
//  - memmove: before reading, move the unread tail to the buffer start;
//  - readv: treat the buffer as a ring and read into its free space in up to
//    two pieces; bytes move only when a request straddles the end (linearize),
//    and the second piece is bounded so that move never exceeds the unread
//    bytes.
// Either way the parser always sees the current request as one slice.
//
// Under TLS the buffer is bigger than the plaintext it may hold (`limit`):
// the ciphertext of a record not yet whole (the transport's tail) waits right
// after the unread plaintext, and a whole record (16 KiB + 256) always fits
// behind a full plaintext limit. Records are opened in place, so a TLS
// connection always uses memmove compaction (one contiguous region).
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
    limit_ = mem.size();
    start_ = len_ = tail_ = 0;
  }
  // Under a transport: at most `limit` unread bytes, the rest of `mem` for
  // the transport's tail and what arrives after it.
  void attach_with_tail(std::span<char> mem, size_t limit) {
    attach(mem, Compaction::Memmove);
    limit_ = std::min(limit, mem.size());
  }
  std::span<char> detach() {
    std::span<char> m = mem_;
    mem_ = {};
    start_ = len_ = tail_ = 0;
    return m;
  }
  bool attached() const { return !mem_.empty(); }
  size_t size() const { return len_; }
  size_t capacity() const { return limit_; }
  // A record opened whole may take the plaintext past the limit: full then too.
  bool full() const { return attached() && len_ >= limit_; }
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
        if (len_ + tail_ > 0) std::memmove(mem_.data(), mem_.data() + start_, len_ + tail_);
        start_ = 0;
      }
      if (len_ + tail_ == mem_.size()) return 0;
      out[0] = mem_.subspan(len_ + tail_);
      return 1;
    }
    // Readv: read into the free space around the unread bytes, but only as
    // far as a later linearize() still moves just the unread bytes (never a
    // rotation of the whole buffer): the unread bytes must stay within
    // [0, start) once they wrap. When that leaves no room, compact first.
    const size_t cap = mem_.size();
    const size_t end = start_ + len_;
    if (end < cap) {
      out[0] = mem_.subspan(end);
      const size_t room = 2 * start_ > cap ? 2 * start_ - cap : 0;
      if (room == 0) return 1;
      out[1] = mem_.first(room);
      return 2;
    }
    const size_t room = len_ < start_ ? start_ - len_ : 0;
    if (room == 0) {
      linearize();
      out[0] = mem_.subspan(len_);
      return 1;
    }
    out[0] = mem_.subspan(end - cap, room);
    return 1;
  }

  void commit(size_t n) { len_ += n; }

  // Forgets the last n unread bytes (after an in-place decoder shrank them).
  // The transport's tail moves down with them.
  void drop_tail(size_t n) {
    len_ -= n;
    if (tail_ > 0) std::memmove(mem_.data() + start_ + len_, mem_.data() + start_ + len_ + n, tail_);
  }

  void consume(size_t n) {
    len_ -= n;
    start_ = len_ == 0 && tail_ == 0 ? 0 : (start_ + n) % mem_.size();
  }

  // ---- the transport's tail (TLS; memmove mode) ----
  // Everything after the unread plaintext: the kept ciphertext
  // [0, tail()), then the free space. Received ciphertext is appended after
  // the tail (read_space), opened in place here, and the plaintext it gives
  // is commit()ted; what is left of an incomplete record is set_tail().
  std::span<char> after_unread() const { return mem_.subspan(start_ + len_); }
  size_t tail() const { return tail_; }
  void set_tail(size_t n) { tail_ = n; }

  // Makes the unread bytes one slice starting at the buffer start. Moves only
  // the unread bytes when the free space allows (the usual case); rotates the
  // whole buffer only when it is nearly full.
  void linearize() {
    if (start_ == 0) return;
    if (!wrapped()) {
      std::memmove(mem_.data(), mem_.data() + start_, len_ + tail_);
    } else if (len_ <= start_) {
      // [start, cap) is the head of the data, [0, w) its continuation: shift
      // the continuation right past where the head will go, then move the
      // head down. Neither move overlaps the bytes it still needs.
      const size_t head = mem_.size() - start_;
      const size_t w = len_ - head;
      std::memmove(mem_.data() + head, mem_.data(), w);
      std::memmove(mem_.data(), mem_.data() + start_, head);
    } else {
      std::rotate(mem_.begin(), mem_.begin() + static_cast<std::ptrdiff_t>(start_), mem_.end());
    }
    start_ = 0;
  }

private:
  std::span<char> mem_;
  Compaction mode_ = Compaction::Memmove;
  size_t limit_ = 0;
  size_t start_ = 0;
  size_t len_ = 0;
  size_t tail_ = 0;
};

}  // namespace hs::conn
