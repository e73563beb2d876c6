// Receive-buffer compaction, measured through conn::ReceiveBuffer on a real
// socketpair (every cycle is one read syscall): seed 002's readv ring against
// the plain memmove, plus a mirrored ring (one memfd mapped twice back to
// back, so the unread bytes and the free space are always one slice each).
//
// One cycle = what the connection does per readable event:
//   read_space() (memmove mode moves the unread tail to the start here)
//   -> readv()/read() of the free space (capped at the arrival size)
//   -> parse: the unread bytes are consumed except the last L (a partial
//      request); in readv mode a partial request that straddles the buffer end
//      is linearized first, as Connection::on_readable does (std::rotate of
//      the whole buffer).
// Arrival sizes: "fill" (the peer sent more than the free space: every read
// fills the buffer, a pipelining client) and "2k" (2 KiB per read, a client
// sending small batches). Leftover L: 0, 64, 512, 4096 bytes (L < buffer -
// arrival only); buffers 4, 16, 64 KiB.
//
// Ratio lines (scripts/bench): "homeserve" is always the readv ring (what
// --compaction readv runs); PEER is the other variant; N.Nx is PEER time /
// readv time, so above 1 means readv is faster:
//   compaction-<arrival>-<buffer>-<L>: homeserve/memmove = N.Nx
//   compaction-<arrival>-<buffer>-<L>: homeserve/mirrored = N.Nx
// Counters: moved = bytes memmove/rotate copied per cycle.
//
// The socket is refilled outside the timed region (PauseTiming) when it holds
// less than one buffer; the refill is rare (the socket holds ~200 KiB).
// Each run lasts 0.2 s unless --benchmark_min_time says otherwise.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/ratio_report.hpp"
#include "conn/receive_buffer.hpp"

