// SIGHUP reopens the access log (logrotate renames the file, then signals):
// the new file is opened and moved onto the descriptor number the workers
// already write to (dup3 is atomic), so no worker needs telling and no line
// is lost: a write in flight finishes in the old file, the next goes to the new.
#pragma once

#include <string>

#include "sockets/fd.hpp"

namespace hs::net {

// Reopens `path` (created if missing, appended) onto `log`. Returns 0 or the
// errno of the failed step; on failure `log` keeps the old file.
int reopen_log(const Fd& log, const std::string& path);

// reopen_log for SIGHUP: nothing when the log is off or stdout; a failure is
// one line on stderr and logging goes on into the old file.
void reopen_access_log(const Fd& log, const std::string& path);

}  // namespace hs::net
