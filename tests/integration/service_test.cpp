// homeserve as a system service (issue 7), against the real binary: the
// version, the root policy and --user privilege drop (as root), socket
// activation through systemd-socket-activate, Type=notify readiness, SIGHUP
// access-log reopening, SIGPIPE, the man page against every --help, the
// example configuration against `serve --help`, the units, and the .deb
// (built, lintian, installed, run, purged; release build, as root).
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

#ifndef HS_SOURCE_DIR
#error "HS_SOURCE_DIR must name the source folder"
#endif
#ifndef HS_BUILD_DIR
#error "HS_BUILD_DIR must name the build folder"
#endif

namespace hs::it {
namespace {

using Clock = std::chrono::steady_clock;
const std::string kDist = std::string(HS_SOURCE_DIR) + "/server/dist";

bool is_root() { return ::geteuid() == 0; }

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

bool exists(const std::string& path) {
  struct stat st{};
  return ::lstat(path.c_str(), &st) == 0;
}

bool have_program(const std::string& name) {
  int status = 0;
  shell("command -v " + name + " >/dev/null 2>&1", &status);
  return status == 0;
}

bool option_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-'; }

// "-c" or "--long-name" at the start of `text` (after the dashes, a letter,
// then letters, digits and dashes); "" when `text` does not start with one.
std::string leading_option(const std::string& text) {
  size_t dashes = 0;
  while (dashes < text.size() && dashes < 2 && text[dashes] == '-') ++dashes;
  if (dashes == 0 || dashes >= text.size() || !std::isalpha(static_cast<unsigned char>(text[dashes]))) return {};
  size_t end = dashes;
  while (end < text.size() && option_char(text[end])) ++end;
  return text.substr(0, end);
}

// Words of `text` split at any of `separators`.
std::vector<std::string> split(const std::string& text, const char* separators) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < text.size()) {
    const size_t end = std::min(text.find_first_of(separators, at), text.size());
    if (end > at) out.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  return out;
}

size_t count_lines(const std::string& text) { return static_cast<size_t>(std::count(text.begin(), text.end(), '\n')); }

// A child process with its own environment (homeserve, or a launcher that
// execs it), stdout and stderr on pipes; killed by PID when still running.
class Child {
public:
  ~Child() {
    if (pid_ > 0 && status_ < 0) {
      ::kill(pid_, SIGKILL);
      int ws = 0;
      ::waitpid(pid_, &ws, 0);
    }
    if (out_ >= 0) ::close(out_);
    if (err_ >= 0) ::close(err_);
  }

  // `env`: NAME=VALUE entries set, NAME alone removed, over this process's environment.
  bool start(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
    std::map<std::string, std::string> vars;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string kv = *e;
      const size_t eq = kv.find('=');
      if (eq != std::string::npos) vars[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    for (const std::string& kv : env) {
      const size_t eq = kv.find('=');
      if (eq == std::string::npos) {
        vars.erase(kv);
      } else {
        vars[kv.substr(0, eq)] = kv.substr(eq + 1);
      }
    }
    std::vector<std::string> env_s;
    for (const auto& [k, v] : vars) env_s.push_back(k + "=" + v);
    std::vector<std::string> argv_s = argv;
    std::vector<char*> av, ev;
    for (auto& a : argv_s) av.push_back(a.data());
    av.push_back(nullptr);
    for (auto& e : env_s) ev.push_back(e.data());
    ev.push_back(nullptr);
    int o[2], e[2];
    if (::pipe2(o, O_CLOEXEC) != 0) return false;
    if (::pipe2(e, O_CLOEXEC) != 0) {
      ::close(o[0]);
      ::close(o[1]);
      return false;
    }
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(o[1], STDOUT_FILENO);
      ::dup2(e[1], STDERR_FILENO);
      ::execve(av[0], av.data(), ev.data());
      _exit(127);
    }
    ::close(o[1]);
    ::close(e[1]);
    out_ = o[0];
    err_ = e[0];
    ::fcntl(out_, F_SETFL, O_NONBLOCK);
    ::fcntl(err_, F_SETFL, O_NONBLOCK);
    return pid_ > 0;
  }

  // The first line on stdout (without the newline), or "" after `timeout`/an exit.
  std::string first_line(Ms timeout) {
    const auto deadline = Clock::now() + timeout;
    while (out_text_.find('\n') == std::string::npos && Clock::now() < deadline) {
      pollfd p{out_, POLLIN, 0};
      const auto left = std::chrono::duration_cast<Ms>(deadline - Clock::now()).count();
      if (::poll(&p, 1, static_cast<int>(std::max<long long>(left, 0))) <= 0) break;
      if (!pump(out_, out_text_)) break;
    }
    const size_t nl = out_text_.find('\n');
    return nl == std::string::npos ? std::string() : out_text_.substr(0, nl);
  }

  // The port of "listening on ADDR:PORT; ..." (0 when absent).
  static uint16_t port_of(const std::string& line) {
    const size_t semi = line.find(';');
    const size_t colon = line.rfind(':', semi);
    if (semi == std::string::npos || colon == std::string::npos) return 0;
    return static_cast<uint16_t>(std::atoi(line.substr(colon + 1, semi - colon - 1).c_str()));
  }

