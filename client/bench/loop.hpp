// One `homeserve bench` thread: its connections on its own I/O engine (the
// server's, engine/engine.hpp: epoll or io_uring), each connection a channel.
// Per batch of responses: one read (framed in place), one clock read, one
// write of the next requests (pre-built bytes). No allocation after init().
//  - epoll: reads go into one fixed buffer, up to 16 per readable edge.
//    Inside a long Content-Length body (64 KiB or more left) the bytes are
//    only counted: skip_input (recv(MSG_TRUNC)) drops them in the kernel
//    without a copy, never past the body.
//  - io_uring: one multishot receive per connection into a ring of lent
//    16 KiB buffers, framed where they land and lent back at once (a body is
//    counted there: no MSG_TRUNC); a send in flight per connection; every
//    turn's sends and re-arms go in one io_uring_enter.
//
// Closed loop (rate 0): every connection keeps `depth` requests in flight and
// sends as many as were answered, as soon as they were answered; latency runs
// from the write. Constant rate: the thread's requests are due at
// start + k / rate; a due request goes to a connection with a free slot, and
// its latency runs from when it was due, not when it could be sent (the
// correction for coordinated omission): a stalled server shows as latency.
//
// Errors close the connection and open it again: connect (refused, failed),
// reset (ECONNRESET, EPIPE, or a close with requests unanswered), timeout (no
// byte for `timeout` while requests are in flight), framing (the response
// framer's verdict: bad status line or fields, wrong Content-Length, bytes
// nobody asked for, a close inside a response), status (unexpected status;
// the connection stays). With a request count (-n), every request ends as a
// response or an error (connect errors count too), so the run always ends.
//
// https: each connection runs a TLS client session (client/common/
// tls_client.hpp) between the engine and the framing: received ciphertext
// is fed to it and the plaintext it yields is framed as above (no MSG_TRUNC:
// every byte must be decrypted); request bytes are encrypted a record at a
// time into the connection's wire buffer, which stays put until the engine
// has sent it (io_uring). A failed handshake counts as a connect error; a
// handshake with no progress for `timeout` too. OpenSSL allocates per
// connection (its session, at every connect); the request path allocates
// nothing beyond that.
//
// new_connection: every response closes its connection (the requests ask for
// it with Connection: close) and a new one opens: with https this measures
// handshakes per second.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "client/bench/histogram.hpp"
#include "client/bench/requests.hpp"
#include "client/bench/stats.hpp"
#include "client/common/response_framer.hpp"
#include "client/common/client_engine.hpp"
#include "client/common/tls_client.hpp"
#include "engine/engine.hpp"
#include "sockets/address.hpp"

namespace hs::client::bench {

constexpr int64_t kNoDeadline = INT64_MAX;

struct LoopConfig {
  net::Address address;
  const RequestSet* requests = nullptr;
  uint32_t connections = 1;
  uint32_t first_index = 0;       // this thread's first connection over all threads (round-robin start)
  uint32_t depth = 1;             // requests in flight per connection
  int64_t deadline_ns = kNoDeadline;  // monotonic; stop sending and end then
  uint64_t quota = 0;             // requests to finish; 0: until the deadline
  double rate = 0;                // this thread's requests per second; 0: closed loop
  int64_t timeout_ns = 5'000'000'000;
  int expect_status = 0;          // 0: 2xx or 3xx
  size_t read_buffer = 256 * 1024;
  const std::atomic<bool>* stop = nullptr;  // set by the main thread (SIGINT)
  net::IoKind io = net::IoKind::Epoll;
  const TlsClientContext* tls = nullptr;  // https: every connection speaks TLS
  bool new_connection = false;            // one request per connection
};

int64_t now_ns();

class Loop final : private net::EngineSink {
public:
  Loop();
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  bool init(const LoopConfig& config, std::string& error);
  // Runs until the deadline, the quota or a stop request.
  void run();

