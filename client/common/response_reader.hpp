// One connection's receive side for the companion tools: a buffer sized once,
// the response framer over it, and reads bounded by deadlines. Body bytes go
// to a sink as they are framed (nothing is kept), so a response of any size
// passes through a fixed buffer.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "client/common/deadline.hpp"
#include "client/common/response_framer.hpp"
#include "client/common/socket_io.hpp"
#include "client/common/stream.hpp"

namespace hs::client {

class BodySink {
public:
  virtual void on_body(std::string_view piece) = 0;

protected:
  ~BodySink() = default;
};

enum class ReadOutcome : unsigned char {
  response,  // one response completed: info() describes it
  closed,    // the peer closed cleanly between responses
  reset,     // the connection was reset (or its TLS session failed)
  timeout,   // the deadline passed
  bad,       // framing error: error() says why (a truncated response included)
  error,     // another socket error
};

const char* to_string(ReadOutcome o);

class ResponseReader {
public:
  explicit ResponseReader(size_t buffer_size = 64 * 1024, FramerLimits limits = {});

  // A new connection: forget buffered bytes and framing state.
  void reset();
  // The next response answers HEAD.
  void expect_head_response() { framer_.expect_head_response(); }

  // Frames what is buffered: complete (info() valid), need_more or error.
  // Body pieces go to `sink` (may be null).
  ResponseFramer::Event pump(BodySink* sink);
  // One non-blocking read into the buffer: ok, again, eof, reset, tls or error.
  Io fill(Stream& s);

  // Reads until one response completes, the peer closes or the deadline.
  ReadOutcome next(Stream& s, Deadline deadline, BodySink* sink = nullptr);
  // After the last expected response: waits for the close. `closed` (EOF or
  // reset with nothing else received), `timeout`, or `response`/`bad` when
  // more bytes came.
  ReadOutcome await_close(Stream& s, Deadline deadline);

  const ResponseInfo& info() const { return framer_.info(); }
  const FrameError& error() const { return framer_.error(); }
  bool eof() const { return eof_; }
  bool was_reset() const { return reset_; }
  size_t buffered() const { return end_ - begin_; }

private:
  std::vector<char> buf_;
  size_t begin_ = 0;
  size_t end_ = 0;
  ResponseFramer framer_;
  bool eof_ = false;
  bool reset_ = false;
  bool finished_ = false;  // framer_.finish() called after EOF
};

}  // namespace hs::client