  std::string err() {
    pump(err_, err_text_);
    return err_text_;
  }
  void close_stdout() {
    if (out_ >= 0) ::close(out_);
    out_ = -1;
  }
  pid_t pid() const { return pid_; }
  bool alive() {
    if (status_ >= 0) return false;
    int ws = 0;
    if (::waitpid(pid_, &ws, WNOHANG) == pid_) {
      status_ = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
      return false;
    }
    return true;
  }
  void signal(int sig) {
    if (alive()) ::kill(pid_, sig);
  }
  int wait_exit(Ms timeout) {
    const auto deadline = Clock::now() + timeout;
    for (int i = 0; i < 10000 && alive(); ++i) {
      if (Clock::now() >= deadline) return -1;
      ::poll(nullptr, 0, 10);
    }
    return status_;
  }

private:
  static bool pump(int fd, std::string& out) {
    if (fd < 0) return false;
    char buf[4096];
    for (int i = 0; i < 256; ++i) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n == 0) return false;
      if (n < 0) return errno == EAGAIN;
      out.append(buf, static_cast<size_t>(n));
    }
    return true;
  }

  pid_t pid_ = -1;
  int out_ = -1, err_ = -1;
  int status_ = -1;
  std::string out_text_, err_text_;
};

// GET `path` on a fresh connection; the status (0 when nothing came).
int status_of(uint16_t port, const std::string& path) {
  Client c;
  if (!c.connect(port) || !c.send_all(get(path, "Connection: close\r\n"))) return 0;
  auto r = read_responses(c, 1, Ms(5000));
  return r.empty() ? 0 : r[0].status;
}


// "Uid:\t65534\t65534\t65534\t65534" -> the values after the name.
std::vector<std::string> status_field(pid_t pid, const std::string& name) {
  std::istringstream in(read_file("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + ":", 0) != 0) continue;
    std::istringstream words(line.substr(name.size() + 1));
    std::vector<std::string> out;
    for (std::string w; words >> w;) out.push_back(w);
    return out;
  }
  return {};
}

// A docroot every user can read (TempDir is mode 0700).
void open_to_all(const TempDir& dir) { ::chmod(dir.path().c_str(), 0755); }

// Sanitizer builds: LeakSanitizer cannot trace a process that changed its
// user (it is no longer dumpable), so those children run without it.
const std::string kNoLeakCheck = "ASAN_OPTIONS=detect_leaks=0:abort_on_error=1";

// ---------------------------------------------------------------------------

TEST(Service, VersionNamesTheCommit) {
  const RunResult r = run_homeserve({"--version"}, Ms(5000));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out.rfind("homeserve 0.", 0), 0u) << r.out;
  if (!exists(std::string(HS_SOURCE_DIR) + "/.git")) GTEST_SKIP() << "not built from a git checkout";
  int status = 0;
  std::string head = shell("git -C '" HS_SOURCE_DIR "' rev-parse --short=12 HEAD 2>/dev/null", &status);
  while (!head.empty() && head.back() == '\n') head.pop_back();
  if (status != 0 || head.empty()) GTEST_SKIP() << "git cannot read the checkout";
  // "(git <12 hex digits>[-dirty])" at the end, naming one of the checkout's
  // commits (HEAD may have moved since the build).
  const size_t at = r.out.find("(git ");
  ASSERT_NE(at, std::string::npos) << r.out;
  const std::string commit = r.out.substr(at + 5, 12);
  EXPECT_EQ(commit.find_first_not_of("0123456789abcdef"), std::string::npos) << r.out;
  const std::string tail = r.out.substr(std::min(r.out.size(), at + 17));
  EXPECT_TRUE(tail == ")\n" || tail == "-dirty)\n") << r.out;
  shell("git -C '" HS_SOURCE_DIR "' cat-file -e " + commit + "^{commit} 2>/dev/null", &status);
  EXPECT_EQ(status, 0) << r.out;
}

TEST(Service, RootIsRefusedWithoutAllowRoot) {
  if (!is_root()) GTEST_SKIP() << "needs root (CI runs the tests as root)";
  TempDir dir;
  Child c;
  ASSERT_TRUE(c.start({HS_BINARY, "serve", dir.path(), "--listen", "127.0.0.1:0"}, {"HOMESERVE_ALLOW_ROOT"}));
  EXPECT_EQ(c.wait_exit(Ms(5000)), 2);
  const std::string err = c.err();
  EXPECT_EQ(err.rfind("homeserve: refusing to serve as root", 0), 0u) << err;
  EXPECT_NE(err.find("--user"), std::string::npos) << err;
  EXPECT_NE(err.find("--allow-root"), std::string::npos) << err;
  EXPECT_EQ(count_lines(err), 1u) << err;

  Child root_user;
  ASSERT_TRUE(root_user.start({HS_BINARY, "serve", dir.path(), "--listen", "127.0.0.1:0", "--user", "root"},
                              {"HOMESERVE_ALLOW_ROOT"}));
  EXPECT_EQ(root_user.wait_exit(Ms(5000)), 2);
  EXPECT_NE(root_user.err().find("is root"), std::string::npos) << root_user.err();

  Child allowed;
  ASSERT_TRUE(allowed.start({HS_BINARY, "serve", dir.path(), "--listen", "127.0.0.1:0", "--allow-root"},
                            {"HOMESERVE_ALLOW_ROOT"}));
  EXPECT_NE(Child::port_of(allowed.first_line(Ms(10000))), 0) << allowed.err();
  allowed.signal(SIGTERM);
  EXPECT_EQ(allowed.wait_exit(Ms(10000)), 0);
}

TEST(Service, UnknownUserAndGroupWithoutUserAreErrors) {
  TempDir dir;
  RunResult r = run_homeserve({"serve", dir.path(), "--listen", "127.0.0.1:0", "--user", "no-such-user-hs"}, Ms(5000));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--user no-such-user-hs"), std::string::npos) << r.err;
  r = run_homeserve({"serve", dir.path(), "--listen", "127.0.0.1:0", "--group", "nogroup"}, Ms(5000));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--group needs --user"), std::string::npos) << r.err;
}

