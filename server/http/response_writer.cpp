#include "http/response_writer.hpp"

#include <charconv>
#include <cstring>

namespace hs::http {
namespace {

using detail::copy_short;
using detail::valid_value;

constexpr char kNoRoom[] = "response head buffer too small";

constexpr const char* kDays[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kLongDays[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                      "Thursday", "Friday", "Saturday"};
constexpr const char* kMonths[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

constexpr int64_t kSecondsPerDay = 86400;

// Days since 1970-01-01 of a proleptic Gregorian date (m 1..12, d 1..31).
// Counts in 400-year eras of 146097 days, with years starting in March so the
// leap day is the last day of the year.
constexpr int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);               // [0, 399]
  const unsigned mp = m > 2 ? m - 3 : m + 9;                           // March = 0
  const unsigned doy = (153 * mp + 2) / 5 + d - 1;                     // [0, 365]
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;          // [0, 146096]
  return era * 146097 + static_cast<int64_t>(doe) - 719468;            // 719468: 0000-03-01 -> 1970-01-01
}

struct Civil {
  int64_t y;
  unsigned m, d;
};

constexpr Civil civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(2000, 3, 1) == 11017);
static_assert(civil_from_days(11016).m == 2 && civil_from_days(11016).d == 29);

constexpr bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

constexpr unsigned days_in_month(int64_t y, unsigned m) {
  constexpr unsigned kLen[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kLen[m - 1];
}

const int64_t kMinTime = days_from_civil(0, 1, 1) * kSecondsPerDay;
const int64_t kMaxTime = days_from_civil(10000, 1, 1) * kSecondsPerDay - 1;

void put2(char* p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

// ---- parsing helpers: each takes an exact piece at `p` and advances it.

bool digits(std::string_view s, size_t& p, size_t n, unsigned& out) {
  if (s.size() - p < n) return false;
  unsigned v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[p + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  p += n;
  out = v;
  return true;
}

bool lit(std::string_view s, size_t& p, std::string_view l) {
  if (s.substr(p, l.size()) != l) return false;
  p += l.size();
  return true;
}

bool month(std::string_view s, size_t& p, unsigned& m) {
  for (unsigned i = 0; i < 12; ++i)
    if (lit(s, p, kMonths[i])) {
      m = i + 1;
      return true;
    }
  return false;
}

bool day_name(std::string_view s, size_t& p, const char* const (&names)[7]) {
  for (const char* n : names)
    if (lit(s, p, n)) return true;
  return false;
}

// time-of-day = hour ":" minute ":" second
bool time_of_day(std::string_view s, size_t& p, unsigned& h, unsigned& mi, unsigned& se) {
  return digits(s, p, 2, h) && lit(s, p, ":") && digits(s, p, 2, mi) && lit(s, p, ":") &&
         digits(s, p, 2, se) && h <= 23 && mi <= 59 && se <= 60;
}

std::optional<int64_t> to_unix(int64_t y, unsigned m, unsigned d, unsigned h, unsigned mi,
                               unsigned se) {
  if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) return std::nullopt;
  return days_from_civil(y, m, d) * kSecondsPerDay + h * 3600 + mi * 60 + se;
}

}  // namespace

// ---- ResponseWriter

bool detail::valid_value(std::string_view s) {
  if (ws_at_ends(s)) return false;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}


ResponseWriter ResponseWriter::status_last(std::span<char> buf, size_t gap) {
  ResponseWriter w(buf);
  w.gap_ = gap < buf.size() ? gap : buf.size();
  w.reset();
  return w;
}

void ResponseWriter::reset() {
  start_ = end_ = gap_;
  stage_ = gap_ > 0 ? Stage::FieldsFirst : Stage::Empty;
  error_ = {};
}

bool ResponseWriter::out_of_room() const { return error_.reason.data() == kNoRoom; }

[[gnu::noinline]] Error ResponseWriter::fail(const char* reason) {
  if (!error_) error_ = Error{Status::InternalServerError, reason};
  return error_;
}

// The reason phrases of status.hpp are known to be valid: not checked again.
Error ResponseWriter::status_line(Status s) { return put_status_line<false>(code(s), reason_phrase(s)); }

Error ResponseWriter::status_line(uint16_t status_code, std::string_view reason) {
  return put_status_line<true>(status_code, reason);
}

template <bool Check>
Error ResponseWriter::put_status_line(uint16_t status_code, std::string_view reason) {
  if (error_) return error_;
  if (stage_ != Stage::Empty && stage_ != Stage::FieldsFirst) return fail("status line written twice");
  if (status_code < 100 || status_code > 999) return fail("invalid status code");
  constexpr std::string_view kVersion = "HTTP/1.1 ";
  const size_t need = kVersion.size() + 4 + reason.size() + 2;
  // At the end like a field, or into the gap right before the fields.
  const bool at_end = stage_ == Stage::Empty;
  if (at_end ? buf_.size() - end_ < need + reserve_ : need > start_)
    return fail(!Check || valid_value(reason) ? kNoRoom : "invalid reason phrase");
  char* p = buf_.data() + (at_end ? end_ : start_ - need);
  std::memcpy(p, kVersion.data(), kVersion.size());
  p += kVersion.size();
  put2(p, status_code / 10);
  p[2] = static_cast<char>('0' + status_code % 10);
  p[3] = ' ';
  p += 4;
  const bool plain = copy_short<Check>(p, reason.data(), reason.size());
  if (Check && !(plain && !detail::ws_at_ends(reason)) && !valid_value(reason))
    return fail("invalid reason phrase");
  p += reason.size();
  p[0] = '\r';
  p[1] = '\n';
  if (at_end) end_ += need;
  else start_ -= need;
  stage_ = Stage::Fields;
  return {};
}

// Why a field cannot be written (kept out of put_field's hot path).
Error ResponseWriter::refuse_field(FieldName name, std::string_view value, bool check) {
  if (error_) return error_;
  if (stage_ == Stage::Empty) return fail("header field before the status line");
  if (stage_ == Stage::Ended) return fail("header field after the end of the head");
  if (!name.token()) return fail("invalid header field name");
  if (check && !valid_value(value)) return fail("invalid header field value");
  return fail(kNoRoom);
}

Error ResponseWriter::http_date(FieldName name, int64_t unix_seconds) {
  char d[kHttpDateLen];
  format_http_date(unix_seconds, d);
  return header(name, std::string_view(d, kHttpDateLen));
}

Error ResponseWriter::end() {
  if (error_) return error_;
  if (stage_ != Stage::Fields)
    return fail(stage_ == Stage::Ended ? "head ended twice" : "no status line");
  if (buf_.size() - end_ < 2 + reserve_) return fail(kNoRoom);
  buf_[end_] = '\r';  // the blank line
  buf_[end_ + 1] = '\n';
  end_ += 2;
  stage_ = Stage::Ended;
  return {};
}

// ---- dates

void format_http_date(int64_t t, std::span<char, kHttpDateLen> out) {
  if (t < kMinTime) t = kMinTime;
  if (t > kMaxTime) t = kMaxTime;
  int64_t days = t / kSecondsPerDay;
  int64_t secs = t % kSecondsPerDay;
  if (secs < 0) {
    secs += kSecondsPerDay;
    --days;
  }
  const Civil c = civil_from_days(days);
  const auto wd = static_cast<unsigned>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday
  const auto s = static_cast<unsigned>(secs);
  const auto y = static_cast<unsigned>(c.y);
  char* p = out.data();
  std::memcpy(p, kDays[wd], 3);
  p[3] = ',';
  p[4] = ' ';
  put2(p + 5, c.d);
  p[7] = ' ';
  std::memcpy(p + 8, kMonths[c.m - 1], 3);
  p[11] = ' ';
  put2(p + 12, y / 100);
  put2(p + 14, y % 100);
  p[16] = ' ';
  put2(p + 17, s / 3600);
  p[19] = ':';
  put2(p + 20, s / 60 % 60);
  p[22] = ':';
  put2(p + 23, s % 60);
  std::memcpy(p + 25, " GMT", 4);
}

std::string_view DateCache::get(int64_t now) {
  if (!valid_ || now != sec_) {
    format_http_date(now, buf_);
    sec_ = now;
    valid_ = true;
    ++formats_;
  }
  return {buf_, kHttpDateLen};
}

std::optional<int64_t> parse_http_date(std::string_view s, int64_t now) {
  size_t p = 0;
  unsigned d = 0, m = 0, y = 0, h = 0, mi = 0, se = 0;
  if (s.size() == 29 && s[3] == ',') {
    // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
    if (day_name(s, p, kDays) && lit(s, p, ", ") && digits(s, p, 2, d) && lit(s, p, " ") &&
        month(s, p, m) && lit(s, p, " ") && digits(s, p, 4, y) && lit(s, p, " ") &&
        time_of_day(s, p, h, mi, se) && lit(s, p, " GMT") && p == s.size())
      return to_unix(y, m, d, h, mi, se);
    return std::nullopt;
  }
  if (s.size() == 24 && s[3] == ' ') {
    // asctime: Sun Nov  6 08:49:37 1994
    if (!(day_name(s, p, kDays) && lit(s, p, " ") && month(s, p, m) && lit(s, p, " ")))
      return std::nullopt;
    if (s[p] == ' ') {
      ++p;
      if (!digits(s, p, 1, d)) return std::nullopt;
    } else if (!digits(s, p, 2, d)) {
      return std::nullopt;
    }
    if (lit(s, p, " ") && time_of_day(s, p, h, mi, se) && lit(s, p, " ") && digits(s, p, 4, y) &&
        p == s.size())
      return to_unix(y, m, d, h, mi, se);
    return std::nullopt;
  }
  // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
  unsigned yy = 0;
  if (!(day_name(s, p, kLongDays) && lit(s, p, ", ") && digits(s, p, 2, d) && lit(s, p, "-") &&
        month(s, p, m) && lit(s, p, "-") && digits(s, p, 2, yy) && lit(s, p, " ") &&
        time_of_day(s, p, h, mi, se) && lit(s, p, " GMT") && p == s.size()))
    return std::nullopt;
  int64_t year;
  if (now > 0) {
    const int64_t now_year = civil_from_days(now / kSecondsPerDay).y;
    year = now_year - now_year % 100 + yy;
    if (year > now_year + 50) year -= 100;
  } else {
    year = yy >= 70 ? 1900 + yy : 2000 + yy;
  }
  return to_unix(year, m, d, h, mi, se);
}

}  // namespace hs::http
