// The static-file handler that `homeserve serve DIR` mounts at "/" for GET,
// HEAD and OPTIONS: maps the decoded path to a file beneath the document root
// and answers with RFC 9110 semantics (validators, conditionals, ranges,
// precompressed siblings), from an open-file cache, without allocating.
//
// Safety:
// - Files are opened relative to a directory fd of the root with
//   openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS): neither `..` nor a
//   symlink can leave the root; symlinks that stay inside work. With
//   follow_symlinks, only RESOLVE_NO_MAGICLINKS (symlinks may point anywhere).
//   Where openat2 is missing (ENOSYS: kernel < 5.6, seccomp) the path is
//   walked one component at a time with O_NOFOLLOW (O_PATH|O_DIRECTORY for
//   the directories), so no symlink at all is followed, inside or not
//   (follow_symlinks: plain openat).
// - O_NONBLOCK | O_NOCTTY: opening a FIFO never blocks; only regular files
//   and directories are served (FIFOs, devices, sockets -> 404).
// - A path segment starting with '.' (`.git`, `.env`) -> 404 unless dotfiles.
// - A file that shrinks while it is sent: the net layer sees sendfile return
//   0 and closes the connection, never sending other than Content-Length.
//
// HTTP (RFC 9110):
// - OPTIONS -> 204 with `Allow: GET, HEAD, OPTIONS`; other methods are 405
//   with that Allow (the router answers them: see app.cpp).
// - Content-Type from mime_types.hpp, `X-Content-Type-Options: nosniff`,
//   strong ETag `"<inode>-<size>-<mtime ns>"` (hex), Last-Modified,
//   `Accept-Ranges: bytes`, optional Cache-Control.
// - Conditionals and If-Range: http/conditional.hpp; ranges: http/range.hpp
//   (206, 416 with `bytes */LEN`, multipart/byteranges up to kMaxParts parts,
//   more -> 200 with the whole file). Range is honoured for GET only.
// - Precompressed siblings FILE.br, FILE.zst, FILE.gz (regular files, not
//   older than FILE) chosen by http/accept_encoding.hpp; Content-Encoding,
//   the original's Content-Type, the sibling's own ETag; ranges apply to the
//   encoded bytes. `Vary: Accept-Encoding` on every answer for a FILE that has
//   siblings, encoded or not.
// - Directories: index.html; without a trailing slash -> 301 to the slashed
//   path (query kept); no index -> 404, or with `listing` an HTML listing.
//
// Bodies (Responder body area, see conn/responder.hpp):
// - Files up to `inline_max` bytes are read (pread) into the responder's body
//   area and leave with the head in one write; larger ones go as a file range
//   (head with MSG_MORE, then sendfile).
// - multipart/byteranges and listings are produced in pieces as the
//   connection writes (ResponderHooks::refill): a part head in the body area,
//   then the part's file range; listing rows a body area at a time. Their
//   state lives in the tail of the body area. Content-Length is exact: a
//   listing's is computed by a first pass over the directory; if the
//   directory changes meanwhile, the listing is padded with spaces, or the
//   connection closes when it grew. The listing is sorted by byte order
//   without a name array: each piece rescans the directory for the next
//   names after the last one sent (cost ~ entries^2 / 16 name comparisons;
//   meant for the folders of a home server, not for 100,000 entries).
//
// The open-file cache (file_cache.hpp) keeps fds of hot files; an entry is
// revalidated at most once a second (open again, compare dev/inode/size/mtime).
// A response sending a cached fd holds a reference released by the responder
// hook. The cache makes a StaticFiles single-threaded: one per worker (the
// command line builds one App per worker).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "app/file_cache.hpp"
#include "app/router.hpp"
#include "conn/exchange.hpp"
#include "conn/responder.hpp"

namespace hs::app {

struct StaticOptions {
  bool dotfiles = false;                     // serve `.name` files and directories
  bool follow_symlinks = false;              // symlinks may leave the root
  bool listing = false;                      // HTML listing of directories without index.html
  std::string_view cache_control;            // Cache-Control value for files; empty: none
  size_t file_cache = 256;                   // open-file cache entries (0: open every time)
  size_t inline_max = 4 * 1024;              // files up to this go inside the responder (capped by its body area)
  size_t content_cache = 64;                 // small files (<= inline_max) whose bytes the cache keeps (0: none)
  std::string_view index = "index.html";     // must outlive the handler
};

// At most this many parts in a multipart/byteranges answer; more -> 200.
inline constexpr size_t kMaxParts = 8;

class StaticFiles final : public Handler, public conn::ResponderHooks {
public:
  StaticFiles() = default;
  StaticFiles(const StaticFiles&) = delete;
  StaticFiles& operator=(const StaticFiles&) = delete;
  ~StaticFiles() override;

  // Opens the document root (a directory) and sizes the cache. Returns 0, or
  // the errno of the failure. Start-up only (allocates the cache).
  int open(const char* root, const StaticOptions& options = {});
  int root_fd() const { return root_fd_; }
  const FileCache& cache() const { return cache_; }

  void handle(const conn::Request& request, conn::Response& response) override;

  // ---- conn::ResponderHooks ----
  bool refill(conn::Responder& r) override;
  void release(conn::Responder& r) override;

  struct Opened;  // an open file: cached (borrowed fd) or owned

private:
  bool acquire(const char* name, size_t len, int64_t now, Opened& out);
  void drop(Opened& f);
  void serve_file(const conn::Request& request, conn::Response& response, Opened& f, std::string_view name);
  void attach(conn::Response& response, Opened& f, uint64_t offset, uint64_t length);
  void serve_multipart(conn::Response& response, Opened& f, std::string_view type, const void* ranges,
                       size_t count);
  void serve_listing(const conn::Request& request, conn::Response& response, const char* dir_name);
  bool refill_multipart(conn::Responder& r);
  bool refill_listing(conn::Responder& r);
  uint8_t variants_of(const char* name, size_t len, const FileInfo& info) const;

  int root_fd_ = -1;
  StaticOptions options_;
  FileCache cache_;
  char boundary_[24] = {};
};

// Tests only: force the component-walk fallback (as on a kernel without
// openat2), or go back to trying openat2. Affects every StaticFiles.
void use_openat_fallback_for_testing(bool on);

}  // namespace hs::app
