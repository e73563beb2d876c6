#include "client/bench/loop.hpp"

#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "client/common/socket_io.hpp"

namespace hs::client::bench {

namespace {

constexpr size_t kCarry = 8 * 1024;                // a response head split over reads (heads are ~200 bytes)
constexpr int64_t kHousekeeping = 100'000'000;     // timeouts checked every 100 ms
constexpr int64_t kRetryDelay = 10'000'000;        // before reconnecting after a connect error
constexpr int kReadRounds = 16;                    // reads per readable event before yielding
constexpr size_t kLentSize = 16 * 1024;           // io_uring: one lent receive buffer
constexpr size_t kLentMin = 64, kLentMax = 2048;  // io_uring: lent buffers, 2 per connection within these
constexpr uint64_t kDiscardFrom = 64 * 1024;      // body bytes left from which recv(MSG_TRUNC) drops them uncopied
constexpr uint64_t kDiscardMax = uint64_t{1} << 30;
constexpr size_t kRecordPlain = 16 * 1024;        // https: plaintext encrypted per step (one full record)
constexpr size_t kWire = 17 * 1024;               // https: a record's ciphertext, header and tag included
using Event = ResponseFramer::Event;

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
  uint32_t gen = 0;
  uint32_t index = 0;        // its channel
  bool live = false;         // the channel is open (connecting or connected)
  bool connecting = false;
  bool can_write = false;    // epoll: room seen; io_uring: no send in flight
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
  // https
  bool handshaking = false;
  TlsClient tls;             // this connection's session (opened at each connect)
  char* wire = nullptr;      // kWire bytes: ciphertext taken from the session, being sent
  size_t wire_off = 0, wire_len = 0;
};

Loop::Loop() = default;

Loop::~Loop() = default;  // the engine closes what is still open

bool Loop::init(const LoopConfig& config, std::string& error) {
  config_ = config;
  if (config_.depth == 0) config_.depth = 1;
  if (config_.connections == 0 || config_.requests == nullptr) {
    error = "no connections";
    return false;
  }
  const size_t n = config_.connections, depth = config_.depth;
  if (!io_.init(config_.io, config_.connections, std::clamp<size_t>(2 * n, kLentMin, kLentMax), kLentSize, error))
    return false;
  engine_ = io_.engine.get();
  lends_ = io_.lends();
  conns_.resize(n);
  times_.assign(n * depth, 0);
  carry_.assign(n * kCarry, 0);
  buffer_.assign(lends_ ? kCarry + kLentSize : std::max<size_t>(config_.read_buffer, 2 * kCarry), 0);
  tokens_.assign(n * depth, 0);
  if (config_.tls != nullptr) {
    wires_.assign(n * kWire, 0);
    if (!lends_) cipher_in_.assign(kLentSize, 0);
  }
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
    if (config_.tls != nullptr) c.wire = &wires_[i * kWire];
    c.next_target = (config_.first_index + i) % config_.requests->count();
  }
  histogram_ = std::make_unique<Histogram>();
  quota_left_ = config_.quota;
  interval_ns_ = config_.rate > 0 ? 1e9 / config_.rate : 0;
  return true;
}

int64_t Loop::due(uint64_t k) const { return start_ns_ + static_cast<int64_t>(static_cast<double>(k) * interval_ns_); }

void Loop::run() {
  now_ = now_ns();
  start_ns_ = now_;
  next_housekeeping_ = now_ + kHousekeeping;
  for (Conn& c : conns_) open(c, now_);
  for (;;) {
    now_ = now_ns();
    const int64_t now = now_;
    if (now >= config_.deadline_ns || finished()) break;
    if (config_.stop != nullptr && config_.stop->load(std::memory_order_relaxed)) break;
    if (now >= next_housekeeping_) housekeeping(now);
    if (interval_ns_ > 0) schedule(now);
    int64_t wake = std::min(config_.deadline_ns, next_housekeeping_);
    if (interval_ns_ > 0 && sending() && token_count_ > 0) wake = std::min(wake, due(scheduled_));
    if (!again_.empty()) wake = now;
    if (engine_->wait(*this, std::max<int64_t>(0, wake - now)) < 0) break;  // the engine failed: end the run
    // Connections that stopped reading at kReadRounds with bytes left: their
    // edge is spent, so they are read again here (fairness without stalls).
    if (!again_.empty()) {
      again_now_.swap(again_);
      again_.clear();
      for (uint64_t data : again_now_) {
        Conn& c = conns_[static_cast<uint32_t>(data)];
        if (c.live && c.gen == static_cast<uint32_t>(data >> 32)) on_readable(c, now_);
      }
      again_now_.clear();
    }
    progress_.responses.store(counters_.responses, std::memory_order_relaxed);
    progress_.errors.store(counters_.error_total(), std::memory_order_relaxed);
  }
  stopping_ = true;
  for (Conn& c : conns_) {
    if (c.live) engine_->close(c.index);
    c.live = false;
  }
  progress_.responses.store(counters_.responses, std::memory_order_relaxed);
  progress_.errors.store(counters_.error_total(), std::memory_order_relaxed);
  progress_.done.store(true, std::memory_order_release);
}

