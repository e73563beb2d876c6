// One event loop: its engine (epoll or io_uring, behind engine/engine.hpp),
// its own listeners (SO_REUSEPORT), and every pool its connections use,
// carved from one start-up arena. Workers share nothing; `--workers N` runs N
// of them on N threads. The loop sees no epoll or io_uring type.
//
// Contract of the loop (run):
//  - The loop owns slots, wait lists, timers, drain and shutdown; the engine
//    moves bytes. Each slot remembers whether it may ask the engine to read
//    (can_read) and to write (can_write): under epoll these follow the edges
//    (read until EAGAIN, write until a short write); under io_uring they say
//    whether a receive needs arming and whether no send is in flight.
//  - drive(slot) moves bytes between the engine and conn::Connection: write
//    first (it frees responders and pipeline room), then read; a bounded
//    number of rounds per call, after which the slot goes on the ready list
//    and is driven again in the next iteration (fairness).
//  - A receive buffer is held only while the connection needs one. Under
//    epoll it is borrowed from the pool before reading; under io_uring every
//    free buffer is lent to the engine's provided-buffer ring and the bytes
//    arrive in one: a connection without a buffer adopts it (no copy), one
//    with unread bytes gets a copy and the landing buffer goes back. Pieces a
//    connection cannot take yet wait on the slot ("held"); past two, its
//    receive is paused (back-pressure). When no buffer is free the slot waits
//    on a FIFO and is driven when one comes back. Likewise for responders.
//  - After every drive the slot's timer is re-armed at conn.deadline(); the
//    engine's wait timeout comes from the timer wheel.
//  - Nothing is allocated after init(): slots, buffers, responders, timers,
//    scratch, the engine's state and the access-log batch all live in the
//    arena.
#pragma once

#include <array>
#include <memory>
#include <new>
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
#include "daemon/access_log.hpp"
#include "daemon/clock_text.hpp"
#include "engine/engine.hpp"
#include "loop/https_policy.hpp"
#include "sockets/address.hpp"
#include "sockets/fd.hpp"
#include "sockets/listener.hpp"
#include "tls/tls_context.hpp"
#include "tls/tls_transport.hpp"

namespace hs::net {

// HTTPS on some of the listeners (see worker_tls.cpp).
struct WorkerTls {
  tls::TlsContext* context = nullptr;  // null: no TLS listener
  uint32_t listener_mask = 0;          // bit i: listener i speaks TLS
  uint32_t handshakes = 16;            // concurrent handshakes (and TLS 1.2 connections)
  uint32_t seal_buffers = 16;          // areas where records are sealed, held while sending
  bool enabled() const { return context != nullptr && listener_mask != 0; }
};

// Bytes a TLS connection's receive buffer has beyond limits.buffer_size:
// one whole record (header and the largest ciphertext) behind a full buffer
// of plaintext.
constexpr size_t kTlsReceiveExtra = tls::kRecordHeader + tls::kMaxCiphertext;
// One seal area: four full records, so a file goes out 64 KiB per send.
constexpr size_t kSealAreaBytes = 4 * tls::sealed_size(tls::kMaxPlaintext) + 256;

struct WorkerConfig {
  conn::Limits limits;
  uint32_t max_connections = 1024;  // connection slots of this worker
  uint32_t buffers = 64;            // receive buffers of limits.buffer_size bytes
  uint32_t responders = 256;        // of limits.responder_size bytes
  core::Millis shutdown_timeout = 5'000;  // finish responses in flight after SIGTERM
  core::Millis linger_timeout = 1'000;    // drain input after an error response before closing
  size_t log_batch = 0;             // access-log batch bytes (0: logging off)
  IoKind io = IoKind::Epoll;        // resolved from --io by the server
  WorkerTls tls;
  HttpsPolicyConfig https;          // --redirect-https, --hsts
  // From one receive buffer to the next: room for a TLS record when TLS is on.
  size_t buffer_stride() const { return limits.buffer_size + (tls.enabled() ? kTlsReceiveExtra : 0); }
};

// Pool occupancy, for the status endpoint (read on the worker's own thread).
struct WorkerGauges {
  size_t connections_capacity = 0, connections_in_use = 0;
  size_t buffers_capacity = 0, buffers_in_use = 0;
  size_t responders_capacity = 0, responders_in_use = 0;
  size_t tls_handshakes_capacity = 0, tls_handshakes_in_use = 0;
  size_t seal_buffers_capacity = 0, seal_buffers_in_use = 0;
  uint64_t idle_releases = 0;
};

class Worker final : private EngineSink {
public:
  static constexpr size_t kMaxListeners = kMaxListenAddresses;

