// What handlers see: a Request (views into the receive buffer and the decoded
// path) and a Response that writes into a responder. And the Service the
// connection asks to route and handle requests (the app layer implements it).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "conn/responder.hpp"
#include "http/request_head.hpp"
#include "http/response_writer.hpp"
#include "http/status.hpp"

namespace hs::conn {

struct Param {
  std::string_view name;
  std::string_view value;
};

struct Request {
  const http::RequestHead* head = nullptr;
  http::Method method = http::Method::Other;
  std::string_view method_token;
  std::string_view raw_target;  // as received
  std::string_view path;        // percent-decoded, dot segments removed; starts with '/'
  std::string_view query;       // raw, without '?'
  std::string_view body;        // Content-Length or de-chunked body, in place
  int64_t now_seconds = 0;      // wall clock, for handlers that need dates
  std::array<Param, 8> params{};  // `{name}` segments, filled by the router
  uint8_t param_count = 0;

  std::string_view header(std::string_view name) const { return head->header(name); }
  std::string_view param(std::string_view name) const {
    for (uint8_t i = 0; i < param_count; ++i)
      if (params[i].name == name) return params[i].value;
    return {};
  }
};

// Builds a response in a responder. Handlers set the status and fields, then a
// body or a file range; the connection adds Date, Content-Length and
// Connection. Fields go through the one response-head writer
// (http::ResponseWriter, status line last), into the responder's head area.
// A response that cannot be sent as written is recorded, never truncated or
// sent: an area overflowed, or the writer refused a field (a name that is not
// a token, a value with CR, LF or another control byte, which would smuggle a
// field or end the head); the connection answers 500 instead.
class Response {
public:
  explicit Response(Responder& r);

  void status(http::Status s) { status_ = s; }
  http::Status status() const { return status_; }
  void header(http::FieldName name, std::string_view value);
  void header(http::FieldName name, uint64_t value);
  // Appends to the body.
  void body(std::string_view bytes);
  // The free body area, to write into directly (e.g. with the JSON writer),
  // then commit what was written.
  std::span<char> body_space();
  void commit_body(size_t n);
  // Sends [offset, offset+length) of the file after the head. `owns` makes the
  // responder close fd when done.
  void file(int fd, bool owns, uint64_t offset, uint64_t length);
  // Ask the connection to close after this response.
  void close() { close_ = true; }

  // True when the connection will answer 500 instead (see above).
  bool overflowed() const { return overflow_ || head_.error(); }
  // Why the head writer refused, if it did.
  http::Error head_error() const { return head_.error(); }
  bool wants_close() const { return close_; }
  Responder& responder() { return r_; }
  // Bytes of header fields written so far, from responder().head_start on
  // (until the connection finalises the head).
  size_t fields_len() const { return head_.size(); }

private:
  friend class Connection;
  Responder& r_;
  http::ResponseWriter head_;   // status line last, into r_.head_area
  http::Status status_ = http::Status::Ok;
  bool overflow_ = false;       // the body area
  bool close_ = false;
};

// The routing decision, made as soon as the head is parsed (seed 000), so the
// handler decides whether it takes a body and how large (seed 002).
struct Route {
  const void* handler = nullptr;  // opaque to the connection
  uint64_t max_body = 0;          // larger Content-Length or chunked body -> 413
  http::Status status = http::Status::None;  // set when there is no handler (404/405/...)
};

// Receives one record per final response as it is queued (the access log).
// `owner` is Connection::owner (the loop's slot, e.g. for the peer address).
// For requests rejected before they were parsed, request.head is null and
// the method and target are empty.
class RequestLog {
public:
  virtual ~RequestLog() = default;
  virtual void record(const void* owner, const Request& request, http::Status status, uint64_t body_bytes) = 0;
};

class Service {
public:
  virtual ~Service() = default;
  // May fill request.params. Called with request.body empty.
  virtual Route route(Request& request) = 0;
  // Writes the answer. Also called for routes with a status (404, 405, ...):
  // the service writes that page (e.g. Allow for 405). Must not keep views
  // past its return.
  virtual void handle(const Route& route, const Request& request, Response& response) = 0;
  // Answers a request the connection itself rejects (400, 404, 413, ...): a
  // default small text body is written when this returns false.
  virtual bool error_page(http::Status, std::string_view /*reason*/, Response&) { return false; }
};

}  // namespace hs::conn
