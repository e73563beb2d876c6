#include "client/flood/flood.hpp"

#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <thread>

#include "client/common/fd_limit.hpp"
#include "client/common/response_framer.hpp"
#include "client/common/socket_io.hpp"
#include "client/common/client_engine.hpp"
#include "engine/engine.hpp"

namespace hs::client {

namespace {

constexpr uint64_t kMaxConnections = 1'000'000;
constexpr size_t kHeadBuffer = 2048;
constexpr size_t kScratch = 16 * 1024;           // epoll: a read; io_uring: one lent buffer
constexpr size_t kLentMin = 64, kLentMax = 1024;  // io_uring: lent buffers, one per connection within these
constexpr int kReadRounds = 64;
constexpr int64_t kStopCheck = 200'000'000;      // the hold looks at the stop flag this often (ns)
constexpr size_t kWire = 2048;                   // https: ciphertext per send (the rest waits in the session)
constexpr size_t kRecordPlain = 16 * 1024;       // https: plaintext encrypted per step

enum class Phase : uint8_t { connecting, sending, reading, kept, done };

struct Conn {
  ResponseFramer framer{FramerLimits{kHeadBuffer - 1, uint64_t{1} << 40}};
  uint32_t sent = 0;
  uint16_t used = 0;  // head bytes held in this connection's buffer slice
  Phase phase = Phase::connecting;
  bool open = false;  // its channel is the engine's
  // https
  bool handshaking = false;
  bool wire_busy = false;  // a send of wire[wire_off, wire_len) is in flight (or waits for room)
  uint16_t wire_off = 0, wire_len = 0;
  TlsClient tls;
};

bool expected(const std::vector<int>& expect, int status) {
  return std::find(expect.begin(), expect.end(), status) != expect.end();
}

int64_t ns_left(const Deadline& d) {
  const auto left = d.at - Clock::now();
  return left <= Clock::duration::zero() ? 0 : std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
}

// Every connection is a channel of one engine (its index, generation 0: a
// channel is never reused). Bytes may be read in any phase after the connect
// (a server may answer, 429 and close, before the request is all sent).
class Flood final : private net::EngineSink {
public:
  Flood(const Url& url, const FloodOptions& o, FloodReport& r) : url_(url), o_(o), r_(r) {}

  bool run(std::string& why) {
    const uint64_t n = o_.connections;
    if (!ensure_fd_limit(n + 64, why)) return false;
    if (!start_engine(static_cast<uint32_t>(n), why)) return false;
    request_ = o_.request.empty() ? make_request("GET", url_.target, url_.host) : o_.request;
    conns_.resize(n);
    heads_.resize(n * kHeadBuffer);
    if (url_.https) {
      wires_.resize(n * kWire);
      plain_.assign(kScratch, 0);
    }
    r_.connections = n;
    const auto start = Clock::now();
    const Deadline deadline = Deadline::after_seconds(o_.timeout);
    for (uint64_t i = 0; i < n; ++i) open(static_cast<uint32_t>(i));
    for (size_t guard = 0; guard < 100'000'000 && unsettled_ > 0 && !deadline.passed(); ++guard) {
      if (engine_->wait(*this, ns_left(deadline)) < 0) break;
    }
    for (uint32_t i = 0; i < conns_.size(); ++i) {
      const Phase p = conns_[i].phase;
      if (p == Phase::connecting || p == Phase::sending || p == Phase::reading) {
        ++r_.timeout;
        note("a connection got no answer within --timeout");
        finish(i);
      }
    }
    r_.answer_ms = ms_since(start);

    // Hold: keep what the server kept; notice what it closes.
    if (o_.on_hold) o_.on_hold(r_);
    const Deadline hold_end = Deadline::after_seconds(o_.hold);
    if (o_.fresh_checks) r_.during_hold = fetch(url_, request_, Deadline::after_seconds(o_.fresh_timeout), 1 << 20);
    for (size_t guard = 0; guard < 100'000'000 && !hold_end.passed() && kept_open_ > 0; ++guard) {
      if (o_.stop != nullptr && o_.stop->load()) break;
      if (engine_->wait(*this, std::min<int64_t>(ns_left(hold_end), kStopCheck)) < 0) break;
    }
    for (Conn& c : conns_)
      if (c.phase == Phase::kept) ++r_.kept_after_hold;

    // Release (the engine goes too: under io_uring a socket is let go only
    // once its requests are), then a fresh request must be answered (a 429
    // while the server notices the closes is retried until --fresh-timeout).
    for (uint32_t i = 0; i < conns_.size(); ++i) close(i);
    io_.engine.reset();
    engine_ = nullptr;
    conns_.clear();
    const Deadline fresh = Deadline::after_seconds(o_.fresh_timeout);
    for (uint32_t t = 0; t < 1000 && o_.fresh_checks; ++t) {
      r_.after_release_tries = t + 1;
      r_.after_release = fetch(url_, request_, fresh, 1 << 20);
      const bool retry = r_.after_release.outcome != ReadOutcome::response || r_.after_release.status == 429;
      if (!retry || fresh.passed()) break;
      std::this_thread::sleep_for(Ms(20));  // bounded by the deadline and the count
    }
    return true;
  }

private:
  bool start_engine(uint32_t channels, std::string& why) {
    net::IoKind kind;
    if (resolve_io(o_.io, kind, why) != 0) return false;
    if (!io_.init(kind, channels, std::clamp<size_t>(channels, kLentMin, kLentMax), kScratch, why)) return false;
    engine_ = io_.engine.get();
    lends_ = io_.lends();
    if (!lends_) scratch_.assign(kScratch, 0);
    return true;
  }

