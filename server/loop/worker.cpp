#include "loop/worker.hpp"

#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "http/response_writer.hpp"
#include "tls/tls_memory.hpp"

namespace hs::net {

namespace {

constexpr size_t kWheelSlots = 1024;
constexpr core::Millis kTick = 100;          // timer resolution (and idle wake-ups per second: 10)
constexpr int kDriveRounds = 16;             // read/write rounds per drive before yielding
constexpr size_t kMaxSlices = 64;            // iovecs per writev
// File bytes one connection may send per turn. Big files go out in turns,
// interleaved with the other connections' work (no head-of-line blocking),
// and the loop's other work gives the receiver time to drain: one long
// sendfile burst against a fast reader costs several times the CPU per byte
// here (measured: 1 MiB at once 390-700 us, in 256 KiB turns 150-200 us).
constexpr size_t kFileTurnBytes = 256u << 10;
constexpr uint8_t kMaxHeld = 2;              // held pieces past which a slot's receive is paused

EngineConfig engine_config(const WorkerConfig& c, std::span<char> buffer_mem, uint32_t listeners) {
  EngineConfig e;
  e.channels = c.max_connections;
  e.buffer_mem = buffer_mem;
  e.buffer_size = c.limits.buffer_size;
  e.buffer_stride = c.buffer_stride();
  e.listeners = listeners;
  e.want_peer = c.log_batch > 0;
  return e;
}

}  // namespace

// Mirrors the carving in init(), piece by piece (init checks that it fits).
size_t Worker::arena_bytes(const WorkerConfig& c) {
  using core::StartupArena;
  const conn::Limits& lim = c.limits;
  size_t total = 0;
  total += StartupArena::bytes_for<Slot>(c.max_connections);
  total += StartupArena::bytes_for<uint8_t>(c.max_connections);
  total += StartupArena::bytes_for<uint32_t>(c.max_connections);
  total += StartupArena::bytes_for<conn::QueueEntry>(size_t{c.max_connections} * lim.max_pipeline);
  total += StartupArena::bytes_for<BufferRef>(c.buffers);
  total += StartupArena::bytes_for<uint32_t>(c.buffers);
  total += StartupArena::bytes_for<char>(size_t{c.buffers} * c.buffer_stride());
  total += StartupArena::bytes_for<conn::Responder>(c.responders);
  total += StartupArena::bytes_for<uint32_t>(c.responders);
  total += StartupArena::bytes_for<char>(size_t{c.responders} * lim.responder_size);
  total += StartupArena::bytes_for<core::TimerNode>(kWheelSlots);
  total += StartupArena::bytes_for<http::Header>(lim.max_headers);
  total += StartupArena::bytes_for<char>(lim.max_target);
  total += StartupArena::bytes_for<char>(c.log_batch);
  total += StartupArena::bytes_for<Held>(c.buffers);
  if (c.tls.enabled()) {
    total += StartupArena::bytes_for<TlsCell>(c.max_connections);
    total += StartupArena::bytes_for<BufferRef>(c.tls.seal_buffers);
    total += StartupArena::bytes_for<uint32_t>(c.tls.seal_buffers);
    total += StartupArena::bytes_for<char>(size_t{c.tls.seal_buffers} * kSealAreaBytes);
  }
  total += engine_arena_bytes(c.io, engine_config(c, {}, 0));
  return total;
}

bool Worker::init(const WorkerConfig& config, conn::Service& service, std::span<Fd> listeners, int stop_fd,
                  int log_fd, std::string& error) {
  config_ = config;
  if (listeners.size() > kMaxListeners) {
    error = "too many listen addresses (at most 16)";
    return false;
  }
  const size_t bytes = arena_bytes(config);
  if (!arena_.reserve(bytes)) {
    error = "cannot reserve " + std::to_string(bytes) + " bytes for the pools";
    return false;
  }
  const conn::Limits& lim = config.limits;
  bool ok = true;
  auto take = [&]<class T>(size_t n) {
    std::span<T> s = arena_.take<T>(n);
    if (n > 0 && s.empty()) ok = false;
    return s;
  };
  // Slots and pipeline queues stay untouched until a connection first uses
  // them (the pool hands out the most recently freed slot first).
  auto deferred = [&]<class T>(size_t n) {
    std::span<T> s = arena_.take_deferred<T>(n);
    if (n > 0 && s.empty()) ok = false;
    return s;
  };
  slots_ = deferred.operator()<Slot>(config.max_connections);
  built_ = take.operator()<uint8_t>(config.max_connections);
  std::span<uint32_t> slot_next = take.operator()<uint32_t>(config.max_connections);
  queues_ = deferred.operator()<conn::QueueEntry>(size_t{config.max_connections} * lim.max_pipeline);
  std::span<BufferRef> buffer_refs = take.operator()<BufferRef>(config.buffers);
  std::span<uint32_t> buffer_next = take.operator()<uint32_t>(config.buffers);
  auto take_bytes = [&](size_t n) {
    std::span<char> s = arena_.take_bytes(n);
    if (n > 0 && s.empty()) ok = false;
    return s;
  };
  buffer_mem_ = take_bytes(size_t{config.buffers} * config.buffer_stride());
  std::span<conn::Responder> responders = take.operator()<conn::Responder>(config.responders);
  std::span<uint32_t> responder_next = take.operator()<uint32_t>(config.responders);
  responder_mem_ = take_bytes(size_t{config.responders} * lim.responder_size);
  std::span<core::TimerNode> wheel_slots = take.operator()<core::TimerNode>(kWheelSlots);
  std::span<http::Header> headers = take.operator()<http::Header>(lim.max_headers);
  std::span<char> path = take.operator()<char>(lim.max_target);
  std::span<char> log_batch = take.operator()<char>(config.log_batch);
  held_ = take.operator()<Held>(config.buffers);
  std::span<BufferRef> seal_refs;
  std::span<uint32_t> seal_next;
  if (config.tls.enabled()) {
    tls_ = deferred.operator()<TlsCell>(config.max_connections);
    seal_refs = take.operator()<BufferRef>(config.tls.seal_buffers);
    seal_next = take.operator()<uint32_t>(config.tls.seal_buffers);
    seal_mem_ = take_bytes(size_t{config.tls.seal_buffers} * kSealAreaBytes);
  }
  if (!ok) {
    error = "internal error: the pool layout does not fit the arena";
    return false;
  }

  slot_pool_.init(slots_, slot_next);
  for (size_t i = 0; i < buffer_refs.size(); ++i)
    buffer_refs[i].mem = buffer_mem_.subspan(i * config.buffer_stride(), config.buffer_stride());
  buffer_pool_.init(buffer_refs, buffer_next);
  for (size_t i = 0; i < responders.size(); ++i) {
    std::span<char> block = responder_mem_.subspan(i * lim.responder_size, lim.responder_size);
    responders[i].head_area = block.first(lim.responder_head);
    responders[i].body_area = block.subspan(lim.responder_head);
  }
  responder_pool_.init(responders, responder_next);
  now_ = core::monotonic_now();
  wheel_.init(wheel_slots, kTick, now_);

  refresh_clock();
  log_.init(log_batch, log_fd);
  ctx_.limits = lim;
  ctx_.service = &service;
  if (log_.enabled()) {
    logging_.emplace(service, log_, clock_);
    ctx_.service = &*logging_;
  }
  if (config.https.redirect || config.https.hsts > 0) {
    https_.emplace(*ctx_.service, config.https);
    ctx_.service = &*https_;
  }
  ctx_.responders = &responder_pool_;
  ctx_.stats = &stats_;
  ctx_.header_scratch = headers;
  ctx_.path_scratch = path;
  if (!tls_init(seal_refs, seal_next, error)) return false;

  engine_ = make_engine(config.io);
  lends_ = engine_->lends_buffers();
  if (!engine_->init(engine_config(config, buffer_mem_, static_cast<uint32_t>(listeners.size())), arena_, error))
    return false;
  if (lends_) {
    // Every free buffer goes to the engine's ring; bytes arrive in them.
    while (BufferRef* b = buffer_pool_.acquire()) lend_buffer(buffer_index(b->mem));
    pools_dirty_ = false;  // lent, not yet written
  }
  for (size_t i = 0; i < listeners.size(); ++i) {
    if (int e = engine_->add_listener(static_cast<uint32_t>(i), listeners[i].get())) {
      error = std::string("cannot watch a listener: ") + std::strerror(e);
      return false;
    }
    listeners[i].release();  // the engine closes it
  }
  listener_count_ = listeners.size();
  if (stop_fd >= 0) {
    if (int e = engine_->watch_stop(stop_fd)) {
      error = std::string("cannot watch the stop event: ") + std::strerror(e);
      return false;
    }
  }
  return true;
}

WorkerGauges Worker::gauges() const {
  WorkerGauges g;
  g.connections_capacity = slot_pool_.capacity();
  g.connections_in_use = slot_pool_.in_use();
  g.buffers_capacity = buffer_pool_.capacity();
  g.buffers_in_use = lends_ ? buffer_pool_.capacity() - lent_ : buffer_pool_.in_use();
  g.responders_capacity = responder_pool_.capacity();
  g.responders_in_use = responder_pool_.in_use();
  g.idle_releases = idle_releases_;
  if (handshakes_) {
    g.tls_handshakes_capacity = handshakes_->capacity();
    g.tls_handshakes_in_use = handshakes_->in_use();
    g.seal_buffers_capacity = seal_pool_.capacity();
    g.seal_buffers_in_use = seal_pool_.in_use();
  }
  return g;
}

// ---- the loop ----

bool Worker::run() {
  bool ok = true;
  if (handshakes_) tls::prepare_thread();  // this thread's cipher context, before serving
  // Bounded by time: once draining, the deadline ends it.
  for (;;) {
    const int timeout_ms = next_timeout();
    if (engine_->wait(*this, timeout_ms < 0 ? -1 : int64_t{timeout_ms} * 1'000'000) < 0) {
      ok = false;
      break;
    }
    run_ready();
    serve_waiters();
    wheel_.expire(now_, [this](core::TimerNode& node) { on_timer(node); });
    serve_waiters();
    if (log_.enabled()) log_.flush();
    release_idle_pools();
    if (draining_ && (open_ == 0 || now_ >= drain_deadline_)) break;
  }
  for (size_t i = 0; i < slots_.size(); ++i)
    if (slot_pool_.is_in_use(static_cast<uint32_t>(i))) close_slot(slots_[i]);
  if (log_.enabled()) log_.flush();
  return ok;
}

int Worker::next_timeout() const {
  if (ready_.size > 0) return 0;
  int t = wheel_.wait_hint(now_);
  if (draining_) {
    const core::Millis left = std::max<core::Millis>(0, drain_deadline_ - now_);
    const int cap = static_cast<int>(std::min<core::Millis>(left, 100));
    t = t < 0 ? cap : std::min(t, cap);
  }
  if (pools_dirty_ && next_release_ > now_) {  // wake for the idle release, not before
    const int due = static_cast<int>(std::min<core::Millis>(next_release_ - now_, 1000));
    t = t < 0 ? due : std::min(t, due);
  }
  return t;
}

namespace {

// The whole pages inside `mem` (never a page shared with another pool).
// The page size is the kernel's: 16 KiB on some ARM64 kernels (Raspberry Pi 5).
void release_pages(std::span<char> mem) {
  static const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t first = (reinterpret_cast<uintptr_t>(mem.data()) + page - 1) & ~(page - 1);
  const uintptr_t last = (reinterpret_cast<uintptr_t>(mem.data()) + mem.size()) & ~(page - 1);
  if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

}  // namespace

void Worker::release_idle_pools() {
  if (!pools_dirty_ || now_ < next_release_) return;
  // Under io_uring a lent buffer is written only inside io_uring_enter on
  // this thread (DEFER_TASKRUN), and every completion of this turn has been
  // handled: with all of them back in the ring, none holds a byte.
  const bool buffers_idle = lends_ ? lent_ == buffer_pool_.capacity() : buffer_pool_.in_use() == 0;
  if (!buffers_idle || responder_pool_.in_use() != 0 || seal_pool_.in_use() != 0) return;
  release_pages(buffer_mem_);
  release_pages(responder_mem_);
  release_pages(seal_mem_);
  // What finished handshakes touched in OpenSSL's arena (shared by the
  // workers: only free blocks are given back, whoever is mid-handshake).
  if (handshakes_ && handshakes_->in_use() == 0) tls::release_idle_tls_memory();
  pools_dirty_ = false;
  next_release_ = now_ + 1000;
  ++idle_releases_;
}

void Worker::refresh_clock() {
  clock_.refresh(core::wall_seconds());
  ctx_.date = clock_.http_date();
  ctx_.now_seconds = clock_.seconds();
}

void Worker::on_wake() {
  now_ = core::monotonic_now();
  refresh_clock();
}

Worker::Slot* Worker::live(uint32_t channel) {
  if (channel >= slots_.size() || !slot_pool_.is_in_use(channel)) return nullptr;
  Slot& s = slots_[channel];
  return s.open ? &s : nullptr;
}

void Worker::on_ready(uint32_t channel, bool readable, bool writable, bool) {
  Slot* s = live(channel);
  if (s == nullptr) return;
  if (readable) s->can_read = true;
  if (writable) s->can_write = true;
  drive(*s);
}

void Worker::on_received(uint32_t channel, int64_t n, char* data, uint32_t buffer, bool more) {
  if (buffer != kNoBuffer) --lent_;  // out of the ring
  Slot* sp = live(channel);
  if (sp == nullptr || sp->lingering) {
    if (buffer != kNoBuffer) lend_buffer(buffer);
    if (sp == nullptr) return;
    // A lingering connection's input is dropped; its end (or any failure) closes it.
    if (n > 0 || n == -ECANCELED) {
      if (!more) {
        sp->can_read = true;
        linger_read(*sp);
      }
    } else {
      close_slot(*sp);
    }
    return;
  }
  Slot& s = *sp;
  if (!more) s.can_read = true;  // the receive ended: arm it again when wanted
  if (buffer == kNoBuffer && data != nullptr) {
    // A one-shot receive into the connection's own space: the bytes are in place.
    s.direct = false;
    if (n > 0) {
      deliver(s, static_cast<size_t>(n));
      drive(s);
      return;
    }
  }
  if (n > 0) {
    Held& h = held_[buffer];
    h.next = kNil;
    h.offset = static_cast<uint32_t>(data - (buffer_mem_.data() + size_t{buffer} * config_.buffer_stride()));
    h.length = static_cast<uint32_t>(n);
    if (s.held_tail != kNil) {
      held_[s.held_tail].next = buffer;
    } else {
      s.held_head = buffer;
    }
    s.held_tail = buffer;
    ++s.held;
  } else if (n == 0) {
    s.eof_pending = true;
    s.can_read = false;  // nothing more will come
  } else if (n == -ENOBUFS) {
    // The ring ran dry: the bytes wait in the socket until buffers come back.
    s.can_read = false;
    s.starved = true;
  } else if (n != -ECANCELED) {
    close_slot(s);
    return;
  }
  drive(s);
}

void Worker::on_sent(uint32_t channel, int64_t n) {
  Slot* sp = live(channel);
  if (sp == nullptr) return;
  Slot& s = *sp;
  s.can_write = true;
  if (n <= 0) {
    close_slot(s);
    return;
  }
  if (s.tls) {
    TlsSlot& t = tls_of(s);  // the seal area went out (the connection heard when its bytes were sealed)
    t.sent += static_cast<uint32_t>(n);
    if (t.sent == t.sealed && !s.conn.wants_write() && t.transport.output().empty()) tls_release_seal(t);
  } else {
    enter(s);
    s.conn.on_sent(static_cast<size_t>(n), now_);
    leave();
  }
  drive(s);
}

void Worker::on_accept(uint32_t listener, int fd, const PeerIp& peer, bool over_limit) {
  const bool tls = config_.tls.enabled() && listener < 32 && (config_.tls.listener_mask >> listener & 1u) != 0;
  if (over_limit || draining_) {
    reject(fd, peer, tls);
    return;
  }
  Slot* s = slot_pool_.acquire();
  if (s == nullptr && lingering_.size > 0) {
    // Lingering is best effort: the answer and our FIN are already queued,
    // so the oldest lingering slot gives way to a new client (a slowloris
    // client holds no slot past its timeout).
    close_slot(*list_pop(List::Lingering));
    s = slot_pool_.acquire();
  }
  if (s == nullptr) {
    reject(fd, peer, tls);
    return;
  }
  const uint32_t index = index_of(*s);
  if ((built_[index] & 1) == 0) {  // first use of this slot
    new (s) Slot();
    built_[index] |= 1;
  }
  if (!tls_open(*s, listener)) {  // no handshake can start (the TLS arena is full): closed before any byte is read
    s->tls = false;
    engine_->refuse(fd, {});
    slot_pool_.release(s);
    return;
  }
  if (engine_->open(index, s->gen, fd) != 0) {
    tls_close(*s);
    engine_->refuse(fd, {});
    slot_pool_.release(s);
    return;
  }
  s->open = true;
  s->prev = s->next = kNil;
  s->held_head = s->held_tail = kNil;
  s->held = 0;
  s->list = List::None;
  s->eof_pending = s->eof = s->lingering = s->starved = s->direct = false;
  s->can_write = true;
  s->can_read = lends_;  // io_uring: arm the receive now; epoll: wait for the first edge
  s->peer = peer;
  s->conn.open(ctx_, queues_.subspan(size_t{index} * config_.limits.max_pipeline, config_.limits.max_pipeline),
               now_);
  s->conn.timer.owner = index;
  ++open_;
  ++stats_.connections_accepted;
  if (s->tls && tls_waiting(*s)) {  // no handshake slot yet: wait in line, reading nothing
    s->can_read = false;
    list_push(List::HandshakeWait, *s);
    wheel_.schedule(s->conn.timer, s->conn.deadline());
    return;
  }
  if (lends_) {
    drive(*s);
  } else {
    wheel_.schedule(s->conn.timer, s->conn.deadline());
  }
}

// Every slot is taken: answer 429 from a head written on the stack and
// static body bytes, then close, touching no pool (seed 002). A TLS
// listener's client cannot read a 429 before a handshake, and a handshake
// is not afforded without a slot: it is closed at once, cleanly.
void Worker::reject(int fd, const PeerIp& peer, bool tls) {
  if (tls) {
    engine_->refuse(fd, {});
    ++stats_.connections_rejected;
    return;
  }
  static constexpr char kBody[] = "429 Too Many Requests: try again\n";
  char head[256];
  http::ResponseWriter w(head);
  w.status_line(http::Status::TooManyRequests);
  w.date(clock_.http_date());
  w.header("Retry-After", uint64_t{1});
  w.header("Content-Type", "text/plain; charset=utf-8");
  w.content_length(sizeof kBody - 1);
  w.connection(false);
  w.end();
  const std::string_view h = w.view();  // complete: 256 bytes hold these fields
  const iovec iov[2] = {{const_cast<char*>(h.data()), h.size()}, {const_cast<char*>(kBody), sizeof kBody - 1}};
  engine_->refuse(fd, iov);
  ++stats_.connections_rejected;
  stats_.count_status(429);
  if (log_.enabled()) log_.record(peer, clock_.log_time(), {}, {}, {}, 429, sizeof kBody - 1);
}

void Worker::enter(Slot& s) {
  if (logging_) logging_->begin(&s.peer);
  if (https_) https_->begin(s.tls);
}

void Worker::leave() {
  if (logging_) logging_->end();
}

uint32_t Worker::buffer_index(std::span<char> mem) const {
  return static_cast<uint32_t>(static_cast<size_t>(mem.data() - buffer_mem_.data()) / config_.buffer_stride());
}

void Worker::lend_buffer(uint32_t index) {
  engine_->give_buffer(index);
  ++lent_;
  pools_dirty_ = true;
}

bool Worker::buffer_available() const { return lends_ ? lent_ > 0 : buffer_pool_.available() > 0; }

bool Worker::acquire_buffer(Slot& s) {
  BufferRef* b = buffer_pool_.acquire();
  if (b == nullptr) return false;
  pools_dirty_ = true;
  attach(s, b->mem);
  return true;
}

void Worker::release_buffer(Slot& s) {
  std::span<char> mem = s.conn.release_buffer();
  if (mem.empty()) return;
  const uint32_t i = buffer_index(mem);
  if (lends_) {
    lend_buffer(i);
  } else {
    buffer_pool_.release(&buffer_pool_.at(i));
  }
}

void Worker::drive(Slot& s) {
  if (s.lingering) {
    linger_read(s);
    return;
  }
  if (s.list == List::HandshakeWait) return;  // nothing to do before its handshake starts
  conn::Connection& c = s.conn;
  bool wrote = false;
  bool need_buffer = false;
  bool exhausted = true;
  size_t file_turn_left = kFileTurnBytes;
  for (int round = 0; round < kDriveRounds && file_turn_left > 0; ++round) {
    bool progress = false;
    if (wants_write(s) && s.can_write) {
      const Io w = write_some(s, file_turn_left);
      if (w == Io::Error) {
        close_slot(s);
        return;
      }
      if (w == Io::Progress) progress = wrote = true;
    }
    if (c.finished()) break;
    if (s.tls && tls_step(s) == Io::Progress) progress = true;
    // A handshake reads nothing more while its flight waits to go out: what
    // OpenSSL buffers for a client stays bounded by one receive.
    const bool may_read = !s.tls || !tls_handshaking(s) || tls_of(s).transport.output().empty();
    if (!may_read) {
      // wait for the flight to go
    } else if (lends_) {
      if (s.starved && (lent_ > 0 || c.has_buffer())) {
        s.starved = false;
        s.can_read = true;
      }
      if (s.held > 0 || s.eof_pending) {
        if (take_held(s) == Io::Progress) progress = true;
      }
      if (s.held == 0 && !s.eof_pending && c.wants_read() && s.can_read) {
        // A connection with unread bytes receives into its own buffer's
        // space; one without (an empty buffer goes back first) gets its
        // bytes in a ring buffer (multishot).
        if (may_release_buffer(s)) release_buffer(s);
        std::span<char> space[2];
        const size_t pieces = c.has_buffer() ? c.read_space(space) : 0;
        if (!c.has_buffer() || pieces > 0) {
          engine_->receive(index_of(s), space, pieces > 0 ? 1 : 0);
          s.can_read = false;
          s.direct = pieces > 0;
        }
      } else if (s.held >= kMaxHeld) {
        engine_->pause_receive(index_of(s));  // it ends with -ECANCELED; re-armed once taken
      }
    } else if (c.wants_read() && s.can_read) {
      if (!c.has_buffer() && !acquire_buffer(s)) {
        need_buffer = true;
      } else {
        const Io r = read_some(s);
        if (r == Io::Error) {
          close_slot(s);
          return;
        }
        if (r == Io::Progress) progress = true;
      }
    }
    if (may_release_buffer(s)) release_buffer(s);  // never under a receive in flight
    if (!progress) {
      exhausted = false;
      break;
    }
  }
  if (c.finished()) {
    if (s.tls) {
      bool error = false;
      if (!tls_flushed(s, error)) {  // close_notify (or an alert) still going out
        list_remove(s);
        wheel_.schedule(c.timer, tls_of(s).flush_until);
        return;
      }
      if (error) {
        close_slot(s);
        return;
      }
    }
    // An answered connection lingers so the client reads the answer, not a reset.
    if (wrote && !s.eof && !s.eof_pending && config_.linger_timeout > 0) {
      start_linger(s);
    } else {
      close_slot(s);
    }
    return;
  }
  if (draining_ && idle(s)) {
    close_slot(s);
    return;
  }
  // Work this slot can still do by itself comes first: a connection waiting
  // for a responder may hold the very responders it waits for in its queue.
  List want = List::None;
  if (s.list == List::SealWait && wants_write(s)) {
    want = List::SealWait;  // stays in line for a seal area
  } else if (exhausted || (wants_write(s) && s.can_write)) {
    want = List::Ready;
  } else if (c.waiting_for_responder()) {
    want = List::ResponderWait;
  } else if (need_buffer || s.starved) {
    want = List::BufferWait;
  }
  if (s.list != want) {
    if (want == List::BufferWait) ++stats_.buffer_waits;
    list_remove(s);
    if (want != List::None) list_push(want, s);
  }
  wheel_.schedule(c.timer, c.deadline());
}

Worker::Io Worker::read_some(Slot& s) {
  std::span<char> space[2];
  const size_t pieces = s.conn.read_space(space);
  if (pieces == 0) return Io::Stalled;
  const IoResult r = engine_->receive(index_of(s), space, pieces);
  if (r.pending()) {
    s.can_read = false;
    return Io::Blocked;
  }
  if (r.drained) s.can_read = false;
  if (r.n > 0) {
    deliver(s, static_cast<size_t>(r.n));
    return Io::Progress;
  }
  if (r.n == 0) {
    s.eof = true;
    enter(s);
    s.conn.on_peer_closed(now_);
    leave();
    return Io::Progress;
  }
  return Io::Error;
}

// Held pieces go to the connection in order: adopted whole when it has no
// buffer (the landing buffer becomes its buffer), copied into its free space
// otherwise. Then the peer's close, if it came after them.
Worker::Io Worker::take_held(Slot& s) {
  conn::Connection& c = s.conn;
  bool moved = false;
  while (s.held_head != kNil && c.wants_read()) {
    const uint32_t b = s.held_head;
    Held& h = held_[b];
    char* base = buffer_mem_.data() + size_t{b} * config_.buffer_stride();
    size_t n = 0;
    bool adopted = false;
    if (!c.has_buffer()) {
      adopted = true;
      if (h.offset > 0) std::memmove(base, base + h.offset, h.length);
      attach(s, {base, config_.buffer_stride()});
      std::span<char> space[2];
      c.read_space(space);  // a fresh buffer's space starts where the bytes are
      n = h.length;
      h.length = 0;
    } else {
      std::span<char> space[2];
      const size_t pieces = c.read_space(space);
      for (size_t i = 0; i < pieces && n < h.length; ++i) {
        const size_t k = std::min(space[i].size(), size_t{h.length} - n);
        std::memcpy(space[i].data(), base + h.offset + n, k);
        n += k;
      }
      h.offset += static_cast<uint32_t>(n);
      h.length -= static_cast<uint32_t>(n);
    }
    if (h.length == 0) {
      s.held_head = h.next;
      if (s.held_head == kNil) s.held_tail = kNil;
      --s.held;
      if (!adopted) lend_buffer(b);
    }
    if (n == 0) break;  // no room: the connection must consume first
    deliver(s, n);
    moved = true;
    if (may_release_buffer(s)) release_buffer(s);
  }
  if (s.held_head == kNil && s.eof_pending && c.wants_read()) {
    s.eof_pending = false;
    s.eof = true;
    enter(s);
    c.on_peer_closed(now_);
    leave();
    moved = true;
  }
  return moved ? Io::Progress : Io::Stalled;
}

void Worker::drop_held(Slot& s) {
  while (s.held_head != kNil) {
    const uint32_t b = s.held_head;
    s.held_head = held_[b].next;
    lend_buffer(b);
  }
  s.held_tail = kNil;
  s.held = 0;
  s.eof_pending = false;
}

Worker::Io Worker::write_some(Slot& s, size_t& file_turn_left) {
  if (s.tls) return tls_write(s, file_turn_left);
  conn::Connection& c = s.conn;
  if (conn::Responder* r = c.pending_file()) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(r->file_remaining, file_turn_left));
    if (want == 0) return Io::Stalled;
    const IoResult res = engine_->send_file(index_of(s), r->file_fd, r->file_offset, want);
    if (res.n > 0) {
      file_turn_left -= static_cast<size_t>(res.n);
      // A short count may mean the file ended early (it shrank), not that the
      // socket is full: keep writing until pending or 0 says which.
      enter(s);
      c.on_sent(static_cast<size_t>(res.n), now_);
      leave();
      return Io::Progress;
    }
    if (res.n == 0) {  // the file shrank: never send less than announced and keep going
      c.on_file_error();
      return Io::Stalled;
    }
    if (res.pending()) {
      s.can_write = false;
      return Io::Blocked;
    }
    return Io::Error;
  }
  conn::Slice slices[kMaxSlices];
  bool file_follows = false;
  const size_t k = c.gather(slices, &file_follows);
  if (k == 0) return Io::Stalled;
  // Pieces that touch (a head moved against its small body) go as one.
  iovec iov[kMaxSlices];
  size_t pieces = 0;
  for (size_t i = 0; i < k; ++i) {
    char* data = const_cast<char*>(slices[i].data);
    if (pieces > 0 && static_cast<char*>(iov[pieces - 1].iov_base) + iov[pieces - 1].iov_len == data) {
      iov[pieces - 1].iov_len += slices[i].len;
    } else {
      iov[pieces++] = {data, slices[i].len};
    }
  }
  // A head whose file body follows by sendfile is held back (MSG_MORE) so
  // both leave in the same segment when the file is small.
  const IoResult r = engine_->send(index_of(s), std::span<const iovec>(iov, pieces), file_follows);
  if (r.pending()) {
    s.can_write = false;  // epoll: no room; io_uring: submitted, on_sent follows
    return Io::Blocked;
  }
  if (r.n > 0) {
    if (r.drained) s.can_write = false;
    enter(s);
    c.on_sent(static_cast<size_t>(r.n), now_);
    leave();
    return Io::Progress;
  }
  return Io::Error;
}

