#include "daemon/access_log.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace hs::net {

namespace {

constexpr size_t kMaxTarget = 1024;  // longer targets are cut in the log

class LineWriter {
public:
  LineWriter(char* p, size_t cap) : p_(p), end_(p + cap), start_(p) {}
  void put(std::string_view s) {
    const size_t n = std::min(s.size(), static_cast<size_t>(end_ - p_));
    std::memcpy(p_, s.data(), n);
    p_ += n;
  }
  void put(char c) {
    if (p_ < end_) *p_++ = c;
  }
  void number(uint64_t v) {
    char digits[24];
    auto [e, ec] = std::to_chars(digits, digits + sizeof digits, v);
    (void)ec;
    put(std::string_view(digits, static_cast<size_t>(e - digits)));
  }
  // Quotes, backslashes, controls and non-ASCII bytes as \xHH.
  void escaped(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (char ch : s) {
      const auto c = static_cast<unsigned char>(ch);
      if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
        put('\\');
        put('x');
        put(kHex[c >> 4]);
        put(kHex[c & 15]);
      } else {
        put(ch);
      }
    }
  }
  size_t size() const { return static_cast<size_t>(p_ - start_); }

private:
  char* p_;
  char* end_;
  char* start_;
};

std::string_view version_text(const conn::Request& r) {
  if (r.head == nullptr) return "-";
  return r.head->version == http::Version::Http10 ? "HTTP/1.0" : "HTTP/1.1";
}

}  // namespace

void AccessLog::record(const PeerIp& peer, std::string_view time, std::string_view method, std::string_view target,
                       std::string_view version, uint16_t status, int64_t bytes) {
  if (!enabled()) return;
  char line[kMaxTarget * 4 + 256];
  LineWriter w(line, sizeof line);
  char ip[64];
  w.put(std::string_view(ip, format_ip(peer, ip, sizeof ip)));
  w.put(" - - [");
  w.put(time);
  w.put("] \"");
  if (method.empty()) {
    w.put('-');
  } else {
    w.escaped(method.substr(0, 32));
    w.put(' ');
    w.escaped(target.substr(0, kMaxTarget));
    w.put(' ');
    w.put(version);
  }
  w.put("\" ");
  w.number(status);
  w.put(' ');
  if (bytes < 0) {
    w.put('-');
  } else {
    w.number(static_cast<uint64_t>(bytes));
  }
  w.put('\n');
  if (used_ + w.size() > buf_.size()) flush();  // a full batch leaves early
  if (w.size() > buf_.size()) return;
  std::memcpy(buf_.data() + used_, line, w.size());
  used_ += w.size();
  ++lines_;
}

void AccessLog::flush() {
  size_t off = 0;
  for (int attempt = 0; attempt < 8 && off < used_; ++attempt) {
    const ssize_t n = ::write(fd_, buf_.data() + off, used_ - off);
    if (n > 0) {
      off += static_cast<size_t>(n);
    } else if (n < 0 && errno != EINTR && errno != EAGAIN) {
      break;
    }
  }
  if (off < used_) ++write_errors_;
  used_ = 0;
}

conn::Route LoggingService::route(conn::Request& request) {
  routed_ = true;
  method_ = request.method_token;
  target_ = request.raw_target;
  version_ = version_text(request);
  return inner_.route(request);
}

void LoggingService::handle(const conn::Route& route, const conn::Request& request, conn::Response& response) {
  inner_.handle(route, request, response);
  routed_ = false;
  if (peer_ == nullptr) return;
  const conn::Responder& r = response.responder();
  const uint16_t status = response.overflowed() ? 500 : http::code(response.status());
  const int64_t bytes = request.method == http::Method::Head ? 0 : static_cast<int64_t>(r.body_len + r.file_remaining);
  log_.record(*peer_, clock_.log_time(), request.method_token, request.raw_target, version_text(request), status,
              bytes);
}

bool LoggingService::error_page(http::Status status, std::string_view reason, conn::Response& response) {
  const bool written = inner_.error_page(status, reason, response);
  if (peer_ != nullptr) {
    const int64_t bytes = written && !response.overflowed() ? static_cast<int64_t>(response.responder().body_len) : -1;
    if (routed_) {
      log_.record(*peer_, clock_.log_time(), method_, target_, version_, http::code(status), bytes);
    } else {
      log_.record(*peer_, clock_.log_time(), {}, {}, {}, http::code(status), bytes);
    }
  }
  routed_ = false;
  return written;
}

}  // namespace hs::net
