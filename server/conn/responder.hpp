// A responder is one response on its way out: head bytes, a small body, and
// optionally a file range. They come from their own pool (seed 002), so a
// response outlives the request buffer it answered.
#pragma once

#include <cstdint>
#include <span>

#include "http/status.hpp"

namespace hs::conn {

struct Responder {
  std::span<char> head_area;   // fixed block from the arena
  std::span<char> body_area;   // fixed block from the arena
  uint32_t head_start = 0;     // the head is head_area[head_start, head_start + head_len)
  uint32_t head_len = 0;
  uint32_t body_len = 0;
  uint32_t bytes_sent = 0;     // of head_len + body_len
  int file_fd = -1;            // file range sent after the bytes (sendfile)
  bool owns_fd = false;        // close file_fd when released
  uint64_t file_offset = 0;
  uint64_t file_remaining = 0;
  uint64_t file_size_announced = 0;
  bool close_after = false;    // the connection closes once this has been sent
  bool interim = false;        // 100 Continue: no request is completed by it
  http::Status status = http::Status::None;

  uint32_t bytes_len() const { return head_len + body_len; }
  bool bytes_done() const { return bytes_sent == bytes_len(); }
  bool done() const { return bytes_done() && file_remaining == 0; }
  void reset() {
    head_start = head_len = body_len = bytes_sent = 0;
    file_fd = -1;
    owns_fd = false;
    file_offset = file_remaining = file_size_announced = 0;
    close_after = interim = false;
    status = http::Status::None;
  }
};

}  // namespace hs::conn
