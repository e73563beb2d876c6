#include "engine/uring_engine.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "engine/socket_ops.hpp"

namespace hs::net {

namespace {

constexpr unsigned kSqEntries = 256;
// The CQ ring's pages are all mapped (resident) from the start: 16 bytes an
// entry. 1024 holds a loop turn's completions for a home server's load; a
// burst beyond it waits in the kernel's overflow list (IORING_FEAT_NODROP)
// and is reaped next turn, nothing is lost. (4096 cost 48 KiB more RSS.)
constexpr unsigned kCqEntries = 1024;
constexpr uint32_t kMaxBufferRing = 32768;   // the kernel's limit on provided-buffer ring entries

uint64_t user_data(uint32_t op, uint32_t channel, uint32_t gen) {
  return (uint64_t{gen} << 32) | (uint64_t{channel} << 3) | op;
}

uint32_t next_pow2(uint32_t v) {
  uint32_t p = 1;
  while (p < v) p <<= 1;
  return p;
}

// The kernel's sizes of the rings (SQ array, SQEs, CQEs), rounded to pages.
size_t kernel_ring_bytes(unsigned sq, unsigned cq) {
  const size_t page = 4096;
  auto round = [&](size_t n) { return (n + page - 1) / page * page; };
  return round(sq * sizeof(uint32_t) + 64) + round(sq * sizeof(io_uring_sqe)) + round(cq * sizeof(io_uring_cqe) + 64);
}

// DEFER_TASKRUN (kernel 6.1) is what makes giving back a buffer with its
// receive cancelled in the same turn safe (see the header).
int setup(io_uring& ring, unsigned extra_flags, unsigned& used_flags) {
  io_uring_params p{};
  p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | extra_flags | IORING_SETUP_CQSIZE |
            IORING_SETUP_SUBMIT_ALL;
  p.cq_entries = kCqEntries;
  const int rc = io_uring_queue_init_params(kSqEntries, &ring, &p);
  if (rc == 0) used_flags = p.flags;
  return rc;
}

}  // namespace

bool uring_usable(std::string& why) {
  if (FILE* f = std::fopen("/proc/sys/kernel/io_uring_disabled", "r")) {
    int v = 0;
    const bool read = std::fscanf(f, "%d", &v) == 1;
    std::fclose(f);
    if (read && v == 2) {
      why = "io_uring is disabled (kernel.io_uring_disabled = 2)";
      return false;
    }
  }
  io_uring ring{};
  unsigned flags = 0;
  if (int rc = setup(ring, 0, flags); rc != 0) {
    why = rc == -EINVAL ? std::string("the kernel's io_uring lacks IORING_SETUP_DEFER_TASKRUN (Linux 6.1+)")
                        : std::string("io_uring_setup: ") + std::strerror(-rc);
    return false;
  }
  bool ok = true;
  if (io_uring_probe* probe = io_uring_get_probe_ring(&ring)) {
    for (int op : {IORING_OP_ACCEPT, IORING_OP_RECV, IORING_OP_SEND, IORING_OP_SENDMSG, IORING_OP_POLL_ADD,
                   IORING_OP_ASYNC_CANCEL}) {
      if (!io_uring_opcode_supported(probe, op)) ok = false;
    }
    io_uring_free_probe(probe);
    if (!ok) why = "the kernel's io_uring lacks an operation the engine needs";
  } else {
    ok = false;
    why = "the kernel's io_uring cannot be probed (too old)";
  }
  if (ok) {
    // Multishot receive needs a registered provided-buffer ring (kernel 5.19+).
    void* mem = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem != MAP_FAILED) {
      io_uring_buf_reg reg{};
      reg.ring_addr = reinterpret_cast<uintptr_t>(mem);
      reg.ring_entries = 1;
      reg.bgid = 0;
      if (int rc = io_uring_register_buf_ring(&ring, &reg, 0); rc != 0) {
        ok = false;
        why = std::string("io_uring provided-buffer rings: ") + std::strerror(-rc);
      }
      ::munmap(mem, 4096);
    }
  }
  io_uring_queue_exit(&ring);
  return ok;
}

