// Running as a service, in-process: the LISTEN_PID/LISTEN_FDS rules, checks
// on inherited sockets, the NOTIFY_SOCKET datagram (path and abstract
// names), reopening a log onto the same descriptor, and user/group lookup.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "sockets/fd.hpp"
#include "daemon/log_reopen.hpp"
#include "daemon/privileges.hpp"
#include "daemon/service_notify.hpp"
#include "sockets/socket_activation.hpp"

namespace hs::net {
namespace {

TEST(SocketActivation, ListenEnvRules) {
  struct Row {
    const char* pid;
    const char* fds;
    int want;  // -1: malformed
  };
  const pid_t self = 4242;
  const Row rows[] = {
      {nullptr, nullptr, 0},  {"4242", nullptr, 0}, {nullptr, "2", 0},   // absent
      {"4242", "2", 2},       {"4242", "0", 0},     {"4242", "16", 16},  // ours
      {"1", "2", 0},          {"4243", "2", 0},                          // another process's
      {"", "2", -1},          {"x", "2", -1},       {"-5", "2", -1},      {"4242x", "1", -1},
      {"4242", "", -1},       {"4242", "-1", -1},   {"4242", "two", -1},  {"4242", "17", -1},
      {"4242", "99999999999999999999", -1},
  };
  for (const Row& r : rows) {
    const char* why = "";
    EXPECT_EQ(parse_listen_env(r.pid, r.fds, self, why), r.want)
        << (r.pid ? r.pid : "(null)") << " / " << (r.fds ? r.fds : "(null)");
    if (r.want < 0) {
      EXPECT_STRNE(why, "");
    }
  }
}

Fd tcp_listener(bool listen_too) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));  // blocking, as systemd may pass it
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return Fd();
  if (listen_too && ::listen(fd.get(), 8) != 0) return Fd();
  return fd;
}

TEST(SocketActivation, InheritedListenerIsCheckedAndMadeNonBlocking) {
  Fd fd = tcp_listener(true);
  ASSERT_TRUE(fd);
  ::fcntl(fd.get(), F_SETFD, 0);  // inherited descriptors come without close-on-exec
  Address bound;
  std::string why;
  ASSERT_TRUE(check_inherited_listener(fd.get(), bound, why)) << why;
  EXPECT_EQ(bound.family(), AF_INET);
  EXPECT_NE(bound.port(), 0);
  EXPECT_TRUE(::fcntl(fd.get(), F_GETFL) & O_NONBLOCK);
  EXPECT_TRUE(::fcntl(fd.get(), F_GETFD) & FD_CLOEXEC);

  // A worker's own descriptor for it: another number, the same socket.
  ListenResult r = adopt_listener(fd.get());
  ASSERT_TRUE(r.fd);
  EXPECT_NE(r.fd.get(), fd.get());
  Address again;
  ASSERT_TRUE(check_inherited_listener(r.fd.get(), again, why)) << why;
  EXPECT_EQ(again.port(), bound.port());
}

