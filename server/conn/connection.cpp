#include "conn/connection.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "http/target.hpp"

namespace hs::conn {

namespace {

// No body after all (HEAD, 1xx/204/304): the small body, the file range (its
// descriptor closed when the responder owns it) and any streamed rest.
void drop_body(Responder& r) {
  r.body_len = 0;
  if (r.owns_fd && r.file_fd >= 0) ::close(r.file_fd);
  r.file_fd = -1;
  r.owns_fd = false;
  r.file_remaining = 0;
  r.stream_remaining = 0;
}

using core::Millis;
using http::Status;

// Statuses whose responses never carry a body or a Content-Length.
bool bodiless(Status s) { return http::code(s) < 200 || s == Status::NoContent || s == Status::NotModified; }

void append(char*& p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  p += s.size();
}

void append_number(char*& p, uint64_t v) {
  auto [end, ec] = std::to_chars(p, p + 20, v);
  (void)ec;
  p = end;
}

void release_responder(Context& ctx, Responder* r) {
  // The only kernel call in this layer: a file the responder owned (static
  // files) is closed when its response is done or abandoned.
  if (r->hooks != nullptr) r->hooks->release(*r);
  if (r->owns_fd && r->file_fd >= 0) ::close(r->file_fd);
  r->reset();
  ctx.responders->release(r);
}

}  // namespace

void Connection::open(Context& ctx, std::span<QueueEntry> queue_storage, Millis now) {
  ctx_ = &ctx;
  rb_ = ReceiveBuffer{};
  queue_.init(queue_storage);
  chunked_ = http::ChunkedDecoder{};
  phase_ = Phase::Idle;
  framing_ = http::BodyFraming::None;
  peer_closed_ = close_now_ = waiting_responder_ = continue_sent_ = no_keep_alive_ = false;
  head_keep_alive_ = true;
  scanned_ = head_bytes_ = 0;
  body_limit_ = 0;
  requests_ = 0;
  phase_since_ = last_send_ = now;
  refresh_deadline(now);
}

void Connection::abort() {
  while (!queue_.empty()) {
    release_responder(*ctx_, queued(0));
    queue_.pop();
  }
  close_now_ = true;
}

bool Connection::wants_read() const {
  return phase_ != Phase::Closing && !peer_closed_ && !close_now_ && !queue_.full() &&
         !waiting_responder_ && !rb_.full();
}

void Connection::on_received(size_t n, Millis now) {
  rb_.commit(n);
  ctx_->stats->bytes_in += n;
  if (phase_ == Phase::Idle && n > 0 && requests_ > 0) {
    // The first byte of a new request starts its header timeout; the first
    // request's runs from the accept.
    phase_ = Phase::Head;
    phase_since_ = now;
  } else if (phase_ == Phase::Idle && n > 0) {
    phase_ = Phase::Head;
  }
  process(now);
}

void Connection::on_peer_closed(Millis now) {
  peer_closed_ = true;
  process(now);
}

void Connection::push_response(Responder* r) {
  if (queue_.empty()) last_send_ = now_;  // the send timeout runs from the first queued byte
  queue_.push(static_cast<QueueEntry>(ctx_->responders->index_of(r)));
}

void Connection::process(Millis now) {
  now_ = now;
  waiting_responder_ = false;
  const http::HeadLimits head_limits{ctx_->limits.buffer_size, ctx_->limits.max_target};
  while (phase_ != Phase::Closing && !close_now_ && !queue_.full() && rb_.attached() &&
         rb_.size() > 0) {
    if (phase_ == Phase::Idle) {
      phase_ = Phase::Head;
      phase_since_ = now;
      scanned_ = 0;
    }
    http::RequestHead head;
    if (phase_ == Phase::Head) {
      std::span<char> data = rb_.contiguous();
      http::HeadResult r = http::parse_request_head(std::string_view(data.data(), data.size()), scanned_,
                                                    head, ctx_->header_scratch, head_limits);
      if (r.state == http::ParseState::Incomplete) {
        if (rb_.wrapped()) {  // readv mode: the head straddles the buffer end
          rb_.linearize();
          continue;
        }
        scanned_ = r.scanned;
        if (rb_.full()) queue_error(Status::HeaderFieldsTooLarge, "header section larger than the receive buffer");
        break;
      }
      if (r.state == http::ParseState::Failed) {
        queue_error(r.error.status, r.error.reason);
        break;
      }
      Request req;
      if (!make_request(head, req)) break;
      Route route = ctx_->service->route(req);
      const bool has_body = head.framing == http::BodyFraming::Chunked ||
                            (head.framing == http::BodyFraming::ContentLength && head.content_length > 0);
      if (!has_body) {
        if (!dispatch(head, req, route, {}, head.head_bytes)) break;
        continue;
      }
      // The body policy is decided now, before any body byte is read (seed 002).
      if (route.status != Status::None) {
        // No handler: answer without reading the body, then close.
        if (!dispatch(head, req, route, {}, rb_.size())) break;
        continue;
      }
      const uint64_t room = rb_.capacity() - head.head_bytes;
      if (route.max_body == 0 ||
          (head.framing == http::BodyFraming::ContentLength &&
           (head.content_length > route.max_body || head.content_length > room))) {
        queue_error(Status::ContentTooLarge, "request body larger than this resource accepts");
        break;
      }
      phase_ = Phase::Body;
      phase_since_ = now;
      framing_ = head.framing;
      head_bytes_ = head.head_bytes;
      body_limit_ = head.framing == http::BodyFraming::ContentLength ? head.content_length
                                                                     : std::min<uint64_t>(route.max_body, room);
      head_keep_alive_ = head.keep_alive;
      continue_sent_ = false;
      if (framing_ == http::BodyFraming::Chunked) {
        http::ChunkedLimits cl;
        cl.max_body = body_limit_;
        chunked_ = http::ChunkedDecoder(cl);
      }
      if (head.expect_continue && rb_.size() == head_bytes_) {
        if (!queue_interim_continue()) break;
      }
    }

    // Body phase: wait until the whole body is in the buffer.
    if (rb_.wrapped()) rb_.linearize();
    std::span<char> data = rb_.contiguous();
    std::span<char> region = data.subspan(head_bytes_);
    std::span<char> body;
    size_t consumed = 0;
    if (framing_ == http::BodyFraming::ContentLength) {
      if (region.size() < body_limit_) break;
      body = region.first(body_limit_);
      consumed = head_bytes_ + body_limit_;
    } else {
      http::ChunkedResult cr = chunked_.feed(region);
      if (cr.state == http::ChunkedState::Failed) {
        queue_error(cr.error.status, cr.error.reason);
        break;
      }
      if (cr.state == http::ChunkedState::NeedMore) {
        if (rb_.full()) {  // reclaim the framing bytes; still full -> too large
          size_t kept = chunked_.compact(region);
          rb_.drop_tail(region.size() - kept);
          if (rb_.full()) queue_error(Status::ContentTooLarge, "chunked body larger than the receive buffer");
        }
        break;
      }
      body = chunked_.body(region);
      consumed = head_bytes_ + cr.consumed;
    }
    // The head's views are per-worker scratch: parse it again now that the
    // request is complete (cheap, and the bytes have not moved since).
    http::HeadResult again = http::parse_request_head(std::string_view(data.data(), head_bytes_), 0, head,
                                                      ctx_->header_scratch, head_limits);
    if (again.state != http::ParseState::Complete) {
      queue_error(Status::InternalServerError, "request head changed while reading its body");
      break;
    }
    Request req;
    if (!make_request(head, req)) break;
    const Route route = ctx_->service->route(req);
    if (!dispatch(head, req, route, body, consumed)) break;
  }
  refresh_deadline(now);
}

bool Connection::make_request(const http::RequestHead& head, Request& req) {
  req.head = &head;
  req.method = head.method;
  req.method_token = head.method_token;
  req.raw_target = head.target;
  req.now_seconds = ctx_->now_seconds;
  if (head.target == "*") {  // OPTIONS * (the parser allows it only for OPTIONS)
    req.path = "*";
    return true;
  }
  http::Target t;
  if (http::Error e = http::parse_target(head.target, ctx_->path_scratch, t)) {
    queue_error(e.status, e.reason);
    return false;
  }
  req.path = t.path;
  req.query = t.query;
  return true;
}

bool Connection::dispatch(const http::RequestHead& head, Request& req, const Route& route,
                          std::span<char> body, size_t consumed) {
  req.body = std::string_view(body.data(), body.size());

  Responder* r = ctx_->responders->acquire();
  if (r == nullptr) {  // every responder is busy: wait, the bytes stay buffered
    waiting_responder_ = true;
    return false;
  }
  Response resp(*r);
  ctx_->service->handle(route, req, resp);
  // A request whose body we skipped cannot be followed by another on this connection.
  // (Routes with a status are answered without reading a body.)
  const bool skipped_body = route.status != Status::None &&
                            (head.framing == http::BodyFraming::Chunked ||
                             (head.framing == http::BodyFraming::ContentLength && head.content_length > 0));
  const bool keep_alive = head.keep_alive && !resp.wants_close() && !skipped_body && !no_keep_alive_;
  finalize(resp, &req, keep_alive);
  if (ctx_->log != nullptr) ctx_->log->record(owner, req, r->status, r->body_len + r->file_remaining);
  if (head.method == http::Method::Head) drop_body(*r);  // same fields as GET, no body
  push_response(r);
  ++requests_;
  ++ctx_->stats->requests;
  rb_.consume(consumed);
  scanned_ = 0;
  framing_ = http::BodyFraming::None;
  continue_sent_ = false;
  phase_ = keep_alive ? Phase::Idle : Phase::Closing;
  phase_since_ = now_;
  if (!keep_alive) rb_.consume(rb_.size());  // nothing after this is ever read as a request
  return true;
}

bool Connection::queue_error(Status status, std::string_view reason) {
  Responder* r = ctx_->responders->acquire();
  if (r == nullptr) {
    waiting_responder_ = true;
    return false;
  }
  Response resp(*r);
  resp.status(status);
  if (!ctx_->service->error_page(status, reason, resp) || resp.overflowed()) {
    Response plain(*r);
    plain.status(status);
    plain.header("Content-Type", "text/plain; charset=utf-8");
    char line[160];
    char* p = line;
    append_number(p, http::code(status));
    *p++ = ' ';
    std::string_view phrase = http::reason_phrase(status);
    append(p, phrase);
    size_t room = sizeof line - static_cast<size_t>(p - line) - 3;
    if (!reason.empty()) {
      append(p, ": ");
      std::string_view cut = reason.substr(0, room - 2);
      append(p, cut);
    }
    *p++ = '\n';
    plain.body(std::string_view(line, static_cast<size_t>(p - line)));
    finalize(plain, nullptr, false);
  } else {
    finalize(resp, nullptr, false);
  }
  if (ctx_->log != nullptr) {
    Request unparsed;  // the request could not be parsed: no head, no target
    ctx_->log->record(owner, unparsed, r->status, r->body_len);
  }
  push_response(r);
  phase_ = Phase::Closing;
  rb_.consume(rb_.size());  // after a framing error no later byte is a request
  return true;
}

bool Connection::queue_interim_continue() {
  if (continue_sent_) return true;
  Responder* r = ctx_->responders->acquire();
  if (r == nullptr) {
    waiting_responder_ = true;
    return false;
  }
  r->reset();
  http::ResponseWriter w(r->head_area);  // 25 bytes; head areas hold 256 or more
  w.status_line(Status::Continue);
  w.end();
  r->head_len = static_cast<uint32_t>(w.size());
  r->interim = true;
  r->status = Status::Continue;
  push_response(r);
  continue_sent_ = true;
  return true;
}

void Connection::finalize(Response& resp, const Request* req, bool keep_alive) {
  Responder& r = resp.r_;
  if (!write_head(resp, req, keep_alive)) {
    // Never send a truncated response, nor a head the writer refused (a CR or
    // LF in a handler's value would end the field early and smuggle another).
    const bool no_room = resp.overflow_ || resp.head_.out_of_room();
    const std::string_view why = no_room ? "response larger than a responder" : resp.head_.error().reason;
    if (r.hooks != nullptr) r.hooks->release(r);
    if (r.owns_fd && r.file_fd >= 0) ::close(r.file_fd);
    Response fresh(r);
    fresh.status(Status::InternalServerError);
    fresh.header("Content-Type", "text/plain; charset=utf-8");
    fresh.body("500 Internal Server Error: ");
    fresh.body(why);
    fresh.body("\n");
    // Start-up refuses head areas below 256 bytes, which this always fits;
    // should one not, close without answering rather than send a broken head.
    if (!write_head(fresh, req, keep_alive)) close_now_ = true;
    finish_head(fresh, keep_alive);
    return;
  }
  finish_head(resp, keep_alive);
}

bool Connection::write_head(Response& resp, const Request* req, bool keep_alive) {
  if (resp.overflow_) return false;
  Responder& r = resp.r_;
  http::ResponseWriter& w = resp.head_;
  const Status status = resp.status_;
  w.reserve(0);  // the room kept for the fields below
  w.status_line(status);
  if (!ctx_->date.empty()) w.date(ctx_->date);
  if (bodiless(status)) {
    drop_body(r);
  } else {
    w.content_length(r.body_len + r.file_remaining + r.stream_remaining);
  }
  if (!keep_alive) {
    w.connection(false);
  } else if (req != nullptr && req->head->version == http::Version::Http10) {
    w.connection(true);
  }
  if (w.end()) return false;
  r.head_start = static_cast<uint32_t>(w.start());
  r.head_len = static_cast<uint32_t>(w.size());
  return true;
}

void Connection::finish_head(Response& resp, bool keep_alive) {
  Responder& r = resp.r_;
  // The body area starts where the head area ends: a head moved against it
  // makes head and small body one contiguous piece, one plain send().
  if (r.body_len > 0) {
    const uint32_t end = static_cast<uint32_t>(r.head_area.size());
    if (r.head_area.data() + end == r.body_area.data() && r.head_start + r.head_len < end) {
      std::memmove(r.head_area.data() + end - r.head_len, r.head_area.data() + r.head_start, r.head_len);
      r.head_start = end - r.head_len;
    }
  }
  r.status = resp.status_;
  r.close_after = !keep_alive;
  ctx_->stats->count_status(http::code(resp.status_));
}

size_t Connection::gather(std::span<Slice> out, bool* file_follows) const {
  size_t n = 0;
  if (file_follows != nullptr) *file_follows = false;
  for (size_t i = 0; i < queue_.size() && n + 2 <= out.size(); ++i) {
    const Responder* r = queued(i);
    uint32_t sent = r->bytes_sent;
    if (sent < r->head_len) {
      out[n++] = {r->head_area.data() + r->head_start + sent, r->head_len - sent};
      sent = r->head_len;
    }
    const uint32_t body_sent = sent - r->head_len;
    if (body_sent < r->body_len) out[n++] = {r->body_area.data() + body_sent, r->body_len - body_sent};
    // The file goes next, by sendfile; a streamed body is refilled once sent.
    if (r->file_remaining > 0 || r->stream_remaining > 0 || r->close_after) {
      if (file_follows != nullptr) *file_follows = r->file_remaining > 0 || r->stream_remaining > 0;
      break;
    }
  }
  return n;
}

Responder* Connection::pending_file() {
  if (queue_.empty()) return nullptr;
  Responder* r = queued(0);
  return r->bytes_done() && r->file_remaining > 0 ? r : nullptr;
}

void Connection::on_sent(size_t n, Millis now) {
  last_send_ = now;
  ctx_->stats->bytes_out += n;
  bool freed = false;
  while (!queue_.empty()) {
    Responder* r = queued(0);
    if (!r->bytes_done()) {
      const size_t take = std::min<size_t>(n, r->bytes_len() - r->bytes_sent);
      r->bytes_sent += static_cast<uint32_t>(take);
      n -= take;
    } else if (r->file_remaining > 0) {
      const size_t take = std::min<uint64_t>(n, r->file_remaining);
      r->file_offset += take;
      r->file_remaining -= take;
      n -= take;
    }
    if (r->bytes_done() && r->file_remaining == 0 && r->stream_remaining > 0) {
      // The next piece of a streamed body; nothing produced means it broke.
      const uint64_t before = r->stream_remaining;
      if (r->hooks == nullptr || !r->hooks->refill(*r) || r->stream_remaining > before ||
          (r->bytes_len() == 0 && r->file_remaining == 0)) {
        on_file_error();
        break;
      }
      continue;
    }
    if (!r->done()) break;
    queue_.pop();
    release_responder(*ctx_, r);
    freed = true;
  }
  if (queue_.empty() && phase_ == Phase::Idle) phase_since_ = now;  // idle from the last byte sent
  if (freed) process(now);
  else refresh_deadline(now);
}

bool Connection::finished() const {
  if (close_now_) return true;
  if (!queue_.empty() || waiting_responder_) return false;
  return phase_ == Phase::Closing || peer_closed_;
}

void Connection::on_timeout(Millis now) {
  now_ = now;
  ++ctx_->stats->timeouts;
  if (!queue_.empty() && now >= last_send_ + ctx_->limits.send_timeout) {
    close_now_ = true;  // the client stopped reading
    return;
  }
  switch (phase_) {
    case Phase::Head:
    case Phase::Body:
      if (rb_.size() == 0 && phase_ == Phase::Head) {
        close_now_ = true;  // nothing of a request arrived: close silently
      } else if (!queue_error(Status::RequestTimeout, phase_ == Phase::Head ? "request head not received in time"
                                                                            : "request body not received in time")) {
        close_now_ = true;
      }
      break;
    case Phase::Idle:
    case Phase::Closing:
      close_now_ = true;
      break;
  }
  refresh_deadline(now);
}

void Connection::refresh_deadline(Millis now) {
  now_ = now;
  const Limits& l = ctx_->limits;
  Millis d = core::kNever;
  if (!queue_.empty()) d = last_send_ + l.send_timeout;
  switch (phase_) {
    case Phase::Idle:
      if (queue_.empty())
        d = std::min(d, phase_since_ + (requests_ == 0 ? l.header_timeout : l.keepalive_timeout));
      break;
    case Phase::Head:
      if (!queue_.full() && !waiting_responder_) d = std::min(d, phase_since_ + l.header_timeout);
      break;
    case Phase::Body:
      d = std::min(d, phase_since_ + l.body_timeout);
      break;
    case Phase::Closing:
      break;
  }
  deadline_ = d;
}

}  // namespace hs::conn
