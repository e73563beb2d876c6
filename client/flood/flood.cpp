#include "client/flood/flood.hpp"

#include <poll.h>
#include <sys/epoll.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include "client/common/fd_limit.hpp"
#include "client/common/response_framer.hpp"
#include "client/common/socket_io.hpp"

namespace hs::client {

namespace {

constexpr uint64_t kMaxConnections = 1'000'000;
constexpr size_t kHeadBuffer = 2048;
constexpr int kEvents = 256;

enum class Phase : uint8_t { connecting, sending, reading, kept, done };

struct Conn {
  net::Fd fd;
  ResponseFramer framer{FramerLimits{kHeadBuffer - 1, uint64_t{1} << 40}};
  uint32_t sent = 0;
  uint16_t used = 0;  // head bytes held in this connection's buffer slice
  Phase phase = Phase::connecting;
};

bool expected(const std::vector<int>& expect, int status) {
  return std::find(expect.begin(), expect.end(), status) != expect.end();
}

class Flood {
public:
  Flood(const Url& url, const FloodOptions& o, FloodReport& r) : url_(url), o_(o), r_(r) {}

  bool run(std::string& why) {
    const uint64_t n = o_.connections;
    if (!ensure_fd_limit(n + 64, why)) return false;
    ep_.reset(::epoll_create1(EPOLL_CLOEXEC));
    if (!ep_) {
      why = std::string("epoll_create1: ") + std::strerror(errno);
      return false;
    }
    request_ = make_request("GET", url_.target, url_.host);
    conns_.resize(n);
    heads_.resize(n * kHeadBuffer);
    r_.connections = n;
    const auto start = Clock::now();
    const Deadline deadline = Deadline::after_seconds(o_.timeout);
    for (uint64_t i = 0; i < n; ++i) open(static_cast<uint32_t>(i));
    epoll_event events[kEvents];
    for (size_t guard = 0; guard < 100'000'000 && unsettled_ > 0; ++guard) {
      const int k = ::epoll_wait(ep_.get(), events, kEvents, deadline.ms_left());
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) break;  // deadline
      for (int e = 0; e < k; ++e) step(events[e].data.u32, events[e].events);
    }
    for (Conn& c : conns_) {
      if (c.phase == Phase::connecting || c.phase == Phase::sending || c.phase == Phase::reading) {
        ++r_.timeout;
        note("a connection got no answer within --timeout");
        finish(c);
      }
    }
    r_.answer_ms = ms_since(start);

    // Hold: keep what the server kept; notice what it closes.
    const Deadline hold_end = Deadline::after_seconds(o_.hold);
    r_.during_hold = fetch(url_, request_, Deadline::after_seconds(o_.fresh_timeout), 1 << 20);
    for (size_t guard = 0; guard < 100'000'000 && !hold_end.passed(); ++guard) {
      const int k = ::epoll_wait(ep_.get(), events, kEvents, hold_end.ms_left());
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) break;
      for (int e = 0; e < k; ++e) held(events[e].data.u32);
    }
    for (Conn& c : conns_)
      if (c.phase == Phase::kept) ++r_.kept_after_hold;

    // Release, then a fresh request must be answered (a 429 while the server
    // notices the closes is retried until --fresh-timeout).
    conns_.clear();
    const Deadline fresh = Deadline::after_seconds(o_.fresh_timeout);
    for (uint32_t t = 0; t < 1000; ++t) {
      r_.after_release_tries = t + 1;
      r_.after_release = fetch(url_, request_, fresh, 1 << 20);
      const bool retry = r_.after_release.outcome != ReadOutcome::response || r_.after_release.status == 429;
      if (!retry || fresh.passed()) break;
      std::this_thread::sleep_for(Ms(20));  // bounded by the deadline and the count
    }
    return true;
  }

private:
  void note(const char* what) {
    if (r_.first_problem.empty()) r_.first_problem = what;
  }

