// Drives one Connection without a socket: a worker's pools in miniature and a
// simulated client that sends byte strings (split anywhere) and reads all the
// answers. Sans-I/O tests and the connection fuzzer use it; the event loop
// does the same with real sockets.
#pragma once

#include <unistd.h>

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "conn/connection.hpp"

namespace hs::conn {

class MemoryPeer {
public:
  MemoryPeer(const Limits& limits, Service& service, size_t responders = 8, size_t max_write = SIZE_MAX)
      : buffer_(limits.buffer_size), headers_(limits.max_headers), path_(limits.max_target),
        responder_mem_(responders * limits.responder_size), responders_(responders), next_(responders),
        queue_(limits.max_pipeline), max_write_(max_write) {
    for (size_t i = 0; i < responders; ++i) {
      std::span<char> block(responder_mem_.data() + i * limits.responder_size, limits.responder_size);
      responders_[i].head_area = block.first(limits.responder_head);
      responders_[i].body_area = block.subspan(limits.responder_head);
    }
    pool_.init(responders_, next_);
    ctx_.limits = limits;
    ctx_.service = &service;
    ctx_.responders = &pool_;
    ctx_.stats = &stats_;
    ctx_.header_scratch = headers_;
    ctx_.path_scratch = path_;
    ctx_.date = "Sun, 22 Nov 2026 08:00:00 GMT";
    conn.open(ctx_, queue_, 0);
  }
  ~MemoryPeer() { conn.abort(); }

  // Delivers bytes as the loop would: into the read space, as far as it goes.
  // Returns how many bytes the connection took (it stops reading when its
  // pipeline is full or it is closing).
  size_t send(std::string_view bytes, core::Millis now) {
    size_t taken = 0;
    while (taken < bytes.size() && !conn.finished()) {
      flush(now);
      if (!conn.wants_read()) break;
      if (!conn.has_buffer()) {
        if (buffer_in_use_) break;
        conn.attach_buffer(buffer_);
        buffer_in_use_ = true;
      }
      std::span<char> space[2];
      size_t pieces = conn.read_space(space);
      size_t n = 0;
      for (size_t i = 0; i < pieces && taken + n < bytes.size(); ++i) {
        size_t k = std::min(space[i].size(), bytes.size() - taken - n);
        std::memcpy(space[i].data(), bytes.data() + taken + n, k);
        n += k;
      }
      if (n == 0) break;
      taken += n;
      conn.on_received(n, now);
      release_buffer_if_idle();
    }
    flush(now);
    return taken;
  }

  void peer_closed(core::Millis now) {
    conn.on_peer_closed(now);
    flush(now);
  }

  void timeout(core::Millis now) {
    conn.on_timeout(now);
    flush(now);
  }

  // Writes everything the connection has queued into `output`, as a client
  // that reads fast would see it (at most max_write bytes per write).
  void flush(core::Millis now) {
    for (int guard = 0; guard < 100000 && conn.wants_write(); ++guard) {
      if (Responder* f = conn.pending_file()) {
        char chunk[4096];
        size_t want = std::min<uint64_t>({sizeof chunk, f->file_remaining, max_write_});
        ssize_t got = ::pread(f->file_fd, chunk, want, static_cast<off_t>(f->file_offset));
        if (got <= 0) {
          conn.on_file_error();
          break;
        }
        output.append(chunk, static_cast<size_t>(got));
        conn.on_sent(static_cast<size_t>(got), now);
        continue;
      }
      Slice slices[16];
      size_t n = conn.gather(slices);
      if (n == 0) break;
      size_t wrote = 0;
      for (size_t i = 0; i < n && wrote < max_write_; ++i) {
        size_t k = std::min(slices[i].len, max_write_ - wrote);
        output.append(slices[i].data, k);
        wrote += k;
      }
      ++writes;
      conn.on_sent(wrote, now);
    }
    release_buffer_if_idle();
  }

  size_t responders_in_use() const { return pool_.in_use(); }
  bool buffer_attached() const { return conn.has_buffer(); }

  Connection conn;
  std::string output;
  size_t writes = 0;
  Stats stats_;

private:
  void release_buffer_if_idle() {
    if (conn.can_release_buffer()) {
      conn.release_buffer();
      buffer_in_use_ = false;
    }
  }

  std::vector<char> buffer_;
  bool buffer_in_use_ = false;
  std::vector<http::Header> headers_;
  std::vector<char> path_;
  std::vector<char> responder_mem_;
  std::vector<Responder> responders_;
  std::vector<uint32_t> next_;
  std::vector<QueueEntry> queue_;
  core::FixedPool<Responder> pool_;
  Context ctx_;
  size_t max_write_;
};

}  // namespace hs::conn
