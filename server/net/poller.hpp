// A thin epoll wrapper: one instance per worker. Connections are registered
// once, edge-triggered, for reading and writing (no epoll_ctl per event);
// listeners and the stop event are level-triggered.
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <span>

#include "net/fd.hpp"

namespace hs::net {

class Poller {
public:
  static constexpr uint32_t kConnectionEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;

  // Returns errno, 0 on success.
  int open();
  int add(int fd, uint32_t events, uint64_t data);
  int remove(int fd);
  // Returns the number of events (0 on timeout or EINTR), or -errno.
  int wait(std::span<epoll_event> events, int timeout_ms);

private:
  Fd epoll_;
};

}  // namespace hs::net
