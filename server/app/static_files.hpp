// The static-file handler that `homeserve serve DIR` mounts at "/" for GET and
// HEAD: maps the decoded path to a file beneath the document root and hands
// the connection a file range (sent with sendfile by the net layer).
//
// Decisions:
// - Files are opened relative to a directory fd of the root, with
//   openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) so neither `..` nor a
//   symlink can leave the root (relative symlinks that stay inside work;
//   absolute ones are refused by RESOLVE_BENEATH). Where openat2 is missing
//   (kernel < 5.6, ENOSYS) it falls back to openat(O_NOFOLLOW): the target
//   decoder already removed every `..`, and a final symlink is refused.
// - Opened with O_NONBLOCK | O_NOCTTY, so a FIFO never blocks the loop; only
//   regular files are served (FIFOs, devices, sockets -> 404).
// - Any path segment starting with '.' (`.git`, `.env`) -> 404 unless
//   `dotfiles` is set.
// - A directory: `index.html` inside it; without a trailing slash -> 301 to
//   the slashed path, query kept; no index -> 404.
// - Fields: Content-Type (mime_types.hpp), Last-Modified (from mtime),
//   X-Content-Type-Options: nosniff; the connection adds Content-Length from
//   the file range and drops the body for HEAD.
// - Too many open files (EMFILE/ENFILE) -> 503; any other open failure -> 404.
//
// When mounted under a prefix route ("/files/*"), the path below the mount
// point (the router's "*" param) is what is looked up beneath the root.
// The fd stays in the responder until its range is sent (issue 5 adds an
// open-file cache). handle() keeps no state: one instance serves every worker.
#pragma once

#include <string_view>

#include "app/router.hpp"
#include "conn/exchange.hpp"

namespace hs::app {

struct StaticOptions {
  bool dotfiles = false;                     // serve `.name` files and directories
  std::string_view index = "index.html";     // must outlive the handler
};

class StaticFiles final : public Handler {
public:
  StaticFiles() = default;
  StaticFiles(const StaticFiles&) = delete;
  StaticFiles& operator=(const StaticFiles&) = delete;
  ~StaticFiles() override;

  // Opens the document root (a directory). Returns 0, or the errno of the failure.
  int open(const char* root, const StaticOptions& options = {});
  int root_fd() const { return root_fd_; }

  void handle(const conn::Request& request, conn::Response& response) override;

private:
  int root_fd_ = -1;
  StaticOptions options_;
};

// Tests only: force the openat(O_NOFOLLOW) fallback (as on a kernel without
// openat2), or go back to trying openat2. Affects every StaticFiles.
void use_openat_fallback_for_testing(bool on);

}  // namespace hs::app
