// The connection state machine (sans-I/O): bytes in, responders out. It never
// calls the kernel: the event loop hands it received bytes and the time, and
// asks it what to write, when its deadline is and whether to close.
//
// Keep-alive and pipelining follow seed 000: when one request's head (no body)
// or body ends, the bytes after it belong to the next request, which is parsed
// while earlier responses are still queued. Responses leave strictly in request
// order; at most limits.max_pipeline are queued (more requests wait in the
// buffer). An error in request N is answered after the responses before it;
// nothing after it is parsed, and the connection closes.
//
// Memory: a receive buffer is attached only while bytes are unread or a
// request is incomplete; responders come from the worker's pool; the head
// parser's field array and the decoded-path buffer are per worker (scratch),
// because a request is handled synchronously once complete.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "conn/exchange.hpp"
#include "conn/limits.hpp"
#include "conn/receive_buffer.hpp"
#include "conn/responder.hpp"
#include "conn/stats.hpp"
#include "core/clock.hpp"
#include "core/fixed_pool.hpp"
#include "core/fixed_ring.hpp"
#include "core/timer_wheel.hpp"
#include "http/chunked.hpp"
#include "http/request_head.hpp"

namespace hs::conn {

// A pipeline queue entry: a responder's index in its pool.
using QueueEntry = uint16_t;
constexpr size_t kMaxResponders = 65535;  // per worker: what a QueueEntry can name

// What one worker shares between its connections. Filled at start-up.
struct Context {
  Limits limits;
  Service* service = nullptr;
  core::FixedPool<Responder>* responders = nullptr;
  Stats* stats = nullptr;
  std::span<http::Header> header_scratch;  // limits.max_headers fields
  std::span<char> path_scratch;            // limits.max_target bytes
  RequestLog* log = nullptr;               // optional access log
  std::string_view date;                   // current IMF-fixdate for the Date field
  int64_t now_seconds = 0;                 // wall clock
};

// One contiguous piece to write.
struct Slice {
  const char* data;
  size_t len;
};

class Connection {
public:
  enum class Phase : uint8_t {
    Idle,     // between requests (no unread bytes of the next one)
    Head,     // some bytes of a head have arrived
    Body,     // head parsed, waiting for the rest of the body
    Closing,  // an error or a close was answered: read nothing more
  };

  // Prepares a fresh connection slot; `queue_storage` holds max_pipeline entries.
  void open(Context& ctx, std::span<QueueEntry> queue_storage, core::Millis now);
  // Releases every responder still queued (the socket went away).
  void abort();

  // ---- reading ----
  // True when the loop should read: not closing, pipeline queue not full, not
  // waiting for a responder, peer has not shut its side.
  bool wants_read() const;
  bool has_buffer() const { return rb_.attached(); }
  // The buffer may be bigger than limits.buffer_size (room for a TLS
  // record): the connection holds at most that much unread.
  void attach_buffer(std::span<char> mem) {
    rb_.attach(mem.first(std::min(mem.size(), ctx_->limits.buffer_size)), ctx_->limits.compaction);
  }
  // Under a transport (TLS): memmove compaction, and the transport keeps an
  // incomplete record after the unread bytes (ReceiveBuffer's tail).
  void attach_transport_buffer(std::span<char> mem) { rb_.attach_with_tail(mem, ctx_->limits.buffer_size); }
  std::span<char> after_unread() const { return rb_.after_unread(); }
  size_t transport_tail() const { return rb_.tail(); }
  void set_transport_tail(size_t n) { rb_.set_tail(n); }
  // True when the buffer holds nothing that is still needed.
  bool can_release_buffer() const {
    return rb_.attached() && rb_.size() == 0 && rb_.tail() == 0 && phase_ != Phase::Body;
  }
  std::span<char> release_buffer() { return rb_.detach(); }
  size_t read_space(std::span<char> (&out)[2]) { return rb_.read_space(out); }
  // n bytes were read into the read space: parse and answer what is complete.
  void on_received(size_t n, core::Millis now);
  // The peer shut down its sending side.
  void on_peer_closed(core::Millis now);
  // Parse again after responders were freed or the queue drained.
  void resume(core::Millis now) { process(now); }
  bool waiting_for_responder() const { return waiting_responder_; }

