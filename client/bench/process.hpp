// The embedded scenarios' server: `homeserve serve` started from this very
// executable (/proc/self/exe) on 127.0.0.1:0, its port read from the start-up
// line, stopped by its PID. Also reads a process's RSS and CPU time from /proc.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace hs::client::bench {

class ServerProcess {
public:
  ServerProcess() = default;
  ~ServerProcess() { stop(); }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Runs `<self> serve <args...> --listen 127.0.0.1:0`; waits (10 s at most)
  // for the start-up line. False with what went wrong.
  bool start(const std::vector<std::string>& args, std::string& error);
  // SIGTERM, up to 5 s for the drain, then SIGKILL; reaped. Idempotent.
  void stop();
  pid_t pid() const { return pid_; }
  uint16_t port() const { return port_; }

private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string line_;
};

// VmRSS of `pid` in bytes (0 when unreadable).
uint64_t process_rss(pid_t pid);
// utime + stime of `pid` (all its threads) in seconds (-1 when unreadable).
double process_cpu_seconds(pid_t pid);

}  // namespace hs::client::bench
