// The I/O engines on their own, over real loopback TCP sockets, under each
// engine (io_uring cases skip where the kernel cannot run it): bytes in and
// out, an empty provided-buffer ring (ENOBUFS) losing nothing, short sends,
// a peer that resets mid-send, a completion for a channel that was closed and
// reused (generation tags), and tearing an engine down with work in flight.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/engine.hpp"

namespace hs::net {
namespace {

using Clock = std::chrono::steady_clock;

struct Pair {
  int server = -1;  // non-blocking, handed to the engine
  int client = -1;  // blocking, the test's side
};

Pair tcp_pair() {
  Pair p;
  const int l = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (l < 0 || ::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(l, 4) != 0 ||
      ::getsockname(l, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    if (l >= 0) ::close(l);
    return p;
  }
  p.client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (::connect(p.client, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0)
    p.server = ::accept4(l, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  ::close(l);
  return p;
}

// Small socket buffers on both sides: sends come back short, and wait.
Pair narrow_pair() {
  Pair p = tcp_pair();
  const int small = 4096;
  ::setsockopt(p.server, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  ::setsockopt(p.client, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  return p;
}

struct Received {
  uint32_t channel;
  int64_t n;
  std::string bytes;
  uint32_t buffer;
  bool more;
};

// Records what the engine says; gives lent buffers back unless told to keep them.
class Recorder final : public EngineSink {
public:
  Engine* engine = nullptr;
  bool keep_buffers = false;
  std::vector<uint32_t> kept;
  std::vector<Received> received;
  std::vector<std::pair<uint32_t, int64_t>> sent;
  std::vector<uint32_t> readable, writable;

  void on_wake() override {}
  void on_accept(uint32_t, int fd, const PeerIp&, bool) override { ::close(fd); }
  void on_ready(uint32_t channel, bool r, bool w, bool) override {
    if (r) readable.push_back(channel);
    if (w) writable.push_back(channel);
  }
  void on_received(uint32_t channel, int64_t n, char* data, uint32_t buffer, bool more) override {
    received.push_back({channel, n, n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string(), buffer, more});
    if (buffer == kNoBuffer) return;
    if (keep_buffers) {
      kept.push_back(buffer);
    } else {
      engine->give_buffer(buffer);
    }
  }
  void on_sent(uint32_t channel, int64_t n) override { sent.emplace_back(channel, n); }
  void on_connected(uint32_t, int) override {}
  void on_stop() override {}
};

class EngineTest : public ::testing::TestWithParam<IoKind> {
protected:
  static constexpr size_t kBufferSize = 4096;
  static constexpr uint32_t kChannels = 4;

  void SetUp() override {
    if (GetParam() == IoKind::Uring) {
      IoKind kind;
      std::string why, error;
      if (!choose_io(IoChoice::Uring, kind, why, error)) GTEST_SKIP() << error;
    }
  }

  // An engine with `buffers` receive buffers (all lent where the engine lends).
  void make(uint32_t buffers) {
    memory_.assign(buffers * kBufferSize, 0);
    EngineConfig c;
    c.channels = kChannels;
    c.buffer_mem = memory_;
    c.buffer_size = kBufferSize;
    engine_ = make_engine(GetParam());
    ASSERT_TRUE(arena_.reserve(engine_->arena_bytes(c) + 4096));
    std::string error;
    ASSERT_TRUE(engine_->init(c, arena_, error)) << error;
    if (engine_->lends_buffers())
      for (uint32_t i = 0; i < buffers; ++i) engine_->give_buffer(i);
    sink_.engine = engine_.get();
  }

  // Runs the engine until `done` (bounded: 5 s).
  bool pump(const std::function<bool()>& done) {
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    while (!done()) {
      if (Clock::now() > deadline) return false;
      if (engine_->wait(sink_, 20'000'000) < 0) return false;
    }
    return true;
  }

  // Receives `want` bytes on `channel`, whichever way the engine delivers them.
  std::string receive(uint32_t channel, size_t want) {
    std::string got;
    char local[kBufferSize];
    std::span<char> space[2] = {std::span<char>(local, sizeof local), {}};
    std::span<char> none[2];
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    while (got.size() < want && Clock::now() < deadline) {
      if (engine_->lends_buffers()) {
        engine_->receive(channel, none, 0);  // armed once; a no-op while armed
      } else {
        const IoResult r = engine_->receive(channel, space, 1);
        if (r.n > 0) {
          got.append(local, static_cast<size_t>(r.n));
          continue;
        }
        if (!r.pending()) break;
      }
      engine_->wait(sink_, 20'000'000);
      for (const Received& r : sink_.received)
        if (r.channel == channel && r.n > 0) got += r.bytes;
      sink_.received.clear();
    }
    return got;
  }

  std::vector<char> memory_;
  core::StartupArena arena_;
  std::unique_ptr<Engine> engine_;
  Recorder sink_;
};

TEST_P(EngineTest, BytesInAndOut) {
  make(4);
  Pair p = tcp_pair();
  ASSERT_GE(p.server, 0);
  ASSERT_EQ(engine_->open(0, 1, p.server), 0);
  ASSERT_EQ(::send(p.client, "hello", 5, 0), 5);
  EXPECT_EQ(receive(0, 5), "hello");
  const char out[] = "world";
  const iovec iov[2] = {{const_cast<char*>(out), 3}, {const_cast<char*>(out + 3), 2}};
  const IoResult r = engine_->send(0, iov, false);
  if (r.pending()) {
    ASSERT_TRUE(pump([&] { return !sink_.sent.empty(); }));
    EXPECT_EQ(sink_.sent[0].second, 5);
  } else {
    EXPECT_EQ(r.n, 5);
  }
  char in[8] = {};
  EXPECT_EQ(::recv(p.client, in, sizeof in, 0), 5);
  EXPECT_EQ(std::string(in, 5), "world");
  engine_->close(0);
  engine_->wait(sink_, 0);  // io_uring: the cancel of the armed receive goes with the next submit
  EXPECT_EQ(::recv(p.client, in, sizeof in, 0), 0);  // the engine closed the socket
  ::close(p.client);
}

TEST_P(EngineTest, AnEmptyBufferRingIsBackPressureAndLosesNoByte) {
  if (GetParam() != IoKind::Uring) GTEST_SKIP() << "only io_uring lends buffers";
  make(1);
  sink_.keep_buffers = true;
  Pair p = tcp_pair();
  ASSERT_EQ(engine_->open(0, 1, p.server), 0);
  std::span<char> none[2];
  engine_->receive(0, none, 0);
  ASSERT_EQ(::send(p.client, "first", 5, 0), 5);
  ASSERT_TRUE(pump([&] { return !sink_.received.empty(); }));
  ASSERT_EQ(sink_.received[0].bytes, "first");
  ASSERT_EQ(sink_.kept.size(), 1u);  // the only buffer is held by the "loop"
  ASSERT_EQ(::send(p.client, "second", 6, 0), 6);
  ASSERT_TRUE(pump([&] { return sink_.received.size() >= 2; }));
  EXPECT_EQ(sink_.received[1].n, -ENOBUFS);
  EXPECT_FALSE(sink_.received[1].more);  // the receive ended; the bytes wait in the socket
  sink_.received.clear();
  sink_.keep_buffers = false;
  engine_->give_buffer(sink_.kept[0]);
  EXPECT_EQ(receive(0, 6), "second");
  engine_->close(0);
  ::close(p.client);
}

TEST_P(EngineTest, ShortSendsDeliverEveryByteInOrder) {
  make(2);
  Pair p = narrow_pair();
  ASSERT_EQ(engine_->open(0, 1, p.server), 0);
  std::string data(96 << 10, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
  size_t sent = 0, got = 0, short_sends = 0;
  bool in_flight = false;
  std::string back;
  back.reserve(data.size());
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  while (got < data.size() && Clock::now() < deadline) {
    if (sent < data.size() && !in_flight) {
      const iovec iov{data.data() + sent, data.size() - sent};
      const IoResult r = engine_->send(0, std::span<const iovec>(&iov, 1), false);
      if (r.pending()) {
        in_flight = true;  // io_uring: on_sent follows; epoll: the next writable edge
      } else {
        ASSERT_GT(r.n, 0);
        if (static_cast<size_t>(r.n) < iov.iov_len) ++short_sends;
        sent += static_cast<size_t>(r.n);
        in_flight = r.drained;
      }
    }
    engine_->wait(sink_, 0);
    for (auto [channel, n] : sink_.sent) {
      ASSERT_GT(n, 0);
      if (sent + static_cast<size_t>(n) < data.size()) ++short_sends;
      sent += static_cast<size_t>(n);
      in_flight = false;
    }
    sink_.sent.clear();
    if (!sink_.writable.empty()) in_flight = false;
    sink_.writable.clear();
    char buf[65536];
    pollfd pf{p.client, POLLIN, 0};
    if (::poll(&pf, 1, 1) > 0) {
      for (ssize_t n; (n = ::recv(p.client, buf, sizeof buf, MSG_DONTWAIT)) > 0;) {
        back.append(buf, static_cast<size_t>(n));
        got += static_cast<size_t>(n);
      }
    }
  }
  EXPECT_EQ(got, data.size());
  EXPECT_TRUE(back == data) << "bytes out of order or corrupted";
  EXPECT_GT(short_sends, 0u) << "the small socket buffers should have forced short sends";
  engine_->close(0);
  ::close(p.client);
}

TEST_P(EngineTest, APeerThatResetsMidSendIsAnErrorNotAHang) {
  make(2);
  Pair p = narrow_pair();
  ASSERT_EQ(engine_->open(0, 1, p.server), 0);
  std::string data(1 << 20, 'x');
  // Fill the pipe until a send waits (or comes back short).
  size_t offset = 0;
  bool waiting = false;
  for (int i = 0; i < 64 && !waiting; ++i) {
    const iovec iov{data.data() + offset, data.size() - offset};
    const IoResult r = engine_->send(0, std::span<const iovec>(&iov, 1), false);
    if (r.pending() || r.drained) waiting = true;
    if (r.n > 0) offset += static_cast<size_t>(r.n);
  }
  ASSERT_TRUE(waiting);
  const linger reset{1, 0};
  ::setsockopt(p.client, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  ::close(p.client);  // RST
  // The send in flight (io_uring) or the next one (epoll) fails.
  int64_t error = 0;
  ASSERT_TRUE(pump([&] {
    for (auto [channel, n] : sink_.sent)
      if (n < 0) error = n;
    if (error == 0 && !engine_->lends_buffers()) {
      const iovec iov{data.data(), 4096};
      const IoResult r = engine_->send(0, std::span<const iovec>(&iov, 1), false);
      if (!r.pending() && r.n < 0) error = r.n;
    } else if (error == 0) {
      bool busy = false;
      for (auto [channel, n] : sink_.sent) busy = busy || n > 0;
      if (busy) {  // a short completion before the reset: send again
        sink_.sent.clear();
        const iovec iov{data.data(), 4096};
        engine_->send(0, std::span<const iovec>(&iov, 1), false);
      }
    }
    return error != 0;
  }));
  EXPECT_TRUE(error == -ECONNRESET || error == -EPIPE) << error;
  engine_->close(0);
}

TEST_P(EngineTest, ACompletionForAClosedAndReusedChannelIsDropped) {
  make(1);  // one buffer: a stale completion that kept it would starve the new connection
  Pair a = tcp_pair();
  Pair b = tcp_pair();
  ASSERT_EQ(engine_->open(0, 1, a.server), 0);
  std::span<char> none[2];
  if (engine_->lends_buffers()) engine_->receive(0, none, 0);
  engine_->wait(sink_, 0);  // the receive is armed (io_uring)
  ASSERT_EQ(::send(a.client, "old", 3, 0), 3);
  ::usleep(0);
  engine_->close(0);  // before the loop heard of "old"
  ASSERT_EQ(engine_->open(0, 2, b.server), 0);
  ASSERT_EQ(::send(b.client, "new", 3, 0), 3);
  sink_.received.clear();
  EXPECT_EQ(receive(0, 3), "new");
  for (uint32_t ch : sink_.readable) EXPECT_EQ(ch, 0u);
  engine_->close(0);
  ::close(a.client);
  ::close(b.client);
}

TEST_P(EngineTest, TearingDownWithWorkInFlightClosesEverything) {
  make(2);
  std::vector<Pair> pairs;
  std::string data(1 << 20, 'y');
  for (uint32_t ch = 0; ch < kChannels; ++ch) {
    pairs.push_back(tcp_pair());
    ASSERT_EQ(engine_->open(ch, 1, pairs.back().server), 0);
    std::span<char> none[2];
    if (engine_->lends_buffers()) engine_->receive(ch, none, 0);
    const iovec iov{data.data(), data.size()};
    engine_->send(ch, std::span<const iovec>(&iov, 1), false);  // more than the socket takes: in flight
  }
  engine_->wait(sink_, 0);
  engine_.reset();  // receives and sends in flight
  for (Pair& p : pairs) {
    // The client sees the connection end: EOF after whatever was sent, or a reset.
    char buf[65536];
    ssize_t n = 0;
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    pollfd pf{p.client, POLLIN, 0};
    while (Clock::now() < deadline && ::poll(&pf, 1, 100) >= 0) {
      n = ::recv(p.client, buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN)) break;
    }
    EXPECT_TRUE(n == 0 || (n < 0 && errno == ECONNRESET)) << n;
    ::close(p.client);
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, EngineTest, ::testing::Values(IoKind::Epoll, IoKind::Uring),
                         [](const ::testing::TestParamInfo<IoKind>& info) { return std::string(to_string(info.param)); });

}  // namespace
}  // namespace hs::net