TEST(Service, UserDropsPrivilegesAfterBindingAndStillServes) {
  if (!is_root()) GTEST_SKIP() << "needs root (CI runs the tests as root)";
  passwd* nobody = ::getpwnam("nobody");
  if (nobody == nullptr) GTEST_SKIP() << "no user 'nobody'";
  const std::string uid = std::to_string(nobody->pw_uid), gid = std::to_string(nobody->pw_gid);
  TempDir dir;
  dir.write("www/hello.txt", "hello\n");
  open_to_all(dir);
  ::chmod((dir.path() + "/www").c_str(), 0755);
  Child c;
  // No HOMESERVE_ALLOW_ROOT: --user alone is the way to start as root.
  ASSERT_TRUE(c.start({HS_BINARY, "serve", dir.path() + "/www", "--listen", "127.0.0.1:0", "--user", "nobody"},
                      {"HOMESERVE_ALLOW_ROOT", kNoLeakCheck}));
  const uint16_t port = Child::port_of(c.first_line(Ms(10000)));
  ASSERT_NE(port, 0) << c.err();
  EXPECT_EQ(status_field(c.pid(), "Uid"), (std::vector<std::string>{uid, uid, uid, uid}));
  EXPECT_EQ(status_field(c.pid(), "Gid"), (std::vector<std::string>{gid, gid, gid, gid}));
  EXPECT_EQ(status_field(c.pid(), "Groups"), (std::vector<std::string>{gid}));
  EXPECT_EQ(status_field(c.pid(), "CapEff"), (std::vector<std::string>{"0000000000000000"}));
  EXPECT_EQ(status_field(c.pid(), "CapPrm"), (std::vector<std::string>{"0000000000000000"}));
  EXPECT_EQ(status_of(port, "/hello.txt"), 200);
  // Every thread (the workers started after the drop) runs as nobody too.
  const std::string task_dir = "/proc/" + std::to_string(c.pid()) + "/task";
  std::string tasks = shell("ls " + task_dir);
  std::istringstream ids(tasks);
  int threads = 0;
  for (std::string tid; ids >> tid; ++threads) {
    const std::string status = read_file(task_dir + "/" + tid + "/status");
    EXPECT_NE(status.find("Uid:\t" + uid + "\t" + uid + "\t" + uid + "\t" + uid), std::string::npos) << tid;
  }
  EXPECT_GE(threads, 2);
  c.signal(SIGTERM);
  EXPECT_EQ(c.wait_exit(Ms(10000)), 0) << c.err();
  EXPECT_EQ(c.err(), "");
}

TEST(Service, SocketActivationServesOnTheInheritedSocket) {
  if (!have_program("systemd-socket-activate")) {
    if (std::getenv("HS_REQUIRE_SHARED") != nullptr) FAIL() << "systemd-socket-activate is missing (scripts/setup)";
    GTEST_SKIP() << "systemd-socket-activate is missing (Debian package systemd)";
  }
  TempDir dir;
  dir.write("www/hello.txt", "activated\n");
  open_to_all(dir);
  ::chmod((dir.path() + "/www").c_str(), 0755);
  // Readiness: a datagram socket standing in for systemd's NOTIFY_SOCKET.
  const std::string notify_path = dir.path() + "/notify";
  const int notify = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(notify, 0);
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  std::snprintf(sun.sun_path, sizeof sun.sun_path, "%s", notify_path.c_str());
  ASSERT_EQ(::bind(notify, reinterpret_cast<sockaddr*>(&sun), sizeof sun), 0);
  ::chmod(notify_path.c_str(), 0777);

  std::string activated;
  for (int attempt = 0; attempt < 5 && activated.empty(); ++attempt) {
    const uint16_t port = free_port();
    ASSERT_NE(port, 0);
    const std::string at = "127.0.0.1:" + std::to_string(port);
    // As the service runs it: sockets from the manager, two workers sharing
    // them, --listen ignored, and (as root) an unprivileged user.
    std::vector<std::string> argv{"/usr/bin/env", "systemd-socket-activate", "-l", at,
                                  "-E", "NOTIFY_SOCKET=" + notify_path};
    if (!is_root()) argv.push_back("-E"), argv.push_back("HOMESERVE_ALLOW_ROOT=1");
    for (const char* a : {HS_BINARY, "serve", "--listen", "127.0.0.1:1", "--workers", "2"}) argv.push_back(a);
    argv.push_back(dir.path() + "/www");
    if (is_root()) argv.push_back("--user"), argv.push_back("nobody");
    Child c;
    ASSERT_TRUE(c.start(argv, {"HOMESERVE_ALLOW_ROOT", kNoLeakCheck}));
    // systemd-socket-activate binds, waits for a first connection, then
    // execs homeserve in the same process: that connection is served too.
    const auto deadline = Clock::now() + Ms(10000);
    while (c.err().find("Listening on") == std::string::npos && c.alive() && Clock::now() < deadline)
      ::poll(nullptr, 0, 10);
    if (c.err().find("Address already in use") != std::string::npos) continue;  // the port was taken
    Client first;
    ASSERT_TRUE(first.connect(port)) << c.err();
    ASSERT_TRUE(first.send_all(get("/hello.txt")));
    const std::string line = c.first_line(Ms(10000));
    ASSERT_EQ(line.rfind("listening on " + at + ";", 0), 0u) << line << " / " << c.err();
    activated = line;
    const std::string cmdline = read_file("/proc/" + std::to_string(c.pid()) + "/cmdline");
    EXPECT_EQ(cmdline.rfind(HS_BINARY, 0), 0u) << "homeserve should be the activated process";

    char msg[512] = {};
    pollfd p{notify, POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 5000), 1) << "no READY=1 on NOTIFY_SOCKET";
    const ssize_t n = ::recv(notify, msg, sizeof msg - 1, 0);
    ASSERT_GT(n, 0);
    EXPECT_EQ(std::string(msg, static_cast<size_t>(n)), "READY=1\nSTATUS=" + line);
    const auto answer = read_responses(first, 1, Ms(5000));
    ASSERT_EQ(answer.size(), 1u) << "the connection that started the service was not answered";
    EXPECT_EQ(answer[0].body, "activated\n");

    for (int i = 0; i < 20; ++i) EXPECT_EQ(status_of(port, "/hello.txt"), 200) << i;
    Client keep;
    ASSERT_TRUE(keep.connect(port));
    ASSERT_TRUE(keep.send_all(get("/hello.txt") + get("/hello.txt")));
    const auto rs = read_responses(keep, 2, Ms(5000));
    ASSERT_EQ(rs.size(), 2u);
    EXPECT_EQ(rs[1].body, "activated\n");
    // Nothing else listens there: the port is the inherited socket (the
    // --listen 127.0.0.1:1 given was not used).
    EXPECT_EQ(status_of(1, "/hello.txt"), 0);
    c.signal(SIGTERM);
    EXPECT_EQ(c.wait_exit(Ms(10000)), 0) << c.err();
  }
  ::close(notify);
  EXPECT_FALSE(activated.empty()) << "no free port in five attempts";
}

