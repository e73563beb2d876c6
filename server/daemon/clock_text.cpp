#include "daemon/clock_text.hpp"

#include <cstdio>
#include <ctime>

namespace hs::net {

void ClockText::refresh(int64_t now_seconds) {
  if (now_seconds == seconds_) return;
  seconds_ = now_seconds;
  const time_t t = static_cast<time_t>(now_seconds);
  tm parts{};
  gmtime_r(&t, &parts);
  date_ = date_cache_.get(now_seconds);
  // strftime's %b is locale dependent; the fixed table keeps it English.
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char hms[16];
  strftime(hms, sizeof hms, "%H:%M:%S", &parts);
  const int year = parts.tm_year + 1900;
  const char* month = kMonths[parts.tm_mon % 12];
  const int n = std::snprintf(log_, sizeof log_, "%02d/%s/%04d:%s +0000", parts.tm_mday, month, year, hms);
  log_len_ = n > 0 ? static_cast<unsigned>(n) : 0;
}

}  // namespace hs::net
