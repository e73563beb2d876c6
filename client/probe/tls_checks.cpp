#include "client/probe/tls_checks.hpp"

#include <poll.h>

#include <cstdio>
#include <memory>
#include <string>

#include "client/common/fetch.hpp"
#include "client/common/stream.hpp"
#include "client/common/tls_client.hpp"

namespace hs::client {

namespace {

// The server's verdict is what these checks look at, not its certificate:
// their sessions skip verification (the HTTP checks verify as asked).
std::shared_ptr<TlsClientContext> context(const Url& url, TlsVersion min, TlsVersion max, std::string& why) {
  auto ctx = std::make_shared<TlsClientContext>();
  if (!ctx->init(TlsOptions{true, ""}, url.name, why, min, max)) return nullptr;
  return ctx;
}

std::string short_reason(const std::string& e) {
  static const std::string kPrefix = "TLS handshake failed: ";
  return e.compare(0, kPrefix.size(), kPrefix) == 0 ? e.substr(kPrefix.size()) : e;
}

std::string seconds(double ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", ms / 1000);
  return text;
}

}  // namespace

ProbeLine tls_versions(const Url& url, const ProbeOptions& o) {
  ProbeLine line{"tls-versions", true, "ClientHellos offering only TLS 1.0, then only TLS 1.1", ""};
  for (const TlsVersion v : {TlsVersion::v1_0, TlsVersion::v1_1}) {
    if (!line.got.empty()) line.got += "; ";
    const std::string name = to_string(v);
    std::string why;
    Url u = url;
    u.tls = context(url, v, v, why);
    // The check proves something only if this OpenSSL can offer the version.
    TlsClient hello;
    if (!u.tls || !hello.open(*u.tls) || hello.output().empty()) {
      line.got += name + ": this client cannot offer it (" + (why.empty() ? hello.error() : why) + ")";
      line.pass = false;
      continue;
    }
    Stream s;
    const Io io = s.connect(u, Deadline::after_seconds(o.timeout));
    if (io == Io::ok) {
      line.got += name + " accepted (" + s.tls().version() + ", " + s.tls().cipher() + ")";
      line.pass = false;
    } else if (io == Io::tls) {
      line.got += name + " refused (" + short_reason(s.error()) + ")";
    } else {
      line.got += name + ": " + (io == Io::timeout ? "no answer within --timeout" : std::string("connect ") + to_string(io));
      line.pass = false;
    }
  }
  if (!line.pass) line.got += " (expected both refused)";
  return line;
}

ProbeLine tls_plaintext(const Url& url, const ProbeOptions& o) {
  ProbeLine line{"tls-plaintext", false, "a plain-text GET " + url.target + " to the TLS port, then an HTTPS GET", ""};
  const Deadline deadline = Deadline::after_seconds(o.timeout);
  const auto start = Clock::now();
  Stream raw;
  const Io io = raw.connect_tcp(url, deadline);
  if (io != Io::ok) {
    line.got = std::string("connect ") + to_string(io);
    return line;
  }
  raw.send_all(make_request("GET", url.target, url.host), deadline);  // the server may close first: read anyway
  size_t total = 0;
  char first[8] = {};
  Io end = Io::timeout;
  for (int round = 0; round < 100'000; ++round) {
    char buf[4096];
    size_t n = 0;
    const Io got = raw.recv_some(buf, sizeof buf, n);
    if (got == Io::ok) {
      for (size_t i = 0; i < n && total + i < sizeof first; ++i) first[total + i] = buf[i];
      total += n;
      continue;
    }
    if (got != Io::again) {
      end = got;
      break;
    }
    if (raw.wait(POLLIN, deadline) != Io::ok) break;
  }
  const double ms = ms_since(start);
  char text[200];
  bool closed_ok = false;
  if (end == Io::timeout) {
    std::snprintf(text, sizeof text, "the connection stayed open for %.1f s (%zu bytes came back)", ms / 1000, total);
  } else if (total == 0) {
    std::snprintf(text, sizeof text, "connection %s after %.0f ms, nothing sent back", to_string(end), ms);
    closed_ok = end == Io::eof || end == Io::reset;
  } else if (static_cast<unsigned char>(first[0]) == 0x15) {  // a TLS alert record
    std::snprintf(text, sizeof text, "a TLS alert (%zu bytes), then connection %s after %.0f ms", total, to_string(end), ms);
    closed_ok = end == Io::eof || end == Io::reset;
  } else {
    std::snprintf(text, sizeof text, "%zu bytes that are not a TLS alert (\"%.5s...\"), then %s", total, first,
                  to_string(end));
  }
  line.got = text;
  const Fetched after = fetch(url, make_request("GET", url.target, url.host), Deadline::after_seconds(o.timeout), 1 << 20);
  line.got += "; then an HTTPS GET: " + after.describe();
  line.pass = closed_ok && after.outcome == ReadOutcome::response;
  if (!line.pass) line.got += closed_ok ? " (expected an answer)" : " (expected a close or a TLS alert)";
  return line;
}

ProbeLine tls_renegotiation(const Url& url, const ProbeOptions& o) {
  ProbeLine line{"tls-renegotiation", false, "a TLS 1.2 session, then the client asks to renegotiate", ""};
  std::string why;
  Url u = url;
  u.tls = context(url, TlsVersion::v1_2, TlsVersion::v1_2, why);
  if (!u.tls) {
    line.got = why;
    return line;
  }
  Stream s;
  const Deadline deadline = Deadline::after_seconds(o.timeout);
  const Io io = s.connect(u, deadline);
  if (io == Io::tls) {  // TLS 1.3 only: there is nothing to renegotiate
    line.got = "TLS 1.2 refused (" + short_reason(s.error()) + "): no renegotiation possible";
    line.pass = true;
    return line;
  }
  if (io != Io::ok) {
    line.got = std::string("connect ") + to_string(io);
    return line;
  }
  const auto start = Clock::now();
  if (!s.tls().request_renegotiation()) {
    line.got = "this client could not ask for a renegotiation (" + s.tls().error() + ")";
    return line;
  }
  s.flush();
  for (int round = 0; round < 100'000; ++round) {
    char buf[4096];
    size_t n = 0;
    const Io got = s.recv_some(buf, sizeof buf, n);
    if (s.tls().renegotiated()) {
      line.got = "the server renegotiated (a new handshake completed after " + seconds(ms_since(start)) + ")";
      break;
    }
    if (got == Io::tls) {
      line.got = "refused: " + short_reason(s.error()) + " after " + seconds(ms_since(start));
      line.pass = true;
      return line;
    }
    if (got == Io::eof || got == Io::reset || got == Io::error) {
      line.got = std::string("connection ") + to_string(got) + " after " + seconds(ms_since(start));
      line.pass = true;
      return line;
    }
    if (got == Io::ok) continue;
    if (s.wait(POLLIN, deadline) != Io::ok) {
      line.got = "ignored: no renegotiation within " + seconds(ms_since(start));
      line.pass = true;
      return line;
    }
  }
  if (line.got.empty()) line.got = "no verdict";
  line.got += " (expected a refusal, an alert or a close)";
  return line;
}

ProbeLine tls_handshake_timeout(const Url& url, const ProbeOptions& o) {
  ProbeLine line{"tls-handshake-timeout", false, "", ""};
  const double allowed = o.handshake_timeout * 1.5 + 1;
  TlsClient hello;
  if (!url.tls || !hello.open(*url.tls)) {
    line.got = "cannot make a ClientHello: " + hello.error();
    return line;
  }
  const std::span<const char> full = hello.output();
  const std::string half(full.data(), full.size() / 2);
  line.sent = "one connection silent, one with half a ClientHello (" + std::to_string(half.size()) + " of " +
              std::to_string(full.size()) + " bytes), at once";
  Stream conns[2];
  const Deadline connect_deadline = Deadline::after_seconds(o.timeout);
  for (Stream& c : conns) {
    const Io io = c.connect_tcp(url, connect_deadline);
    if (io != Io::ok) {
      line.got = std::string("connect ") + to_string(io);
      return line;
    }
  }
  const auto start = Clock::now();
  const Deadline deadline = Deadline::after_seconds(allowed);
  conns[1].send_all(half, deadline);
  double closed_ms[2] = {-1, -1};
  for (int round = 0; round < 100'000 && (closed_ms[0] < 0 || closed_ms[1] < 0); ++round) {
    pollfd p[2];
    for (int i = 0; i < 2; ++i) p[i] = {closed_ms[i] < 0 ? conns[i].fd() : -1, POLLIN, 0};
    const int ready = ::poll(p, 2, deadline.ms_left());
    if (ready == 0 || deadline.passed()) break;
    for (int i = 0; i < 2; ++i) {
      if (closed_ms[i] >= 0 || p[i].revents == 0) continue;
      char buf[4096];
      size_t n = 0;
      const Io got = conns[i].recv_some(buf, sizeof buf, n);  // an alert may come first: read on
      if (got != Io::ok && got != Io::again) closed_ms[i] = ms_since(start);
    }
  }
  auto say = [&](int i) {
    return closed_ms[i] >= 0 ? "closed after " + seconds(closed_ms[i]) : "still open after " + seconds(ms_since(start));
  };
  char limit[64];
  std::snprintf(limit, sizeof limit, " (allowed %.1f s)", allowed);
  line.got = "silent: " + say(0) + "; half a ClientHello: " + say(1) + limit;
  line.pass = closed_ms[0] >= 0 && closed_ms[1] >= 0;
  if (!line.pass) line.got += " (expected both closed: --handshake-timeout " + seconds(o.handshake_timeout * 1000) + ")";
  return line;
}

}  // namespace hs::client