TEST(Service, SighupReopensTheAccessLogAndLosesNoLine) {
  TempDir dir;
  dir.write("www/a.txt", "a\n");
  const std::string log = dir.path() + "/access.log";
  Server s;
  std::string why;
  ASSERT_TRUE(s.start({dir.path() + "/www", "--access-log", log, "--workers", "2"}, &why)) << why;

  // Requests keep coming, on fresh connections and keep-alive ones, while
  // the log is renamed and SIGHUP sent.
  std::atomic<bool> stop{false};
  std::atomic<int> answered{0}, failed{0};
  std::vector<std::thread> load;
  for (int t = 0; t < 2; ++t) {
    load.emplace_back([&, t] {
      Client keep;
      for (int i = 0; i < 100000 && !stop; ++i) {
        if (t == 0) {
          (status_of(s.port(), "/a.txt") == 200 ? answered : failed)++;
        } else {
          if (keep.fd() < 0 && !keep.connect(s.port())) {
            failed++;
            continue;
          }
          const bool ok = keep.send_all(get("/a.txt")) && read_responses(keep, 1, Ms(5000)).size() == 1;
          (ok ? answered : failed)++;
          if (!ok) keep.close();
        }
      }
    });
  }
  const auto wait_for = [](auto done, Ms limit) {
    const auto deadline = Clock::now() + limit;
    while (!done() && Clock::now() < deadline) ::poll(nullptr, 0, 10);
    return done();
  };
  ASSERT_TRUE(wait_for([&] { return answered > 200; }, Ms(10000)));
  ASSERT_EQ(::rename(log.c_str(), (log + ".1").c_str()), 0);
  s.signal(SIGHUP);
  ASSERT_TRUE(wait_for([&] { return exists(log); }, Ms(5000))) << "SIGHUP did not reopen the log";
  const int at_reopen = answered;
  ASSERT_TRUE(wait_for([&] { return answered > at_reopen + 200; }, Ms(10000)));
  stop = true;
  for (auto& t : load) t.join();
  EXPECT_EQ(failed, 0);

  // The next request after the reopen lands in the new file only.
  EXPECT_EQ(status_of(s.port(), "/after-reopen"), 404);
  const int total = answered + 1;
  ASSERT_TRUE(wait_for([&] { return int(count_lines(read_file(log + ".1")) + count_lines(read_file(log))) >= total; },
                       Ms(5000)));
  const std::string old_text = read_file(log + ".1"), new_text = read_file(log);
  EXPECT_EQ(count_lines(old_text) + count_lines(new_text), size_t(total)) << "lines lost or doubled";
  EXPECT_GE(count_lines(old_text), 200u);
  EXPECT_GE(count_lines(new_text), 200u);
  EXPECT_EQ(old_text.find("/after-reopen"), std::string::npos);
  EXPECT_NE(new_text.find("\"GET /after-reopen HTTP/1.1\" 404"), std::string::npos);
  // A second rotation works the same; the server is still alive and well.
  ASSERT_EQ(::rename(log.c_str(), (log + ".2").c_str()), 0);
  s.signal(SIGHUP);
  ASSERT_TRUE(wait_for([&] { return exists(log); }, Ms(5000)));
  EXPECT_EQ(status_of(s.port(), "/a.txt"), 200);
  s.signal(SIGTERM);
  EXPECT_EQ(s.wait_exit(Ms(10000)), 0);
}

TEST(Service, SigpipeDoesNotKillTheServer) {
  // The access log on stdout, and stdout a pipe nobody reads any more.
  TempDir dir;
  dir.write("www/big.bin", std::string(4 << 20, 'x'));
  Child c;
  ASSERT_TRUE(c.start({HS_BINARY, "serve", dir.path() + "/www", "--listen", "127.0.0.1:0", "--access-log", "-",
                       "--allow-root"},
                      {}));
  const uint16_t port = Child::port_of(c.first_line(Ms(10000)));
  ASSERT_NE(port, 0) << c.err();
  c.close_stdout();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(status_of(port, "/missing"), 404) << i;
  // And peers that reset the connection in the middle of a large body.
  for (int i = 0; i < 5; ++i) {
    Client quitter;
    ASSERT_TRUE(quitter.connect(port, 4096));
    ASSERT_TRUE(quitter.send_all(get("/big.bin")));
    std::string some;
    quitter.read_some(some, Ms(2000), 1024);
    quitter.abort();
  }
  EXPECT_TRUE(c.alive());
  EXPECT_EQ(status_of(port, "/missing"), 404);
  c.signal(SIGTERM);
  EXPECT_EQ(c.wait_exit(Ms(10000)), 0) << c.err();
}

