#include "daemon/privileges.hpp"

#include <fcntl.h>
#include <grp.h>  // setgroups
#include <linux/capability.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <string_view>
#include <vector>

namespace hs::net {

namespace {

bool parse_id(std::string_view text, unsigned long& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out < 0xffffffffUL;
}

std::string errno_text(const char* step) { return std::string(step) + ": " + std::strerror(errno); }

// One entry of an NSS database ("passwd" or "group") by name or number, as
// `getent` prints it ("name:x:1000:1000:..."). homeserve is linked
// statically, and a static glibc cannot load the system's NSS modules
// (systemd, ldap, ...) safely: getent, from the system's own glibc, answers
// exactly what every other program on the machine sees. Start-up only.
// Returns 1 found, 0 no such entry, -1 with `why` when getent cannot answer.
int lookup_entry(const char* database, const std::string& key, std::vector<std::string_view>& fields,
                 std::string& line, std::string& why) {
  fields.clear();
  line.clear();
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    why = errno_text("pipe");
    return -1;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  // "--": a key that starts with '-' is a key, not an option.
  char* argv[] = {const_cast<char*>("getent"), const_cast<char*>(database), const_cast<char*>("--"),
                  const_cast<char*>(key.c_str()), nullptr};
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, "getent", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (rc != 0) {
    ::close(out[0]);
    why = std::string("cannot run getent to look the name up: ") + std::strerror(rc);
    return -1;
  }
  char chunk[4096];
  for (;;) {
    const ssize_t n = ::read(out[0], chunk, sizeof chunk);
    if (n > 0 && line.size() < 65536) line.append(chunk, static_cast<size_t>(n));
    if (n == 0 || (n < 0 && errno != EINTR)) break;
  }
  ::close(out[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || (WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 2)) {
    why = "getent " + std::string(database) + " failed";
    return -1;
  }
  if (WEXITSTATUS(status) == 2) return 0;  // getent: no such key
  const size_t eol = line.find('\n');
  std::string_view first(line.data(), eol == std::string::npos ? line.size() : eol);
  for (size_t at = 0;;) {
    const size_t colon = first.find(':', at);
    fields.push_back(first.substr(at, colon == std::string_view::npos ? std::string_view::npos : colon - at));
    if (colon == std::string_view::npos) break;
    at = colon + 1;
  }
  return 1;
}

}  // namespace

bool resolve_identity(const std::string& user, const std::string& group, Identity& out, std::string& why) {
  out = Identity{};
  std::vector<std::string_view> fields;
  std::string line;
  unsigned long number = 0, uid = 0, gid = 0;
  std::string lookup_error;
  const int found = user.empty() ? 0 : lookup_entry("passwd", user, fields, line, lookup_error);
  if (found < 0) {
    why = "--user " + user + ": " + lookup_error;
    return false;
  }
  if (found > 0) {
    // name:password:uid:gid:gecos:home:shell
    if (fields.size() < 4 || !parse_id(fields[2], uid) || !parse_id(fields[3], gid)) {
      why = "--user " + user + ": unreadable passwd entry";
      return false;
    }
    out.uid = static_cast<uid_t>(uid);
    out.gid = static_cast<gid_t>(gid);
  } else if (parse_id(user, number) && !group.empty()) {
    out.uid = static_cast<uid_t>(number);  // a bare number without a passwd entry needs --group
  } else {
    why = "--user " + user + ": no such user";
    return false;
  }
  if (!group.empty()) {
    const int gfound = lookup_entry("group", group, fields, line, lookup_error);
    if (gfound < 0) {
      why = "--group " + group + ": " + lookup_error;
      return false;
    }
    // name:password:gid:members
    if (gfound > 0 && fields.size() >= 3 && parse_id(fields[2], gid)) {
      out.gid = static_cast<gid_t>(gid);
    } else if (gfound == 0 && parse_id(group, number)) {
      out.gid = static_cast<gid_t>(number);
    } else {
      why = "--group " + group + ": " + (gfound > 0 ? "unreadable group entry" : "no such group");
      return false;
    }
  }
  return true;
}

bool running_as_root() { return ::getuid() == 0 || ::geteuid() == 0; }

bool drop_privileges(const Identity& id, std::string& why) {
  // Order matters: supplementary groups and the group can only be changed
  // while still root; after setuid nothing can be changed back.
  if (::setgroups(1, &id.gid) != 0) {
    why = errno_text("setgroups");
    return false;
  }
  if (::setgid(id.gid) != 0) {
    why = errno_text("setgid");
    return false;
  }
  if (::setuid(id.uid) != 0) {
    why = errno_text("setuid");
    return false;
  }
  return privileges_dropped(id, why);
}

bool privileges_dropped(const Identity& id, std::string& why) {
  uid_t ru = 0, eu = 0, su = 0;
  gid_t rg = 0, eg = 0, sg = 0;
  if (::getresuid(&ru, &eu, &su) != 0 || ::getresgid(&rg, &eg, &sg) != 0) {
    why = errno_text("getresuid");
    return false;
  }
  if (ru != id.uid || eu != id.uid || su != id.uid || rg != id.gid || eg != id.gid || sg != id.gid) {
    why = "user and group ids did not all change";
    return false;
  }
  gid_t groups[2] = {0, 0};
  const int n = ::getgroups(2, groups);
  if (n < 0 || n > 1 || (n == 1 && groups[0] != id.gid)) {
    why = "supplementary groups remain";
    return false;
  }
  if (id.uid == 0) return true;  // --user root (with --allow-root): nothing to regain
  if (::setuid(0) == 0 || ::seteuid(0) == 0 || ::setgid(0) == 0 || ::setegid(0) == 0) {
    why = "root could be regained after dropping privileges";
    return false;
  }
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (::syscall(SYS_capget, &header, data) != 0) {
    why = errno_text("capget");
    return false;
  }
  if (data[0].effective != 0 || data[0].permitted != 0 || data[1].effective != 0 || data[1].permitted != 0) {
    why = "capabilities remain after dropping privileges";
    return false;
  }
  return true;
}

}  // namespace hs::net
