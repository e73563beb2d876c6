#include "client/common/fetch.hpp"

#include <cstdio>

namespace hs::client {

namespace {

class KeepBody final : public BodySink {
public:
  KeepBody(std::string& out, size_t cap, bool& truncated) : out_(out), cap_(cap), truncated_(truncated) {}
  void on_body(std::string_view piece) override {
    const size_t room = cap_ > out_.size() ? cap_ - out_.size() : 0;
    if (piece.size() > room) truncated_ = true;
    out_.append(piece.data(), piece.size() < room ? piece.size() : room);
  }

private:
  std::string& out_;
  size_t cap_;
  bool& truncated_;
};

}  // namespace

std::string Fetched::describe() const {
  char line[320];
  if (connect == Io::tls) return tls_error;
  if (connect != Io::ok) {
    std::snprintf(line, sizeof line, "connect %s", to_string(connect));
  } else if (outcome == ReadOutcome::response) {
    std::snprintf(line, sizeof line, "%d, %zu-byte body%s in %.1f ms", status, body.size(),
                  close ? ", then close" : "", ms);
  } else if (!tls_error.empty()) {
    std::snprintf(line, sizeof line, "no response: %s after %.1f ms", tls_error.c_str(), ms);
  } else {
    std::snprintf(line, sizeof line, "no response: %s after %.1f ms", to_string(outcome), ms);
  }
  return line;
}

std::string make_request(std::string_view method, std::string_view target, std::string_view host,
                         std::string_view extra) {
  std::string r;
  r.reserve(method.size() + target.size() + host.size() + extra.size() + 32);
  r.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ").append(host).append("\r\n");
  r.append(extra).append("\r\n");
  return r;
}

Fetched fetch(const Url& url, std::string_view request, Deadline deadline, size_t max_body, bool head) {
  Fetched f;
  const auto start = Clock::now();
  Stream stream;
  f.connect = stream.connect(url, deadline);
  if (f.connect != Io::ok) {
    f.tls_error = stream.error();
    f.handshake_closed = stream.closed_in_handshake();
    f.ms = ms_since(start);
    return f;
  }
  const Io sent = stream.send_all(request, deadline);
  ResponseReader reader(64 * 1024);
  if (head) reader.expect_head_response();
  KeepBody sink(f.body, max_body, f.body_truncated);
  // Even when sending failed (the server may answer early and close), read.
  f.outcome = reader.next(stream, deadline, &sink);
  for (int i = 0; i < 8 && f.outcome == ReadOutcome::response && reader.info().status < 200; ++i) {
    f.outcome = reader.next(stream, deadline, &sink);  // skip interim 1xx answers (HEAD stays armed)
  }
  if (f.outcome != ReadOutcome::response && sent != Io::ok && f.outcome == ReadOutcome::error)
    f.outcome = sent == Io::timeout ? ReadOutcome::timeout : ReadOutcome::reset;
  f.tls_error = stream.error();
  if (f.outcome == ReadOutcome::response) {
    f.status = reader.info().status;
    f.close = reader.info().close;
  }
  f.ms = ms_since(start);
  return f;
}

}  // namespace hs::client
