// The I/O seam between a worker's loop and the kernel. The loop owns slots,
// timers and order; an engine moves bytes. The loop asks for work on a
// channel (one connection, named by its slot index) and is called back on its
// EngineSink when work completes or a descriptor becomes ready:
//  - epoll (readiness): the work is performed at once when the descriptor is
//    ready; otherwise the call returns kPending and the sink hears on_ready()
//    on the next edge, after which the loop asks again;
//  - io_uring (completion): receive and send are submitted (one
//    io_uring_enter per loop turn carries them all) and their results reach
//    the sink as on_received()/on_sent(); received bytes land in buffers the
//    loop lent the engine (a provided-buffer ring) and are handed back with
//    give_buffer().
// Clients (homeserve bench, flood) drive the same engines: they open their
// channels with connect() instead of taking accepted descriptors.
// A byte-transforming transport (TLS) sits between the loop's channel calls
// and the connection: it sees ciphertext from on_received()/receive() and
// hands send() ciphertext, so neither the engine nor the connection knows it.
//
// Nothing here allocates after init(): per-channel state lives in the
// worker's start-up arena.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/startup_arena.hpp"
#include "sockets/address.hpp"

namespace hs::net {

enum class IoKind : uint8_t { Epoll, Uring };
enum class IoChoice : uint8_t { Auto, Epoll, Uring };

const char* to_string(IoKind kind);

// The result of a receive/send call: bytes moved (> 0), 0 (receive: the
// peer closed), kPending (nothing yet: a callback follows), or -errno.
struct IoResult {
  static constexpr int64_t kPending = -(int64_t{1} << 40);
  int64_t n = kPending;
  bool drained = false;  // epoll: the socket has nothing more (receive) or no room (send) right now
  bool pending() const { return n == kPending; }
};

constexpr uint32_t kNoBuffer = 0xffffffffu;

// What the engine tells the loop. Every call happens inside Engine::wait(),
// on the worker's own thread.
class EngineSink {
public:
  // The wait returned (before any event of this turn is delivered): the
  // loop reads the clock once here.
  virtual void on_wake() = 0;
  // A connection was accepted on listener `listener` (fd >= 0), or accepting
  // failed for lack of descriptors and `fd` was taken with the spare
  // descriptor only to be refused (over_limit).
  virtual void on_accept(uint32_t listener, int fd, const PeerIp& peer, bool over_limit) = 0;
  // Readiness (epoll, or a file send waiting for room under io_uring).
  virtual void on_ready(uint32_t channel, bool readable, bool writable, bool hangup) = 0;
  // Completions (io_uring). `data` points into lent buffer `buffer` (n > 0);
  // n == 0: the peer closed; n < 0: -errno. `more`: the receive stays armed.
  virtual void on_received(uint32_t channel, int64_t n, char* data, uint32_t buffer, bool more) = 0;
  virtual void on_sent(uint32_t channel, int64_t n) = 0;
  // An outgoing connection (Engine::connect) is established (result 0) or
  // failed (-errno). Under epoll, readiness that came with it follows as
  // on_ready(). Servers never connect: they ignore it.
  virtual void on_connected(uint32_t channel, int result) = 0;
  // The stop event was raised.
  virtual void on_stop() = 0;

protected:
  ~EngineSink() = default;
};

struct EngineConfig {
  uint32_t channels = 0;            // connection slots
  std::span<char> buffer_mem;       // receive buffers, lent to the engine where it receives into its own
  size_t buffer_size = 0;           // bytes the engine may receive into one
  size_t buffer_stride = 0;         // from one buffer to the next (0: buffer_size); more under TLS
  uint32_t listeners = 0;
  bool want_peer = false;           // accepted connections need their peer address (access log)
};

class Engine {
public:
  virtual ~Engine() = default;
  virtual IoKind kind() const = 0;
  // True when received bytes land in lent buffers (on_received) rather than
  // in space the loop names (receive(space)).
  virtual bool lends_buffers() const = 0;
  // Bytes of the worker's arena this engine takes for `config` (the start-up
  // reservation line includes them), then the set-up itself.
  virtual size_t arena_bytes(const EngineConfig& config) const = 0;
  virtual bool init(const EngineConfig& config, core::StartupArena& arena, std::string& error) = 0;
  // One line for the start-up line: "epoll", "io_uring (ring 512, 64 lent buffers)".
  virtual std::string describe() const = 0;
  // Kernel-shared ring memory outside the arena (io_uring), for the start-up line.
  virtual size_t ring_bytes() const { return 0; }