UringEngine::~UringEngine() {
  if (ring_open_) io_uring_queue_exit(&ring_);  // cancels what is in flight
  for (int l : listeners_)
    if (l >= 0) ::close(l);
  if (buf_ring_ != nullptr) ::munmap(buf_ring_, buf_ring_bytes_);
  for (Channel& c : channels_)
    if (c.fd >= 0) ::close(c.fd);
}

size_t UringEngine::arena_bytes(const EngineConfig& config) const {
  return core::StartupArena::bytes_for<Channel>(config.channels) + core::StartupArena::bytes_for<SendArea>(kSqEntries);
}

bool UringEngine::init(const EngineConfig& config, core::StartupArena& arena, std::string& error) {
  want_peer_ = config.want_peer;
  buffer_mem_ = config.buffer_mem;
  buffer_size_ = config.buffer_size;
  buffer_stride_ = config.buffer_stride > 0 ? config.buffer_stride : config.buffer_size;
  buffers_ = buffer_stride_ > 0 ? static_cast<uint32_t>(buffer_mem_.size() / buffer_stride_) : 0;
  if (buffers_ == 0 || buffers_ > kMaxBufferRing) {
    error = "io_uring: --buffers must be from 1 to 32768 per worker (the kernel's provided-buffer ring limit)";
    return false;
  }
  channels_ = arena.take<Channel>(config.channels);
  sends_ = arena.take_raw<SendArea>(kSqEntries);
  if ((config.channels > 0 && channels_.empty()) || sends_.empty()) {
    error = "internal error: the engine's layout does not fit the arena";
    return false;
  }
  // Created disabled: the worker's thread enables it, so SINGLE_ISSUER binds
  // the ring to that thread, not to the main thread that builds it.
  if (int rc = setup(ring_, IORING_SETUP_R_DISABLED, setup_flags_); rc != 0) {
    error = std::string("io_uring_setup: ") + std::strerror(-rc);
    return false;
  }
  ring_open_ = true;
  if ((ring_.features & IORING_FEAT_SUBMIT_STABLE) == 0 || ring_.sq.ring_entries > sends_.size()) {
    error = "io_uring: the kernel does not consume requests at submission (IORING_FEAT_SUBMIT_STABLE)";
    return false;
  }
  buf_entries_ = next_pow2(buffers_);
  buf_ring_bytes_ = (buf_entries_ * sizeof(io_uring_buf) + 4095) / 4096 * 4096;
  void* mem = ::mmap(nullptr, buf_ring_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    error = std::string("io_uring buffer ring: ") + std::strerror(errno);
    return false;
  }
  buf_ring_ = static_cast<io_uring_buf_ring*>(mem);
  io_uring_buf_ring_init(buf_ring_);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uintptr_t>(buf_ring_);
  reg.ring_entries = buf_entries_;
  reg.bgid = kGroup;
  if (int rc = io_uring_register_buf_ring(&ring_, &reg, 0); rc != 0) {
    error = std::string("io_uring_register_buf_ring: ") + std::strerror(-rc);
    return false;
  }
  ring_bytes_ = kernel_ring_bytes(ring_.sq.ring_entries, ring_.cq.ring_entries) + buf_ring_bytes_;
  spare_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  return true;
}

std::string UringEngine::describe() const { return "io_uring (single issuer, deferred task work)"; }

io_uring_sqe* UringEngine::sqe() {
  io_uring_sqe* s = io_uring_get_sqe(&ring_);
  if (s == nullptr) {
    // The SQ is full: hand this turn's work over early. Before the first
    // wait() only a client fills it (connecting many channels from its own
    // thread): the ring is enabled here, on that thread.
    if (!enabled_) enable();
    if (enabled_) io_uring_submit(&ring_);
    s = io_uring_get_sqe(&ring_);
  }
  return s;
}