TEST(SocketActivation, WrongDescriptorsAreRefusedWithAReason) {
  std::string why;
  Address a;
  Fd bound_only = tcp_listener(false);
  ASSERT_TRUE(bound_only);
  EXPECT_FALSE(check_inherited_listener(bound_only.get(), a, why));
  EXPECT_NE(why.find("not a listening socket"), std::string::npos) << why;

  Fd udp(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  EXPECT_FALSE(check_inherited_listener(udp.get(), a, why));
  EXPECT_NE(why.find("not a stream socket"), std::string::npos) << why;

  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  Fd r(pipe_fds[0]), w(pipe_fds[1]);
  EXPECT_FALSE(check_inherited_listener(r.get(), a, why));
  EXPECT_NE(why.find("not a stream socket"), std::string::npos) << why;

  Fd unix_listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  std::snprintf(sun.sun_path + 1, sizeof sun.sun_path - 1, "homeserve-test-%d", static_cast<int>(::getpid()));
  ASSERT_EQ(::bind(unix_listener.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun), 0);
  ASSERT_EQ(::listen(unix_listener.get(), 1), 0);
  EXPECT_FALSE(check_inherited_listener(unix_listener.get(), a, why));
  EXPECT_NE(why.find("not an IPv4 or IPv6"), std::string::npos) << why;

  EXPECT_FALSE(check_inherited_listener(9999, a, why));
  EXPECT_NE(why.find("descriptor 9999"), std::string::npos) << why;
}

TEST(SocketActivation, NoVariablesMeansNoSockets) {
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  std::vector<Fd> fds;
  std::vector<Address> bound;
  std::string error;
  EXPECT_TRUE(take_inherited_listeners(fds, bound, error)) << error;
  EXPECT_TRUE(fds.empty());
  ::setenv("LISTEN_PID", "1", 1);  // our parent's, not ours
  ::setenv("LISTEN_FDS", "3", 1);
  EXPECT_TRUE(take_inherited_listeners(fds, bound, error)) << error;
  EXPECT_TRUE(fds.empty());
  ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
  ::setenv("LISTEN_FDS", "lots", 1);
  EXPECT_FALSE(take_inherited_listeners(fds, bound, error));
  EXPECT_NE(error.find("LISTEN_FDS"), std::string::npos) << error;
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
}

std::string receive(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 2000) != 1) return "(nothing)";
  char buf[256];
  const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "(error)";
}

TEST(ServiceNotify, SendsOneDatagramToAPathOrAnAbstractName) {
  char dir[] = "/tmp/homeserve-notify-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/notify";
  Fd sock(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  std::snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path.c_str());
  ASSERT_EQ(::bind(sock.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun), 0);
  EXPECT_EQ(notify_service_manager(path, "READY=1\nSTATUS=listening"), 0);
  EXPECT_EQ(receive(sock.get()), "READY=1\nSTATUS=listening");

  // "@name": the abstract namespace (sun_path starts with a NUL byte).
  const std::string name = "homeserve-notify-" + std::to_string(::getpid());
  Fd abstract(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_un an{};
  an.sun_family = AF_UNIX;
  std::snprintf(an.sun_path + 1, sizeof an.sun_path - 1, "%s", name.c_str());
  ASSERT_EQ(::bind(abstract.get(), reinterpret_cast<sockaddr*>(&an),
                   static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size())),
            0);
  EXPECT_EQ(notify_service_manager("@" + name, "READY=1"), 0);
  EXPECT_EQ(receive(abstract.get()), "READY=1");

  // Through the environment; unset means nothing to do.
  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  EXPECT_EQ(notify_service_manager("STOPPING=1"), 0);
  EXPECT_EQ(receive(sock.get()), "STOPPING=1");
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_EQ(notify_service_manager("READY=1"), 0);

  EXPECT_EQ(notify_service_manager("relative/path", "READY=1"), EINVAL);
  EXPECT_EQ(notify_service_manager("", "READY=1"), EINVAL);
  EXPECT_EQ(notify_service_manager(std::string(200, '/'), "READY=1"), EINVAL);
  EXPECT_EQ(notify_service_manager(std::string(dir) + "/nobody-listens", "READY=1"), ENOENT);
  ::unlink(path.c_str());
  ::rmdir(dir);
}

