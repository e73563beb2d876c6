// A responder is one response on its way out: head bytes, a small body, and
// optionally a file range. They come from their own pool (seed 002), so a
// response outlives the request buffer it answered.
#pragma once

#include <cstdint>
#include <span>

#include "http/status.hpp"

namespace hs::conn {

struct Responder;

// Optional hooks of a responder (static files): a body produced in pieces as
// the connection writes (multipart ranges, directory listings: more than one
// body area, no allocation) and a file borrowed from a cache instead of owned.
class ResponderHooks {
public:
  virtual ~ResponderHooks() = default;
  // The bytes and file range so far are sent and stream_remaining > 0: put the
  // next piece in body_area (body_len, optionally a new file range), reset
  // bytes_sent and head_len to 0 and lower stream_remaining by what it adds.
  // False, or a piece of no bytes: the connection closes (never sends other
  // than the announced Content-Length).
  virtual bool refill(Responder& r) = 0;
  // Called once when the responder goes back to its pool (sent or abandoned).
  virtual void release(Responder& r) = 0;
};

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
  ResponderHooks* hooks = nullptr;  // see above; reset() forgets them (call release first)
  uint64_t stream_remaining = 0;    // body bytes hooks->refill will still produce (in Content-Length)
  uint64_t hook_data = 0;           // for the hooks (e.g. a cache entry index)

  uint32_t bytes_len() const { return head_len + body_len; }
  bool bytes_done() const { return bytes_sent == bytes_len(); }
  bool done() const { return bytes_done() && file_remaining == 0 && stream_remaining == 0; }
  void reset() {
    head_start = head_len = body_len = bytes_sent = 0;
    file_fd = -1;
    owns_fd = false;
    file_offset = file_remaining = file_size_announced = 0;
    close_after = interim = false;
    status = http::Status::None;
    hooks = nullptr;
    stream_remaining = hook_data = 0;
  }
};

}  // namespace hs::conn
