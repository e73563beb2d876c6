// The completion engine: one io_uring per worker (SINGLE_ISSUER and
// DEFER_TASKRUN where the kernel has them; no SQPOLL). The ring is enabled on
// the worker's own thread at the first wait(), so it is bound to that thread.
//  - Accept: multishot, one request per listener.
//  - Receive: multishot into a provided-buffer ring whose buffers are the
//    worker's receive buffers, lent by the loop: an idle keep-alive
//    connection holds no buffer. An empty ring ends the receive with
//    -ENOBUFS, which the loop treats as back-pressure (it re-arms once
//    buffers come back); no byte is lost, they wait in the socket. A
//    connection that already holds a buffer (a request split over packets, a
//    body) may instead receive straight into its own free space: a one-shot
//    receive that needs no ring buffer (so held buffers cannot starve the
//    ring of the bytes that would free them).
//  - Buffer lifetime: DEFER_TASKRUN is required. Received bytes are copied
//    only in task work, which then runs inside this thread's io_uring_enter
//    after that call's submissions, so a receive cancelled in the same loop
//    turn as its buffer is given back can never write into it.
//  - Send: IORING_OP_SEND (one slice) or SENDMSG (up to kMaxIov), one in
//    flight per connection; every send and re-arm of a loop turn goes in the
//    one io_uring_enter of the next wait().
//  - Connect (clients): IORING_OP_CONNECT; its result becomes on_connected().
//  - File ranges: sendfile(2) in place on the non-blocking socket; when the
//    socket is full, a POLLOUT poll request says when to go on.
// Completions carry (generation, channel, operation) in user_data: a
// completion for a channel closed (and maybe reused) since is dropped, and
// its buffer goes straight back to the ring.
#pragma once

#include <liburing.h>

#include <cerrno>

#include "engine/engine.hpp"
#include "sockets/fd.hpp"

namespace hs::net {

class UringEngine final : public Engine {
public:
  static constexpr size_t kMaxIov = 8;

  UringEngine() = default;
  ~UringEngine() override;

  IoKind kind() const override { return IoKind::Uring; }
  bool lends_buffers() const override { return true; }
  size_t arena_bytes(const EngineConfig& config) const override;
  bool init(const EngineConfig& config, core::StartupArena& arena, std::string& error) override;
  std::string describe() const override;

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
  void pause_receive(uint32_t channel) override;
  IoResult send(uint32_t channel, std::span<const iovec> slices, bool more) override;
  IoResult send_file(uint32_t channel, int file_fd, uint64_t offset, size_t len) override;
  bool discard_input(uint32_t channel) override;
  IoResult skip_input(uint32_t, size_t) override { return IoResult{-EOPNOTSUPP, false}; }
  void give_buffer(uint32_t index) override;

  int wait(EngineSink& sink, int64_t timeout_ns) override;

  // Bytes of kernel-shared ring memory (SQ, CQ, SQEs, the buffer ring), for
  // the start-up reservation line.
  size_t ring_bytes() const override { return ring_bytes_; }

private:
  enum Op : uint32_t { kAccept = 1, kRecv, kSend, kPoll, kStop, kCancel, kConnect };  // 3 bits
  struct Channel {
    int fd = -1;
    uint32_t gen = 0;
    bool recv_armed = false;  // a multishot receive is in flight
    bool send_busy = false;
    bool poll_armed = false;
    bool connecting = false;  // a CONNECT is in flight
    bool cancelling = false;  // pause_receive asked the receive to end
    bool direct = false;      // the receive in flight is one-shot into direct_at
    char* direct_at = nullptr;
  };
  struct SendMsg {            // what an in-flight SENDMSG points at
    msghdr msg;
    iovec iov[kMaxIov];
  };
  union SendArea {
    SendMsg send;
    sockaddr_storage to;      // what an in-flight CONNECT points at (no send before it ends)
  };
  static constexpr size_t kMaxListeners = 16;
  static constexpr uint16_t kGroup = 0;

  io_uring_sqe* sqe();
  // The msghdr/iovec (or address) an SQE points at lives beside the SQE's own
  // index: the kernel has consumed it once the SQE is submitted
  // (IORING_FEAT_SUBMIT_STABLE), and the index is not reused before that. So
  // the areas number the SQ's entries, not the connections (idle connections
  // hold none, and the pages touched are the few a turn's batch uses).
  SendArea& area_of(const io_uring_sqe* s) { return sends_[static_cast<size_t>(s - ring_.sq.sqes)]; }
  void enable();
  void cancel(uint64_t user_data);
  void arm_accept(uint32_t listener);
  void arm_stop();
  void complete(const io_uring_cqe& cqe, EngineSink& sink);
  void recycle(uint32_t buffer);

  io_uring ring_{};
  bool ring_open_ = false;
  bool enabled_ = false;
  unsigned setup_flags_ = 0;
  io_uring_buf_ring* buf_ring_ = nullptr;
  size_t buf_ring_bytes_ = 0;
  uint32_t buf_entries_ = 0;
  uint32_t lent_pending_ = 0;  // buffers added to the ring since the last advance
  size_t ring_bytes_ = 0;
  std::span<Channel> channels_;
  std::span<SendArea> sends_;  // one per SQ entry
  std::span<char> buffer_mem_;
  size_t buffer_size_ = 0;    // what the kernel may fill
  size_t buffer_stride_ = 0;  // from one buffer to the next (TLS room included)
  uint32_t buffers_ = 0;
  int listeners_[kMaxListeners] = {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1};
  bool accept_armed_[kMaxListeners] = {};
  int stop_fd_ = -1;
  bool stop_armed_ = false;
  bool want_peer_ = false;
  Fd spare_;
};

// Whether io_uring can run the engine here (kernel, sysctl, seccomp); on
// false, `why` says why not ("io_uring_setup: Operation not permitted").
bool uring_usable(std::string& why);

}  // namespace hs::net