// ---- the man page against every --help ------------------------------------

// Long and short options of a --help text ("-c,--connections", "--listen").
std::set<std::string> options_in_help(const std::string& help) {
  std::set<std::string> out;
  std::istringstream in(help);
  bool in_options = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Options:", 0) == 0) {
      in_options = true;
      continue;
    }
    if (line.rfind("Subcommands:", 0) == 0 || line.rfind("Positionals:", 0) == 0) in_options = false;
    if (!in_options) continue;
    // Only the option column: names start the line after spaces.
    const size_t start = line.find_first_not_of(' ');
    if (start == std::string::npos || line[start] != '-') continue;
    const size_t end = line.find("  ", start);
    const std::string names = line.substr(start, end == std::string::npos ? std::string::npos : end - start);
    for (const std::string& word : split(names, " ,")) {
      const std::string name = leading_option(word);
      if (!name.empty()) out.insert(name);
    }
  }
  return out;
}

// The man page source of section `.SS name` (up to the next .SS/.SH).
std::string man_section(const std::string& man, const std::string& heading) {
  const size_t at = man.find("\n" + heading + "\n");
  if (at == std::string::npos) return {};
  size_t next = man.find("\n.SS ", at + 1);
  const size_t sh = man.find("\n.SH ", at + 1);
  if (sh < next) next = sh;
  return man.substr(at, next == std::string::npos ? std::string::npos : next - at);
}

// Options named in troff source: \-\-name or \-c (as written in .TP lines).
std::set<std::string> options_in_man(const std::string& section) {
  std::set<std::string> out;
  std::istringstream in(section);
  bool tag = false;
  for (std::string line; std::getline(in, line);) {
    if (line == ".TP") {
      tag = true;
      continue;
    }
    if (!tag) continue;
    tag = false;
    // ".BR \-c ", " \-\-connections " \fIN\fR"": words that start with "\-".
    for (const std::string& word : split(line, " \"")) {
      if (word.rfind("\\-", 0) != 0) continue;
      std::string plain;
      for (char ch : word)
        if (ch != '\\') plain += ch;
      const std::string name = leading_option(plain);
      if (!name.empty()) out.insert(name);
    }
  }
  return out;
}

TEST(Service, ManPageDocumentsEveryOptionOfEveryCommand) {
  const std::string man = read_file(kDist + "/homeserve.1");
  ASSERT_FALSE(man.empty());
  struct Command {
    std::vector<std::string> args;
    std::string heading;
  };
  const std::vector<Command> commands = {
      {{"--help"}, ".SH OPTIONS"},          {{"serve", "--help"}, ".SS serve"},
      {{"bench", "--help"}, ".SS bench"},   {{"pipeline", "--help"}, ".SS pipeline"},
      {{"flood", "--help"}, ".SS flood"},   {{"probe", "--help"}, ".SS probe"},
  };
  size_t checked = 0;
  std::string top_help;  // the first command's output: `homeserve --help`
  for (const Command& c : commands) {
    const RunResult r = run_homeserve(c.args, Ms(5000));
    ASSERT_EQ(r.status, 0) << c.args[0];
    if (top_help.empty()) top_help = r.out;
    std::set<std::string> help = options_in_help(r.out);
    help.erase("-h");
    help.erase("--help");
    const std::string section = man_section(man, c.heading);
    ASSERT_FALSE(section.empty()) << "homeserve.1 has no '" << c.heading << "'";
    std::set<std::string> documented = options_in_man(section);
    for (const std::string& o : help) {
      EXPECT_TRUE(documented.count(o)) << "`homeserve " << c.args[0] << "`: " << o
                                       << " is missing from server/dist/homeserve.1 (" << c.heading << ")";
      ++checked;
    }
    for (const std::string& o : documented) {
      if (o == "-h" || o == "--help") continue;
      EXPECT_TRUE(help.count(o)) << c.heading << ": homeserve.1 documents " << o << ", which --help does not list";
    }
  }
  EXPECT_GE(checked, 40u);
  // The subcommands of the top-level help all have a section.
  std::istringstream in(top_help.substr(top_help.find("Subcommands:") + 12));
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string name;
    if (!(words >> name)) {
      continue;
    }
    EXPECT_NE(man.find("\n.SS " + name + "\n"), std::string::npos) << "subcommand " << name << " has no section";
  }
}

TEST(Service, ManPageRendersWithoutWarnings) {
  if (!have_program("man")) {
    if (std::getenv("HS_REQUIRE_SHARED") != nullptr) FAIL() << "man is missing (scripts/setup installs man-db)";
    GTEST_SKIP() << "man is missing (Debian package man-db)";
  }
  int status = 0;
  // groff's warnings go to stderr: there must be none, at two widths.
  for (const char* width : {"80", "60"}) {
    const std::string out = shell(std::string("LC_ALL=C.UTF-8 MANWIDTH=") + width +
                                      " man --warnings -E UTF-8 -l '" + kDist + "/homeserve.1' 2>&1 >/dev/null",
                                  &status);
    EXPECT_EQ(status, 0);
    EXPECT_EQ(out, "") << "at width " << width;
  }
  const std::string text = shell("LC_ALL=C MANWIDTH=80 man -l '" + kDist + "/homeserve.1' 2>/dev/null | col -b", &status);
  EXPECT_NE(text.find("SYSTEMD"), std::string::npos);
  EXPECT_NE(text.find("--listen"), std::string::npos);
}

