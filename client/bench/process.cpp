#include "client/bench/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "client/bench/loop.hpp"

namespace hs::client::bench {

namespace {

// Reads a small /proc file whole (NUL-terminated); false when unreadable.
bool read_proc(const char* path, char* buf, size_t cap) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  size_t len = 0;
  while (len + 1 < cap) {
    const ssize_t n = ::read(fd, buf + len, cap - 1 - len);
    if (n <= 0) break;
    len += static_cast<size_t>(n);
  }
  ::close(fd);
  buf[len] = '\0';
  return len > 0;
}

bool wait_exit(pid_t pid, int64_t timeout_ns) {
  const int64_t deadline = now_ns() + timeout_ns;
  for (int i = 0; i < 100000; ++i) {
    int ws = 0;
    const pid_t r = ::waitpid(pid, &ws, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) return true;
    if (now_ns() >= deadline) return false;
    ::poll(nullptr, 0, 5);
  }
  return false;
}

}  // namespace

bool ServerProcess::start(const std::vector<std::string>& args, std::string& error) {
  stop();
  std::vector<std::string> words{"/proc/self/exe", "serve"};
  words.insert(words.end(), args.begin(), args.end());
  words.push_back("--listen");
  words.push_back("127.0.0.1:0");
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  // A benchmark run as root serves a generated temporary docroot on loopback:
  // allow that (serve refuses root without --user unless told otherwise).
  std::vector<char*> envp;
  static char allow_root[] = "HOMESERVE_ALLOW_ROOT=1";
  for (char** e = environ; *e != nullptr; ++e)
    if (std::strncmp(*e, "HOMESERVE_ALLOW_ROOT=", 21) != 0) envp.push_back(*e);
  envp.push_back(allow_root);
  envp.push_back(nullptr);
  char exe[4096];
  const ssize_t len = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (len <= 0) {
    error = "cannot find this executable (/proc/self/exe)";
    return false;
  }
  exe[len] = '\0';
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    error = std::string("pipe: ") + std::strerror(errno);
    return false;
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out[0]);
    ::close(out[1]);
    error = std::string("fork: ") + std::strerror(errno);
    return false;
  }
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::execve(exe, argv.data(), envp.data());
    _exit(127);
  }
  ::close(out[1]);
  pid_ = pid;
  // The start-up line: "listening on 127.0.0.1:PORT; reserved ..."
  std::string text;
  const int64_t deadline = now_ns() + 10'000'000'000;
  while (text.find('\n') == std::string::npos) {
    const int64_t left = deadline - now_ns();
    pollfd p{out[0], POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left / 1'000'000) + 1) <= 0) break;
    char buf[512];
    const ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(out[0]);  // the server's later stdout lines (none with the access log off) are dropped
  const size_t nl = text.find('\n');
  line_ = text.substr(0, nl);
  const size_t semi = line_.find(';');
  const size_t colon = line_.rfind(':', semi);
  if (nl == std::string::npos || semi == std::string::npos || colon == std::string::npos) {
    error = "the server did not start (printed: '" + text + "')";
    stop();
    return false;
  }
  port_ = static_cast<uint16_t>(std::atoi(line_.c_str() + colon + 1));
  return port_ != 0;
}

void ServerProcess::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  if (!wait_exit(pid_, 5'000'000'000)) {
    ::kill(pid_, SIGKILL);
    wait_exit(pid_, 5'000'000'000);
  }
  pid_ = -1;
}

uint64_t process_rss(pid_t pid) {
  char path[64], buf[4096];
  std::snprintf(path, sizeof path, "/proc/%d/status", static_cast<int>(pid));
  if (!read_proc(path, buf, sizeof buf)) return 0;
  const char* at = std::strstr(buf, "VmRSS:");
  return at ? std::strtoull(at + 6, nullptr, 10) * 1024 : 0;
}

double process_cpu_seconds(pid_t pid) {
  char path[64], buf[2048];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  if (!read_proc(path, buf, sizeof buf)) return -1;
  // After "pid (comm) ": state is field 3; utime and stime are fields 14 and 15.
  const char* p = std::strrchr(buf, ')');
  if (p == nullptr) return -1;
  ++p;
  unsigned long long utime = 0, stime = 0;
  int field = 2;
  while (*p != '\0' && field < 15) {
    while (*p == ' ') ++p;
    ++field;
    if (field == 14) utime = std::strtoull(p, nullptr, 10);
    if (field == 15) stime = std::strtoull(p, nullptr, 10);
    while (*p != '\0' && *p != ' ') ++p;
  }
  const long hz = ::sysconf(_SC_CLK_TCK);
  return static_cast<double>(utime + stime) / static_cast<double>(hz > 0 ? hz : 100);
}

}  // namespace hs::client::bench