  void note(const char* what) {
    if (r_.first_problem.empty()) r_.first_problem = what;
  }

  void open(uint32_t i) {
    Conn& c = conns_[i];
    ++unsettled_;
    net::Fd fd = tcp_socket(url_.address);
    if (!fd) {
      ++r_.connect_error;
      note("socket() failed (out of descriptors?)");
      finish(i);
      return;
    }
    if (engine_->connect(i, 0, fd.get(), url_.address) != 0) {
      ++r_.connect_error;
      note("connect failed");
      finish(i);
      return;
    }
    fd.release();  // the engine's now
    c.open = true;
  }

  void close(uint32_t i) {
    Conn& c = conns_[i];
    if (c.open) engine_->close(i);
    c.open = false;
    c.tls.close();  // OpenSSL's per-connection memory goes with it
  }

  void finish(uint32_t i) {
    conns_[i].phase = Phase::done;
    close(i);
    --unsettled_;
  }

  bool waiting(const Conn& c) const { return c.phase == Phase::sending || c.phase == Phase::reading; }

  // EngineSink
  void on_wake() override {}
  void on_accept(uint32_t, int fd, const net::PeerIp&, bool) override { ::close(fd); }
  void on_stop() override {}

  void on_connected(uint32_t i, int result) override {
    Conn& c = conns_[i];
    if (c.phase != Phase::connecting) return;
    if (result != 0) {
      ++r_.connect_error;
      note("connect failed");
      finish(i);
      return;
    }
    c.phase = Phase::sending;
    if (lends_) io_.arm_receive(i);
    if (url_.https) {
      if (!c.tls.open(*url_.tls)) {
        ++r_.connect_error;
        note_copy(c.tls.error());
        finish(i);
        return;
      }
      c.handshaking = true;
    }
    send_request(i);
  }

  void send_request(uint32_t i) {
    if (url_.https) {
      flush_tls(i);
      return;
    }
    for (int round = 0; round < 16 && conns_[i].phase == Phase::sending; ++round) {
      Conn& c = conns_[i];
      const iovec out{request_.data() + c.sent, request_.size() - c.sent};
      const net::IoResult r = engine_->send(i, std::span<const iovec>(&out, 1), false);
      if (r.pending()) return;  // epoll: the writable edge; io_uring: on_sent
      if (!sent(i, r.n) || r.drained) return;
    }
  }

  // False when no more is to be sent now.
  bool sent(uint32_t i, int64_t n) {
    Conn& c = conns_[i];
    if (n <= 0) {
      c.phase = Phase::reading;  // the server may have answered and closed: read what it sent
      return false;
    }
    c.sent += static_cast<uint32_t>(n);
    if (c.sent < request_.size()) return true;
    c.phase = Phase::reading;
    return false;
  }

  void on_sent(uint32_t i, int64_t n) override {
    if (url_.https) {
      Conn& c = conns_[i];
      c.wire_busy = false;
      if (!waiting(c)) return;
      if (n <= 0) {
        c.phase = Phase::reading;  // as in sent(): read what the server said
        return;
      }
      c.wire_off = static_cast<uint16_t>(c.wire_off + n);
      flush_tls(i);
      return;
    }
    if (conns_[i].phase != Phase::sending) return;
    if (sent(i, n)) send_request(i);
  }

