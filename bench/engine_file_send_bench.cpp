// How should a big file leave? The sender's CPU per response, for one file
// sent over loopback TCP to a reader on another thread (which only drains),
// by each way the engines could send it:
//   Sendfile/C   sendfile(2) in steps of C bytes (the engines: 256 KiB turns)
//   Splice/C     file -> pipe -> socket with splice(2), pipe sized to C
//   ReadSend/C   pread into a C-byte buffer, then send(2) (a copy each way)
//   SendZc/C     pread into a C-byte buffer, then io_uring SEND_ZC (the
//                kernel pins the pages; the buffer is reused once the
//                notification says so)
// The time that counts is the benchmark's CPU column (this thread only).
// On loopback the receiver copies every byte whatever the sender does, so
// these figures rank the sender's cost only; the choice in the engines
// follows them (see the closing note of issue 11 and README "I/O engines").
#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Loopback {
  int sender = -1;
  int file = -1;
  size_t file_size = 0;
  std::thread reader;
  std::atomic<bool> stop{false};

  bool open(size_t bytes) {
    char path[] = "/tmp/hs-file-send-XXXXXX";
    file = ::mkstemp(path);
    if (file < 0) return false;
    ::unlink(path);
    std::vector<char> block(1 << 16, 'x');
    for (size_t done = 0; done < bytes; done += block.size())
      if (::write(file, block.data(), std::min(block.size(), bytes - done)) < 0) return false;
    file_size = bytes;
    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listener, 1) != 0 ||
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      return false;
    sender = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(sender, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return false;
    const int receiver = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    ::close(listener);
    if (receiver < 0) return false;
    const int one = 1;
    ::setsockopt(sender, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    reader = std::thread([this, receiver] {
      std::vector<char> sink(1 << 18);
      while (::read(receiver, sink.data(), sink.size()) > 0) {
      }
      ::close(receiver);
    });
    return true;
  }

  ~Loopback() {
    if (sender >= 0) ::shutdown(sender, SHUT_RDWR), ::close(sender);
    if (reader.joinable()) reader.join();
    if (file >= 0) ::close(file);
  }
};

bool send_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    const ssize_t k = ::send(fd, p, n, MSG_NOSIGNAL);
    if (k <= 0) return false;
    p += k;
    n -= static_cast<size_t>(k);
  }
  return true;
}

void BM_Sendfile(benchmark::State& state) {
  Loopback lb;
  if (!lb.open(static_cast<size_t>(state.range(0)))) return state.SkipWithError("loopback setup failed");
  const size_t step = static_cast<size_t>(state.range(1));
  for (auto _ : state) {
    off_t off = 0;
    while (static_cast<size_t>(off) < lb.file_size) {
      const ssize_t k = ::sendfile(lb.sender, lb.file, &off, std::min(step, lb.file_size - off));
      if (k <= 0) return state.SkipWithError("sendfile failed");
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * lb.file_size));
}

void BM_Splice(benchmark::State& state) {
  Loopback lb;
  if (!lb.open(static_cast<size_t>(state.range(0)))) return state.SkipWithError("loopback setup failed");
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return state.SkipWithError("pipe failed");
  const int size = ::fcntl(pipefd[1], F_SETPIPE_SZ, static_cast<int>(state.range(1)));
  const size_t step = size > 0 ? static_cast<size_t>(size) : 65536;
  for (auto _ : state) {
    loff_t off = 0;
    while (static_cast<size_t>(off) < lb.file_size) {
      ssize_t in = ::splice(lb.file, &off, pipefd[1], nullptr, std::min(step, lb.file_size - off), SPLICE_F_MOVE);
      if (in <= 0) return state.SkipWithError("splice in failed");
      while (in > 0) {
        const ssize_t out = ::splice(pipefd[0], nullptr, lb.sender, nullptr, static_cast<size_t>(in),
                                     SPLICE_F_MOVE | SPLICE_F_MORE);
        if (out <= 0) return state.SkipWithError("splice out failed");
        in -= out;
      }
    }
  }
  ::close(pipefd[0]);
  ::close(pipefd[1]);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * lb.file_size));
}

