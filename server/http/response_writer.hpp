// Response head writer: status line and header fields into the caller's
// fixed buffer, with overflow reported as an error value (a field is written
// whole or not at all, never cut). Also HTTP dates (RFC 9110 §5.6.7): a
// once-per-second IMF-fixdate cache and a parser for the three date formats.
// No allocation, no clock reads: the caller passes the time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "http/status.hpp"

namespace hs::http {

// Writes "HTTP/1.1 <code> <reason>\r\n", fields, then the blank line.
// Errors are sticky: after the first one every call returns it and writes
// nothing, and view() holds only whole lines. Errors (all 500: the handler,
// not the client, is at fault): buffer too small, a name that is not a token,
// a value with CR, LF, NUL or another control byte but HTAB, a field before
// the status line, anything after end().
class ResponseWriter {
 public:
  explicit ResponseWriter(std::span<char> buf) : buf_(buf) {}

  Error status_line(Status s);  // reason from reason_phrase()
  Error status_line(uint16_t code, std::string_view reason);
  Error header(std::string_view name, std::string_view value);
  Error content_length(uint64_t n);
  Error connection(bool keep_alive);             // "Connection: keep-alive" / "close"
  Error date(std::string_view imf_fixdate);      // "Date: <value>", from DateCache::get
  Error http_date(std::string_view name, int64_t unix_seconds);  // e.g. Last-Modified
  Error end();                                   // the blank line; the head is complete

  std::string_view view() const { return {buf_.data(), len_}; }
  size_t size() const { return len_; }
  bool complete() const { return stage_ == Stage::Ended; }
  Error error() const { return error_; }
  void reset() { len_ = 0; stage_ = Stage::Empty; error_ = {}; }

 private:
  enum class Stage : uint8_t { Empty, Fields, Ended };
  Error fail(const char* reason);
  Error append_line(std::string_view a, std::string_view b, std::string_view c,
                    std::string_view d);  // a+b+c+d+"\r\n", all or nothing

  std::span<char> buf_;
  size_t len_ = 0;
  Stage stage_ = Stage::Empty;
  Error error_{};
};

// IMF-fixdate is always this long: "Sun, 06 Nov 1994 08:49:37 GMT".
inline constexpr size_t kHttpDateLen = 29;

// Formats `unix_seconds` as IMF-fixdate into `out`. Times before year 0 or
// after 9999 are clamped to those years' ends.
void format_http_date(int64_t unix_seconds, std::span<char, kHttpDateLen> out);

// Keeps the formatted Date value; formats again only when the second changes
// (going back in time too). One per worker thread.
class DateCache {
 public:
  std::string_view get(int64_t now_unix_seconds);
  unsigned formats() const { return formats_; }  // how many times it formatted

 private:
  int64_t sec_ = 0;
  bool valid_ = false;
  unsigned formats_ = 0;
  char buf_[kHttpDateLen] = {};
};

// Parses an HTTP-date: IMF-fixdate, RFC 850 (`Sunday, 06-Nov-94 08:49:37
// GMT`) or asctime (`Sun Nov  6 08:49:37 1994`), exactly (case-sensitive
// names, no extra spaces, "GMT" required where the format has it). The day
// name is checked to be a day name but not against the date. Seconds may be
// 60 (leap second). RFC 850's two-digit year: with `now` > 0, a year more than
// 50 years after now's is taken in the previous century (RFC 9110); with
// now <= 0, 70-99 -> 19xx, 00-69 -> 20xx. Returns Unix seconds, or nullopt.
std::optional<int64_t> parse_http_date(std::string_view s, int64_t now = 0);

}  // namespace hs::http
