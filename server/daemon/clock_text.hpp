// The wall-clock time as text, formatted once per second per worker: the
// IMF-fixdate for the Date field and the Common Log Format timestamp.
#pragma once

#include <cstdint>
#include <string_view>

#include "http/response_writer.hpp"

namespace hs::net {

class ClockText {
public:
  // Reformats when the second changed.
  void refresh(int64_t now_seconds);
  int64_t seconds() const { return seconds_; }
  std::string_view http_date() const { return date_; }  // "Sun, 22 Nov 2026 08:17:04 GMT"
  std::string_view log_time() const { return {log_, log_len_}; }     // "22/Nov/2026:08:17:04 +0000"

private:
  int64_t seconds_ = -1;
  http::DateCache date_cache_;
  std::string_view date_;
  char log_[40]{};
  unsigned log_len_ = 0;
};

}  // namespace hs::net
