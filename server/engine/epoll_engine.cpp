#include "engine/epoll_engine.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "engine/socket_ops.hpp"

namespace hs::net {

namespace {

constexpr size_t kEvents = 256;              // epoll events per wait
constexpr int kAcceptBatch = 64;             // accepts per listener event (it is level-triggered)
constexpr uint32_t kListenerTag = 0xfffff000u;
constexpr uint32_t kStopTag = 0xffffff00u;
constexpr uint32_t kConnectionEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;

uint64_t tag(uint32_t index, uint32_t gen) { return (uint64_t{gen} << 32) | index; }

// A receive's outcome (errno still set by it): a short read emptied the
// socket, so the next arrival raises a new edge; with the peer's FIN pending
// (rdhup) it reads on until the 0 that reports it. EAGAIN: pending.
IoResult received(ssize_t n, size_t room, bool rdhup) {
  IoResult r;
  if (n >= 0) {
    r.n = n;
    r.drained = n == 0 || (static_cast<size_t>(n) < room && !rdhup);
    return r;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK) return r;
  r.n = -errno;
  return r;
}

// epoll_pwait2 (nanoseconds) where the kernel has it, else epoll_wait with
// the timeout rounded up to milliseconds (an old kernel, or valgrind).
int epoll_wait_ns(int ep, epoll_event* events, int n, int64_t timeout_ns) {
  static std::atomic<bool> no_pwait2{false};
  if (!no_pwait2.load(std::memory_order_relaxed)) {
    timespec ts{static_cast<time_t>(timeout_ns / 1'000'000'000), static_cast<long>(timeout_ns % 1'000'000'000)};
    const int r = ::epoll_pwait2(ep, events, n, timeout_ns < 0 ? nullptr : &ts, nullptr);
    if (r >= 0 || errno != ENOSYS) return r;
    no_pwait2.store(true, std::memory_order_relaxed);
  }
  return ::epoll_wait(ep, events, n, timeout_ns < 0 ? -1 : static_cast<int>((timeout_ns + 999'999) / 1'000'000));
}

}  // namespace

EpollEngine::~EpollEngine() {
  for (uint32_t i = 0; i < kMaxListeners; ++i) close_listener(i);
  for (Channel& c : channels_)
    if (c.fd >= 0) ::close(c.fd);
}

size_t EpollEngine::arena_bytes(const EngineConfig& config) const {
  return core::StartupArena::bytes_for<Channel>(config.channels) + core::StartupArena::bytes_for<epoll_event>(kEvents);
}

bool EpollEngine::init(const EngineConfig& config, core::StartupArena& arena, std::string& error) {
  want_peer_ = config.want_peer;
  channels_ = arena.take<Channel>(config.channels);
  events_ = arena.take<epoll_event>(kEvents);
  if ((config.channels > 0 && channels_.empty()) || events_.empty()) {
    error = "internal error: the engine's layout does not fit the arena";
    return false;
  }
  epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_) {
    error = std::string("epoll_create1: ") + std::strerror(errno);
    return false;
  }
  spare_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  return true;
}

int EpollEngine::add_listener(uint32_t index, int fd) {
  if (index >= kMaxListeners) return EINVAL;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = tag(kListenerTag + index, 0);
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) return errno;
  listeners_[index] = fd;
  return 0;
}

void EpollEngine::close_listener(uint32_t index) {
  if (index >= kMaxListeners || listeners_[index] < 0) return;
  ::close(listeners_[index]);  // also leaves the epoll set
  listeners_[index] = -1;
}

int EpollEngine::watch_stop(int fd) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = tag(kStopTag, 0);
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) return errno;
  stop_fd_ = fd;
  return 0;
}

void EpollEngine::unwatch_stop() {
  // Level-triggered and never reset: it must leave the set once seen.
  if (stop_fd_ >= 0) ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, stop_fd_, nullptr);
  stop_fd_ = -1;
}

int EpollEngine::open(uint32_t channel, uint32_t gen, int fd) {
  epoll_event ev{};
  ev.events = kConnectionEvents;
  ev.data.u64 = tag(channel, gen);
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) return errno;
  channels_[channel] = Channel{fd, gen, false, false};
  return 0;
}

int EpollEngine::connect(uint32_t channel, uint32_t gen, int fd, const Address& to) {
  int rc;
  do {
    rc = ::connect(fd, to.sa(), to.length);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0 && errno != EINPROGRESS) return errno;
  // Registered after connect(2): an edge-triggered registration of a socket
  // already writable still reports that edge once.
  if (const int e = open(channel, gen, fd)) return e;
  channels_[channel].connecting = true;
  return 0;
}

void EpollEngine::close(uint32_t channel) {
  Channel& c = channels_[channel];
  if (c.fd >= 0) ::close(c.fd);  // also leaves the epoll set
  c.fd = -1;
  ++c.gen;
}