// ---- the example configuration ------------------------------------------------

TEST(Service, ExampleConfigListsEveryServeOptionAndParses) {
  const std::string toml = read_file(kDist + "/homeserve.toml");
  ASSERT_FALSE(toml.empty());
  // Keys, set or commented out ("# key = default").
  std::set<std::string> keys;
  std::map<std::string, std::string> commented;  // key -> the default the file states
  std::string uncommented;
  std::istringstream in(toml);
  for (std::string line; std::getline(in, line);) {
    // "key = value" or "# key = value"; a key is a-z, digits and dashes.
    const bool is_comment = line.rfind("# ", 0) == 0;
    const std::string body = is_comment ? line.substr(2) : line;
    const size_t eq = body.find(" = ");
    const std::string key = eq == std::string::npos ? "" : body.substr(0, eq);
    const bool is_key = !key.empty() && std::islower(static_cast<unsigned char>(key[0])) &&
                        std::all_of(key.begin(), key.end(), [](char ch) { return option_char(ch) && !std::isupper(static_cast<unsigned char>(ch)); });
    if (is_key) {
      const std::string value = body.substr(eq + 3);
      EXPECT_TRUE(keys.insert(key).second) << "twice: " << key;
      if (is_comment) commented[key] = value;
      uncommented += key + " = " + value + "\n";
    } else if (line == "[serve]") {
      uncommented += line + "\n";
    }
  }
  const RunResult help = run_homeserve({"serve", "--help"}, Ms(5000));
  std::set<std::string> options;
  for (const std::string& o : options_in_help(help.out))
    if (o.rfind("--", 0) == 0 && o != "--help") options.insert(o.substr(2));
  options.insert("dir");
  for (const std::string& o : options) EXPECT_TRUE(keys.count(o)) << o << " is missing from homeserve.toml";
  for (const std::string& k : keys) EXPECT_TRUE(options.count(k)) << k << " is not an option of serve";
  // A commented line states the default: the one --help shows ("--workers UINT=1").
  for (const auto& [key, value] : commented) {
    std::string plain;
    for (char ch : value)
      if (ch != '"') plain += ch;
    // "  --key TYPE=DEFAULT", "TYPE:SIZE [b, kb(=1024b), ...]=16k", "TEXT=[a] ...".
    const std::string opener = "\n  --" + key + " ";
    const size_t at = help.out.find(opener);
    std::string rest = at == std::string::npos ? "" : help.out.substr(at + opener.size());
    rest = rest.substr(0, rest.find('\n'));
    size_t i = 0;
    while (i < rest.size() && rest[i] != ' ' && rest[i] != '=') ++i;
    if (i + 1 < rest.size() && rest[i] == ' ' && rest[i + 1] == '[') i = std::min(rest.size(), rest.find(']', i) + 1);
    if (i > 0 && i < rest.size() && rest[i] == '=') {
      EXPECT_EQ(plain, rest.substr(i + 1, rest.find(' ', i + 1) - i - 1)) << key << ": homeserve.toml says " << value;
    } else {
      EXPECT_TRUE(plain.empty() || plain == "false") << key << " has no default in --help, the file says " << value;
    }
  }

  // Every line uncommented (the defaults) is a valid configuration; the
  // command line overrides dir, listen and the log.
  TempDir dir;
  dir.write("www/a.txt", "a\n");
  dir.write("all.toml", uncommented);
  Server s;
  std::string why;
  ASSERT_TRUE(s.start({"--config", dir.path() + "/all.toml", dir.path() + "/www", "--access-log",
                       dir.path() + "/access.log", "--allow-root"},
                      &why))
      << why << "\n" << uncommented;
  EXPECT_NE(s.startup_line().find("1024 connections, 64 buffers x 16 KiB, 256 responders"), std::string::npos)
      << s.startup_line();
  EXPECT_EQ(status_of(s.port(), "/a.txt"), 200);
}

// ---- the units -------------------------------------------------------------------

std::string unit_value(const std::string& unit, const std::string& key) {
  std::istringstream in(unit);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(key + "=", 0) == 0) return line.substr(key.size() + 1);
  return {};
}

TEST(Service, UnitsAskForSandboxingAndMemoryMaxCoversThePools) {
  const std::string service = read_file(kDist + "/homeserve.service");
  const std::string socket = read_file(kDist + "/homeserve.socket");
  EXPECT_EQ(unit_value(service, "Type"), "notify");
  EXPECT_EQ(unit_value(service, "ExecStart"), "/usr/bin/homeserve --config /etc/homeserve/homeserve.toml serve");
  for (const char* key : {"DynamicUser", "NoNewPrivileges", "PrivateTmp", "ProtectHome"})
    EXPECT_EQ(unit_value(service, key), "yes") << key;
  EXPECT_EQ(unit_value(service, "ProtectSystem"), "strict");
  // The packaged docroot is the one bound read-only.
  const std::string toml = read_file(kDist + "/homeserve.toml");
  const std::string root = unit_value(service, "BindReadOnlyPaths");
  EXPECT_NE(toml.find("\ndir = \"" + root + "\"\n"), std::string::npos) << root;
  EXPECT_FALSE(unit_value(socket, "ListenStream").empty());

  // MemoryMax= holds the default pools with room to spare: the server with
  // the packaged settings, after some traffic, uses under half of it.
  const std::string max = unit_value(service, "MemoryMax");
  ASSERT_FALSE(max.empty());
  ASSERT_EQ(max.back(), 'M') << max;
  const double limit = std::atof(max.c_str()) * 1024 * 1024;
  TempDir dir;
  dir.write("www/a.txt", std::string(100000, 'a'));
  Server s;
  std::string why;
  ASSERT_TRUE(s.start({dir.path() + "/www", "--access-log", dir.path() + "/access.log"}, &why)) << why;
  for (int i = 0; i < 50; ++i) ASSERT_EQ(status_of(s.port(), "/a.txt"), 200);
  EXPECT_LT(s.reserved_bytes() * 4, limit) << s.startup_line();
  EXPECT_LT(double(rss_bytes(s.pid())) * 2, limit) << "RSS " << rss_bytes(s.pid());
}