void UringEngine::enable() {
  // liburing 2.3 declares io_uring_enable_rings() but does not export it.
  if (::syscall(__NR_io_uring_register, ring_.ring_fd, IORING_REGISTER_ENABLE_RINGS, nullptr, 0) == 0) enabled_ = true;
}

void UringEngine::cancel(uint64_t target) {
  if (io_uring_sqe* s = sqe()) {
    io_uring_prep_cancel64(s, target, 0);
    io_uring_sqe_set_data64(s, user_data(kCancel, 0, 0));
  }
}

int UringEngine::add_listener(uint32_t index, int fd) {
  if (index >= kMaxListeners) return EINVAL;
  listeners_[index] = fd;
  arm_accept(index);
  return accept_armed_[index] ? 0 : EBUSY;
}

void UringEngine::arm_accept(uint32_t index) {
  io_uring_sqe* s = sqe();
  if (s == nullptr) return;
  io_uring_prep_multishot_accept(s, listeners_[index], nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  io_uring_sqe_set_data64(s, user_data(kAccept, index, 0));
  accept_armed_[index] = true;
}

void UringEngine::close_listener(uint32_t index) {
  if (index >= kMaxListeners || listeners_[index] < 0) return;
  if (accept_armed_[index]) cancel(user_data(kAccept, index, 0));
  accept_armed_[index] = false;
  ::close(listeners_[index]);
  listeners_[index] = -1;
}

int UringEngine::watch_stop(int fd) {
  stop_fd_ = fd;
  arm_stop();
  return stop_armed_ ? 0 : EBUSY;
}

void UringEngine::arm_stop() {
  io_uring_sqe* s = sqe();
  if (s == nullptr) return;
  io_uring_prep_poll_add(s, stop_fd_, POLLIN);
  io_uring_sqe_set_data64(s, user_data(kStop, 0, 0));
  stop_armed_ = true;
}

void UringEngine::unwatch_stop() {
  if (stop_armed_) cancel(user_data(kStop, 0, 0));
  stop_armed_ = false;
  stop_fd_ = -1;
}

int UringEngine::open(uint32_t channel, uint32_t gen, int fd) {
  Channel& c = channels_[channel];
  c.fd = fd;
  c.gen = gen;
  c.recv_armed = c.send_busy = c.poll_armed = c.cancelling = c.direct = c.connecting = false;
  return 0;
}

int UringEngine::connect(uint32_t channel, uint32_t gen, int fd, const Address& to) {
  if (to.length > sizeof(sockaddr_storage)) return EINVAL;
  io_uring_sqe* s = sqe();
  if (s == nullptr) return EBUSY;
  open(channel, gen, fd);
  Channel& c = channels_[channel];
  // The kernel reads the address when the request is submitted (next wait()).
  sockaddr_storage& addr = area_of(s).to;
  std::memcpy(&addr, &to.storage, to.length);
  io_uring_prep_connect(s, fd, reinterpret_cast<const sockaddr*>(&addr), to.length);
  io_uring_sqe_set_data64(s, user_data(kConnect, channel, gen));
  c.connecting = true;
  return 0;
}

void UringEngine::close(uint32_t channel) {
  Channel& c = channels_[channel];
  // The descriptor is closed now; requests in flight hold the socket until
  // cancelled, and their completions (old generation) are dropped.
  if (c.recv_armed) cancel(user_data(kRecv, channel, c.gen));
  if (c.send_busy) cancel(user_data(kSend, channel, c.gen));
  if (c.poll_armed) cancel(user_data(kPoll, channel, c.gen));
  if (c.connecting) cancel(user_data(kConnect, channel, c.gen));
  if (c.fd >= 0) ::close(c.fd);
  c.fd = -1;
  c.recv_armed = c.send_busy = c.poll_armed = c.cancelling = c.direct = c.connecting = false;
  ++c.gen;
}

void UringEngine::refuse(int fd, std::span<const iovec> answer) { send_and_close(fd, answer); }

void UringEngine::shutdown_send(uint32_t channel) { ::shutdown(channels_[channel].fd, SHUT_WR); }

IoResult UringEngine::receive(uint32_t channel, std::span<char> (&space)[2], size_t pieces) {
  Channel& c = channels_[channel];
  if (c.recv_armed) return IoResult{};
  io_uring_sqe* s = sqe();
  if (s == nullptr) return IoResult{};
  if (pieces > 0) {
    // Into the connection's own space: one shot, no ring buffer.
    io_uring_prep_recv(s, c.fd, space[0].data(), space[0].size(), 0);
    c.direct = true;
    c.direct_at = space[0].data();
  } else {
    io_uring_prep_recv_multishot(s, c.fd, nullptr, 0, 0);
    s->flags |= IOSQE_BUFFER_SELECT;
    s->buf_group = kGroup;
    c.direct = false;
    c.direct_at = nullptr;
  }
  io_uring_sqe_set_data64(s, user_data(kRecv, channel, c.gen));
  c.recv_armed = true;
  c.cancelling = false;
  return IoResult{};
}

void UringEngine::pause_receive(uint32_t channel) {
  Channel& c = channels_[channel];
  if (!c.recv_armed || c.cancelling) return;
  cancel(user_data(kRecv, channel, c.gen));
  c.cancelling = true;
}

IoResult UringEngine::send(uint32_t channel, std::span<const iovec> slices, bool more) {
  Channel& c = channels_[channel];
  io_uring_sqe* s = c.send_busy ? nullptr : sqe();
  if (s == nullptr) return IoResult{};  // the loop hears on_sent for the one in flight
  const int flags = MSG_NOSIGNAL | (more ? MSG_MORE : 0);
  if (slices.size() == 1) {
    io_uring_prep_send(s, c.fd, slices[0].iov_base, slices[0].iov_len, flags);
  } else {
    SendMsg& a = area_of(s).send;
    const size_t n = slices.size() < kMaxIov ? slices.size() : kMaxIov;
    for (size_t i = 0; i < n; ++i) a.iov[i] = slices[i];
    a.msg = msghdr{};
    a.msg.msg_iov = a.iov;
    a.msg.msg_iovlen = n;
    io_uring_prep_sendmsg(s, c.fd, &a.msg, static_cast<unsigned>(flags));
  }
  io_uring_sqe_set_data64(s, user_data(kSend, channel, c.gen));
  c.send_busy = true;
  return IoResult{};
}

IoResult UringEngine::send_file(uint32_t channel, int file_fd, uint64_t offset, size_t len) {
  Channel& c = channels_[channel];
  IoResult r = sendfile_now(c.fd, file_fd, offset, len);
  if (r.pending() && !c.poll_armed) {
    if (io_uring_sqe* s = sqe()) {
      io_uring_prep_poll_add(s, c.fd, POLLOUT);
      io_uring_sqe_set_data64(s, user_data(kPoll, channel, c.gen));
      c.poll_armed = true;
    }
  }
  return r;
}

bool UringEngine::discard_input(uint32_t channel) {
  std::span<char> none[2];
  receive(channel, none, 0);  // the lingering input arrives as completions; the loop drops it
  return false;
}

void UringEngine::give_buffer(uint32_t index) { recycle(index); }

void UringEngine::recycle(uint32_t index) {
  io_uring_buf_ring_add(buf_ring_, buffer_mem_.data() + size_t{index} * buffer_stride_,
                        static_cast<unsigned>(buffer_size_), static_cast<unsigned short>(index),
                        io_uring_buf_ring_mask(buf_entries_), static_cast<int>(lent_pending_));
  ++lent_pending_;
  // Published at once: a receive armed later in this turn may need it.
  io_uring_buf_ring_advance(buf_ring_, static_cast<int>(lent_pending_));
  lent_pending_ = 0;
}

int UringEngine::wait(EngineSink& sink, int64_t timeout_ns) {
  if (!enabled_) {
    enable();
    if (!enabled_) return -errno;
  }
  io_uring_cqe* first = nullptr;
  int rc;
  if (timeout_ns < 0) {
    rc = io_uring_submit_and_wait_timeout(&ring_, &first, 1, nullptr, nullptr);
  } else {
    __kernel_timespec ts{timeout_ns / 1'000'000'000, static_cast<long long>(timeout_ns % 1'000'000'000)};
    rc = io_uring_submit_and_wait_timeout(&ring_, &first, 1, &ts, nullptr);
  }
  if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) return rc;
  sink.on_wake();
  // Completions are handled in batches; a handler may queue new requests
  // (they go in the next turn's submit).
  for (;;) {
    io_uring_cqe* cqes[64];
    const unsigned n = io_uring_peek_batch_cqe(&ring_, cqes, 64);
    if (n == 0) break;
    for (unsigned i = 0; i < n; ++i) {
      const io_uring_cqe cqe = *cqes[i];
      io_uring_cqe_seen(&ring_, cqes[i]);
      complete(cqe, sink);
    }
  }
  return 0;
}

