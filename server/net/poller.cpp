#include "net/poller.hpp"

#include <cerrno>

namespace hs::net {

int Poller::open() {
  epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  return epoll_ ? 0 : errno;
}

int Poller::add(int fd, uint32_t events, uint64_t data) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = data;
  return ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : errno;
}

int Poller::remove(int fd) {
  return ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr) == 0 ? 0 : errno;
}

int Poller::wait(std::span<epoll_event> events, int timeout_ms) {
  const int n = ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), timeout_ms);
  if (n >= 0) return n;
  return errno == EINTR ? 0 : -errno;
}

}  // namespace hs::net
