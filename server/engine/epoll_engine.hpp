// The readiness engine: one epoll instance per worker. Connections are
// registered once, edge-triggered for input and output (no epoll_ctl per
// event); listeners and the stop event are level-triggered. receive() and
// send() run the system call at once; EAGAIN turns into kPending and the next
// edge into on_ready(), after which the loop asks again. An outgoing
// connection (connect) is registered the same way; its first writable edge
// or error becomes on_connected() (SO_ERROR says which).
#pragma once

#include <sys/epoll.h>

#include "engine/engine.hpp"
#include "sockets/fd.hpp"

namespace hs::net {

class EpollEngine final : public Engine {
public:
  EpollEngine() = default;
  ~EpollEngine() override;  // closes the listeners and connections still open
  IoKind kind() const override { return IoKind::Epoll; }
  bool lends_buffers() const override { return false; }
  size_t arena_bytes(const EngineConfig& config) const override;
  bool init(const EngineConfig& config, core::StartupArena& arena, std::string& error) override;
  std::string describe() const override { return "epoll"; }

  int add_listener(uint32_t index, int fd) override;
  void close_listener(uint32_t index) override;
  int watch_stop(int fd) override;
  void unwatch_stop() override;

  int open(uint32_t channel, uint32_t gen, int fd) override;
  int connect(uint32_t channel, uint32_t gen, int fd, const Address& to) override;
  void close(uint32_t channel) override;
  void refuse(int fd, std::span<const iovec> answer) override;
  void shutdown_send(uint32_t channel) override;

  IoResult receive(uint32_t channel, std::span<char> (&space)[2], size_t pieces) override;
  void pause_receive(uint32_t) override {}
  IoResult send(uint32_t channel, std::span<const iovec> slices, bool more) override;
  IoResult send_file(uint32_t channel, int file_fd, uint64_t offset, size_t len) override;
  bool discard_input(uint32_t channel) override;
  IoResult skip_input(uint32_t channel, size_t len) override;
  void give_buffer(uint32_t) override {}

  int wait(EngineSink& sink, int64_t timeout_ns) override;

private:
  struct Channel {
    int fd = -1;
    uint32_t gen = 0;
    bool rdhup = false;  // the peer's FIN is pending: read on to the 0 that reports it
    bool connecting = false;  // connect() in progress: the first writable edge (or an error) ends it
  };
  static constexpr size_t kMaxListeners = 16;

  void accept_from(uint32_t listener, EngineSink& sink);

  Fd epoll_;
  std::span<Channel> channels_;
  std::span<epoll_event> events_;
  int listeners_[kMaxListeners] = {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1};
  int stop_fd_ = -1;
  bool want_peer_ = false;
  Fd spare_;  // kept open to accept (and refuse) a connection when descriptors run out
};

}  // namespace hs::net
