#include "client/bench/loop.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

namespace hs::client::bench {

namespace {

constexpr size_t kCarry = 8 * 1024;                // a response head split over reads (heads are ~200 bytes)
constexpr int64_t kHousekeeping = 100'000'000;     // timeouts checked every 100 ms
constexpr int64_t kRetryDelay = 10'000'000;        // before reconnecting after a connect error
constexpr int kReadRounds = 16;                    // reads per readable event before yielding
constexpr size_t kMaxEvents = 256;
constexpr uint64_t kDiscardFrom = 64 * 1024;      // body bytes left from which recv(MSG_TRUNC) drops them uncopied
constexpr uint64_t kDiscardMax = uint64_t{1} << 30;
using Event = ResponseFramer::Event;

int epoll_wait_ns(int ep, epoll_event* events, int n, int64_t timeout_ns) {
  static std::atomic<bool> no_pwait2{false};
  if (!no_pwait2.load(std::memory_order_relaxed)) {
    timespec ts{static_cast<time_t>(timeout_ns / 1'000'000'000), static_cast<long>(timeout_ns % 1'000'000'000)};
    const int r = ::epoll_pwait2(ep, events, n, &ts, nullptr);
    if (r >= 0 || errno != ENOSYS) return r;
    no_pwait2.store(true, std::memory_order_relaxed);  // an old kernel or valgrind: millisecond timeouts
  }
  return ::epoll_wait(ep, events, n, static_cast<int>((timeout_ns + 999'999) / 1'000'000));
}

}  // namespace

int64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::connect: return "connect";
    case ErrorKind::reset: return "reset";
    case ErrorKind::timeout: return "timeout";
    case ErrorKind::framing: return "framing";
    case ErrorKind::status: return "status";
  }
  return "?";
}

struct Loop::Conn {
  int fd = -1;
  uint32_t gen = 0;
  uint32_t index = 0;
  bool connecting = false;
  bool close_after = false;  // the last response said Connection: close
  bool dirty = false;        // rate mode: in dirty_
  ResponseFramer framer;
  size_t next_target = 0;
  uint32_t in_flight = 0;    // written (or being written), not answered
  uint32_t want = 0;         // given to this connection, not yet written
  uint32_t tokens = 0;       // rate mode: this connection's entries in tokens_
  uint32_t ring_head = 0;    // times[ring_head]: the oldest request in flight
  uint32_t carry_len = 0;
  const char* out = nullptr; // unwritten bytes of the last batch
  size_t out_left = 0;
  int64_t* times = nullptr;  // depth entries
  char* carry = nullptr;     // kCarry bytes
  int64_t last_progress = 0;
  int64_t retry_at = 0;      // closed, to be opened again at this time
  uint64_t body_left = 0;    // Content-Length body bytes still to come
};

Loop::Loop() = default;

Loop::~Loop() {
  for (Conn& c : conns_)
    if (c.fd >= 0) ::close(c.fd);
  if (epoll_ >= 0) ::close(epoll_);
}

bool Loop::init(const LoopConfig& config, std::string& error) {
  config_ = config;
  if (config_.depth == 0) config_.depth = 1;
  if (config_.connections == 0 || config_.requests == nullptr) {
    error = "no connections";
    return false;
  }
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_ < 0) {
    error = std::string("epoll_create1: ") + std::strerror(errno);
    return false;
  }
  const size_t n = config_.connections, depth = config_.depth;
  conns_.resize(n);
  times_.assign(n * depth, 0);
  carry_.assign(n * kCarry, 0);
  buffer_.assign(std::max<size_t>(config_.read_buffer, 2 * kCarry), 0);
  events_.resize(std::min(kMaxEvents, n + 1));
  tokens_.assign(n * depth, 0);
  dirty_.reserve(n);
  again_.reserve(n * 2 + 1);
  again_now_.reserve(n * 2 + 1);
  FramerLimits limits;
  limits.max_head = kCarry;
  for (size_t i = 0; i < n; ++i) {
    Conn& c = conns_[i];
    c.index = static_cast<uint32_t>(i);
    c.framer = ResponseFramer(limits);
    c.times = &times_[i * depth];
    c.carry = &carry_[i * kCarry];
    c.next_target = (config_.first_index + i) % config_.requests->count();
  }
  histogram_ = std::make_unique<Histogram>();
  quota_left_ = config_.quota;
  interval_ns_ = config_.rate > 0 ? 1e9 / config_.rate : 0;
  return true;
}

int64_t Loop::due(uint64_t k) const { return start_ns_ + static_cast<int64_t>(static_cast<double>(k) * interval_ns_); }

void Loop::run() {
  int64_t now = now_ns();
  start_ns_ = now;
  next_housekeeping_ = now + kHousekeeping;
  for (Conn& c : conns_) open(c, now);
  for (;;) {
    now = now_ns();
    if (now >= config_.deadline_ns || finished()) break;
    if (config_.stop != nullptr && config_.stop->load(std::memory_order_relaxed)) break;
    if (now >= next_housekeeping_) housekeeping(now);
    if (interval_ns_ > 0) schedule(now);
    int64_t wake = std::min(config_.deadline_ns, next_housekeeping_);
    if (interval_ns_ > 0 && sending() && token_count_ > 0) wake = std::min(wake, due(scheduled_));
    if (!again_.empty()) wake = now;
    const int n = epoll_wait_ns(epoll_, events_.data(), static_cast<int>(events_.size()), std::max<int64_t>(0, wake - now));
    if (n > 0) {
      now = now_ns();
      for (int i = 0; i < n; ++i) {
        const uint64_t data = events_[i].data.u64;
        Conn& c = conns_[static_cast<uint32_t>(data)];
        if (c.fd < 0 || c.gen != static_cast<uint32_t>(data >> 32)) continue;  // closed since
        on_event(c, events_[i].events, now);
      }
    }
    // Connections that stopped reading at kReadRounds with bytes left: their
    // edge is spent, so they are read again here (fairness without stalls).
    if (!again_.empty()) {
      again_now_.swap(again_);
      again_.clear();
      for (uint64_t data : again_now_) {
        Conn& c = conns_[static_cast<uint32_t>(data)];
        if (c.fd >= 0 && c.gen == static_cast<uint32_t>(data >> 32)) on_readable(c, now, true);
      }
      again_now_.clear();
    }
    progress_.responses.store(counters_.responses, std::memory_order_relaxed);
    progress_.errors.store(counters_.error_total(), std::memory_order_relaxed);
  }
  stopping_ = true;
  for (Conn& c : conns_) {
    if (c.fd >= 0) ::close(c.fd);
    c.fd = -1;
  }
  progress_.responses.store(counters_.responses, std::memory_order_relaxed);
  progress_.errors.store(counters_.error_total(), std::memory_order_relaxed);
  progress_.done.store(true, std::memory_order_release);
}

void Loop::open(Conn& c, int64_t now) {
  c.retry_at = 0;
  const int fd = ::socket(config_.address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    fail(c, ErrorKind::connect, now);
    return;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const int rc = ::connect(fd, config_.address.sa(), config_.address.length);
  if (rc != 0 && errno != EINPROGRESS) {
    ::close(fd);
    fail(c, ErrorKind::connect, now);
    return;
  }
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = (uint64_t{c.gen} << 32) | c.index;
  if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    ::close(fd);
    fail(c, ErrorKind::connect, now);
    return;
  }
  c.fd = fd;
  c.last_progress = now;
  c.connecting = true;
  if (rc == 0) connected(c, now);
}

void Loop::connected(Conn& c, int64_t now) {
  c.connecting = false;
  ++counters_.connects;
  c.last_progress = now;
  if (config_.requests->head()) c.framer.expect_head_response();
  if (interval_ns_ > 0) {
    while (c.in_flight + c.want + c.tokens < config_.depth) give_token(c);
    return;
  }
  top_up(c, config_.depth);
  flush(c, now);
}

void Loop::on_event(Conn& c, uint32_t events, int64_t now) {
  const uint32_t gen = c.gen;
  if (c.connecting) {
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) {
      fail(c, ErrorKind::connect, now);
      return;
    }
    if ((events & EPOLLOUT) == 0) return;
    connected(c, now);
    return;
  }
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
    on_readable(c, now, (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0);
    if (c.fd < 0 || c.gen != gen) return;
  }
  if ((events & EPOLLOUT) && c.out_left > 0) flush(c, now);
}