TEST(LogReopen, TheSameDescriptorWritesToTheNewFile) {
  char dir[] = "/tmp/homeserve-log-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/access.log";
  Fd log(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  ASSERT_TRUE(log);
  const int number = log.get();
  ASSERT_EQ(::write(number, "one\n", 4), 4);
  ASSERT_EQ(::rename(path.c_str(), (path + ".1").c_str()), 0);
  ASSERT_EQ(::write(number, "two\n", 4), 4);  // still the renamed file
  EXPECT_EQ(reopen_log(log, path), 0);
  EXPECT_EQ(log.get(), number);
  EXPECT_TRUE(::fcntl(number, F_GETFD) & FD_CLOEXEC);
  ASSERT_EQ(::write(number, "three\n", 6), 6);
  const auto slurp = [](const std::string& p) {
    std::string s;
    char buf[64];
    Fd f(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
    for (ssize_t n; f && (n = ::read(f.get(), buf, sizeof buf)) > 0;) s.append(buf, static_cast<size_t>(n));
    return s;
  };
  EXPECT_EQ(slurp(path + ".1"), "one\ntwo\n");
  EXPECT_EQ(slurp(path), "three\n");
  // A file that cannot be opened leaves the old one in place.
  EXPECT_EQ(reopen_log(log, std::string(dir) + "/no/such/dir/log"), ENOENT);
  ASSERT_EQ(::write(number, "four\n", 5), 5);
  EXPECT_EQ(slurp(path), "three\nfour\n");
  EXPECT_EQ(reopen_log(Fd(), path), EBADF);
  ::unlink(path.c_str());
  ::unlink((path + ".1").c_str());
  ::rmdir(dir);
}

TEST(Privileges, NamesAndNumbersResolve) {
  Identity id;
  std::string why;
  ASSERT_TRUE(resolve_identity("root", "", id, why)) << why;
  EXPECT_EQ(id.uid, 0u);
  EXPECT_EQ(id.gid, 0u);
  ASSERT_TRUE(resolve_identity("0", "", id, why)) << why;  // a uid with a passwd entry
  EXPECT_EQ(id.uid, 0u);
  ASSERT_TRUE(resolve_identity("root", "12345", id, why)) << why;  // a bare group number
  EXPECT_EQ(id.gid, 12345u);
  ASSERT_TRUE(resolve_identity("54321", "54321", id, why)) << why;  // numbers without entries
  EXPECT_EQ(id.uid, 54321u);
  EXPECT_EQ(id.gid, 54321u);
  EXPECT_FALSE(resolve_identity("54321", "", id, why));  // no entry: the group must be given
  EXPECT_FALSE(resolve_identity("no-such-user-hs", "", id, why));
  EXPECT_NE(why.find("no-such-user-hs"), std::string::npos) << why;
  EXPECT_FALSE(resolve_identity("root", "no-such-group-hs", id, why));
  EXPECT_NE(why.find("--group no-such-group-hs"), std::string::npos) << why;
  // Names go to getent as keys, never as its options.
  EXPECT_FALSE(resolve_identity("--help", "", id, why));
  EXPECT_NE(why.find("no such user"), std::string::npos) << why;
  ASSERT_TRUE(resolve_identity("root", "root", id, why)) << why;  // a group by name
  EXPECT_EQ(id.gid, 0u);
}

TEST(Privileges, ANameLookupWithoutGetentIsAClearError) {
  const char* saved = std::getenv("PATH");
  const std::string path = saved != nullptr ? saved : "";
  ::setenv("PATH", "/nonexistent-hs", 1);
  Identity id;
  std::string why;
  const bool ok = resolve_identity("root", "", id, why);
  ::setenv("PATH", path.c_str(), 1);
  EXPECT_FALSE(ok);
  EXPECT_NE(why.find("cannot run getent"), std::string::npos) << why;
}

TEST(Privileges, TheCurrentIdentityIsNotMistakenForADrop) {
  // Without changing anything: as root, root can be regained (so the check
  // must fail for any target but root); as a user, the ids are the user's.
  Identity me;
  me.uid = ::getuid();
  me.gid = ::getgid();
  std::string why;
  gid_t groups[64];
  const int n = ::getgroups(64, groups);
  const bool single_group = n == 0 || (n == 1 && groups[0] == me.gid);
  if (me.uid == 0) {
    Identity other = me;
    other.uid = 65534;
    EXPECT_FALSE(privileges_dropped(other, why));
  } else if (single_group) {
    EXPECT_TRUE(privileges_dropped(me, why)) << why;
  }
  EXPECT_EQ(running_as_root(), ::geteuid() == 0 || ::getuid() == 0);
}

}  // namespace
}  // namespace hs::net