  virtual int add_listener(uint32_t index, int fd) = 0;
  virtual void close_listener(uint32_t index) = 0;   // stop accepting and close it
  virtual int watch_stop(int fd) = 0;
  virtual void unwatch_stop() = 0;

  // A connection takes channel `channel` (its generation tells stale
  // completions apart) / leaves it: close() cancels what is in flight and
  // closes the descriptor.
  virtual int open(uint32_t channel, uint32_t gen, int fd) = 0;
  // A client's outgoing connection takes channel `channel`: `fd` is a
  // non-blocking socket, connected to `to` (the engine keeps its own copy of
  // the address). 0: the outcome follows as on_connected(), and close()
  // releases the channel as after open(); an errno: the connect failed at
  // once (ECONNREFUSED on loopback) or could not be asked, the channel is not
  // taken and `fd` is still the caller's.
  virtual int connect(uint32_t channel, uint32_t gen, int fd, const Address& to) = 0;
  virtual void close(uint32_t channel) = 0;
  // Sends a fixed answer to a connection that gets no channel and closes it.
  virtual void refuse(int fd, std::span<const iovec> answer) = 0;
  // Half-closes the sending side (lingering close).
  virtual void shutdown_send(uint32_t channel) = 0;

  // Receives into `space` (epoll) or arms the receive into lent buffers (io_uring).
  virtual IoResult receive(uint32_t channel, std::span<char> (&space)[2], size_t pieces) = 0;
  // Stops an armed io_uring receive (the loop holds too much already); no-op under epoll.
  virtual void pause_receive(uint32_t channel) = 0;
  // Sends the slices (`more`: a file range follows at once).
  virtual IoResult send(uint32_t channel, std::span<const iovec> slices, bool more) = 0;
  virtual IoResult send_file(uint32_t channel, int file_fd, uint64_t offset, size_t len) = 0;
  // Discards input (a lingering connection); true when the peer is done.
  virtual bool discard_input(uint32_t channel) = 0;
  // Drops up to `len` received bytes uncopied (TCP's MSG_TRUNC) and says how
  // many, like receive() (a client counting a long body). Only for an engine
  // that does not lend buffers: one that does delivers every byte into them
  // (the loop only counts), and answers -EOPNOTSUPP.
  virtual IoResult skip_input(uint32_t channel, size_t len) = 0;

  // Lends buffer `index` of the receive pool back to the engine.
  virtual void give_buffer(uint32_t index) = 0;

  // Submits what was asked since the last call, waits up to timeout_ns (-1:
  // no limit; nanoseconds, so a client's constant-rate schedule is kept to
  // the microsecond) and delivers what happened to `sink`. Returns 0 or -errno.
  virtual int wait(EngineSink& sink, int64_t timeout_ns) = 0;
};

// Resolves `--io`: Auto picks io_uring where the kernel allows it (new
// enough, not disabled by kernel.io_uring_disabled, not refused by a seccomp
// filter), else epoll with `why` saying why not. Uring where io_uring cannot
// run: false, with the reason in `error`.
bool choose_io(IoChoice choice, IoKind& kind, std::string& why, std::string& error);
bool parse_io_choice(std::string_view text, IoChoice& out);
std::unique_ptr<Engine> make_engine(IoKind kind);
// The arena bytes an engine of `kind` takes (for sizing before it exists).
size_t engine_arena_bytes(IoKind kind, const EngineConfig& config);

}  // namespace hs::net