  // https: the session's ciphertext (handshake, then the request encrypted)
  // goes out through the connection's wire slice, which stays put until the
  // engine has sent it.
  void flush_tls(uint32_t i) {
    Conn& c = conns_[i];
    char* wire = wires_.data() + size_t{i} * kWire;
    for (int round = 0; round < 4096 && c.open && waiting(c) && !c.wire_busy; ++round) {
      if (c.wire_off == c.wire_len) {
        c.wire_off = 0;
        c.wire_len = static_cast<uint16_t>(c.tls.take_output({wire, kWire}));
        if (c.wire_len == 0) {
          if (c.handshaking || c.sent >= request_.size()) {
            if (!c.handshaking && c.phase == Phase::sending) c.phase = Phase::reading;
            return;
          }
          const size_t left = request_.size() - c.sent;
          const size_t taken = c.tls.write({request_.data() + c.sent, std::min(left, kRecordPlain)});
          if (taken == 0) {
            c.phase = Phase::reading;
            return;
          }
          c.sent += static_cast<uint32_t>(taken);
          continue;
        }
      }
      const iovec out{wire + c.wire_off, size_t{c.wire_len} - c.wire_off};
      const net::IoResult r = engine_->send(i, std::span<const iovec>(&out, 1), false);
      if (r.pending()) {
        c.wire_busy = true;  // epoll: the writable edge; io_uring: on_sent
        return;
      }
      if (r.n <= 0) {
        c.phase = Phase::reading;
        return;
      }
      c.wire_off = static_cast<uint16_t>(c.wire_off + r.n);
      if (r.drained) {
        c.wire_busy = true;
        return;
      }
    }
  }

  // https: ciphertext in; true once the connection is settled (as absorb()).
  bool tls_in(uint32_t i, const char* data, size_t n) {
    Conn& c = conns_[i];
    c.tls.feed({data, n});
    if (c.handshaking) {
      if (c.tls.state() == TlsState::failed) {
        ++r_.connect_error;
        note_copy(c.tls.error());
        finish(i);
        return true;
      }
      if (c.tls.state() == TlsState::open) c.handshaking = false;
      flush_tls(i);  // the handshake's next flight, or the request
      if (c.handshaking) return false;
    }
    for (int k = 0; k < 4096; ++k) {
      const size_t got = c.tls.read({plain_.data(), plain_.size()});
      if (got == 0) break;
      if (absorb(i, plain_.data(), got)) return true;
    }
    if (c.tls.state() == TlsState::closed || c.tls.state() == TlsState::failed) {
      ended(i, c.tls.state() == TlsState::closed ? 0 : -ECONNRESET);
      return true;
    }
    if (!c.tls.output().empty()) flush_tls(i);
    return false;
  }

  void note_copy(const std::string& what) {
    if (r_.first_problem.empty()) r_.first_problem = what;
  }

  void on_ready(uint32_t i, bool readable, bool writable, bool) override {
    Conn& c = conns_[i];
    if (writable && url_.https) {
      c.wire_busy = false;
      flush_tls(i);
    } else if (writable && c.phase == Phase::sending) {
      send_request(i);
    }
    if (!readable) return;
    for (int round = 0; round < kReadRounds && c.open && (waiting(c) || c.phase == Phase::kept); ++round) {
      std::span<char> space[2] = {{scratch_.data(), scratch_.size()}, {}};
      const net::IoResult r = engine_->receive(i, space, 1);
      if (r.pending()) return;
      if (!got(i, r.n, scratch_.data()) || r.drained) return;
    }
  }

  void on_received(uint32_t i, int64_t n, char* data, uint32_t buffer, bool more) override {
    got(i, n, data);
    if (buffer != net::kNoBuffer) engine_->give_buffer(buffer);
    // An open connection keeps its receive armed (a kept one, to see its
    // close); an empty ring is full again by the next submit.
    if (conns_[i].open && (!more || n == -ENOBUFS)) io_.arm_receive(i);
  }

