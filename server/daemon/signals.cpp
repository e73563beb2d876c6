#include "daemon/signals.hpp"

#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace hs::net {

namespace {

sigset_t stop_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGUSR2);
  sigaddset(&set, SIGHUP);  // reopen the access log (logrotate)
  return set;
}

}  // namespace

void block_stop_signals() {
  struct sigaction ignore{};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, nullptr);
  sigset_t set = stop_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int wait_for_stop_signal() {
  sigset_t set = stop_set();
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) == 0) return sig;
  }
}

int wait_for_stop_signal(int timeout_ms) {
  sigset_t set = stop_set();
  timespec ts{timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
  const int sig = sigtimedwait(&set, nullptr, &ts);
  return sig > 0 ? sig : 0;
}

void report_worker_failure() { ::kill(::getpid(), SIGUSR2); }

int StopEvent::open() {
  fd_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  return fd_ ? 0 : errno;
}

void StopEvent::raise() {
  const uint64_t one = 1;
  // Never read: the event stays readable for every worker.
  [[maybe_unused]] ssize_t n = ::write(fd_.get(), &one, sizeof one);
}

}  // namespace hs::net
