// Response head writer: status line and header fields into the caller's
// fixed buffer, with overflow reported as an error value (a field is written
// whole or not at all, never cut). Also HTTP dates (RFC 9110 §5.6.7): a
// once-per-second IMF-fixdate cache and a parser for the three date formats.
// No allocation, no clock reads: the caller passes the time.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

#include "http/char_classes.hpp"
#include "http/status.hpp"

namespace hs::http {

// A header field name and whether it is a token (RFC 9110 §5.6.2). Names are
// almost always literals, and a literal is checked when the program is
// compiled, so checking every name on every response costs nothing at run
// time; other text is checked when the FieldName is made. The writer refuses
// a name that is not a token either way.
class FieldName {
 public:
  template <size_t N>
  consteval FieldName(const char (&literal)[N]) : FieldName(std::string_view(literal, N - 1)) {}
  constexpr FieldName(std::string_view s)
      : p_(s.data()), n_(static_cast<uint32_t>(s.size())), token_(s.size() <= UINT32_MAX && is_token(s)) {}

  constexpr std::string_view view() const { return {p_, n_}; }
  constexpr bool token() const { return token_; }

 private:
  static constexpr bool is_token(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
      if (!chars::is_tchar(c)) return false;
    return true;
  }
  // 16 bytes, so it is passed in two registers.
  const char* p_;
  uint32_t n_;
  bool token_;
};

namespace detail {

// field-value (RFC 9110 §5.5): VCHAR / obs-text / SP / HTAB, no leading or
// trailing space or tab. Byte by byte; put_field's fast check comes first.
bool valid_value(std::string_view s);

constexpr uint64_t kOnes = 0x0101010101010101u;

// The high bit of a byte is set where that byte is below 0x20 or is 0x7f
// (HTAB among them), and maybe in bytes after such a byte (borrows): only
// "none at all" is exact, which is all copy_short asks.
constexpr uint64_t control_bits(uint64_t x) {
  const uint64_t y = x ^ (kOnes * 0x7f);
  return ((x - kOnes * 0x20) & ~x) | ((y - kOnes) & ~y);
}

template <typename T>
T load(const char* p) {
  T x;
  std::memcpy(&x, p, sizeof x);
  return x;
}

template <typename T>
void store(char* p, T x) {
  std::memcpy(p, &x, sizeof x);
}

// Copies n bytes and, with Check, says whether none was a control byte (HTAB
// counts as one: the caller then looks closer). Every field is copied (and
// its value checked) on every response, and names and values are short, so:
// words of eight bytes (the last one overlapping), two overlapping halves
// below eight, bytes below four; no call to memcpy, one pass for both jobs.
// Writes only dst[0, n).
template <bool Check>
inline bool copy_short(char* dst, const char* src, size_t n) {
  uint64_t seen = 0;
  if (n >= 8) {
    for (size_t i = 0; i + 8 < n; i += 8) {
      const auto x = load<uint64_t>(src + i);
      if (Check) seen |= control_bits(x);
      store(dst + i, x);
    }
    const auto x = load<uint64_t>(src + n - 8);
    store(dst + n - 8, x);
    if (Check) seen |= control_bits(x);
  } else if (n >= 4) {
    const auto lo = load<uint32_t>(src);
    const auto hi = load<uint32_t>(src + n - 4);
    store(dst, lo);
    store(dst + n - 4, hi);
    if (Check) seen = control_bits(lo | uint64_t{hi} << 32);
  } else {
    uint64_t x = kOnes * 'a';  // harmless bytes where there are none
    for (size_t i = 0; i < n; ++i) {
      dst[i] = src[i];
      x = x << 8 | static_cast<unsigned char>(src[i]);
    }
    if (Check) seen = control_bits(x);
  }
  return (seen & (kOnes * 0x80)) == 0;
}

constexpr bool is_ws(char c) { return c == ' ' || c == '\t'; }
constexpr bool ws_at_ends(std::string_view s) { return !s.empty() && (is_ws(s.front()) || is_ws(s.back())); }

}  // namespace detail

// Writes "HTTP/1.1 <code> <reason>\r\n", fields, then the blank line. The one
// writer of response heads: the connection writes every head with it, so no
// head leaves without these checks.
// Errors are sticky: after the first one every call returns it and writes
// nothing, and view() holds only whole lines. Errors (all 500: the handler,
// not the client, is at fault): buffer too small, a name that is not a token,
// a value with CR, LF, NUL or another control byte but HTAB (or leading or
// trailing white space), a field before the status line, anything after end().
//
// Status line last (status_last()): a handler may choose its status after its
// fields, so the fields go from buf[gap] on and status_line() then fills the
// end of the gap, right before them; the head stays one contiguous range,
// buf[start(), start() + size()), and nothing is moved. The status line must
// fit in the gap (64 bytes hold every reason phrase of status.hpp).
class ResponseWriter {
 public:
  explicit ResponseWriter(std::span<char> buf) : buf_(buf) {}
  static ResponseWriter status_last(std::span<char> buf, size_t gap);