TEST(Service, UnitsPassSystemdAnalyzeVerify) {
  if (!have_program("systemd-analyze")) GTEST_SKIP() << "systemd-analyze is missing (Debian package systemd)";
  // The units as installed, with ExecStart= naming the binary under test
  // (verify checks that it exists). The man page check needs it installed:
  // the package test verifies that.
  TempDir dir;
  for (const char* unit : {"homeserve.service", "homeserve.socket"}) {
    std::string text = read_file(kDist + "/" + unit);
    for (size_t at = text.find("/usr/bin/homeserve"); at != std::string::npos;
         at = text.find("/usr/bin/homeserve", at + 1))
      text.replace(at, std::strlen("/usr/bin/homeserve"), HS_BINARY);
    dir.write(unit, text);
  }
  int status = 0;
  const std::string out = shell("cd '" + dir.path() +
                                    "' && timeout 60 systemd-analyze verify --man=no ./homeserve.socket "
                                    "./homeserve.service 2>&1",
                                &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_EQ(out, "") << "systemd-analyze has remarks";
}

TEST(Service, CmakeInstallPutsEveryFileInPlace) {
  TempDir dest;
  int status = 0;
  const std::string out = shell("DESTDIR='" + dest.path() + "' cmake --install '" HS_BUILD_DIR
                                "' --prefix /opt/hs 2>&1",
                                &status);
  ASSERT_EQ(status, 0) << out;
  for (const char* path : {"/opt/hs/bin/homeserve", "/opt/hs/share/man/man1/homeserve.1.gz",
                           "/etc/homeserve/homeserve.toml", "/etc/logrotate.d/homeserve",
                           "/opt/hs/lib/systemd/system/homeserve.service", "/opt/hs/lib/systemd/system/homeserve.socket"})
    EXPECT_TRUE(exists(dest.path() + path)) << path << "\n" << out;
  // The unit names the binary where it was installed.
  EXPECT_EQ(unit_value(read_file(dest.path() + "/opt/hs/lib/systemd/system/homeserve.service"), "ExecStart"),
            "/opt/hs/bin/homeserve --config /etc/homeserve/homeserve.toml serve");
  EXPECT_EQ(read_file(dest.path() + "/etc/homeserve/homeserve.toml"), read_file(kDist + "/homeserve.toml"));
}

TEST(Service, ShippedLogrotateRotatesWithoutLosingALine) {
  if (!have_program("logrotate")) {
    if (std::getenv("HS_REQUIRE_SHARED") != nullptr) FAIL() << "logrotate is missing (scripts/setup)";
    GTEST_SKIP() << "logrotate is missing (Debian package logrotate)";
  }
  TempDir dir;
  dir.write("www/a.txt", "a\n");
  const std::string logs = dir.path() + "/log";
  ::mkdir(logs.c_str(), 0755);
  Server s;
  std::string why;
  ASSERT_TRUE(s.start({dir.path() + "/www", "--access-log", logs + "/access.log"}, &why)) << why;
  // /etc/logrotate.d/homeserve as shipped, pointed at this log and this
  // server (systemctl kill stands for kill -HUP PID).
  std::string conf = read_file(kDist + "/homeserve.logrotate");
  const std::string pattern = "/var/log/homeserve/*.log";
  ASSERT_NE(conf.find(pattern), std::string::npos);
  conf.replace(conf.find(pattern), pattern.size(), logs + "/*.log");
  const size_t post = conf.find("postrotate\n"), end = conf.find("endscript");
  ASSERT_TRUE(post != std::string::npos && end != std::string::npos);
  conf.replace(post + 11, end - post - 11, "\t\tkill -HUP " + std::to_string(s.pid()) + "\n\t");
  dir.write("logrotate.conf", conf);
  for (int i = 0; i < 10; ++i) ASSERT_EQ(status_of(s.port(), "/a.txt"), 200);
  const auto wait_for = [](auto done) {
    const auto deadline = Clock::now() + Ms(5000);
    while (!done() && Clock::now() < deadline) ::poll(nullptr, 0, 10);
    return done();
  };
  ASSERT_TRUE(wait_for([&] { return count_lines(read_file(logs + "/access.log")) == 10; }));
  int status = 0;
  const std::string out = shell("logrotate -f -s '" + dir.path() + "/state' '" + dir.path() + "/logrotate.conf' 2>&1",
                                &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_EQ(count_lines(read_file(logs + "/access.log.1")), 10u);  // delaycompress: readable until next time
  ASSERT_TRUE(wait_for([&] { return exists(logs + "/access.log"); })) << "not reopened";
  for (int i = 0; i < 5; ++i) ASSERT_EQ(status_of(s.port(), "/a.txt"), 200);
  EXPECT_TRUE(wait_for([&] { return count_lines(read_file(logs + "/access.log")) == 5; }));
  EXPECT_EQ(count_lines(read_file(logs + "/access.log.1")), 10u);
  s.signal(SIGTERM);
  EXPECT_EQ(s.wait_exit(Ms(10000)), 0);
}

// ---- the Debian package -----------------------------------------------------------

// dpkg --purge at the end, whatever happened in between.
struct PurgeAtExit {
  bool armed = false;
  ~PurgeAtExit() {
    if (armed) shell("dpkg --purge homeserve >/dev/null 2>&1");
  }
};

TEST(Service, DebBuildsPassesLintianInstallsRunsAndPurges) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "the package test runs in the release suite only";
#endif
  if (!is_root()) GTEST_SKIP() << "needs root to install the package (CI runs the tests as root)";
  for (const char* tool : {"cpack", "dpkg", "lintian", "dpkg-shlibdeps"}) {
    if (have_program(tool)) continue;
    if (std::getenv("HS_REQUIRE_SHARED") != nullptr) FAIL() << tool << " is missing (scripts/setup)";
    GTEST_SKIP() << tool << " is missing (scripts/setup installs it)";
  }
  int status = 0;
  const std::string installed = shell("dpkg-query -W -f='${Status}' homeserve 2>/dev/null", &status);
  if (installed.find("installed") != std::string::npos || installed.find("config-files") != std::string::npos)
    GTEST_SKIP() << "a homeserve package is already on this system (" << installed << "): not touching it";
  if (exists("/usr/bin/homeserve")) GTEST_SKIP() << "/usr/bin/homeserve exists outside the package system";

  const std::string out = shell("'" HS_SOURCE_DIR "/scripts/package' --build-dir '" HS_BUILD_DIR "' --no-build 2>&1",
                                &status);
  ASSERT_EQ(status, 0) << out;
  std::string deb = out.substr(out.rfind('\n', out.size() - 2) + 1);
  while (!deb.empty() && deb.back() == '\n') deb.pop_back();
  ASSERT_TRUE(exists(deb)) << out;
  std::cout << "lintian and cpack said:\n" << out;
  EXPECT_EQ(out.find("\nE: "), std::string::npos) << out;

  const std::string contents = shell("dpkg-deb -c '" + deb + "'");
  for (const char* path :
       {"./usr/bin/homeserve", "./usr/share/man/man1/homeserve.1.gz", "./etc/homeserve/homeserve.toml",
        "./etc/logrotate.d/homeserve", "./lib/systemd/system/homeserve.service", "./lib/systemd/system/homeserve.socket",
        "./usr/share/doc/homeserve/copyright", "./usr/share/doc/homeserve/changelog.Debian.gz"})
    EXPECT_NE(contents.find(path), std::string::npos) << path << "\n" << contents;
  const std::string depends = shell("dpkg-deb -f '" + deb + "' Depends");
  EXPECT_NE(depends.find("libc6"), std::string::npos) << depends;
  // libstdc++ is linked in (server/cli/CMakeLists.txt: HS_STATIC_LIBSTDCXX).
  EXPECT_EQ(depends.find("libstdc++6"), std::string::npos) << depends;

  PurgeAtExit purge;
  purge.armed = true;
  const std::string install = shell("dpkg -i '" + deb + "' 2>&1", &status);
  ASSERT_EQ(status, 0) << install;
  const std::string version = shell("/usr/bin/homeserve --version", &status);
  EXPECT_EQ(status, 0);
  const RunResult built = run_homeserve({"--version"}, Ms(5000));
  EXPECT_EQ(version, built.out);
  EXPECT_NE(read_file("/lib/systemd/system/homeserve.service").find("ExecStart=/usr/bin/homeserve "),
            std::string::npos);
  // Slim images (Docker's debian) tell dpkg to leave man pages out.
  const bool man_excluded = !shell("grep -hs '^path-exclude.*/usr/share/man' /etc/dpkg/dpkg.cfg.d/*").empty();
  if (!man_excluded) {
    const std::string man = shell("man -w homeserve 2>&1");
    EXPECT_NE(man.find("/usr/share/man/man1/homeserve.1.gz"), std::string::npos) << man;
  }
  if (have_program("systemd-analyze")) {
    const std::string verify = shell(std::string("timeout 60 systemd-analyze verify ") +
                                         (man_excluded ? "--man=no " : "") +
                                         "/lib/systemd/system/homeserve.socket /lib/systemd/system/homeserve.service 2>&1",
                                     &status);
    EXPECT_EQ(status, 0) << verify;
    EXPECT_EQ(verify, "");
  }
  // The installed binary serves with the installed configuration's options.
  TempDir dir;
  dir.write("a.txt", "installed\n");
  Child c;
  ASSERT_TRUE(c.start({"/usr/bin/homeserve", "--config", "/etc/homeserve/homeserve.toml", "serve", dir.path(),
                       "--listen", "127.0.0.1:0", "--access-log", "off", "--allow-root"},
                      {}));
  const uint16_t port = Child::port_of(c.first_line(Ms(10000)));
  ASSERT_NE(port, 0) << c.err();
  EXPECT_EQ(status_of(port, "/a.txt"), 200);
  c.signal(SIGTERM);
  EXPECT_EQ(c.wait_exit(Ms(10000)), 0);

  const std::string purged = shell("dpkg --purge homeserve 2>&1", &status);
  EXPECT_EQ(status, 0) << purged;
  purge.armed = false;
  EXPECT_EQ(shell("dpkg-query -W -f='${Status}' homeserve 2>/dev/null").find("installed"), std::string::npos);
  for (const char* path : {"/usr/bin/homeserve", "/etc/homeserve", "/etc/logrotate.d/homeserve",
                           "/lib/systemd/system/homeserve.service", "/usr/share/man/man1/homeserve.1.gz",
                           "/usr/share/doc/homeserve"})
    EXPECT_FALSE(exists(path)) << path << " left behind";
}

}  // namespace
}  // namespace hs::it
