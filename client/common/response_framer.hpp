// Frames HTTP/1.1 responses out of a byte stream for the companion tools
// (bench, pipeline, flood, probe): status code, Content-Length, chunked or
// read-until-close bodies, HEAD and 1xx/204/304 awareness, Connection: close.
// Sans-I/O, no allocation, no exceptions: errors are values with a kind.
//
// Contract
// --------
// Call feed() with the bytes received and not yet consumed; it returns one
// event and how many bytes it consumed; drop those bytes and call again:
//
//   need_more: consumed every byte it could; call again with more bytes. While
//              the head is incomplete it consumes nothing, so the caller keeps
//              the head's bytes and passes them again, longer (the head must be
//              one slice; the search for its end resumes where it stopped).
//   head:      the head was parsed (consumed = its bytes); info() is valid.
//              Only when a body follows; a response without a body (HEAD,
//              1xx, 204, 304, Content-Length: 0) goes straight to complete.
//   body:      `body` is a piece of the body (a view into the input; chunk
//              framing removed). Pieces arrive in order.
//   complete:  the response ended (consumed includes its last bytes; `body`
//              may hold its last piece); info() still describes it. The next
//              feed() starts the next response (call expect_head_response()
//              first when that one answers HEAD). A 1xx response completes on
//              its own; the final response follows it.
//   error:     error() says why; the stream is unusable (repeated calls return
//              the same error and consume nothing).
//
// At end of stream call finish(pending) with the count of bytes still held
// unconsumed: a body delimited by the close completes, nothing pending between
// responses is need_more (a clean end), anything else is `truncated`.
//
// Decisions: the status line must be `HTTP/1.x SP 3DIGIT` then SP reason or
// CRLF; lines end in CRLF (a bare LF is accepted in the head, as RFC 9112 §2.2
// allows); Transfer-Encoding whose last coding is chunked wins over
// Content-Length (RFC 9112 §6.3), any other Transfer-Encoding reads until the
// close; two different Content-Length values or a non-numeric one are bad
// framing, a value above max_body is too large. HTTP/1.0 responses close unless they say
// keep-alive. A chunked body is decoded by the server's decoder
// (http::ChunkedDecoder, streamed), with its grammar: a chunk size of more than
// 16 digits or above 2^63, a body above max_body, extensions or a trailer
// section above max_head are too large; anything else it refuses is bad
// framing.
//
// Memory: sizeof(ResponseFramer) (~200 bytes); time linear in the bytes fed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/chunked.hpp"

namespace hs::client {

enum class FrameErrc : uint8_t {
  none,
  bad_status_line,  // not "HTTP/1.x NNN ..."
  bad_framing,      // malformed field line, Content-Length or chunked framing
  too_large,        // head above max_head, body above max_body, oversize chunk size
  truncated,        // the stream ended inside a response
};

struct FrameError {
  FrameErrc kind = FrameErrc::none;
  const char* reason = "";  // static text for a person
};

const char* to_string(FrameErrc kind);

struct FramerLimits {
  size_t max_head = 64 * 1024;         // status line + fields (and a trailer section)
  uint64_t max_body = uint64_t{1} << 40;
};

enum class BodyKind : uint8_t { none, length, chunked, until_close };

struct ResponseInfo {
  int status = 0;
  int minor_version = 1;         // HTTP/1.minor
  BodyKind body = BodyKind::none;
  uint64_t content_length = 0;   // when body == length
  bool close = false;            // the server closes after this response
  size_t head_bytes = 0;         // status line through the empty line
  uint64_t body_bytes = 0;       // body bytes so far (decoded for chunked)
};

class ResponseFramer {
public:
  enum class Event : uint8_t { need_more, head, body, complete, error };
  struct Step {
    Event event = Event::need_more;
    size_t consumed = 0;
    std::string_view body;  // Event::body only
  };

  ResponseFramer() = default;
  explicit ResponseFramer(FramerLimits limits) : limits_(limits) {}

  // The next response answers a HEAD request (no body whatever its fields say).
  // Call between responses; it applies to one response.
  void expect_head_response() { head_request_ = true; }

  Step feed(std::string_view in);
  // End of stream: complete (body until close), need_more (between responses,
  // nothing pending) or error (truncated). `pending`: bytes the caller still
  // holds that feed() did not consume.
  Step finish(size_t pending = 0);

  const ResponseInfo& info() const { return info_; }
  const FrameError& error() const { return error_; }
  // True between responses (nothing of the next one consumed yet).
  bool idle() const { return state_ == State::head && scanned_ == 0; }
  // Forgets everything (a new connection).
  void reset() { *this = ResponseFramer(limits_); }

private:
  enum class State : uint8_t {
    head,
    length_body,
    close_body,
    chunked_body,
    failed,
  };

  Step fail(FrameErrc kind, const char* reason);
  Step parse_head(std::string_view in);
  bool status_line(std::string_view line);
  bool field_line(std::string_view line);
  Step after_head(size_t consumed);
  Step complete(size_t consumed, std::string_view last = {});
  Step chunked(std::string_view in);

  FramerLimits limits_{};
  ResponseInfo info_{};
  FrameError error_{};
  State state_ = State::head;
  bool head_request_ = false;
  size_t scanned_ = 0;        // head bytes already searched for the end
  uint64_t remaining_ = 0;    // Content-Length body bytes left
  http::ChunkedDecoder chunked_;
  bool length_seen_ = false;
  bool te_seen_ = false;
  bool te_chunked_ = false;   // the last transfer coding is chunked
  bool keep_alive_ = false;   // Connection: keep-alive (matters for HTTP/1.0)
};

}  // namespace hs::client