  // ---- writing ----
  bool wants_write() const { return !queue_.empty(); }
  // Byte slices of the queued responses, in order, up to the first file range
  // (its head included). Returns the number of slices filled; `file_follows`
  // says whether a file range (or a refilled piece) comes right after them (for MSG_MORE).
  size_t gather(std::span<Slice> out, bool* file_follows = nullptr) const;
  // The front responder when its bytes are sent and a file range remains.
  Responder* pending_file();
  // n bytes (of gathered slices or of the pending file) reached the socket.
  void on_sent(size_t n, core::Millis now);
  // The file of the front responder shrank: close (never send more than announced).
  void on_file_error() { close_at_once(); }
  // The transport failed (TLS alert): nothing more is read or answered.
  void close_at_once() { phase_ = Phase::Closing; close_now_ = true; }

  // Shutdown: the responses not yet built say `Connection: close`, and the
  // connection closes once they are sent.
  void stop_keep_alive() { no_keep_alive_ = true; }

  // ---- lifetime ----
  // True when the socket should be closed now.
  bool finished() const;
  // True when the connection should close after the queue drains (for lingering close).
  bool closing() const { return phase_ == Phase::Closing || peer_closed_; }
  core::Millis deadline() const { return deadline_; }
  // The deadline passed: 408 for a slow head/body, close for idle/stuck send.
  void on_timeout(core::Millis now);

  Phase phase() const { return phase_; }
  size_t queued() const { return queue_.size(); }
  uint64_t requests_seen() const { return requests_; }

  core::TimerNode timer;        // linked into the worker's wheel by the loop
  const void* owner = nullptr;  // the loop's slot, handed to RequestLog

private:
  void process(core::Millis now);
  // Parses the head at the read position. Returns false when it needs more bytes or failed.
  bool parse_head(http::RequestHead& head, core::Millis now);
  // Builds the request views; false (and an error queued) when the target is bad.
  bool make_request(const http::RequestHead& head, Request& req);
  // Calls the handler and queues its response; false when no responder is free.
  bool dispatch(const http::RequestHead& head, Request& req, const Route& route, std::span<char> body,
                size_t consumed);
  void push_response(Responder* r);
  bool queue_error(http::Status status, std::string_view reason);
  bool queue_interim_continue();
  // Completes the head (status line, Date, Content-Length, Connection) with
  // the response's writer; a response that overflowed or whose head the writer
  // refused becomes a 500 that says why.
  void finalize(Response& resp, const Request* req, bool keep_alive);
  bool write_head(Response& resp, const Request* req, bool keep_alive);  // false: not sendable
  void finish_head(Response& resp, bool keep_alive);
  void refresh_deadline(core::Millis now);

  Context* ctx_ = nullptr;
  ReceiveBuffer rb_;
  // Responders in send order, by their index in ctx_->responders: two bytes
  // an entry, not eight, in every slot's queue (kMaxResponders).
  core::FixedRing<QueueEntry> queue_;
  Responder* queued(size_t i) const { return &ctx_->responders->at(queue_.at(i)); }
  http::ChunkedDecoder chunked_;
  Phase phase_ = Phase::Idle;
  http::BodyFraming framing_ = http::BodyFraming::None;
  bool peer_closed_ = false;
  bool close_now_ = false;
  bool waiting_responder_ = false;
  bool continue_sent_ = false;
  bool head_keep_alive_ = true;
  bool no_keep_alive_ = false;
  size_t scanned_ = 0;        // head parser's resume point
  size_t head_bytes_ = 0;     // of the request being received (Body phase)
  uint64_t body_limit_ = 0;   // route's max_body (Body phase)
  uint64_t requests_ = 0;
  core::Millis phase_since_ = 0;   // when the current head/body/idle period began
  core::Millis last_send_ = 0;     // last write progress
  core::Millis deadline_ = core::kNever;
  core::Millis now_ = 0;           // time of the event being processed
};

}  // namespace hs::conn
