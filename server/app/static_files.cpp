#include "app/static_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#endif

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>

#include "app/mime_types.hpp"
#include "app/responses.hpp"
#include "http/response_writer.hpp"

namespace hs::app {

namespace {

using http::Status;

constexpr int kOpenFlags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;

// Set once openat2 answered ENOSYS (old kernel or a seccomp filter): every
// later open goes straight to the fallback. Shared by all workers.
std::atomic<bool> g_no_openat2{false};

int open_beneath(int root_fd, const char* name) {
#if defined(SYS_openat2) && defined(RESOLVE_BENEATH)
  if (!g_no_openat2.load(std::memory_order_relaxed)) {
    open_how how{};
    how.flags = static_cast<uint64_t>(kOpenFlags);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    const long fd = ::syscall(SYS_openat2, root_fd, name, &how, sizeof how);
    if (fd >= 0 || errno != ENOSYS) return static_cast<int>(fd);
    g_no_openat2.store(true, std::memory_order_relaxed);
  }
#endif
  return ::openat(root_fd, name, kOpenFlags | O_NOFOLLOW);
}

// True when a segment of `rel` (no leading '/') starts with '.'.
bool has_dot_segment(std::string_view rel) {
  if (!rel.empty() && rel.front() == '.') return true;
  return rel.find("/.") != std::string_view::npos;
}

// The part of the path to look up beneath the root: the router's "*" param
// when mounted under a prefix, else the whole path without its leading '/'.
std::string_view relative_path(const conn::Request& request) {
  for (uint8_t i = 0; i < request.param_count; ++i)
    if (request.params[i].name == "*") return request.params[i].value;
  std::string_view p = request.path;
  while (!p.empty() && p.front() == '/') p.remove_prefix(1);
  return p;
}

bool keep_raw(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::strchr("-._~!$&'()*+,;=:@/", c) != nullptr && c != '\0';
}

// 301 to the slashed path. The decoded path is percent-encoded again (it may
// hold spaces, '%', '?' or UTF-8 as file name bytes); the raw query is kept.
void redirect_to_directory(const conn::Request& request, conn::Response& response) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  char location[2048];
  size_t n = 0;
  const size_t room = sizeof location - 2;  // the '/' and, at worst, the '?'
  for (char ch : request.path) {
    const auto c = static_cast<unsigned char>(ch);
    if (n + 3 > room) return write_error(response, Status::InternalServerError, "redirect target too long");
    if (keep_raw(c)) {
      location[n++] = ch;
    } else {
      location[n++] = '%';
      location[n++] = kHex[c >> 4];
      location[n++] = kHex[c & 15];
    }
  }
  location[n++] = '/';
  if (!request.query.empty()) {
    if (n + 1 + request.query.size() > sizeof location)
      return write_error(response, Status::InternalServerError, "redirect target too long");
    location[n++] = '?';
    std::memcpy(location + n, request.query.data(), request.query.size());
    n += request.query.size();
  }
  response.status(Status::MovedPermanently);
  response.header("Location", std::string_view(location, n));
  response.header("Content-Type", "text/plain; charset=utf-8");
  response.body("301 Moved Permanently\n");
}

Status open_failure_status(int err) {
  return err == EMFILE || err == ENFILE || err == ENOMEM ? Status::ServiceUnavailable : Status::NotFound;
}

}  // namespace

void use_openat_fallback_for_testing(bool on) { g_no_openat2.store(on, std::memory_order_relaxed); }

StaticFiles::~StaticFiles() {
  if (root_fd_ >= 0) ::close(root_fd_);
}

int StaticFiles::open(const char* root, const StaticOptions& options) {
  const int fd = ::open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  if (root_fd_ >= 0) ::close(root_fd_);
  root_fd_ = fd;
  options_ = options;
  return 0;
}

void StaticFiles::handle(const conn::Request& request, conn::Response& response) {
  if (request.method != http::Method::Get && request.method != http::Method::Head)
    return write_method_not_allowed(response, {http::Method::Get, http::Method::Head});
  if (root_fd_ < 0) return write_error(response, Status::NotFound);

  const std::string_view rel = relative_path(request);
  if (!options_.dotfiles && has_dot_segment(rel)) return write_error(response, Status::NotFound);

  // NUL-terminated name beneath the root, with room to append the index name.
  char name[PATH_MAX];
  if (rel.size() + options_.index.size() + 2 > sizeof name) return write_error(response, Status::NotFound);
  size_t len = rel.size();
  std::memcpy(name, rel.data(), len);
  if (len == 0) {
    name[len++] = '.';
  }
  name[len] = '\0';

  int fd = open_beneath(root_fd_, name);
  if (fd < 0) return write_error(response, open_failure_status(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return write_error(response, Status::InternalServerError, "fstat failed");
  }

  std::string_view served(name, len);
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    if (request.path.empty() || request.path.back() != '/') return redirect_to_directory(request, response);
    // rel is empty (the root, written as ".") or ends with '/'.
    if (rel.empty()) len = 0;
    std::memcpy(name + len, options_.index.data(), options_.index.size());
    len += options_.index.size();
    name[len] = '\0';
    served = std::string_view(name, len);
    fd = open_beneath(root_fd_, name);
    if (fd < 0) return write_error(response, open_failure_status(errno));
    if (::fstat(fd, &st) != 0) {
      ::close(fd);
      return write_error(response, Status::InternalServerError, "fstat failed");
    }
  }
  if (!S_ISREG(st.st_mode)) {  // FIFOs, devices, sockets; a directory named index.html
    ::close(fd);
    return write_error(response, Status::NotFound);
  }

  char date[http::kHttpDateLen];
  http::format_http_date(static_cast<int64_t>(st.st_mtim.tv_sec), date);
  response.status(Status::Ok);
  response.header("Content-Type", content_type_for(served));
  response.header("Last-Modified", std::string_view(date, sizeof date));
  response.header("X-Content-Type-Options", "nosniff");
  if (st.st_size > 0) {
    response.file(fd, /*owns=*/true, 0, static_cast<uint64_t>(st.st_size));
  } else {
    ::close(fd);
  }
}

}  // namespace hs::app