void Worker::start_linger(Slot& s) {
  // A receive into the buffer about to go back ends first (same turn: see engine/uring_engine.hpp).
  if (s.direct) engine_->pause_receive(index_of(s));
  s.direct = false;
  s.conn.abort();
  if (s.conn.has_buffer()) release_buffer(s);
  drop_held(s);
  list_remove(s);
  list_push(List::Lingering, s);
  engine_->shutdown_send(index_of(s));
  s.lingering = true;
  s.can_read = true;
  wheel_.schedule(s.conn.timer, now_ + config_.linger_timeout);
  linger_read(s);
}

void Worker::linger_read(Slot& s) {
  // Under io_uring the input arrives as completions, dropped in on_received.
  if (engine_->discard_input(index_of(s))) close_slot(s);
}

void Worker::close_slot(Slot& s) {
  list_remove(s);
  wheel_.cancel(s.conn.timer);
  s.conn.abort();  // responders back to their pool (idempotent)
  if (s.conn.has_buffer()) release_buffer(s);
  drop_held(s);
  tls_close(s);
  engine_->close(index_of(s));  // cancels what is in flight, closes the socket
  s.direct = false;
  s.open = false;
  s.lingering = false;
  ++s.gen;
  slot_pool_.release(&s);
  --open_;
}