void Loop::on_wake() { now_ = now_ns(); }

void Loop::on_accept(uint32_t, int fd, const net::PeerIp&, bool) { ::close(fd); }  // a client listens on nothing

Loop::Conn* Loop::live(uint32_t channel) {
  if (channel >= conns_.size() || !conns_[channel].live) return nullptr;
  return &conns_[channel];
}

void Loop::open(Conn& c, int64_t now) {
  c.retry_at = 0;
  net::Fd fd = tcp_socket(config_.address);
  if (!fd) {
    fail(c, ErrorKind::connect, now);
    return;
  }
  if (engine_->connect(c.index, c.gen, fd.get(), config_.address) != 0) {
    fail(c, ErrorKind::connect, now);  // refused at once; `fd` closes here
    return;
  }
  fd.release();  // the engine's now
  c.live = true;
  c.last_progress = now;
  c.connecting = true;
}

void Loop::on_connected(uint32_t channel, int result) {
  Conn* c = live(channel);
  if (c == nullptr || !c->connecting) return;
  if (result != 0) {
    fail(*c, ErrorKind::connect, now_);
    return;
  }
  connected(*c, now_);
}

void Loop::connected(Conn& c, int64_t now) {
  c.connecting = false;
  c.can_write = true;
  c.last_progress = now;
  if (lends_) io_.arm_receive(c.index);
  if (config_.tls != nullptr) {
    // The ClientHello goes first; requests wait for the handshake (tls_in).
    if (!c.tls.open(*config_.tls)) {
      fail(c, ErrorKind::connect, now);
      return;
    }
    c.handshaking = true;
    flush(c, now);
    return;
  }
  established(c, now);
}

void Loop::established(Conn& c, int64_t now) {
  ++counters_.connects;
  if (config_.requests->head()) c.framer.expect_head_response();
  if (interval_ns_ > 0) {
    while (c.in_flight + c.want + c.tokens < config_.depth) give_token(c);
    return;
  }
  top_up(c, config_.depth);
  flush(c, now);
}

void Loop::on_ready(uint32_t channel, bool readable, bool writable, bool) {
  Conn* cp = live(channel);
  if (cp == nullptr || cp->connecting) return;
  Conn& c = *cp;
  const uint32_t gen = c.gen;
  if (readable) {
    on_readable(c, now_);
    if (!c.live || c.gen != gen) return;
  }
  if (writable) {
    c.can_write = true;
    if (c.out_left > 0 || config_.tls != nullptr) flush(c, now_);
  }
}

void Loop::on_readable(Conn& c, int64_t& now) {
  if (config_.tls != nullptr) {
    on_readable_tls(c, now);
    return;
  }
  uint32_t completed = 0;
  char* const buf = buffer_.data();
  const size_t cap = buffer_.size();
  int round = 0;
  for (; round < kReadRounds; ++round) {
    const size_t have = c.carry_len;
    // Inside a long Content-Length body the bytes only need counting: the
    // kernel drops them without copying (TCP's MSG_TRUNC), never past the body.
    const bool discard = c.body_left >= kDiscardFrom && have == 0;
    if (have > 0) std::memcpy(buf, c.carry, have);
    std::span<char> space[2] = {{buf + have, cap - have}, {}};
    const net::IoResult r = discard ? engine_->skip_input(c.index, static_cast<size_t>(std::min(c.body_left, kDiscardMax)))
                                    : engine_->receive(c.index, space, 1);
    if (r.pending()) break;
    if (r.n > 0) {
      now = now_ns();
      if (!take(c, buf, static_cast<size_t>(r.n), discard, now, completed)) return;
      // A short read drained the socket: a later byte or FIN is a new edge. A FIN
      // that came with this data is read now: no edge will follow (the engine
      // does not call that read short).
      if (r.drained) break;
      continue;
    }
    if (r.n == 0) {
      on_eof(c, now);
      return;
    }
    fail(c, ErrorKind::reset, now);
    return;
  }
  if (round == kReadRounds) again_.push_back((uint64_t{c.gen} << 32) | c.index);  // more to read; no new edge
  answered(c, completed, now);
}