  Worker() = default;
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // The arena size init() reserves for `config` (the start-up line sums these).
  static size_t arena_bytes(const WorkerConfig& config);

  // Reserves the arena, carves the pools, sets up the engine and registers the
  // listeners (taken over) and the stop event (borrowed). `log_fd` < 0: no
  // access log. On failure returns false with a one-line reason in `error`.
  bool init(const WorkerConfig& config, conn::Service& service, std::span<Fd> listeners, int stop_fd, int log_fd,
            std::string& error);

  // Serves until the stop event is raised and the drain completes. Returns
  // false when the loop failed (the engine's wait failed).
  bool run();

  const conn::Stats& stats() const { return stats_; }
  WorkerGauges gauges() const;
  size_t reserved() const { return arena_.size(); }
  const Engine& engine() const { return *engine_; }

private:
  enum class List : uint8_t { None, Ready, BufferWait, ResponderWait, Lingering, SealWait, HandshakeWait };
  static constexpr uint32_t kNil = 0xffffffffu;

  struct Slot {
    conn::Connection conn;
    uint32_t gen = 0;           // bumped on close: the engine drops stale events
    uint32_t prev = kNil;       // intrusive links of the list the slot is on
    uint32_t next = kNil;
    uint32_t held_head = kNil;  // io_uring: landed pieces not yet taken, oldest first
    uint32_t held_tail = kNil;
    uint8_t held = 0;
    List list = List::None;
    bool open = false;
    bool can_read = false;      // ask the engine to receive (epoll: edge seen; io_uring: not armed)
    bool can_write = false;     // ask the engine to send (epoll: room; io_uring: none in flight)
    bool eof_pending = false;   // io_uring: the peer closed after the held pieces
    bool starved = false;       // io_uring: the receive ended for want of a buffer
    bool direct = false;        // io_uring: a receive into the connection's own buffer is in flight
    bool eof = false;           // the peer closed its side
    bool lingering = false;     // response sent, draining input before close
    bool tls = false;           // accepted on a TLS listener: tls_[index] carries it
    PeerIp peer;
  };

  // A TLS connection's transport and its seal area while it sends.
  struct TlsSlot {
    tls::TlsTransport transport;
    uint32_t seal = kNil;       // seal pool index, held while sealed bytes wait
    uint32_t sealed = 0;        // bytes in the area
    uint32_t sent = 0;          // of which the engine took this many
    bool close_queued = false;  // close_notify asked
    core::Millis flush_until = 0;  // closing: how long close_notify may wait to go out
  };
  // Arena storage for one TlsSlot (the arena runs no destructors: a slot's
  // transport is stopped when the slot closes, and run() closes them all).
  struct TlsCell {
    alignas(TlsSlot) unsigned char bytes[sizeof(TlsSlot)];
  };

  // A received piece waiting in its lent buffer (io_uring).
  struct Held {
    uint32_t next = kNil;
    uint32_t offset = 0;
    uint32_t length = 0;
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

  // EngineSink
  void on_wake() override;
  void on_accept(uint32_t listener, int fd, const PeerIp& peer, bool over_limit) override;
  void on_ready(uint32_t channel, bool readable, bool writable, bool hangup) override;
  void on_received(uint32_t channel, int64_t n, char* data, uint32_t buffer, bool more) override;
  void on_sent(uint32_t channel, int64_t n) override;
  void on_connected(uint32_t, int) override {}  // a server never connects
  void on_stop() override { begin_drain(); }

