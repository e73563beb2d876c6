// Signals: SIGPIPE is ignored (a peer that goes away is an error value from
// write, not a process exit); SIGTERM and SIGINT are blocked in every thread
// and taken by the main thread with sigwait, which then sets the shared stop
// event every worker's epoll watches.
#pragma once

#include "sockets/fd.hpp"

namespace hs::net {

// Call before starting any thread: ignores SIGPIPE and blocks SIGTERM, SIGINT,
// SIGHUP and SIGUSR2 (so threads started afterwards inherit the mask).
void block_stop_signals();

// Waits for SIGTERM, SIGINT, SIGHUP (reopen the access log) or SIGUSR2 (a
// worker failed); returns the signal.
int wait_for_stop_signal();

// Like wait_for_stop_signal, for at most `timeout_ms`; 0 when none came.
int wait_for_stop_signal(int timeout_ms);

// Tells the main thread that a worker failed (it then stops the others).
void report_worker_failure();

// A level-triggered event that stays set once raised: every worker sees it.
class StopEvent {
public:
  int open();  // errno, 0 on success
  int fd() const { return fd_.get(); }
  void raise();

private:
  Fd fd_;
};

}  // namespace hs::net
