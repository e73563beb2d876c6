#include "net/worker.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace hs::net {

namespace {

constexpr size_t kWheelSlots = 1024;
constexpr core::Millis kTick = 100;          // timer resolution (and idle wake-ups per second: 10)
constexpr size_t kEvents = 256;              // epoll events per wait
constexpr int kAcceptBatch = 64;             // accepts per listener event (it is level-triggered)
constexpr int kDriveRounds = 16;             // read/write rounds per drive before yielding
constexpr size_t kMaxSlices = 64;            // iovecs per writev
// File bytes one connection may send per turn. Big files go out in turns,
// interleaved with the other connections' work (no head-of-line blocking),
// and the loop's other work gives the receiver time to drain: one long
// sendfile burst against a fast reader costs several times the CPU per byte
// here (measured: 1 MiB at once 390-700 us, in 256 KiB turns 150-200 us).
constexpr size_t kFileTurnBytes = 256u << 10;
constexpr int kLingerReads = 16;             // discard reads per lingering event
constexpr uint32_t kListenerTag = 0xfffff000u;
constexpr uint32_t kStopTag = 0xffffff00u;

uint64_t tag(uint32_t index, uint32_t gen) { return (uint64_t{gen} << 32) | index; }

}  // namespace

// Mirrors the carving in init(), piece by piece (init checks that it fits).
size_t Worker::arena_bytes(const WorkerConfig& c) {
  using core::StartupArena;
  const conn::Limits& lim = c.limits;
  size_t total = 0;
  total += StartupArena::bytes_for<Slot>(c.max_connections);
  total += StartupArena::bytes_for<uint32_t>(c.max_connections);
  total += StartupArena::bytes_for<conn::Responder*>(size_t{c.max_connections} * lim.max_pipeline);
  total += StartupArena::bytes_for<BufferRef>(c.buffers);
  total += StartupArena::bytes_for<uint32_t>(c.buffers);
  total += StartupArena::bytes_for<char>(size_t{c.buffers} * lim.buffer_size);
  total += StartupArena::bytes_for<conn::Responder>(c.responders);
  total += StartupArena::bytes_for<uint32_t>(c.responders);
  total += StartupArena::bytes_for<char>(size_t{c.responders} * lim.responder_size);
  total += StartupArena::bytes_for<core::TimerNode>(kWheelSlots);
  total += StartupArena::bytes_for<http::Header>(lim.max_headers);
  total += StartupArena::bytes_for<char>(lim.max_target);
  total += StartupArena::bytes_for<epoll_event>(kEvents);
  total += StartupArena::bytes_for<char>(c.log_batch);
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
  slots_ = take.operator()<Slot>(config.max_connections);
  std::span<uint32_t> slot_next = take.operator()<uint32_t>(config.max_connections);
  queues_ = take.operator()<conn::Responder*>(size_t{config.max_connections} * lim.max_pipeline);
  std::span<BufferRef> buffer_refs = take.operator()<BufferRef>(config.buffers);
  std::span<uint32_t> buffer_next = take.operator()<uint32_t>(config.buffers);
  auto take_bytes = [&](size_t n) {
    std::span<char> s = arena_.take_bytes(n);
    if (n > 0 && s.empty()) ok = false;
    return s;
  };
  buffer_mem_ = take_bytes(size_t{config.buffers} * lim.buffer_size);
  std::span<conn::Responder> responders = take.operator()<conn::Responder>(config.responders);
  std::span<uint32_t> responder_next = take.operator()<uint32_t>(config.responders);
  responder_mem_ = take_bytes(size_t{config.responders} * lim.responder_size);
  std::span<core::TimerNode> wheel_slots = take.operator()<core::TimerNode>(kWheelSlots);
  std::span<http::Header> headers = take.operator()<http::Header>(lim.max_headers);
  std::span<char> path = take.operator()<char>(lim.max_target);
  events_ = take.operator()<epoll_event>(kEvents);
  std::span<char> log_batch = take.operator()<char>(config.log_batch);
  if (!ok) {
    error = "internal error: the pool layout does not fit the arena";
    return false;
  }

  slot_pool_.init(slots_, slot_next);
  for (size_t i = 0; i < buffer_refs.size(); ++i)
    buffer_refs[i].mem = buffer_mem_.subspan(i * lim.buffer_size, lim.buffer_size);
  buffer_pool_.init(buffer_refs, buffer_next);
  for (size_t i = 0; i < responders.size(); ++i) {
    std::span<char> block = responder_mem_.subspan(i * lim.responder_size, lim.responder_size);
    responders[i].head_area = block.first(lim.responder_head);
    responders[i].body_area = block.subspan(lim.responder_head);
  }
  responder_pool_.init(responders, responder_next);
  now_ = core::monotonic_now();
  wheel_.init(wheel_slots, kTick, now_);
  for (size_t i = 0; i < slots_.size(); ++i) slots_[i].conn.timer.owner = static_cast<uint32_t>(i);

  refresh_clock();
  log_.init(log_batch, log_fd);
  ctx_.limits = lim;
  ctx_.service = &service;
  if (log_.enabled()) {
    logging_.emplace(service, log_, clock_);
    ctx_.service = &*logging_;
  }
  ctx_.responders = &responder_pool_;
  ctx_.stats = &stats_;
  ctx_.header_scratch = headers;
  ctx_.path_scratch = path;

  spare_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (int e = poller_.open()) {
    error = std::string("epoll_create1: ") + std::strerror(e);
    return false;
  }
  for (size_t i = 0; i < listeners.size(); ++i) {
    listeners_[i] = std::move(listeners[i]);
    if (int e = poller_.add(listeners_[i].get(), EPOLLIN, tag(kListenerTag + static_cast<uint32_t>(i), 0))) {
      error = std::string("epoll_ctl: ") + std::strerror(e);
      return false;
    }
  }
  listener_count_ = listeners.size();
  stop_fd_ = stop_fd;
  if (stop_fd_ >= 0) {
    if (int e = poller_.add(stop_fd_, EPOLLIN, tag(kStopTag, 0))) {
      error = std::string("epoll_ctl: ") + std::strerror(e);
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
  g.buffers_in_use = buffer_pool_.in_use();
  g.responders_capacity = responder_pool_.capacity();
  g.responders_in_use = responder_pool_.in_use();
  return g;
}

// ---- the loop ----

bool Worker::run() {
  bool ok = true;
  // Bounded by time: once draining, the deadline ends it.
  for (;;) {
    const int n = poller_.wait(events_, next_timeout());
    if (n < 0) {
      ok = false;
      break;
    }
    now_ = core::monotonic_now();
    refresh_clock();
    for (int i = 0; i < n; ++i) dispatch(events_[static_cast<size_t>(i)]);
    run_ready();
    serve_waiters();
    wheel_.expire(now_, [this](core::TimerNode& node) { on_timer(node); });
    serve_waiters();
    if (log_.enabled()) log_.flush();
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
  return t;
}

void Worker::refresh_clock() {
  clock_.refresh(core::wall_seconds());
  ctx_.date = clock_.http_date();
  ctx_.now_seconds = clock_.seconds();
}

void Worker::dispatch(const epoll_event& ev) {
  const uint32_t index = static_cast<uint32_t>(ev.data.u64 & 0xffffffffu);
  const uint32_t gen = static_cast<uint32_t>(ev.data.u64 >> 32);
  if (index == kStopTag) {
    begin_drain();
    return;
  }
  if (index >= kListenerTag) {
    accept_from(index - kListenerTag);
    return;
  }
  if (index >= slots_.size() || !slot_pool_.is_in_use(index)) return;
  Slot& s = slots_[index];
  if (s.gen != gen) return;  // the slot was closed (and maybe reused) since this event was queued
  if (ev.events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) s.readable = true;
  if (ev.events & (EPOLLRDHUP | EPOLLHUP)) s.rdhup = true;
  if (ev.events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) s.writable = true;
  drive(s);
}

void Worker::accept_from(size_t li) {
  if (li >= listener_count_ || !listeners_[li]) return;
  const int lfd = listeners_[li].get();
  for (int i = 0; i < kAcceptBatch; ++i) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    const int fd = ::accept4(lfd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if ((errno == EMFILE || errno == ENFILE) && spare_) {
        // Out of descriptors (files being sent count too): free the spare
        // one to accept and answer 429, rather than leave the level-triggered
        // listener spinning.
        spare_.reset();
        const int extra = ::accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (extra >= 0) reject(extra, PeerIp{});
        spare_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        if (extra >= 0) continue;
      }
      return;  // EAGAIN (or no descriptor even for the spare)
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
      reject(fd, peer_ip(ss));
      continue;
    }
    const uint32_t index = index_of(*s);
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (poller_.add(fd, Poller::kConnectionEvents, tag(index, s->gen)) != 0) {
      ::close(fd);
      slot_pool_.release(s);
      continue;
    }
    s->fd = fd;
    s->prev = s->next = kNil;
    s->list = List::None;
    s->readable = s->rdhup = s->eof = s->lingering = false;
    s->writable = true;
    s->peer = peer_ip(ss);
    s->conn.open(ctx_, queues_.subspan(size_t{index} * config_.limits.max_pipeline, config_.limits.max_pipeline),
                 now_);
    s->conn.timer.owner = index;
    ++open_;
    ++stats_.connections_accepted;
    wheel_.schedule(s->conn.timer, s->conn.deadline());
  }
}

// Every slot is taken: answer 429 straight from static bytes and close,
// touching no pool (seed 002).
void Worker::reject(int fd, const PeerIp& peer) {
  static constexpr char kHead[] = "HTTP/1.1 429 Too Many Requests\r\nDate: ";
  static constexpr char kTail[] =
      "\r\nRetry-After: 1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 33\r\n"
      "Connection: close\r\n\r\n";
  static constexpr char kBody[] = "429 Too Many Requests: try again\n";
  static_assert(sizeof kBody - 1 == 33, "Content-Length above");
  const std::string_view date = clock_.http_date();
  iovec iov[4] = {{const_cast<char*>(kHead), sizeof kHead - 1},
                  {const_cast<char*>(date.data()), date.size()},
                  {const_cast<char*>(kTail), sizeof kTail - 1},
                  {const_cast<char*>(kBody), sizeof kBody - 1}};
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = 4;
  [[maybe_unused]] ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
  ::shutdown(fd, SHUT_WR);
  // Discard what the client already sent, so closing does not reset the
  // connection before it reads the answer.
  char discard[2048];
  for (int i = 0; i < 4 && ::recv(fd, discard, sizeof discard, MSG_DONTWAIT) > 0; ++i) {
  }
  ::close(fd);
  ++stats_.connections_rejected;
  stats_.count_status(429);
  if (log_.enabled()) log_.record(peer, clock_.log_time(), {}, {}, {}, 429, sizeof kBody - 1);
}

void Worker::enter(Slot& s) {
  if (logging_) logging_->begin(&s.peer);
}

void Worker::leave() {
  if (logging_) logging_->end();
}

bool Worker::acquire_buffer(Slot& s) {
  BufferRef* b = buffer_pool_.acquire();
  if (b == nullptr) return false;
  s.conn.attach_buffer(b->mem);
  return true;
}

void Worker::release_buffer(Slot& s) {
  std::span<char> mem = s.conn.release_buffer();
  if (mem.empty()) return;
  const size_t i = static_cast<size_t>(mem.data() - buffer_mem_.data()) / config_.limits.buffer_size;
  buffer_pool_.release(&buffer_pool_.at(static_cast<uint32_t>(i)));
}

void Worker::drive(Slot& s) {
  if (s.lingering) {
    linger_read(s);
    return;
  }
  conn::Connection& c = s.conn;
  bool wrote = false;
  bool need_buffer = false;
  bool exhausted = true;
  size_t file_turn_left = kFileTurnBytes;
  for (int round = 0; round < kDriveRounds && file_turn_left > 0; ++round) {
    bool progress = false;
    if (c.wants_write() && s.writable) {
      const Io w = write_some(s, file_turn_left);
      if (w == Io::Error) {
        close_slot(s);
        return;
      }
      if (w == Io::Progress) progress = wrote = true;
    }
    if (c.finished()) break;
    if (c.wants_read() && s.readable) {
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
    if (c.can_release_buffer()) release_buffer(s);
    if (!progress) {
      exhausted = false;
      break;
    }
  }
  if (c.finished()) {
    // An answered connection lingers so the client reads the answer, not a reset.
    if (wrote && !s.eof && config_.linger_timeout > 0) {
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
  if (exhausted || (c.wants_write() && s.writable)) {
    want = List::Ready;
  } else if (c.waiting_for_responder()) {
    want = List::ResponderWait;
  } else if (need_buffer) {
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
  iovec iov[2];
  size_t room = 0;
  for (size_t i = 0; i < pieces; ++i) {
    iov[i] = {space[i].data(), space[i].size()};
    room += space[i].size();
  }
  const ssize_t n = pieces == 1 ? ::recv(s.fd, iov[0].iov_base, iov[0].iov_len, 0)
                                 : ::readv(s.fd, iov, static_cast<int>(pieces));
  if (n > 0) {
    // A short read emptied the socket; the next arrival raises a new edge.
    // With the peer's FIN pending, read on until the 0 that reports it.
    if (static_cast<size_t>(n) < room && !s.rdhup) s.readable = false;
    enter(s);
    s.conn.on_received(static_cast<size_t>(n), now_);
    leave();
    return Io::Progress;
  }
  if (n == 0) {
    s.eof = true;
    s.readable = false;
    enter(s);
    s.conn.on_peer_closed(now_);
    leave();
    return Io::Progress;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK) {
    s.readable = false;
    return Io::Blocked;
  }
  if (errno == EINTR) return Io::Progress;
  return Io::Error;
}

Worker::Io Worker::write_some(Slot& s, size_t& file_turn_left) {
  conn::Connection& c = s.conn;
  if (conn::Responder* r = c.pending_file()) {
    off_t offset = static_cast<off_t>(r->file_offset);
    const size_t want = static_cast<size_t>(std::min<uint64_t>(r->file_remaining, file_turn_left));
    if (want == 0) return Io::Stalled;
    const ssize_t n = ::sendfile(s.fd, r->file_fd, &offset, want);
    if (n > 0) {
      file_turn_left -= static_cast<size_t>(n);
      // A short count may mean the file ended early (it shrank), not that the
      // socket is full: keep writing until EAGAIN or 0 says which.
      enter(s);
      c.on_sent(static_cast<size_t>(n), now_);
      leave();
      return Io::Progress;
    }
    if (n == 0) {  // the file shrank: never send less than announced and keep going
      c.on_file_error();
      return Io::Stalled;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      s.writable = false;
      return Io::Blocked;
    }
    if (errno == EINTR) return Io::Progress;
    return Io::Error;
  }
  conn::Slice slices[kMaxSlices];
  bool file_follows = false;
  const size_t k = c.gather(slices, &file_follows);
  if (k == 0) return Io::Stalled;
  // Pieces that touch (a head moved against its small body) go as one.
  iovec iov[kMaxSlices];
  size_t pieces = 0;
  size_t total = 0;
  for (size_t i = 0; i < k; ++i) {
    char* data = const_cast<char*>(slices[i].data);
    if (pieces > 0 && static_cast<char*>(iov[pieces - 1].iov_base) + iov[pieces - 1].iov_len == data) {
      iov[pieces - 1].iov_len += slices[i].len;
    } else {
      iov[pieces++] = {data, slices[i].len};
    }
    total += slices[i].len;
  }
  // A head whose file body follows by sendfile is held back (MSG_MORE) so
  // both leave in the same segment when the file is small.
  const int flags = MSG_NOSIGNAL | (file_follows ? MSG_MORE : 0);
  ssize_t n;
  if (pieces == 1) {
    n = ::send(s.fd, iov[0].iov_base, iov[0].iov_len, flags);  // no iovec for the kernel to import
  } else {
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = pieces;
    n = ::sendmsg(s.fd, &msg, flags);
  }
  if (n > 0) {
    if (static_cast<size_t>(n) < total) s.writable = false;
    enter(s);
    c.on_sent(static_cast<size_t>(n), now_);
    leave();
    return Io::Progress;
  }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    s.writable = false;
    return Io::Blocked;
  }
  if (n < 0 && errno == EINTR) return Io::Progress;
  return Io::Error;
}

void Worker::start_linger(Slot& s) {
  s.conn.abort();
  if (s.conn.has_buffer()) release_buffer(s);
  list_remove(s);
  list_push(List::Lingering, s);
  ::shutdown(s.fd, SHUT_WR);
  s.lingering = true;
  s.readable = true;
  wheel_.schedule(s.conn.timer, now_ + config_.linger_timeout);
  linger_read(s);
}

void Worker::linger_read(Slot& s) {
  char discard[4096];
  for (int i = 0; i < kLingerReads; ++i) {
    const ssize_t n = ::recv(s.fd, discard, sizeof discard, MSG_DONTWAIT);
    if (n > 0) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n < 0 && errno == EINTR) continue;
    close_slot(s);  // EOF or an error: the client has what it needs
    return;
  }
  close_slot(s);  // still sending after 64 KiB: stop listening
}

void Worker::close_slot(Slot& s) {
  list_remove(s);
  wheel_.cancel(s.conn.timer);
  s.conn.abort();  // responders back to their pool (idempotent)
  if (s.conn.has_buffer()) release_buffer(s);
  ::close(s.fd);  // also leaves the epoll set
  s.fd = -1;
  s.lingering = false;
  ++s.gen;
  slot_pool_.release(&s);
  --open_;
}

void Worker::on_timer(core::TimerNode& node) {
  if (node.owner >= slots_.size() || !slot_pool_.is_in_use(node.owner)) return;
  Slot& s = slots_[node.owner];
  if (s.lingering) {
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
  for (uint32_t n = buffer_wait_.size; n > 0 && buffer_wait_.size > 0 && buffer_pool_.available() > 0; --n) {
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
}

bool Worker::idle(const Slot& s) const {
  return !s.lingering && !s.conn.wants_write() && !s.conn.waiting_for_responder() &&
         s.conn.phase() == conn::Connection::Phase::Idle;
}

void Worker::begin_drain() {
  if (draining_) return;
  draining_ = true;
  drain_deadline_ = now_ + config_.shutdown_timeout;
  if (stop_fd_ >= 0) poller_.remove(stop_fd_);  // level-triggered and never reset
  for (size_t i = 0; i < listener_count_; ++i) listeners_[i].reset();  // stop accepting
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