void Loop::on_readable_tls(Conn& c, int64_t& now) {
  uint32_t completed = 0;
  int round = 0;
  for (; round < kReadRounds; ++round) {
    std::span<char> space[2] = {{cipher_in_.data(), cipher_in_.size()}, {}};
    const net::IoResult r = engine_->receive(c.index, space, 1);
    if (r.pending()) break;
    if (r.n > 0) {
      now = now_ns();
      if (!tls_in(c, cipher_in_.data(), static_cast<size_t>(r.n), now, completed)) return;
      if (r.drained) break;
      continue;
    }
    if (r.n == 0) {
      on_eof(c, now);
      return;
    }
    fail(c, c.handshaking ? ErrorKind::connect : ErrorKind::reset, now);
    return;
  }
  if (round == kReadRounds) again_.push_back((uint64_t{c.gen} << 32) | c.index);
  answered(c, completed, now);
}

bool Loop::tls_in(Conn& c, const char* data, size_t n, int64_t now, uint32_t& completed) {
  const uint32_t gen = c.gen;
  c.last_progress = now;
  c.tls.feed({data, n});
  if (c.handshaking) {
    if (c.tls.state() == TlsState::failed) {
      fail(c, ErrorKind::connect, now);
      return false;
    }
    if (c.tls.state() != TlsState::open) {
      flush(c, now);  // the handshake's next flight
      return c.live && c.gen == gen;
    }
    c.handshaking = false;
    established(c, now);  // the first requests follow the Finished message
    if (!c.live || c.gen != gen) return false;
  }
  // Decrypted bytes go where plain ones would: behind a carried partial head.
  char* const buf = buffer_.data();
  const size_t cap = std::min(buffer_.size(), kCarry + kLentSize);
  for (int k = 0; k < 4096; ++k) {
    const size_t have = c.carry_len;
    if (have > 0) std::memcpy(buf, c.carry, have);
    const size_t got = c.tls.read({buf + have, cap - have});
    if (got == 0) break;
    if (!take(c, buf, got, false, now, completed)) return false;
  }
  if (c.tls.state() == TlsState::closed) {  // close_notify: as the peer's FIN
    on_eof(c, now);
    return false;
  }
  if (c.tls.state() == TlsState::failed) {
    fail(c, ErrorKind::reset, now);
    return false;
  }
  if (!c.tls.output().empty()) flush(c, now);  // e.g. a KeyUpdate answer
  return c.live && c.gen == gen;
}

void Loop::answered(Conn& c, uint32_t completed, int64_t now) {
  if (completed > 0 && interval_ns_ == 0) {
    top_up(c, completed);
    flush(c, now);
  }
}

bool Loop::take(Conn& c, char* buf, size_t n, bool counted_only, int64_t now, uint32_t& completed) {
  const size_t cap = buffer_.size();
  counters_.bytes += n;
  c.last_progress = now;
  size_t total = c.carry_len + n;
  if (counted_only) {  // the framer counts body bytes without reading them: feed it buffer-sized views
    for (size_t k; total > cap; total -= k) {
      k = cap;
      if (frame(c, buf, k, now, completed) == SIZE_MAX) return false;
    }
  }
  const size_t left = frame(c, buf, total, now, completed);
  if (left == SIZE_MAX) return false;  // failed: closed (and maybe opened again)
  if (c.close_after) {
    close(c, now, false);
    return false;
  }
  if (left > kCarry) {
    fail(c, ErrorKind::framing, now);
    return false;
  }
  if (left > 0) std::memmove(c.carry, buf + total - left, left);
  c.carry_len = static_cast<uint32_t>(left);
  return true;
}

void Loop::on_received(uint32_t channel, int64_t n, char* data, uint32_t buffer, bool more) {
  Conn* cp = live(channel);
  if (cp == nullptr) {
    if (buffer != net::kNoBuffer) engine_->give_buffer(buffer);
    return;
  }
  Conn& c = *cp;
  if (n > 0 && config_.tls != nullptr) {
    now_ = now_ns();
    uint32_t completed = 0;
    const uint32_t gen = c.gen;
    const bool alive = tls_in(c, data, static_cast<size_t>(n), now_, completed);  // copies the bytes in
    if (buffer != net::kNoBuffer) engine_->give_buffer(buffer);
    if (!alive) return;
    if (!more && c.live && c.gen == gen) io_.arm_receive(c.index);
    answered(c, completed, now_);
    return;
  }
  if (n > 0) {
    now_ = now_ns();
    // A partial head carried over goes in front of the piece; otherwise the
    // piece is framed where it landed.
    char* at = data;
    if (c.carry_len > 0) {
      std::memcpy(buffer_.data(), c.carry, c.carry_len);
      std::memcpy(buffer_.data() + c.carry_len, data, static_cast<size_t>(n));
      at = buffer_.data();
    }
    uint32_t completed = 0;
    const uint32_t gen = c.gen;
    const bool alive = take(c, at, static_cast<size_t>(n), false, now_, completed);
    if (buffer != net::kNoBuffer) engine_->give_buffer(buffer);
    if (!alive) return;
    if (!more && c.live && c.gen == gen) io_.arm_receive(c.index);
    answered(c, completed, now_);
    return;
  }
  if (buffer != net::kNoBuffer) engine_->give_buffer(buffer);
  if (n == 0) {
    on_eof(c, now_);
  } else if (n == -ENOBUFS) {
    io_.arm_receive(c.index);  // the ring ran dry this turn: it is full again by the next submit
  } else if (n != -ECANCELED) {
    fail(c, c.handshaking ? ErrorKind::connect : ErrorKind::reset, now_);
  }
}