void EpollEngine::refuse(int fd, std::span<const iovec> answer) { send_and_close(fd, answer); }

void EpollEngine::shutdown_send(uint32_t channel) { ::shutdown(channels_[channel].fd, SHUT_WR); }

IoResult EpollEngine::receive(uint32_t channel, std::span<char> (&space)[2], size_t pieces) {
  Channel& c = channels_[channel];
  iovec iov[2];
  size_t room = 0;
  for (size_t i = 0; i < pieces; ++i) {
    iov[i] = {space[i].data(), space[i].size()};
    room += space[i].size();
  }
  ssize_t n;
  do {
    n = pieces == 1 ? ::recv(c.fd, iov[0].iov_base, iov[0].iov_len, 0) : ::readv(c.fd, iov, static_cast<int>(pieces));
  } while (n < 0 && errno == EINTR);
  return received(n, room, c.rdhup);
}

IoResult EpollEngine::send(uint32_t channel, std::span<const iovec> slices, bool more) {
  Channel& c = channels_[channel];
  const int flags = MSG_NOSIGNAL | (more ? MSG_MORE : 0);
  size_t total = 0;
  for (const iovec& v : slices) total += v.iov_len;
  msghdr msg{};
  msg.msg_iov = const_cast<iovec*>(slices.data());
  msg.msg_iovlen = slices.size();
  ssize_t n;
  do {  // one piece goes by send(): no iovec for the kernel to import
    n = slices.size() == 1 ? ::send(c.fd, slices[0].iov_base, slices[0].iov_len, flags) : ::sendmsg(c.fd, &msg, flags);
  } while (n < 0 && errno == EINTR);
  IoResult r;
  if (n > 0) {
    r.n = n;
    r.drained = static_cast<size_t>(n) < total;  // a short write filled the socket
    return r;
  }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return r;
  r.n = n < 0 ? -errno : -EPIPE;
  return r;
}

IoResult EpollEngine::send_file(uint32_t channel, int file_fd, uint64_t offset, size_t len) {
  return sendfile_now(channels_[channel].fd, file_fd, offset, len);
}

bool EpollEngine::discard_input(uint32_t channel) { return discard_now(channels_[channel].fd); }

IoResult EpollEngine::skip_input(uint32_t channel, size_t len) {
  Channel& c = channels_[channel];
  ssize_t n;
  do {
    n = ::recv(c.fd, nullptr, len, MSG_TRUNC);
  } while (n < 0 && errno == EINTR);
  return received(n, len, c.rdhup);
}

int EpollEngine::wait(EngineSink& sink, int64_t timeout_ns) {
  const int n = epoll_wait_ns(epoll_.get(), events_.data(), static_cast<int>(events_.size()), timeout_ns);
  if (n < 0 && errno != EINTR) return -errno;
  sink.on_wake();
  for (int i = 0; i < n; ++i) {
    const epoll_event& ev = events_[static_cast<size_t>(i)];
    const uint32_t index = static_cast<uint32_t>(ev.data.u64 & 0xffffffffu);
    const uint32_t gen = static_cast<uint32_t>(ev.data.u64 >> 32);
    if (index == kStopTag) {
      sink.on_stop();
      continue;
    }
    if (index >= kListenerTag) {
      accept_from(index - kListenerTag, sink);
      continue;
    }
    if (index >= channels_.size()) continue;
    Channel& c = channels_[index];
    if (c.fd < 0 || c.gen != gen) continue;  // closed (and maybe reused) since this event was queued
    const bool hangup = (ev.events & (EPOLLRDHUP | EPOLLHUP)) != 0;
    if (c.connecting) {
      const int err = socket_error(c.fd);
      if (err == 0 && (ev.events & EPOLLOUT) == 0) continue;  // not yet
      c.connecting = false;
      sink.on_connected(index, -err);
      if (err != 0 || c.fd < 0 || c.gen != gen) continue;  // failed, or closed by the sink
    }
    if (hangup) c.rdhup = true;
    sink.on_ready(index, (ev.events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0,
                  (ev.events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0, hangup);
  }
  return 0;
}

void EpollEngine::accept_from(uint32_t li, EngineSink& sink) {
  if (li >= kMaxListeners || listeners_[li] < 0) return;
  const int lfd = listeners_[li];
  for (int i = 0; i < kAcceptBatch && listeners_[li] >= 0; ++i) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    const int fd = ::accept4(lfd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      sink.on_accept(li, fd, peer_ip(ss), false);
      continue;
    }
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if (errno == EMFILE || errno == ENFILE) {
      // Out of descriptors: the listener is level-triggered, so answer 429 to
      // one client rather than spin.
      const int extra = accept_with_spare(lfd, spare_);
      if (extra >= 0) {
        sink.on_accept(li, extra, PeerIp{}, true);
        continue;
      }
    }
    return;  // EAGAIN (or no descriptor even for the spare)
  }
}

}  // namespace hs::net