  // The TLS path (worker_tls.cpp).
  bool tls_init(std::span<BufferRef> seal_refs, std::span<uint32_t> seal_next, std::string& error);
  bool tls_open(Slot& s, uint32_t listener);  // false: the handshake cannot start (arena full)
  bool tls_start(Slot& s);
  bool tls_waiting(const Slot& s) const;      // accepted, waiting for a handshake slot
  void tls_start_waiting();
  void tls_close(Slot& s);
  TlsSlot& tls_at(uint32_t i) const { return *std::launder(reinterpret_cast<TlsSlot*>(tls_[i].bytes)); }
  TlsSlot& tls_of(const Slot& s) const { return tls_at(index_of(s)); }
  void tls_received(Slot& s, size_t n);  // n ciphertext bytes were appended after the tail
  Io tls_step(Slot& s);                  // hand-off / buffered plaintext once output drained
  Io tls_write(Slot& s, size_t& file_turn_left);
  size_t tls_fill(Slot& s, TlsSlot& t, size_t& file_turn_left, bool& failed);
  bool tls_has_output(const Slot& s) const;
  bool tls_flushed(Slot& s, bool& error);
  bool tls_handshaking(const Slot& s) const;
  void tls_release_seal(TlsSlot& t);
  // Bytes received in the connection's read space: plaintext as it is,
  // ciphertext through the transport.
  void deliver(Slot& s, size_t n);
  bool wants_write(const Slot& s) const { return s.conn.wants_write() || (s.tls && tls_has_output(s)); }
  bool may_release_buffer(const Slot& s) const {
    return s.conn.can_release_buffer() && !s.direct && !(s.tls && tls_handshaking(s));
  }
  void attach(Slot& s, std::span<char> mem);

  void reject(int fd, const PeerIp& peer, bool tls);
  void drive(Slot& s);
  Io read_some(Slot& s);
  Io take_held(Slot& s);   // io_uring: hands held pieces to the connection
  void drop_held(Slot& s);
  bool buffer_available() const;
  Slot* live(uint32_t channel);  // the open slot on `channel`, or null
  uint32_t buffer_index(std::span<char> mem) const;
  // file_turn_left: file bytes this connection may still send in this turn.
  Io write_some(Slot& s, size_t& file_turn_left);
  void start_linger(Slot& s);
  void linger_read(Slot& s);
  void lend_buffer(uint32_t index);
  void close_slot(Slot& s);
  void on_timer(core::TimerNode& node);
  void serve_waiters();
  void run_ready();
  void begin_drain();
  bool idle(const Slot& s) const;
  bool acquire_buffer(Slot& s);
  void release_buffer(Slot& s);
  void release_idle_pools();  // see pools_dirty_
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
  std::unique_ptr<Engine> engine_;
  bool lends_ = false;       // the engine receives into lent buffers (io_uring)
  size_t listener_count_ = 0;

  std::span<Slot> slots_;    // constructed on first use (built_)
  std::span<uint8_t> built_;
  core::FixedPool<Slot> slot_pool_;
  std::span<conn::QueueEntry> queues_;  // max_pipeline entries per slot
  std::span<char> buffer_mem_;
  core::FixedPool<BufferRef> buffer_pool_;
  std::span<Held> held_;     // one per buffer (io_uring)
  uint32_t lent_ = 0;        // buffers in the engine's ring
  // Idle release: once a second at most, when no receive buffer (or
  // responder) is in use, their pages go back to the kernel (MADV_DONTNEED).
  // The reservation stays; a page costs memory again once traffic writes it.
  // This matters under io_uring, whose buffer ring hands out every buffer in
  // turn (FIFO), where epoll's LIFO pool keeps reusing the same few.
  bool pools_dirty_ = false;
  core::Millis next_release_ = 0;
  uint64_t idle_releases_ = 0;
  std::span<char> responder_mem_;
  core::FixedPool<conn::Responder> responder_pool_;
  core::TimerWheel wheel_;
  // TLS (engaged when a listener speaks it).
  std::span<TlsCell> tls_;   // one per slot, constructed on first use
  std::unique_ptr<tls::HandshakePool> handshakes_;
  std::span<char> seal_mem_;
  core::FixedPool<BufferRef> seal_pool_;
  SlotList seal_wait_;
  SlotList handshake_wait_;  // TLS connections waiting for a handshake slot, oldest first
  SlotList ready_, buffer_wait_, responder_wait_;
  SlotList lingering_;  // oldest first: reclaimed when a new connection finds no free slot

  conn::Stats stats_;
  conn::Context ctx_;
  ClockText clock_;
  AccessLog log_;
  std::optional<LoggingService> logging_;  // engaged when the access log is on
  std::optional<HttpsPolicy> https_;       // engaged with --redirect-https or --hsts

  core::Millis now_ = 0;
  size_t open_ = 0;
  bool draining_ = false;
  core::Millis drain_deadline_ = core::kNever;
};

}  // namespace hs::net