void Loop::on_sent(uint32_t channel, int64_t n) {
  Conn* cp = live(channel);
  if (cp == nullptr) return;
  Conn& c = *cp;
  c.can_write = true;
  if (n <= 0) {
    fail(c, c.handshaking ? ErrorKind::connect : ErrorKind::reset, now_);
    return;
  }
  if (config_.tls != nullptr) {
    c.wire_off += static_cast<size_t>(n);
  } else {
    c.out += n;
    c.out_left -= static_cast<size_t>(n);
  }
  flush(c, now_);
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
  if (info.close || config_.new_connection) c.close_after = true;
  if (config_.requests->head()) c.framer.expect_head_response();
  if (interval_ns_ > 0) give_token(c);
}

void Loop::on_eof(Conn& c, int64_t now) {
  if (c.handshaking) {  // the server would not finish the handshake
    fail(c, ErrorKind::connect, now);
    return;
  }
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
  if (config_.tls != nullptr) {
    flush_tls(c, now);
    return;
  }
  // epoll: until the socket is full (its writable edge calls again); io_uring:
  // one send in flight (on_sent calls again).
  while (c.can_write) {
    if (c.out_left == 0 && !next_batch(c, now)) return;
    const iovec out{const_cast<char*>(c.out), c.out_left};
    const net::IoResult r = engine_->send(c.index, std::span<const iovec>(&out, 1), false);
    if (r.pending()) {
      c.can_write = false;
      return;
    }
    if (r.n <= 0) {
      fail(c, ErrorKind::reset, now);
      return;
    }
    c.out += r.n;
    c.out_left -= static_cast<size_t>(r.n);
    if (r.drained) c.can_write = false;
  }
}

void Loop::flush_tls(Conn& c, int64_t now) {
  // The wire buffer is refilled only once the engine has sent all of it:
  // ciphertext the session already wrote first, then the next requests
  // encrypted a record at a time (none until the handshake is done).
  while (c.can_write) {
    if (c.wire_off == c.wire_len) {
      c.wire_off = c.wire_len = c.tls.take_output({c.wire, kWire});
      c.wire_off = 0;
      if (c.wire_len == 0) {
        if (c.handshaking) return;
        if (c.out_left == 0 && !next_batch(c, now)) return;
        const size_t taken = c.tls.write({c.out, std::min(c.out_left, kRecordPlain)});
        if (taken == 0) {
          fail(c, ErrorKind::reset, now);
          return;
        }
        c.out += taken;
        c.out_left -= taken;
        continue;
      }
    }
    const iovec out{c.wire + c.wire_off, c.wire_len - c.wire_off};
    const net::IoResult r = engine_->send(c.index, std::span<const iovec>(&out, 1), false);
    if (r.pending()) {
      c.can_write = false;
      return;
    }
    if (r.n <= 0) {
      fail(c, c.handshaking ? ErrorKind::connect : ErrorKind::reset, now);
      return;
    }
    c.wire_off += static_cast<size_t>(r.n);
    if (r.drained) c.can_write = false;
  }
}

bool Loop::next_batch(Conn& c, int64_t now) {
  if (c.want == 0) return false;
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
  c.out = batch.data();
  c.out_left = batch.size();
  return true;
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
      if (x.live && !x.connecting && x.in_flight + x.want < config_.depth) {
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
    if (c.live) flush(c, now);
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
  if (c.live) engine_->close(c.index);  // cancels what is in flight, closes the socket
  c.live = false;
  c.can_write = false;
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
  c.handshaking = false;
  c.tls.close();  // frees the session: the next connection shakes hands afresh
  c.wire_off = c.wire_len = 0;
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
    if (!c.live) {
      if (c.retry_at != 0 && c.retry_at <= now) {
        open(c, now);
      } else if (c.retry_at != 0) {
        next_housekeeping_ = std::min(next_housekeeping_, c.retry_at);
      }
      continue;
    }
    if ((c.connecting || c.handshaking || c.in_flight > 0) && now - c.last_progress > config_.timeout_ns)
      fail(c, c.connecting || c.handshaking ? ErrorKind::connect : ErrorKind::timeout, now);
  }
}

}  // namespace hs::client::bench
