#include "daemon/privileges.hpp"

#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/syscall.h>
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

}  // namespace

bool resolve_identity(const std::string& user, const std::string& group, Identity& out, std::string& why) {
  out = Identity{};
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  unsigned long number = 0;
  int rc = ::getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found);
  if (found == nullptr && parse_id(user, number)) rc = ::getpwuid_r(static_cast<uid_t>(number), &pw, buf.data(), buf.size(), &found);
  if (found != nullptr) {
    out.uid = pw.pw_uid;
    out.gid = pw.pw_gid;
  } else if (parse_id(user, number) && !group.empty()) {
    out.uid = static_cast<uid_t>(number);  // a bare number without a passwd entry needs --group
  } else {
    why = "--user " + user + ": " + (rc != 0 ? std::strerror(rc) : "no such user");
    return false;
  }
  if (!group.empty()) {
    struct group g{};
    struct group* gfound = nullptr;
    rc = ::getgrnam_r(group.c_str(), &g, buf.data(), buf.size(), &gfound);
    if (gfound == nullptr && parse_id(group, number)) {
      out.gid = static_cast<gid_t>(number);
    } else if (gfound != nullptr) {
      out.gid = g.gr_gid;
    } else {
      why = "--group " + group + ": " + (rc != 0 ? std::strerror(rc) : "no such group");
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