void UringEngine::complete(const io_uring_cqe& cqe, EngineSink& sink) {
  const uint64_t ud = cqe.user_data;
  const uint32_t op = static_cast<uint32_t>(ud & 7);
  const uint32_t channel = static_cast<uint32_t>(ud >> 3) & 0x1fffffffu;
  const uint32_t gen = static_cast<uint32_t>(ud >> 32);
  const bool more = (cqe.flags & IORING_CQE_F_MORE) != 0;
  const bool has_buffer = (cqe.flags & IORING_CQE_F_BUFFER) != 0;
  const uint32_t buffer = cqe.flags >> IORING_CQE_BUFFER_SHIFT;
  switch (op) {
    case kAccept: {
      if (channel >= kMaxListeners || listeners_[channel] < 0) {
        if (cqe.res >= 0) ::close(cqe.res);  // accepted just before the listener closed
        return;
      }
      if (!more) accept_armed_[channel] = false;
      if (cqe.res >= 0) {
        PeerIp peer;
        if (want_peer_) {
          sockaddr_storage ss{};
          socklen_t len = sizeof ss;
          if (::getpeername(cqe.res, reinterpret_cast<sockaddr*>(&ss), &len) == 0) peer = peer_ip(ss);
        }
        sink.on_accept(channel, cqe.res, peer, false);
      } else if (cqe.res == -EMFILE || cqe.res == -ENFILE) {
        const int extra = accept_with_spare(listeners_[channel], spare_);
        if (extra >= 0) sink.on_accept(channel, extra, PeerIp{}, true);
      }
      if (!accept_armed_[channel] && listeners_[channel] >= 0) arm_accept(channel);
      return;
    }
    case kStop:
      stop_armed_ = false;
      if (cqe.res != -ECANCELED) sink.on_stop();
      return;
    case kCancel:
      return;
    default:
      break;
  }
  if (channel >= channels_.size() || channels_[channel].gen != gen || channels_[channel].fd < 0) {
    if (has_buffer) recycle(buffer);  // a stale completion: its buffer goes back at once
    return;
  }
  Channel& c = channels_[channel];
  switch (op) {
    case kRecv:
      if (c.direct) {
        c.recv_armed = c.cancelling = c.direct = false;
        sink.on_received(channel, cqe.res, c.direct_at, kNoBuffer, false);
        return;
      }
      if (!more) c.recv_armed = c.cancelling = false;
      sink.on_received(channel, cqe.res, has_buffer ? buffer_mem_.data() + size_t{buffer} * buffer_stride_ : nullptr,
                       has_buffer ? buffer : kNoBuffer, more);
      return;
    case kSend:
      c.send_busy = false;
      sink.on_sent(channel, cqe.res);
      return;
    case kPoll:
      c.poll_armed = false;
      if (cqe.res >= 0) sink.on_ready(channel, false, true, (cqe.res & (POLLHUP | POLLERR)) != 0);
      return;
    case kConnect:
      c.connecting = false;
      sink.on_connected(channel, cqe.res > 0 ? 0 : cqe.res);
      return;
    default:
      return;
  }
}

}  // namespace hs::net