void BM_ReadSend(benchmark::State& state) {
  Loopback lb;
  if (!lb.open(static_cast<size_t>(state.range(0)))) return state.SkipWithError("loopback setup failed");
  std::vector<char> buf(static_cast<size_t>(state.range(1)));
  for (auto _ : state) {
    for (size_t off = 0; off < lb.file_size;) {
      const ssize_t k = ::pread(lb.file, buf.data(), std::min(buf.size(), lb.file_size - off), static_cast<off_t>(off));
      if (k <= 0 || !send_all(lb.sender, buf.data(), static_cast<size_t>(k))) return state.SkipWithError("send failed");
      off += static_cast<size_t>(k);
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * lb.file_size));
}

void BM_SendZc(benchmark::State& state) {
  Loopback lb;
  if (!lb.open(static_cast<size_t>(state.range(0)))) return state.SkipWithError("loopback setup failed");
  io_uring ring{};
  if (io_uring_queue_init(8, &ring, 0) != 0) return state.SkipWithError("io_uring unavailable");
  std::vector<char> buf(static_cast<size_t>(state.range(1)));
  bool ok = true;
  for (auto _ : state) {
    for (size_t off = 0; ok && off < lb.file_size;) {
      const ssize_t k = ::pread(lb.file, buf.data(), std::min(buf.size(), lb.file_size - off), static_cast<off_t>(off));
      if (k <= 0) {
        ok = false;
        break;
      }
      // One SEND_ZC, then its result and its notification (the buffer is
      // the kernel's until then); a short send continues from where it ended.
      size_t sent = 0;
      while (ok && sent < static_cast<size_t>(k)) {
        io_uring_sqe* s = io_uring_get_sqe(&ring);
        io_uring_prep_send_zc(s, lb.sender, buf.data() + sent, static_cast<size_t>(k) - sent, MSG_NOSIGNAL, 0);
        io_uring_submit(&ring);
        bool result_seen = false, notified = false;
        while (!(result_seen && notified)) {
          io_uring_cqe* cqe = nullptr;
          if (io_uring_wait_cqe(&ring, &cqe) != 0) {
            ok = false;
            break;
          }
          if (cqe->flags & IORING_CQE_F_NOTIF) {
            notified = true;
          } else {
            result_seen = true;
            if (cqe->res <= 0) ok = false;
            else sent += static_cast<size_t>(cqe->res);
            if (!(cqe->flags & IORING_CQE_F_MORE)) notified = true;  // no notification will follow
          }
          io_uring_cqe_seen(&ring, cqe);
        }
      }
      off += static_cast<size_t>(k);
    }
  }
  io_uring_queue_exit(&ring);
  if (!ok) return state.SkipWithError("send_zc failed (kernel without IORING_OP_SEND_ZC?)");
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * lb.file_size));
}

// {file bytes, step or buffer bytes}
void Sizes(benchmark::internal::Benchmark* b) {
  for (int64_t file : {int64_t{64} << 10, int64_t{1} << 20, int64_t{16} << 20})
    for (int64_t step : {int64_t{64} << 10, int64_t{256} << 10, int64_t{1} << 20})
      if (step <= file || step == (int64_t{64} << 10)) b->Args({file, step});
}

BENCHMARK(BM_Sendfile)->Apply(Sizes)->ArgNames({"file", "step"});
BENCHMARK(BM_Splice)->Apply(Sizes)->ArgNames({"file", "pipe"});
BENCHMARK(BM_ReadSend)->Apply(Sizes)->ArgNames({"file", "buffer"});
BENCHMARK(BM_SendZc)->Apply(Sizes)->ArgNames({"file", "buffer"});

}  // namespace

BENCHMARK_MAIN();