  Error status_line(Status s);  // reason from reason_phrase()
  Error status_line(uint16_t code, std::string_view reason);
  Error header(FieldName name, std::string_view value) { return put_field<true>(name, value); }
  Error header(FieldName name, uint64_t value);  // the value in decimal
  Error content_length(uint64_t n) { return header("Content-Length", n); }
  Error connection(bool keep_alive) {  // "Connection: keep-alive" / "close"
    return put_field<false>("Connection", keep_alive ? "keep-alive" : "close");
  }
  // "Date: <value>"; the value is DateCache::get's (the writer's own format), not checked again.
  Error date(std::string_view imf_fixdate) { return put_field<false>("Date", imf_fixdate); }
  Error http_date(FieldName name, int64_t unix_seconds);  // e.g. Last-Modified
  Error end();                                   // the blank line; the head is complete

  // Keeps n bytes free: a field that would leave fewer fails as "too small"
  // (the connection keeps room for the fields it adds after a handler's).
  // A setting: reset() keeps it. 0 at first.
  void reserve(size_t n) { reserve_ = n; }

  std::string_view view() const { return {buf_.data() + start_, end_ - start_}; }
  size_t start() const { return start_; }
  size_t size() const { return end_ - start_; }
  bool complete() const { return stage_ == Stage::Ended; }
  Error error() const { return error_; }
  // The error is a lack of room (not a refused byte or a call out of order).
  bool out_of_room() const;
  void reset();

 private:
  // Empty -> (status_line) -> Fields -> (end) -> Ended; status_last() starts
  // in FieldsFirst, which status_line() turns into Fields.
  enum class Stage : uint8_t { Empty, FieldsFirst, Fields, Ended };
  Error fail(const char* reason);
  // Check: refuse an invalid reason or value (not needed for the writer's own).
  template <bool Check>
  Error put_status_line(uint16_t code, std::string_view reason);
  // Inline: the connection writes three or four fields on every response.
  template <bool Check>
  Error put_field(FieldName name, std::string_view value);
  Error refuse_field(FieldName name, std::string_view value, bool check);

  std::span<char> buf_;
  size_t gap_ = 0;      // status_last(): where the fields start
  size_t start_ = 0;    // the head is buf_[start_, end_)
  size_t end_ = 0;
  size_t reserve_ = 0;
  Stage stage_ = Stage::Empty;
  Error error_{};
};

// Digits need no check.
inline Error ResponseWriter::header(FieldName name, uint64_t value) {
  char num[20];
  const auto r = std::to_chars(num, num + sizeof num, value);
  return put_field<false>(name, std::string_view(num, static_cast<size_t>(r.ptr - num)));
}

template <bool Check>
[[gnu::always_inline]] inline Error ResponseWriter::put_field(FieldName name, std::string_view value) {
  const std::string_view n = name.view();
  const size_t need = n.size() + 2 + value.size() + 2;
  if (error_ || (stage_ != Stage::Fields && stage_ != Stage::FieldsFirst) || !name.token() ||
      buf_.size() - end_ < need + reserve_) [[unlikely]]
    return refuse_field(name, value, Check);
  // Written past end_ first, so a refused value leaves the head as it was.
  char* p = buf_.data() + end_;
  detail::copy_short<false>(p, n.data(), n.size());  // a token: no control byte
  p[n.size()] = ':';
  p[n.size() + 1] = ' ';
  p += n.size() + 2;
  const bool plain = detail::copy_short<Check>(p, value.data(), value.size());
  if (Check && !(plain && !detail::ws_at_ends(value)) && !detail::valid_value(value)) [[unlikely]]
    return refuse_field(name, value, Check);
  p[value.size()] = '\r';
  p[value.size() + 1] = '\n';
  end_ += need;
  return {};
}

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
