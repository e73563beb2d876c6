// One event loop: an epoll instance, its own listeners (SO_REUSEPORT), and
// every pool its connections use, carved from one start-up arena. Workers
// share nothing; `--workers N` runs N of them on N threads.
//
// Contract of the loop (run):
//  - Connections are registered once, edge-triggered for input and output;
//    each slot remembers whether its socket is readable/writable, so the
//    loop reads until a short read or EAGAIN and writes until a short write
//    or EAGAIN, and never calls epoll_ctl per event.
//  - drive(slot) moves bytes between the socket and conn::Connection: write
//    first (it frees responders and pipeline room), then read; a bounded
//    number of rounds per call, after which the slot goes on the ready list
//    and is driven again in the next iteration (fairness).
//  - A receive buffer is borrowed only while the connection needs one; when
//    none is free the slot waits on a FIFO (back-pressure) and is driven when
//    one comes back. Likewise for responders.
//  - After every drive the slot's timer is re-armed at conn.deadline(); the
//    epoll_wait timeout comes from the timer wheel.
//  - Nothing is allocated after init(): slots, buffers, responders, timers,
//    scratch, the event array and the access-log batch all live in the arena.
#pragma once

#include <sys/epoll.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "conn/connection.hpp"
#include "conn/limits.hpp"
#include "conn/stats.hpp"
#include "core/fixed_pool.hpp"
#include "core/startup_arena.hpp"
#include "core/timer_wheel.hpp"
#include "net/access_log.hpp"
#include "net/address.hpp"
#include "net/clock_text.hpp"
#include "net/fd.hpp"
#include "net/poller.hpp"

namespace hs::net {

struct WorkerConfig {
  conn::Limits limits;
  uint32_t max_connections = 1024;  // connection slots of this worker
  uint32_t buffers = 64;            // receive buffers of limits.buffer_size bytes
  uint32_t responders = 256;        // of limits.responder_size bytes
  core::Millis shutdown_timeout = 5'000;  // finish responses in flight after SIGTERM
  core::Millis linger_timeout = 1'000;    // drain input after an error response before closing
  size_t log_batch = 0;             // access-log batch bytes (0: logging off)
};

// Pool occupancy, for the status endpoint (read on the worker's own thread).
struct WorkerGauges {
  size_t connections_capacity = 0, connections_in_use = 0;
  size_t buffers_capacity = 0, buffers_in_use = 0;
  size_t responders_capacity = 0, responders_in_use = 0;
};

class Worker {
public:
  static constexpr size_t kMaxListeners = 16;

  Worker() = default;
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // The arena size init() reserves for `config` (the start-up line sums these).
  static size_t arena_bytes(const WorkerConfig& config);

  // Reserves the arena, carves the pools, opens epoll and registers the
  // listeners (taken over) and the stop event (borrowed). `log_fd` < 0: no
  // access log. On failure returns false with a one-line reason in `error`.
  bool init(const WorkerConfig& config, conn::Service& service, std::span<Fd> listeners, int stop_fd, int log_fd,
            std::string& error);

  // Serves until the stop event is raised and the drain completes. Returns
  // false when the loop failed (epoll_wait error).
  bool run();

  const conn::Stats& stats() const { return stats_; }
  WorkerGauges gauges() const;
  size_t reserved() const { return arena_.size(); }

private:
  enum class List : uint8_t { None, Ready, BufferWait, ResponderWait, Lingering };
  static constexpr uint32_t kNil = 0xffffffffu;

  struct Slot {
    conn::Connection conn;
    int fd = -1;
    uint32_t gen = 0;           // bumped on close: stale epoll events are ignored
    uint32_t prev = kNil;       // intrusive links of the list the slot is on
    uint32_t next = kNil;
    List list = List::None;
    bool readable = false;      // edge seen, not yet read to EAGAIN
    bool writable = false;
    bool rdhup = false;         // the peer's FIN is pending: read to the end
    bool eof = false;           // read returned 0
    bool lingering = false;     // response sent, draining input before close
    PeerIp peer;
  };

  struct SlotList {
    uint32_t head = kNil;
    uint32_t tail = kNil;
    uint32_t size = 0;
  };

  struct BufferRef {
    std::span<char> mem;
  };

  enum class Io : uint8_t { Progress, Blocked, Stalled, Error };

  void dispatch(const epoll_event& ev);
  void accept_from(size_t listener);
  void reject(int fd, const PeerIp& peer);
  void drive(Slot& s);
  Io read_some(Slot& s);
  // file_turn_left: file bytes this connection may still send in this turn.
  Io write_some(Slot& s, size_t& file_turn_left);
  void start_linger(Slot& s);
  void linger_read(Slot& s);
  void close_slot(Slot& s);
  void on_timer(core::TimerNode& node);
  void serve_waiters();
  void run_ready();
  void begin_drain();
  bool idle(const Slot& s) const;
  bool acquire_buffer(Slot& s);
  void release_buffer(Slot& s);
  void refresh_clock();
  int next_timeout() const;
  void enter(Slot& s);  // before calling into a connection (names it for the access log)
  void leave();

  uint32_t index_of(const Slot& s) const { return static_cast<uint32_t>(&s - slots_.data()); }
  SlotList& list_of(List l);
  void list_push(List l, Slot& s);
  void list_remove(Slot& s);
  Slot* list_pop(List l);

  WorkerConfig config_;
  core::StartupArena arena_;
  Poller poller_;
  std::array<Fd, kMaxListeners> listeners_;
  size_t listener_count_ = 0;
  int stop_fd_ = -1;
  Fd spare_;  // kept open to accept (and refuse) a connection when descriptors run out

  std::span<Slot> slots_;
  core::FixedPool<Slot> slot_pool_;
  std::span<conn::Responder*> queues_;  // max_pipeline entries per slot
  std::span<char> buffer_mem_;
  core::FixedPool<BufferRef> buffer_pool_;
  std::span<char> responder_mem_;
  core::FixedPool<conn::Responder> responder_pool_;
  core::TimerWheel wheel_;
  std::span<epoll_event> events_;
  SlotList ready_, buffer_wait_, responder_wait_;
  SlotList lingering_;  // oldest first: reclaimed when a new connection finds no free slot

  conn::Stats stats_;
  conn::Context ctx_;
  ClockText clock_;
  AccessLog log_;
  std::optional<LoggingService> logging_;  // engaged when the access log is on

  core::Millis now_ = 0;
  size_t open_ = 0;
  bool draining_ = false;
  core::Millis drain_deadline_ = core::kNever;
};

}  // namespace hs::net
