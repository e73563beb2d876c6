// The access log: Common Log Format lines collected in a fixed buffer (from
// the worker's arena) and written in one batch per loop iteration; nothing is
// allocated per request. Several workers may share one fd: each writes whole
// lines in one write(2) (O_APPEND for files).
//
// The connection does not emit log records; LoggingService wraps the app's
// Service and notes each response as it is built (status and body bytes).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "conn/exchange.hpp"
#include "sockets/address.hpp"
#include "daemon/clock_text.hpp"

namespace hs::net {

class AccessLog {
public:
  // `fd` < 0 disables logging. `buffer` holds a batch of lines.
  void init(std::span<char> buffer, int fd) {
    buf_ = buffer;
    fd_ = fd;
    used_ = 0;
  }
  bool enabled() const { return fd_ >= 0 && !buf_.empty(); }

  // One line. `request_line` pieces may be empty (a request that failed to parse).
  // `bytes` < 0 prints "-".
  void record(const PeerIp& peer, std::string_view time, std::string_view method, std::string_view target,
              std::string_view version, uint16_t status, int64_t bytes);
  // Writes the batch (one write; a short write is retried a bounded number of times).
  void flush();
  uint64_t lines() const { return lines_; }
  uint64_t write_errors() const { return write_errors_; }

private:
  std::span<char> buf_;
  int fd_ = -1;
  size_t used_ = 0;
  uint64_t lines_ = 0;
  uint64_t write_errors_ = 0;
};

// Wraps the app's Service to log each response as the connection builds it.
class LoggingService final : public conn::Service {
public:
  LoggingService(conn::Service& inner, AccessLog& log, const ClockText& clock)
      : inner_(inner), log_(log), clock_(clock) {}

  // The worker names the connection it is about to drive, and clears it after.
  void begin(const PeerIp* peer) { peer_ = peer; }
  void end() {
    peer_ = nullptr;
    routed_ = false;
  }

  conn::Route route(conn::Request& request) override;
  void handle(const conn::Route& route, const conn::Request& request, conn::Response& response) override;
  bool error_page(http::Status status, std::string_view reason, conn::Response& response) override;

private:
  conn::Service& inner_;
  AccessLog& log_;
  const ClockText& clock_;
  const PeerIp* peer_ = nullptr;
  // The request last routed in this call: a rejected body (413) is logged
  // with its request line.
  bool routed_ = false;
  std::string_view method_, target_, version_;
};

}  // namespace hs::net