void Worker::on_timer(core::TimerNode& node) {
  if (node.owner >= slots_.size() || !slot_pool_.is_in_use(node.owner)) return;
  Slot& s = slots_[node.owner];
  // Done lingering, waited for a handshake slot past the header timeout, or
  // close_notify never left.
  if (s.lingering || s.list == List::HandshakeWait || (s.tls && tls_of(s).close_queued)) {
    close_slot(s);
    return;
  }
  enter(s);
  s.conn.on_timeout(now_);
  leave();
  drive(s);
}

void Worker::run_ready() {
  // Only the slots queued before this pass: a slot that yields again waits
  // for the next iteration.
  for (uint32_t n = ready_.size; n > 0 && ready_.size > 0; --n) {
    Slot* s = list_pop(List::Ready);
    drive(*s);
  }
}

void Worker::serve_waiters() {
  for (uint32_t n = buffer_wait_.size; n > 0 && buffer_wait_.size > 0 && buffer_available(); --n) {
    Slot* s = list_pop(List::BufferWait);
    drive(*s);
  }
  for (uint32_t n = responder_wait_.size; n > 0 && responder_wait_.size > 0 && responder_pool_.available() > 0;
       --n) {
    Slot* s = list_pop(List::ResponderWait);
    enter(*s);
    s->conn.resume(now_);
    leave();
    drive(*s);
  }
  if (handshakes_) tls_start_waiting();
  for (uint32_t n = seal_wait_.size; n > 0 && seal_wait_.size > 0 && seal_pool_.available() > 0; --n) {
    Slot* s = list_pop(List::SealWait);
    drive(*s);
  }
}