  const Counters& counters() const { return counters_; }
  const Histogram& histogram() const { return *histogram_; }
  Progress& progress() { return progress_; }

private:
  struct Conn;

  // EngineSink
  void on_wake() override;
  void on_accept(uint32_t, int fd, const net::PeerIp&, bool) override;
  void on_ready(uint32_t channel, bool readable, bool writable, bool hangup) override;
  void on_received(uint32_t channel, int64_t n, char* data, uint32_t buffer, bool more) override;
  void on_sent(uint32_t channel, int64_t n) override;
  void on_connected(uint32_t channel, int result) override;
  void on_stop() override {}

  Conn* live(uint32_t channel);
  void open(Conn& c, int64_t now);
  void connected(Conn& c, int64_t now);
  void established(Conn& c, int64_t now);  // TCP (and TLS) up: requests may go
  void on_readable_tls(Conn& c, int64_t& now);
  // https: ciphertext received; false when the connection ended.
  bool tls_in(Conn& c, const char* data, size_t n, int64_t now, uint32_t& completed);
  void flush_tls(Conn& c, int64_t now);
  void on_readable(Conn& c, int64_t& now);  // epoll: reads until drained (16 rounds at most)
  // Frames `n` bytes just received at buf + c.carry_len (the partial head
  // carried over copied before them); false when the connection ended.
  bool take(Conn& c, char* buf, size_t n, bool counted_only, int64_t now, uint32_t& completed);
  // Frames [data, data+len); returns the bytes left over (a partial head) or
  // SIZE_MAX when the connection failed.
  size_t frame(Conn& c, const char* data, size_t len, int64_t now, uint32_t& completed);
  void answered(Conn& c, uint32_t completed, int64_t now);
  void on_response(Conn& c, int64_t now);
  void on_eof(Conn& c, int64_t now);
  void flush(Conn& c, int64_t now);
  bool next_batch(Conn& c, int64_t now);  // the wanted requests become the bytes to write
  void top_up(Conn& c, uint32_t answered);
  void fail(Conn& c, ErrorKind kind, int64_t now);
  void close(Conn& c, int64_t now, bool retry_later);
  void housekeeping(int64_t now);
  void schedule(int64_t now);
  void give_token(Conn& c);
  bool finished() const { return config_.quota != 0 && finished_ >= config_.quota; }
  bool sending() const { return !stopping_ && (config_.quota == 0 || quota_left_ > 0); }
  int64_t due(uint64_t k) const;

  LoopConfig config_{};
  ClientEngine io_;
  net::Engine* engine_ = nullptr;  // io_.engine
  bool lends_ = false;             // io_uring: bytes land in lent buffers
  int64_t now_ = 0;                // read at every wake-up and every received piece
  std::vector<Conn> conns_;
  std::vector<int64_t> times_;     // depth send (or due) times per connection
  std::vector<char> carry_;        // a partial response head per connection
  std::vector<char> buffer_;       // epoll: the read buffer; io_uring: a carried head joined with a piece
  std::vector<char> wires_;        // https: a wire buffer per connection (ciphertext being sent)
  std::vector<char> cipher_in_;    // https under epoll: where received ciphertext lands
  std::vector<uint32_t> tokens_;   // rate mode: free request slots, as connection indices (a ring)
  size_t token_head_ = 0, token_count_ = 0;
  std::vector<uint32_t> dirty_;    // rate mode: connections given requests this round
  std::vector<uint64_t> again_, again_now_;  // (gen, index) of connections with bytes left to read
  std::unique_ptr<Histogram> histogram_;
  Counters counters_{};
  Progress progress_;
  uint64_t quota_left_ = 0;        // requests not yet given to a connection
  uint64_t finished_ = 0;          // answered or failed
  uint64_t scheduled_ = 0;         // rate mode: requests due so far
  int64_t start_ns_ = 0;
  double interval_ns_ = 0;
  int64_t next_housekeeping_ = 0;
  bool stopping_ = false;
};

}  // namespace hs::client::bench
