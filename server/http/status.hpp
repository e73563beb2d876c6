// HTTP status codes and their reason phrases; errors carry one of these so the
// connection knows what to answer.
#pragma once

#include <cstdint>
#include <string_view>

namespace hs::http {

enum class Status : uint16_t {
  None = 0,
  Continue = 100,
  Ok = 200,
  NoContent = 204,
  PartialContent = 206,
  MovedPermanently = 301,
  NotModified = 304,
  PermanentRedirect = 308,
  BadRequest = 400,
  NotFound = 404,
  MethodNotAllowed = 405,
  NotAcceptable = 406,
  RequestTimeout = 408,
  PreconditionFailed = 412,
  ContentTooLarge = 413,
  UriTooLong = 414,
  UnsupportedMediaType = 415,
  RangeNotSatisfiable = 416,
  ExpectationFailed = 417,
  TooManyRequests = 429,
  HeaderFieldsTooLarge = 431,
  InternalServerError = 500,
  NotImplemented = 501,
  ServiceUnavailable = 503,
  VersionNotSupported = 505,
};

constexpr uint16_t code(Status s) { return static_cast<uint16_t>(s); }

// Reason phrase for the status line; "Unknown" for codes not in the table.
std::string_view reason_phrase(Status s);

// An error as a value: the status to answer and a short reason a person can read.
struct Error {
  Status status = Status::None;
  std::string_view reason;  // static string, never owned
  explicit operator bool() const { return status != Status::None; }
};

}  // namespace hs::http
