#include "app/status_handler.hpp"

#include <charconv>

#include "app/responses.hpp"
#include "json/writer.hpp"

namespace hs::app {

namespace {

int64_t clamp(uint64_t v) { return v > INT64_MAX ? INT64_MAX : static_cast<int64_t>(v); }

void gauge(json::Writer& w, std::string_view name, const PoolGauge& g) {
  w.key(name).begin_object();
  w.key("capacity").integer(clamp(g.capacity));
  w.key("in_use").integer(clamp(g.in_use));
  w.end_object();
}

}  // namespace

void StatusHandler::handle(const conn::Request& request, conn::Response& response) {
  if (request.method != http::Method::Get && request.method != http::Method::Head)
    return write_method_not_allowed(response, {http::Method::Get, http::Method::Head});

  StatusSample s;
  if (probe_.fill != nullptr) probe_.fill(probe_.context, s);
  const core::Millis up = clock_() - started_;

  json::Writer w(response.body_space());
  w.begin_object();
  w.key("uptime_seconds").integer(up > 0 ? up / 1000 : 0);
  w.key("worker").integer(s.worker);
  w.key("workers").integer(s.workers);
  w.key("pools").begin_object();
  gauge(w, "connections", s.pools.connections);
  gauge(w, "buffers", s.pools.buffers);
  gauge(w, "responders", s.pools.responders);
  if (s.pools.tls_handshakes.capacity > 0) {
    gauge(w, "tls_handshakes", s.pools.tls_handshakes);
    gauge(w, "tls_seal_areas", s.pools.tls_seal_areas);
  }
  w.key("idle_releases").integer(clamp(s.pools.idle_releases));
  w.end_object();
  if (s.pools.tls_handshakes.capacity > 0) {
    w.key("tls").begin_object();
    w.key("handshakes").integer(clamp(s.stats.tls_handshakes));
    w.key("resumed").integer(clamp(s.stats.tls_resumed));
    w.key("sni_other").integer(clamp(s.stats.tls_sni_other));
    w.key("handshake_waits").integer(clamp(s.stats.tls_handshake_waits));
    w.key("refused").integer(clamp(s.stats.tls_refused));
    w.key("failures").integer(clamp(s.stats.tls_failures));
    w.end_object();
  }
  w.key("connections").begin_object();
  w.key("accepted").integer(clamp(s.stats.connections_accepted));
  w.key("rejected_429").integer(clamp(s.stats.connections_rejected));
  w.end_object();
  w.key("requests").begin_object();
  w.key("total").integer(clamp(s.stats.requests));
  w.key("by_class").begin_object();
  for (size_t c = 1; c < s.stats.by_class.size(); ++c) {
    const char name[3] = {static_cast<char>('0' + c), 'x', 'x'};
    w.key(std::string_view(name, 3)).integer(clamp(s.stats.by_class[c]));
  }
  w.end_object();
  w.key("by_code").begin_object();
  for (size_t i = 0; i < conn::Stats::kTrackedCodes.size(); ++i) {
    char digits[8];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, conn::Stats::kTrackedCodes[i]);
    (void)ec;
    w.key(std::string_view(digits, static_cast<size_t>(end - digits))).integer(clamp(s.stats.by_code[i]));
  }
  w.end_object();
  w.end_object();
  w.key("bytes").begin_object();
  w.key("in").integer(clamp(s.stats.bytes_in));
  w.key("out").integer(clamp(s.stats.bytes_out));
  w.end_object();
  w.key("timeouts").integer(clamp(s.stats.timeouts));
  w.key("buffer_waits").integer(clamp(s.stats.buffer_waits));
  w.end_object();

  if (!w.complete()) return write_error(response, http::Status::InternalServerError, "status larger than a responder");
  response.status(http::Status::Ok);
  response.header("Content-Type", "application/json");
  response.header("Cache-Control", "no-store");
  response.commit_body(w.size());
}

}  // namespace hs::app
