// Running as root: refused unless asked for, or left right after binding.
// `--user NAME [--group NAME]` drops to that identity once the listening
// sockets and the access log are open and before any thread starts:
// setgroups (only the target group), setgid, setuid, in that order, then a
// check that root cannot be regained (real, effective and saved ids, no
// supplementary groups left, no capabilities, setuid(0) refused).
#pragma once

#include <sys/types.h>

#include <string>

namespace hs::net {

struct Identity {
  uid_t uid = 0;
  gid_t gid = 0;
};

// Resolves a user name (or number) and an optional group name (or number;
// empty: the user's primary group). Returns false with a one-line reason.
bool resolve_identity(const std::string& user, const std::string& group, Identity& out, std::string& why);

// True when the real or effective user id is 0.
bool running_as_root();

// Drops to `id` (see above). Must run before any thread is started. Returns
// false with a one-line reason; the process must then exit.
bool drop_privileges(const Identity& id, std::string& why);

// Checks that the process runs as `id` and cannot become root again.
bool privileges_dropped(const Identity& id, std::string& why);

}  // namespace hs::net