void Loop::on_readable(Conn& c, int64_t& now, bool hangup) {
  uint32_t completed = 0;
  char* const buf = buffer_.data();
  const size_t cap = buffer_.size();
  int round = 0;
  for (; round < kReadRounds; ++round) {
    const size_t have = c.carry_len;
    // Inside a long Content-Length body the bytes only need counting: the
    // kernel drops them without copying (TCP's MSG_TRUNC), never past the body.
    const bool discard = c.body_left >= kDiscardFrom && have == 0;
    const size_t ask = discard ? static_cast<size_t>(std::min(c.body_left, kDiscardMax)) : cap - have;
    if (have > 0) std::memcpy(buf, c.carry, have);
    const ssize_t n = discard ? ::recv(c.fd, nullptr, ask, MSG_TRUNC) : ::read(c.fd, buf + have, ask);
    if (n > 0) {
      now = now_ns();
      counters_.bytes += static_cast<uint64_t>(n);
      c.last_progress = now;
      size_t total = have + static_cast<size_t>(n);
      if (discard) {  // the framer counts body bytes without reading them: feed it buffer-sized views
        for (size_t k; total > cap; total -= k) {
          k = cap;
          if (frame(c, buf, k, now, completed) == SIZE_MAX) return;
        }
      }
      const size_t left = frame(c, buf, total, now, completed);
      if (left == SIZE_MAX) return;  // failed: closed (and maybe opened again)
      if (c.close_after) {
        close(c, now, false);
        return;
      }
      if (left > kCarry) {
        fail(c, ErrorKind::framing, now);
        return;
      }
      if (left > 0) std::memcpy(c.carry, buf + total - left, left);
      c.carry_len = static_cast<uint32_t>(left);
      // A short read drained the socket: a later byte or FIN is a new edge. A FIN
      // that came with this data (hangup) is read now: no edge will follow.
      if (static_cast<size_t>(n) < ask && !hangup) break;
      continue;
    }
    if (n == 0) {
      on_eof(c, now);
      return;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) break;
    fail(c, ErrorKind::reset, now);
    return;
  }
  if (round == kReadRounds) again_.push_back((uint64_t{c.gen} << 32) | c.index);  // more to read; no new edge
  if (completed > 0 && interval_ns_ == 0) {
    top_up(c, completed);
    flush(c, now);
  }
}