  void open(uint32_t i) {
    Conn& c = conns_[i];
    Io io = Io::error;
    c.fd = start_connect(url_.address, io);
    ++unsettled_;
    if (io != Io::ok && io != Io::again) {
      ++r_.connect_error;
      note(c.fd ? "connect failed" : "socket() failed (out of descriptors?)");
      finish(c);
      return;
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
    ev.data.u32 = i;
    if (::epoll_ctl(ep_.get(), EPOLL_CTL_ADD, c.fd.get(), &ev) != 0) {
      ++r_.connect_error;
      note("epoll_ctl failed");
      finish(c);
      return;
    }
    c.phase = io == Io::ok ? Phase::sending : Phase::connecting;
  }

  void finish(Conn& c) {
    c.phase = Phase::done;
    c.fd.reset();
    --unsettled_;
  }

  void step(uint32_t i, uint32_t events) {
    Conn& c = conns_[i];
    if (c.phase == Phase::done || c.phase == Phase::kept) {
      if (c.phase == Phase::kept) held(i);
      return;
    }
    if (c.phase == Phase::connecting) {
      if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
      const Io io = finish_connect(c.fd.get());
      if (io != Io::ok) {
        ++r_.connect_error;
        note("connect failed");
        finish(c);
        return;
      }
      c.phase = Phase::sending;
    }
    if (c.phase == Phase::sending) {
      size_t n = 0;
      const Io io = send_some(c.fd.get(), std::string_view(request_).substr(c.sent), n);
      c.sent += static_cast<uint32_t>(n);
      if (c.sent == request_.size()) {
        c.phase = Phase::reading;
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP;
        ev.data.u32 = i;
        ::epoll_ctl(ep_.get(), EPOLL_CTL_MOD, c.fd.get(), &ev);
      } else if (io != Io::ok && io != Io::again) {
        c.phase = Phase::reading;  // the server may have answered and closed: read what it sent
      }
    }
    if (c.phase == Phase::reading && (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) read(i);
  }

  void read(uint32_t i) {
    Conn& c = conns_[i];
    char* head = heads_.data() + size_t{i} * kHeadBuffer;
    for (int round = 0; round < 64; ++round) {
      char scratch[16 * 1024];
      // Until the head is parsed the bytes go to the connection's own slice
      // (the framer wants the head in one piece); body bytes pass through scratch.
      const bool in_head = c.framer.idle() || c.used > 0;
      char* into = in_head ? head + c.used : scratch;
      const size_t cap = in_head ? kHeadBuffer - c.used : sizeof scratch;
      size_t n = 0;
      const Io io = recv_some(c.fd.get(), into, cap, n);
      if (io == Io::again) return;
      if (io == Io::reset || io == Io::eof || io == Io::error) {
        const ResponseFramer::Step s = c.framer.finish(c.used);
        if (s.event == ResponseFramer::Event::complete) {
          answered(c);
        } else if (io == Io::reset) {
          ++r_.reset;
          note("a connection was reset before an answer");
        } else {
          ++r_.closed;
          note("a connection was closed before an answer");
        }
        finish(c);
        return;
      }
      std::string_view data(into, n);
      if (in_head) {
        c.used = static_cast<uint16_t>(c.used + n);
        data = std::string_view(head, c.used);
      }
      for (int k = 0; k < 1024; ++k) {
        const ResponseFramer::Step s = c.framer.feed(data);
        data.remove_prefix(s.consumed);
        if (s.event == ResponseFramer::Event::complete) {
          if (c.framer.info().status < 200) continue;  // interim: the answer follows
          answered(c);
          if (c.framer.info().close) {
            finish(c);
          } else {
            c.phase = Phase::kept;
            ++r_.kept;
            --unsettled_;
          }
          return;
        }
        if (s.event == ResponseFramer::Event::error) {
          ++r_.bad;
          note(c.framer.error().reason);
          finish(c);
          return;
        }
        if (s.event == ResponseFramer::Event::need_more) {
          // Bytes left over are an incomplete head: keep them at the slice start.
          if (!data.empty()) std::memmove(head, data.data(), data.size());
          c.used = static_cast<uint16_t>(data.size());
          break;
        }
      }
    }
  }

  void answered(const Conn& c) {
    const int s = c.framer.info().status;
    if (s >= 100 && s < 600) ++r_.status[static_cast<size_t>(s)];
    if (!expected(o_.expect, s)) note("an answer with an unexpected status");
  }

  // A kept connection became readable: the server closed it (or sent bytes).
  void held(uint32_t i) {
    Conn& c = conns_[i];
    if (c.phase != Phase::kept) return;
    char buf[512];
    size_t n = 0;
    const Io io = recv_some(c.fd.get(), buf, sizeof buf, n);
    if (io == Io::again || io == Io::ok) return;
    c.phase = Phase::done;
    c.fd.reset();
  }

  const Url& url_;
  const FloodOptions& o_;
  FloodReport& r_;
  net::Fd ep_;
  std::string request_;
  std::vector<Conn> conns_;
  std::vector<char> heads_;
  uint64_t unsettled_ = 0;
};

}  // namespace

uint64_t FloodReport::unexpected(const std::vector<int>& expect) const {
  uint64_t n = reset + closed + timeout + connect_error + bad;
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
  if (r.during_hold.outcome != ReadOutcome::response || !expected(expect, r.during_hold.status)) {
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
  FloodReport r;
  std::string why;
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