namespace {

using hs::conn::Compaction;
using hs::conn::ReceiveBuffer;

constexpr size_t kFill = 0;  // arrival: as much as fits
constexpr size_t kArrival2k = 2048;

// A socketpair whose reading end always holds at least `need` bytes.
class Feed {
public:
  Feed() {
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds_) != 0) std::abort();
    const int big = 4 << 20;  // the kernel caps it at wmem_max/rmem_max
    ::setsockopt(fds_[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    ::setsockopt(fds_[0], SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    ::fcntl(fds_[1], F_SETFL, O_NONBLOCK);
    ::fcntl(fds_[0], F_SETFL, O_NONBLOCK);
    chunk_.assign(64 * 1024, 'x');
  }
  ~Feed() {
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  int reader() const { return fds_[0]; }
  void took(size_t n) { avail_ -= n; }
  // Refills (untimed) when fewer than `need` bytes wait.
  void ensure(benchmark::State& state, size_t need) {
    if (avail_ >= need) return;
    state.PauseTiming();
    for (int i = 0; i < 1024; ++i) {
      const ssize_t n = ::write(fds_[1], chunk_.data(), chunk_.size());
      if (n <= 0) break;
      avail_ += static_cast<size_t>(n);
    }
    state.ResumeTiming();
    if (avail_ < need) state.SkipWithError("the socketpair holds less than one buffer");
  }

private:
  int fds_[2];
  size_t avail_ = 0;
  std::vector<char> chunk_;
};

// Caps the read pieces at `arrival` bytes in all (0: no cap).
size_t cap_pieces(std::span<char> (&pieces)[2], size_t count, size_t arrival, iovec (&iov)[2]) {
  size_t left = arrival == kFill ? SIZE_MAX : arrival;
  size_t n = 0;
  for (size_t i = 0; i < count && left > 0; ++i) {
    const size_t len = std::min(left, pieces[i].size());
    iov[n++] = {pieces[i].data(), len};
    left -= len;
  }
  return n;
}

void compaction(benchmark::State& state, Compaction mode, size_t arrival) {
  const size_t size = static_cast<size_t>(state.range(0));
  const size_t leftover = static_cast<size_t>(state.range(1));
  std::vector<char> mem(size);
  ReceiveBuffer rb;
  rb.attach(mem, mode);
  Feed feed;
  uint64_t moved = 0;
  uint64_t bytes = 0;
  for (auto _ : state) {
    feed.ensure(state, size);
    // read_space() compacts in memmove mode: count what it moves.
    const size_t start = rb.size() > 0 ? static_cast<size_t>(rb.contiguous().data() - mem.data()) : 0;
    if (mode == Compaction::Memmove && start > 0) moved += rb.size();
    std::span<char> pieces[2];
    const size_t count = rb.read_space(pieces);
    iovec iov[2];
    const size_t iovcnt = cap_pieces(pieces, count, arrival, iov);
    const ssize_t n = iovcnt == 1 ? ::read(feed.reader(), iov[0].iov_base, iov[0].iov_len)
                                  : ::readv(feed.reader(), iov, static_cast<int>(iovcnt));
    if (n <= 0) {
      state.SkipWithError("read failed");
      break;
    }
    feed.took(static_cast<size_t>(n));
    bytes += static_cast<uint64_t>(n);
    rb.commit(static_cast<size_t>(n));
    // Parse: everything but the partial request of `leftover` bytes.
    if (rb.wrapped() && rb.size() > leftover) {
      moved += rb.capacity();  // the straddling request is linearized
      rb.linearize();
    }
    if (rb.size() > leftover) rb.consume(rb.size() - leftover);
    benchmark::DoNotOptimize(rb.contiguous().data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["moved"] = benchmark::Counter(static_cast<double>(moved), benchmark::Counter::kAvgIterations);
}

// The same pages mapped twice, back to back: base[i] and base[i + size] are
// one byte. Unread bytes [start, start+len) and the free space
// [start+len, start+size) are each one slice of virtual memory.
class MirroredRing {
public:
  explicit MirroredRing(size_t size) : size_(size) {
    const int fd = ::memfd_create("hs-mirrored-ring", MFD_CLOEXEC);
    if (fd < 0 || ::ftruncate(fd, static_cast<off_t>(size)) != 0) std::abort();
    void* reserve = ::mmap(nullptr, 2 * size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (reserve == MAP_FAILED) std::abort();
    base_ = static_cast<char*>(reserve);
    for (size_t half = 0; half < 2; ++half) {
      if (::mmap(base_ + half * size, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED)
        std::abort();
    }
    ::close(fd);  // the mappings keep the memory
  }
  ~MirroredRing() { ::munmap(base_, 2 * size_); }
  MirroredRing(const MirroredRing&) = delete;
  MirroredRing& operator=(const MirroredRing&) = delete;

  std::span<char> unread() const { return {base_ + start_, len_}; }
  std::span<char> free_space() const { return {base_ + start_ + len_, size_ - len_}; }
  void commit(size_t n) { len_ += n; }
  void consume(size_t n) {
    len_ -= n;
    start_ = len_ == 0 ? 0 : (start_ + n) % size_;
  }
  size_t size() const { return len_; }
  char* base() const { return base_; }

private:
  size_t size_;
  char* base_ = nullptr;
  size_t start_ = 0;
  size_t len_ = 0;
};

void mirrored(benchmark::State& state, size_t arrival) {
  const size_t size = static_cast<size_t>(state.range(0));
  const size_t leftover = static_cast<size_t>(state.range(1));
  MirroredRing ring(size);
  Feed feed;
  // Check the mirror once: a byte written through one view shows in the other.
  ring.base()[0] = 'm';
  if (ring.base()[size] != 'm') state.SkipWithError("the second mapping does not mirror the first");
  uint64_t bytes = 0;
  for (auto _ : state) {
    feed.ensure(state, size);
    std::span<char> space = ring.free_space();
    const size_t want = arrival == kFill ? space.size() : std::min(arrival, space.size());
    const ssize_t n = ::read(feed.reader(), space.data(), want);
    if (n <= 0) {
      state.SkipWithError("read failed");
      break;
    }
    feed.took(static_cast<size_t>(n));
    bytes += static_cast<uint64_t>(n);
    ring.commit(static_cast<size_t>(n));
    if (ring.size() > leftover) ring.consume(ring.size() - leftover);
    benchmark::DoNotOptimize(ring.unread().data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["moved"] = 0;
}

void BM_Memmove_fill(benchmark::State& s) { compaction(s, Compaction::Memmove, kFill); }
void BM_Readv_fill(benchmark::State& s) { compaction(s, Compaction::Readv, kFill); }
void BM_Mirrored_fill(benchmark::State& s) { mirrored(s, kFill); }
void BM_Memmove_2k(benchmark::State& s) { compaction(s, Compaction::Memmove, kArrival2k); }
void BM_Readv_2k(benchmark::State& s) { compaction(s, Compaction::Readv, kArrival2k); }
void BM_Mirrored_2k(benchmark::State& s) { mirrored(s, kArrival2k); }

constexpr int64_t kSizes[] = {4 * 1024, 16 * 1024, 64 * 1024};
constexpr int64_t kLeftovers[] = {0, 64, 512, 4096};

bool valid(int64_t size, int64_t leftover, size_t arrival) {
  const int64_t read = arrival == kFill ? 1 : static_cast<int64_t>(arrival);
  return leftover + read <= size;
}

void register_all() {
  struct Variant {
    const char* name;
    void (*fn)(benchmark::State&);
    size_t arrival;
  };
  const Variant variants[] = {{"BM_Memmove_fill", BM_Memmove_fill, kFill},   {"BM_Readv_fill", BM_Readv_fill, kFill},
                              {"BM_Mirrored_fill", BM_Mirrored_fill, kFill}, {"BM_Memmove_2k", BM_Memmove_2k, kArrival2k},
                              {"BM_Readv_2k", BM_Readv_2k, kArrival2k},       {"BM_Mirrored_2k", BM_Mirrored_2k, kArrival2k}};
  for (const Variant& v : variants) {
    auto* b = benchmark::RegisterBenchmark(v.name, v.fn);
    for (int64_t size : kSizes)
      for (int64_t leftover : kLeftovers)
        if (valid(size, leftover, v.arrival)) b->Args({size, leftover});
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  // Ratio entries live as long as main: names are built once here.
  std::vector<std::string> names;
  names.reserve(256);
  std::vector<hs::bench::Ratio> ratios;
  for (const char* arrival : {"fill", "2k"}) {
    const size_t a = std::string(arrival) == "fill" ? kFill : kArrival2k;
    for (int64_t size : kSizes) {
      for (int64_t leftover : kLeftovers) {
        if (!valid(size, leftover, a)) continue;
        const std::string args = "/" + std::to_string(size) + "/" + std::to_string(leftover);
        names.push_back("compaction-" + std::string(arrival) + "-" + std::to_string(size / 1024) + "k-" +
                        std::to_string(leftover));
        const char* label = names.back().c_str();
        names.push_back(std::string("BM_Readv_") + arrival + args);
        const char* ours = names.back().c_str();
        names.push_back(std::string("BM_Memmove_") + arrival + args);
        const char* memmove_name = names.back().c_str();
        names.push_back(std::string("BM_Mirrored_") + arrival + args);
        const char* mirrored_name = names.back().c_str();
        ratios.push_back({label, ours, memmove_name, "memmove"});
        ratios.push_back({label, ours, mirrored_name, "mirrored"});
      }
    }
  }
  // 0.2 s per run unless told otherwise (66 runs x 5 repetitions); given on
  // the command line rather than per benchmark, so run names stay "BM_x/B/L".
  return hs::bench::run_with_ratios(argc, argv, ratios, {"--benchmark_min_time=0.2"});
}