  // `n` bytes at data, the peer's close (0) or -errno, in any phase. False
  // when the connection wants no more.
  bool got(uint32_t i, int64_t n, const char* data) {
    Conn& c = conns_[i];
    if (c.phase == Phase::kept) {  // a kept connection: bytes are ignored; its end is noticed
      if (n > 0 || n == -ENOBUFS || n == -ECANCELED) return true;
      c.phase = Phase::done;
      --kept_open_;
      close(i);
      return false;
    }
    if (!waiting(c)) return false;
    if (n > 0) return url_.https ? !tls_in(i, data, static_cast<size_t>(n)) : !absorb(i, data, static_cast<size_t>(n));
    if (n == -ENOBUFS || n == -ECANCELED) return true;
    ended(i, n);
    return false;
  }

  // The peer closed (0) or the connection failed (-errno) before an answer
  // was complete: what was framed decides.
  void ended(uint32_t i, int64_t n) {
    Conn& c = conns_[i];
    if (c.handshaking) {
      ++r_.handshake_closed;
      note("the server closed the connection during the TLS handshake");
      finish(i);
      return;
    }
    const ResponseFramer::Step s = c.framer.finish(c.used);
    if (s.event == ResponseFramer::Event::complete) {
      answered(c);
    } else if (n == -ECONNRESET || n == -EPIPE) {
      ++r_.reset;
      note("a connection was reset before an answer");
    } else {
      ++r_.closed;
      note("a connection was closed before an answer");
    }
    finish(i);
  }

  // Frames received bytes; true once the connection is settled.
  bool absorb(uint32_t i, const char* data, size_t n) {
    Conn& c = conns_[i];
    char* head = heads_.data() + size_t{i} * kHeadBuffer;
    for (int piece = 0; piece < 1024 && n > 0; ++piece) {
      // Until the head is parsed the bytes go to the connection's own slice
      // (the framer wants the head in one piece); body bytes are framed in place.
      const bool in_head = c.framer.idle() || c.used > 0;
      std::string_view view;
      size_t k = n;
      if (in_head) {
        k = std::min(n, kHeadBuffer - c.used);
        std::memcpy(head + c.used, data, k);
        c.used = static_cast<uint16_t>(c.used + k);
        view = std::string_view(head, c.used);
      } else {
        view = std::string_view(data, k);
      }
      data += k;
      n -= k;
      for (int step = 0; step < 1024; ++step) {
        const ResponseFramer::Step s = c.framer.feed(view);
        view.remove_prefix(s.consumed);
        if (s.event == ResponseFramer::Event::complete) {
          if (c.framer.info().status < 200) continue;  // interim: the answer follows
          answered(c);
          if (c.framer.info().close) {
            finish(i);
          } else {
            c.phase = Phase::kept;
            ++r_.kept;
            ++kept_open_;
            --unsettled_;
          }
          return true;
        }
        if (s.event == ResponseFramer::Event::error) {
          ++r_.bad;
          note(c.framer.error().reason);
          finish(i);
          return true;
        }
        if (s.event == ResponseFramer::Event::need_more) {
          // Bytes left over are an incomplete head: keep them at the slice start.
          if (!view.empty()) std::memmove(head, view.data(), view.size());
          c.used = static_cast<uint16_t>(view.size());
          break;
        }
      }
    }
    return false;
  }

  void answered(const Conn& c) {
    const int s = c.framer.info().status;
    if (s >= 100 && s < 600) ++r_.status[static_cast<size_t>(s)];
    if (!expected(o_.expect, s)) note("an answer with an unexpected status");
  }