bool Worker::idle(const Slot& s) const {
  return !s.lingering && !wants_write(s) && !s.conn.waiting_for_responder() && s.held == 0 &&
         s.conn.phase() == conn::Connection::Phase::Idle;
}

void Worker::begin_drain() {
  if (draining_) return;
  draining_ = true;
  drain_deadline_ = now_ + config_.shutdown_timeout;
  engine_->unwatch_stop();
  for (size_t i = 0; i < listener_count_; ++i) engine_->close_listener(static_cast<uint32_t>(i));  // stop accepting
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (!slot_pool_.is_in_use(static_cast<uint32_t>(i))) continue;
    if (idle(slots_[i])) {
      close_slot(slots_[i]);
    } else {
      slots_[i].conn.stop_keep_alive();  // what is still answered says Connection: close
    }
  }
}

// ---- intrusive FIFO lists of slot indices ----

Worker::SlotList& Worker::list_of(List l) {
  switch (l) {
    case List::Ready: return ready_;
    case List::BufferWait: return buffer_wait_;
    case List::Lingering: return lingering_;
    case List::SealWait: return seal_wait_;
    case List::HandshakeWait: return handshake_wait_;
    default: return responder_wait_;
  }
}

void Worker::list_push(List l, Slot& s) {
  SlotList& list = list_of(l);
  const uint32_t i = index_of(s);
  s.list = l;
  s.next = kNil;
  s.prev = list.tail;
  if (list.tail != kNil) {
    slots_[list.tail].next = i;
  } else {
    list.head = i;
  }
  list.tail = i;
  ++list.size;
}

void Worker::list_remove(Slot& s) {
  if (s.list == List::None) return;
  SlotList& list = list_of(s.list);
  if (s.prev != kNil) {
    slots_[s.prev].next = s.next;
  } else {
    list.head = s.next;
  }
  if (s.next != kNil) {
    slots_[s.next].prev = s.prev;
  } else {
    list.tail = s.prev;
  }
  s.prev = s.next = kNil;
  s.list = List::None;
  --list.size;
}

Worker::Slot* Worker::list_pop(List l) {
  SlotList& list = list_of(l);
  if (list.head == kNil) return nullptr;
  Slot& s = slots_[list.head];
  list_remove(s);
  return &s;
}

}  // namespace hs::net