size_t Loop::frame(Conn& c, const char* data, size_t len, int64_t now, uint32_t& completed) {
  size_t off = 0;
  for (size_t guard = 0; off < len && guard <= len + 4; ++guard) {
    if (c.in_flight == 0) {  // bytes nobody asked for (e.g. a body longer than announced)
      fail(c, ErrorKind::framing, now);
      return SIZE_MAX;
    }
    const ResponseFramer::Step s = c.framer.feed({data + off, len - off});
    off += s.consumed;
    switch (s.event) {
      case Event::need_more: return len - off;
      case Event::head:
        c.body_left = c.framer.info().body == BodyKind::length ? c.framer.info().content_length : 0;
        break;
      case Event::body:
        c.body_left -= std::min<uint64_t>(c.body_left, s.body.size());
        break;
      case Event::complete:
        c.body_left = 0;
        if (c.framer.info().status < 200) break;  // 1xx: the final answer follows
        on_response(c, now);
        ++completed;
        if (c.close_after) return 0;
        break;
      case Event::error:
        fail(c, ErrorKind::framing, now);
        return SIZE_MAX;
    }
  }
  return len - off;
}

void Loop::on_response(Conn& c, int64_t now) {
  const ResponseInfo& info = c.framer.info();
  const int64_t sent = c.times[c.ring_head];
  c.ring_head = c.ring_head + 1 == config_.depth ? 0 : c.ring_head + 1;
  --c.in_flight;
  histogram_->record(now > sent ? static_cast<uint64_t>(now - sent) : 0);
  ++counters_.responses;
  ++finished_;
  const int cls = info.status / 100;
  ++counters_.status_class[cls >= 1 && cls <= 5 ? cls : 0];
  const bool bad = config_.expect_status != 0 ? info.status != config_.expect_status
                                              : (info.status < 200 || info.status >= 400);
  if (bad) ++counters_.errors[static_cast<int>(ErrorKind::status)];
  if (info.close) c.close_after = true;
  if (config_.requests->head()) c.framer.expect_head_response();
  if (interval_ns_ > 0) give_token(c);
}

void Loop::on_eof(Conn& c, int64_t now) {
  const ResponseFramer::Step s = c.framer.finish(c.carry_len);
  if (s.event == Event::complete && c.in_flight > 0) {
    on_response(c, now);
    close(c, now, false);
    return;
  }
  if (s.event == Event::error) {
    fail(c, ErrorKind::framing, now);
    return;
  }
  if (c.in_flight > 0) {
    fail(c, ErrorKind::reset, now);
    return;
  }
  close(c, now, false);
}

void Loop::top_up(Conn& c, uint32_t answered) {
  if (!sending()) return;
  uint32_t k = std::min(answered, config_.depth - c.in_flight - c.want);
  if (config_.quota != 0) {
    k = static_cast<uint32_t>(std::min<uint64_t>(k, quota_left_));
    quota_left_ -= k;
  }
  c.want += k;
}