  const Url& url_;
  const FloodOptions& o_;
  FloodReport& r_;
  ClientEngine io_;
  net::Engine* engine_ = nullptr;  // io_.engine
  bool lends_ = false;
  std::vector<char> scratch_;  // epoll: where a read lands
  std::string request_;
  std::vector<Conn> conns_;
  std::vector<char> heads_;
  std::vector<char> wires_;  // https: kWire bytes per connection
  std::vector<char> plain_;  // https: where decrypted bytes land
  uint64_t unsettled_ = 0;
  uint64_t kept_open_ = 0;  // kept, and not closed by the server since
};

}  // namespace

uint64_t FloodReport::unexpected(const std::vector<int>& expect) const {
  uint64_t n = reset + closed + timeout + connect_error + bad + (expected(expect, 429) ? 0 : handshake_closed);
  for (size_t s = 0; s < status.size(); ++s)
    if (status[s] > 0 && !expected(expect, static_cast<int>(s))) n += status[s];
  return n;
}

bool flood(const Url& url, const FloodOptions& o, FloodReport& report, std::string& why) {
  report = FloodReport{};
  Flood f(url, o, report);
  return f.run(why);
}

bool flood_passed(const FloodReport& r, const std::vector<int>& expect, std::string& why) {
  if (r.unexpected(expect) > 0) {
    why = std::to_string(r.unexpected(expect)) + " of " + std::to_string(r.connections) +
          " connections got no expected answer (first: " + r.first_problem + ")";
    return false;
  }
  // While the server is full, a TLS listener closes at the handshake where a
  // plain one answers 429.
  const bool held_off = r.during_hold.handshake_closed && expected(expect, 429);
  if (!held_off && (r.during_hold.outcome != ReadOutcome::response || !expected(expect, r.during_hold.status))) {
    why = "a fresh request during the hold: " + r.during_hold.describe();
    return false;
  }
  if (r.after_release.outcome != ReadOutcome::response || r.after_release.status == 429 ||
      !expected(expect, r.after_release.status)) {
    why = "a fresh request after the release: " + r.after_release.describe();
    return false;
  }
  return true;
}

int run_flood(const FloodOptions& o, std::FILE* out, std::FILE* err) {
  Url url;
  const char* url_why = "";
  if (!parse_url(o.url, url, url_why)) {
    std::fprintf(err, "flood: %s: %s\n", o.url.c_str(), url_why);
    return 2;
  }
  if (o.connections == 0 || o.connections > kMaxConnections) {
    std::fprintf(err, "flood: --connections must be from 1 to 1000000\n");
    return 2;
  }
  if (!(o.hold >= 0) || o.hold > 3600 || !(o.timeout > 0) || o.timeout > 3600 || !(o.fresh_timeout > 0) ||
      o.fresh_timeout > 3600) {
    std::fprintf(err, "flood: --hold, --timeout and --fresh-timeout must be from 0 to 3600 seconds\n");
    return 2;
  }
  if (o.expect.empty()) {
    std::fprintf(err, "flood: --expect needs at least one status\n");
    return 2;
  }
  std::string why;
  if (net::IoKind kind; resolve_io(o.io, kind, why) == 2) {
    std::fprintf(err, "flood: %s\n", why.c_str());
    return 2;
  }
  if (!attach_tls(url, o.tls, why)) {
    std::fprintf(err, "flood: %s\n", why.c_str());
    return 2;
  }
  FloodReport r;
  if (!flood(url, o, r, why)) {
    std::fprintf(err, "flood: %s\n", why.c_str());
    return 1;
  }
  std::fprintf(out, "flood: %llu connections to %s%s, answered in %.1f ms\n",
               static_cast<unsigned long long>(r.connections), url.host.c_str(), url.target.c_str(), r.answer_ms);
  std::fprintf(out, "  %-28s %10s\n", "outcome", "count");
  for (size_t s = 0; s < r.status.size(); ++s) {
    if (r.status[s] == 0) continue;
    char label[32];
    std::snprintf(label, sizeof label, "status %zu%s", s, expected(o.expect, static_cast<int>(s)) ? "" : " (unexpected)");
    std::fprintf(out, "  %-28s %10llu\n", label, static_cast<unsigned long long>(r.status[s]));
  }
  const struct {
    const char* label;
    uint64_t n;
  } rows[] = {{"reset before an answer", r.reset},
              {"closed before an answer", r.closed},
              {"timeout", r.timeout},
              {"connect error", r.connect_error},
              {"closed at the TLS handshake", r.handshake_closed},
              {"bad framing", r.bad}};
  for (const auto& row : rows)
    std::fprintf(out, "  %-28s %10llu\n", row.label, static_cast<unsigned long long>(row.n));
  std::fprintf(out, "  kept open by the server: %llu; still open after the %.1f s hold: %llu\n",
               static_cast<unsigned long long>(r.kept), o.hold, static_cast<unsigned long long>(r.kept_after_hold));
  std::fprintf(out, "  fresh request during the hold: %s\n", r.during_hold.describe().c_str());
  std::fprintf(out, "  fresh request after the release: %s (%u tr%s)\n", r.after_release.describe().c_str(),
               r.after_release_tries, r.after_release_tries == 1 ? "y" : "ies");
  if (!flood_passed(r, o.expect, why)) {
    std::fprintf(out, "flood: FAIL: %s\n", why.c_str());
    std::fprintf(err, "flood: %s\n", why.c_str());
    return 1;
  }
  std::fprintf(out, "flood: ok\n");
  return 0;
}

}  // namespace hs::client
