#include "client/common/response_reader.hpp"

#include <poll.h>

#include <cstring>

namespace hs::client {

namespace {

using Event = ResponseFramer::Event;

FramerLimits fit(FramerLimits limits, size_t buffer_size) {
  // The head must fit in the buffer: the framer refuses it before the buffer fills.
  if (limits.max_head >= buffer_size) limits.max_head = buffer_size - 1;
  return limits;
}

}  // namespace

const char* to_string(ReadOutcome o) {
  switch (o) {
    case ReadOutcome::response: return "response";
    case ReadOutcome::closed: return "closed";
    case ReadOutcome::reset: return "reset";
    case ReadOutcome::timeout: return "timeout";
    case ReadOutcome::bad: return "bad framing";
    case ReadOutcome::error: return "error";
  }
  return "?";
}

ResponseReader::ResponseReader(size_t buffer_size, FramerLimits limits)
    : buf_(buffer_size < 1024 ? 1024 : buffer_size), framer_(fit(limits, buffer_size < 1024 ? 1024 : buffer_size)) {}

void ResponseReader::reset() {
  begin_ = end_ = 0;
  framer_.reset();
  eof_ = reset_ = finished_ = false;
}

ResponseFramer::Event ResponseReader::pump(BodySink* sink) {
  // Each step consumes bytes or ends the loop; the bound is a safety net.
  for (size_t guard = 0; guard < buf_.size() + 16; ++guard) {
    const ResponseFramer::Step s = framer_.feed(std::string_view(buf_.data() + begin_, end_ - begin_));
    begin_ += s.consumed;
    if (sink != nullptr && !s.body.empty()) sink->on_body(s.body);
    if (begin_ == end_) begin_ = end_ = 0;
    switch (s.event) {
      case Event::complete:
      case Event::error:
        return s.event;
      case Event::need_more:
        if (eof_ && !finished_) {
          finished_ = true;
          const ResponseFramer::Step f = framer_.finish(end_ - begin_);
          return f.event;  // complete (until close), need_more (clean end) or error
        }
        return Event::need_more;
      case Event::head:
      case Event::body:
        break;
    }
  }
  return Event::need_more;
}

Io ResponseReader::fill(Stream& stream) {
  if (eof_) return Io::eof;
  if (end_ == buf_.size() && begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buf_.size()) return Io::error;  // cannot happen: the framer refuses a head this large
  size_t n = 0;
  const Io io = stream.recv_some(buf_.data() + end_, buf_.size() - end_, n);
  end_ += n;
  if (io == Io::eof) eof_ = true;
  if (io == Io::reset || io == Io::tls) {
    reset_ = true;
    eof_ = true;
  }
  return io;
}

ReadOutcome ResponseReader::next(Stream& stream, Deadline deadline, BodySink* sink) {
  for (size_t guard = 0; guard < 100'000'000; ++guard) {
    const Event ev = pump(sink);
    if (ev == Event::complete) return ReadOutcome::response;
    if (ev == Event::error) return ReadOutcome::bad;
    if (eof_) return reset_ ? ReadOutcome::reset : ReadOutcome::closed;
    const Io io = fill(stream);
    if (io == Io::ok || io == Io::eof || io == Io::reset || io == Io::tls) continue;
    if (io != Io::again) return ReadOutcome::error;
    if (stream.wait(POLLIN, deadline) != Io::ok) return ReadOutcome::timeout;
  }
  return ReadOutcome::timeout;
}

ReadOutcome ResponseReader::await_close(Stream& stream, Deadline deadline) {
  for (size_t guard = 0; guard < 100'000'000; ++guard) {
    if (buffered() > 0) {
      const Event ev = pump(nullptr);
      return ev == Event::error ? ReadOutcome::bad : ReadOutcome::response;
    }
    if (eof_) return ReadOutcome::closed;
    const Io io = fill(stream);
    if (io == Io::ok || io == Io::eof || io == Io::reset || io == Io::tls) continue;
    if (io != Io::again) return ReadOutcome::error;
    if (stream.wait(POLLIN, deadline) != Io::ok) return ReadOutcome::timeout;
  }
  return ReadOutcome::timeout;
}

}  // namespace hs::client