void Loop::flush(Conn& c, int64_t now) {
  if (c.out_left > 0) {
    const ssize_t w = ::send(c.fd, c.out, c.out_left, MSG_NOSIGNAL);
    if (w > 0) {
      c.out += w;
      c.out_left -= static_cast<size_t>(w);
    } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
      fail(c, ErrorKind::reset, now);
      return;
    }
    if (c.out_left > 0) return;
  }
  if (c.want == 0) return;
  const uint32_t depth = config_.depth;
  if (interval_ns_ == 0) {  // closed loop: latency from now; rate mode wrote the due times
    uint32_t slot = (c.ring_head + c.in_flight) % depth;
    for (uint32_t i = 0; i < c.want; ++i) {
      c.times[slot] = now;
      slot = slot + 1 == depth ? 0 : slot + 1;
    }
  }
  const std::string_view batch = config_.requests->window(c.next_target, c.want);
  c.next_target = config_.requests->advance(c.next_target, c.want);
  if (c.in_flight == 0) c.last_progress = now;
  c.in_flight += c.want;
  counters_.requests += c.want;
  c.want = 0;
  const ssize_t w = ::send(c.fd, batch.data(), batch.size(), MSG_NOSIGNAL);
  if (w < 0 && errno != EAGAIN && errno != EINTR) {
    fail(c, ErrorKind::reset, now);
    return;
  }
  const size_t done = w > 0 ? static_cast<size_t>(w) : 0;
  c.out = batch.data() + done;
  c.out_left = batch.size() - done;
}

void Loop::give_token(Conn& c) {
  const size_t cap = tokens_.size();
  if (c.in_flight + c.want + c.tokens >= config_.depth || token_count_ >= cap) return;
  tokens_[(token_head_ + token_count_) % cap] = c.index;
  ++token_count_;
  ++c.tokens;
}

void Loop::schedule(int64_t now) {
  const size_t cap = tokens_.size();
  while (sending()) {
    const int64_t t = due(scheduled_);
    if (t > now || t >= config_.deadline_ns) break;
    Conn* free = nullptr;
    while (token_count_ > 0) {
      Conn& x = conns_[tokens_[token_head_]];
      token_head_ = token_head_ + 1 == cap ? 0 : token_head_ + 1;
      --token_count_;
      --x.tokens;
      if (x.fd >= 0 && !x.connecting && x.in_flight + x.want < config_.depth) {
        free = &x;
        break;
      }
    }
    if (free == nullptr) break;  // every slot busy: the request waits, its latency already running
    free->times[(free->ring_head + free->in_flight + free->want) % config_.depth] = t;
    ++free->want;
    ++scheduled_;
    if (config_.quota != 0) --quota_left_;
    if (!free->dirty) {
      free->dirty = true;
      dirty_.push_back(free->index);
    }
  }
  for (uint32_t i : dirty_) {
    Conn& c = conns_[i];
    c.dirty = false;
    if (c.fd >= 0) flush(c, now);
  }
  dirty_.clear();
}

void Loop::fail(Conn& c, ErrorKind kind, int64_t now) {
  ++counters_.errors[static_cast<int>(kind)];
  // One request ends as this error (so a run with -n always ends).
  if (config_.quota != 0) {
    if (c.in_flight > 0) {
      --c.in_flight;
      ++finished_;
    } else if (c.want > 0) {
      --c.want;
      ++finished_;
    } else if (quota_left_ > 0) {
      --quota_left_;
      ++finished_;
    }
  }
  close(c, now, kind == ErrorKind::connect || kind == ErrorKind::reset);
}

void Loop::close(Conn& c, int64_t now, bool retry_later) {
  if (c.fd >= 0) ::close(c.fd);
  c.fd = -1;
  ++c.gen;
  if (config_.quota != 0) quota_left_ += c.in_flight + c.want;  // unanswered: sent again
  c.in_flight = c.want = 0;
  c.ring_head = 0;
  c.carry_len = 0;
  c.body_left = 0;
  c.out = nullptr;
  c.out_left = 0;
  c.connecting = false;
  c.close_after = false;
  c.framer.reset();
  if (stopping_ || !sending() || finished()) return;
  if (retry_later) {
    c.retry_at = now + kRetryDelay;
    next_housekeeping_ = std::min(next_housekeeping_, c.retry_at);
    return;
  }
  open(c, now);
}

void Loop::housekeeping(int64_t now) {
  next_housekeeping_ = now + kHousekeeping;
  for (Conn& c : conns_) {
    if (c.fd < 0) {
      if (c.retry_at != 0 && c.retry_at <= now) {
        open(c, now);
      } else if (c.retry_at != 0) {
        next_housekeeping_ = std::min(next_housekeeping_, c.retry_at);
      }
      continue;
    }
    if ((c.connecting || c.in_flight > 0) && now - c.last_progress > config_.timeout_ns)
      fail(c, c.connecting ? ErrorKind::connect : ErrorKind::timeout, now);
  }
}

}  // namespace hs::client::bench
