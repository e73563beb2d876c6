#include "app/static_files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#endif

#include <atomic>
#include <cerrno>
#include <charconv>
#include <climits>
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "app/mime_types.hpp"
#include "app/responses.hpp"
#include "http/accept_encoding.hpp"
#include "http/conditional.hpp"
#include "http/range.hpp"
#include "http/response_writer.hpp"

namespace hs::app {

struct StaticFiles::Opened {
  FileInfo local;                 // when not cached
  FileInfo* info = nullptr;       // &local or the cache entry's
  uint32_t entry = FileCache::kNil;
  bool owned = false;             // info->fd is ours to close or hand over
  int err = 0;
};

namespace {

using http::Status;

constexpr int kOpenFlags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
constexpr uint64_t kKindMultipart = 1;
constexpr uint64_t kKindListing = 2;

// Set once openat2 answered ENOSYS (old kernel or a seccomp filter): every
// later open goes straight to the fallback. Shared by all workers.
std::atomic<bool> g_no_openat2{false};

// Without openat2: walk the components, following no symlink at all.
int walk_nofollow(int root_fd, const char* name) {
  int dir = root_fd;
  const char* p = name;
  char comp[NAME_MAX + 1];
  // Bounded by the name's length: each pass consumes one component.
  for (;;) {
    const char* slash = std::strchr(p, '/');
    const size_t n = slash != nullptr ? static_cast<size_t>(slash - p) : std::strlen(p);
    if (n > NAME_MAX || (n == 2 && p[0] == '.' && p[1] == '.')) {
      if (dir != root_fd) ::close(dir);
      errno = n > NAME_MAX ? ENAMETOOLONG : ENOENT;
      return -1;
    }
    std::memcpy(comp, p, n);
    comp[n] = '\0';
    if (slash == nullptr || slash[1] == '\0') {
      // Last component ("dir/" opens dir itself).
      const int fd = ::openat(dir, n == 0 ? "." : comp, kOpenFlags | O_NOFOLLOW);
      const int saved = errno;
      if (dir != root_fd) ::close(dir);
      errno = saved;
      return fd;
    }
    const int next = n == 0 ? ::dup(dir) : ::openat(dir, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    const int saved = errno;
    if (dir != root_fd) ::close(dir);
    if (next < 0) {
      errno = saved;
      return -1;
    }
    dir = next;
    p = slash + 1;
  }
}

int open_beneath(int root_fd, const char* name, bool follow) {
#if defined(SYS_openat2) && defined(RESOLVE_BENEATH)
  if (!g_no_openat2.load(std::memory_order_relaxed)) {
    open_how how{};
    how.flags = static_cast<uint64_t>(kOpenFlags);
    how.resolve = follow ? RESOLVE_NO_MAGICLINKS : (RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
    const long fd = ::syscall(SYS_openat2, root_fd, name, &how, sizeof how);
    if (fd >= 0 || errno != ENOSYS) return static_cast<int>(fd);
    g_no_openat2.store(true, std::memory_order_relaxed);
  }
#endif
  if (follow) return ::openat(root_fd, name, kOpenFlags);
  return walk_nofollow(root_fd, name);
}

char* put_hex(char* p, uint64_t v) { return std::to_chars(p, p + 16, v, 16).ptr; }

bool fill_info(int fd, FileInfo& info) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return false;
  info.fd = fd;
  info.is_dir = S_ISDIR(st.st_mode);
  info.is_reg = S_ISREG(st.st_mode);
  info.dev = st.st_dev;
  info.ino = st.st_ino;
  info.size = st.st_size > 0 ? static_cast<uint64_t>(st.st_size) : 0;
  info.mtime_sec = st.st_mtim.tv_sec;
  info.mtime_nsec = st.st_mtim.tv_nsec;
  info.ctime_sec = st.st_ctim.tv_sec;
  info.ctime_nsec = st.st_ctim.tv_nsec;
  char* p = info.etag;
  *p++ = '"';
  p = put_hex(p, info.ino);
  *p++ = '-';
  p = put_hex(p, info.size);
  *p++ = '-';
  p = put_hex(p, static_cast<uint64_t>(info.mtime_sec) * 1'000'000'000u + static_cast<uint64_t>(info.mtime_nsec));
  *p++ = '"';
  info.etag_len = static_cast<uint8_t>(p - info.etag);
  http::format_http_date(info.mtime_sec, info.last_modified);
  return true;
}

// True when a segment of `rel` (no leading '/') starts with '.'.
// /.well-known/ (RFC 8615) is meant to be served: ACME challenges (certbot's
// webroot mode), security.txt. Dot segments below it stay hidden.
bool has_dot_segment(std::string_view rel) {
  constexpr std::string_view kWellKnown = ".well-known/";
  if (rel.starts_with(kWellKnown)) rel.remove_prefix(kWellKnown.size() - 1);  // from its '/'
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
  return c != '\0' && std::strchr("-._~!$&'()*+,;=:@/", c) != nullptr;
}

// Percent-encodes `s` into out (or only counts when out is null).
size_t url_encode(char* out, std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  size_t n = 0;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (keep_raw(c) && (keep_slash || c != '/') && c != '&' && c != '\'') {
      if (out) out[n] = ch;
      ++n;
    } else {
      if (out) {
        out[n] = '%';
        out[n + 1] = kHex[c >> 4];
        out[n + 2] = kHex[c & 15];
      }
      n += 3;
    }
  }
  return n;
}

size_t html_escape(char* out, std::string_view s) {
  size_t n = 0;
  for (char c : s) {
    std::string_view rep;
    switch (c) {
      case '&': rep = "&amp;"; break;
      case '<': rep = "&lt;"; break;
      case '>': rep = "&gt;"; break;
      case '"': rep = "&quot;"; break;
      case '\'': rep = "&#39;"; break;
      default: rep = std::string_view(&c, 1);
    }
    if (out) std::memcpy(out + n, rep.data(), rep.size());
    n += rep.size();
  }
  return n;
}

// A writer that only counts when its buffer is null.
struct Out {
  char* p;
  size_t n = 0;
  void put(std::string_view s) {
    if (p) std::memcpy(p + n, s.data(), s.size());
    n += s.size();
  }
  void num(uint64_t v) {
    char d[24];
    const char* e = std::to_chars(d, d + sizeof d, v).ptr;
    put(std::string_view(d, static_cast<size_t>(e - d)));
  }
  void url(std::string_view s, bool keep_slash) { n += url_encode(p ? p + n : nullptr, s, keep_slash); }
  void html(std::string_view s) { n += html_escape(p ? p + n : nullptr, s); }
};

// 301 to the slashed path. The decoded path is percent-encoded again (it may
// hold spaces, '%', '?' or UTF-8 as file name bytes); the raw query is kept.
void redirect_to_directory(const conn::Request& request, conn::Response& response) {
  char location[2048];
  const size_t need = url_encode(nullptr, request.path, true) + 2 + request.query.size();
  if (need > sizeof location) return write_error(response, Status::InternalServerError, "redirect target too long");
  size_t n = url_encode(location, request.path, true);
  location[n++] = '/';
  if (!request.query.empty()) {
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

// The value of a request field and whether it was present at all.
std::string_view field(const conn::Request& request, std::string_view name, bool* present = nullptr) {
  const http::Header* h = request.head != nullptr ? request.head->find(name) : nullptr;
  if (present) *present = h != nullptr;
  return h != nullptr ? h->value : std::string_view{};
}

// ---- streamed bodies: their state in the tail of the body area ----

struct MultipartState {
  uint64_t total;      // representation length
  const char* type;    // a static MIME type string
  uint32_t type_len;
  uint32_t count;
  uint32_t next;       // next part to send
  http::ByteRange ranges[kMaxParts];
};

struct ListingState {
  int dir_fd;
  uint16_t last_len;   // 0: no row sent yet
  char last[NAME_MAX + 1];
};

template <class T>
size_t state_offset(const conn::Responder& r) {
  return (r.body_area.size() - sizeof(T)) & ~size_t{7};
}

template <class T>
bool room_for(const conn::Responder& r, size_t piece) {
  return r.body_area.size() >= sizeof(T) + 8 + piece;
}

template <class T>
void save(conn::Responder& r, const T& s) {
  std::memcpy(r.body_area.data() + state_offset<T>(r), &s, sizeof s);
}

template <class T>
T load(const conn::Responder& r) {
  T s;
  std::memcpy(&s, r.body_area.data() + state_offset<T>(r), sizeof s);
  return s;
}

void part_head(Out& o, std::string_view boundary, const MultipartState& s, const http::ByteRange& range) {
  o.put("\r\n--");
  o.put(boundary);
  o.put("\r\nContent-Type: ");
  o.put(std::string_view(s.type, s.type_len));
  o.put("\r\nContent-Range: bytes ");
  o.num(range.first);
  o.put("-");
  o.num(range.last);
  o.put("/");
  o.num(s.total);
  o.put("\r\n\r\n");
}

void part_tail(Out& o, std::string_view boundary) {
  o.put("\r\n--");
  o.put(boundary);
  o.put("--\r\n");
}

// ---- directory listings ----

constexpr size_t kListingPick = 16;  // names chosen per rescan
constexpr size_t kMaxRow = 3 * NAME_MAX + 6 * NAME_MAX + 160;

struct DirEntry {
  const char* name;
  size_t len;
  unsigned char type;
};

// Calls f(DirEntry) for each entry of dir_fd from its start. False on error.
template <class F>
bool for_each_entry(int dir_fd, F&& f) {
  if (::lseek(dir_fd, 0, SEEK_SET) != 0) return false;
  alignas(8) char buf[8192];
  // Bounded: the directory's size; getdents64 returns 0 at its end.
  for (;;) {
    const long n = ::syscall(SYS_getdents64, dir_fd, buf, sizeof buf);
    if (n < 0) return false;
    if (n == 0) return true;
    for (long off = 0; off < n;) {
      // struct linux_dirent64: d_ino(8) d_off(8) d_reclen(2) d_type(1) d_name
      uint16_t reclen = 0;
      std::memcpy(&reclen, buf + off + 16, sizeof reclen);
      const unsigned char type = static_cast<unsigned char>(buf[off + 18]);
      const char* name = buf + off + 19;
      f(DirEntry{name, std::strlen(name), type});
      off += reclen;
    }
  }
}

// Listed: not "." / "..", dotfiles only when allowed; regular files,
// directories and symlinks (others are 404 anyway).
bool listed(const DirEntry& e, bool dotfiles) {
  if (e.len == 0 || e.name[0] == '.') {
    if (e.len == 1 || (e.len == 2 && e.name[1] == '.') || !dotfiles || e.len == 0) return false;
  }
  return e.type == DT_REG || e.type == DT_DIR || e.type == DT_LNK || e.type == DT_UNKNOWN;
}

// One row; false when the entry is gone or not listable.
bool row(Out& o, int dir_fd, std::string_view name) {
  char z[NAME_MAX + 1];
  std::memcpy(z, name.data(), name.size());
  z[name.size()] = '\0';
  struct stat st {};
  if (::fstatat(dir_fd, z, &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
  const bool dir = S_ISDIR(st.st_mode);
  const bool link = S_ISLNK(st.st_mode);
  if (!dir && !link && !S_ISREG(st.st_mode)) return false;
  o.put("<tr><td><a href=\"./");
  o.url(name, false);
  if (dir) o.put("/");
  o.put("\">");
  o.html(name);
  if (dir) o.put("/");
  o.put("</a></td><td>");
  if (dir || link) o.put("-");
  else o.num(static_cast<uint64_t>(st.st_size));
  o.put("</td><td>");
  if (link) {
    o.put("-");
  } else {
    char date[http::kHttpDateLen];
    http::format_http_date(st.st_mtim.tv_sec, date);
    o.put(std::string_view(date, sizeof date));
  }
  o.put("</td></tr>\n");
  return true;
}

constexpr std::string_view kListingFoot = "</table>\n</body>\n</html>\n";

void listing_head(Out& o, std::string_view path) {
  o.put("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>Index of ");
  o.html(path);
  o.put("</title>\n</head>\n<body>\n<h1>Index of ");
  o.html(path);
  o.put("</h1>\n<table>\n<tr><th>Name</th><th>Size</th><th>Last modified</th></tr>\n");
  if (path != "/") o.put("<tr><td><a href=\"../\">../</a></td><td>-</td><td>-</td></tr>\n");
}

bool name_less(std::string_view a, std::string_view b) { return a < b; }

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
  // Slots no bigger than a responder could ever carry (inline_max may say more).
  cache_.init(options.file_cache, options.content_cache, std::min<size_t>(options.inline_max, 16 * 1024));
  // A boundary that no file is likely to contain: random per process start.
  uint64_t rnd = 0;
  if (::getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof rnd))
    rnd = static_cast<uint64_t>(::getpid()) * 0x9e3779b97f4a7c15ull ^ static_cast<uint64_t>(root_fd_);
  std::memcpy(boundary_, "hs-", 3);
  char* p = boundary_ + 3;
  for (int i = 0; i < 16; ++i) *p++ = "0123456789abcdef"[(rnd >> (i * 4)) & 15];
  *p = '\0';
  return 0;
}

uint8_t StaticFiles::variants_of(const char* name, size_t len, const FileInfo& info) const {
  if (!info.is_reg || len + 5 > PATH_MAX) return 0;
  char sib[PATH_MAX];
  std::memcpy(sib, name, len);
  uint8_t bits = 0;
  for (http::Coding c : {http::Coding::Br, http::Coding::Zstd, http::Coding::Gzip}) {
    const std::string_view sfx = http::coding_suffix(c);
    std::memcpy(sib + len, sfx.data(), sfx.size());
    sib[len + sfx.size()] = '\0';
    struct stat st {};
    // Only a hint: the sibling is opened beneath the root like any file.
    if (::fstatat(root_fd_, sib, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) continue;
    if (st.st_mtim.tv_sec < info.mtime_sec ||
        (st.st_mtim.tv_sec == info.mtime_sec && st.st_mtim.tv_nsec < info.mtime_nsec))
      continue;
    bits |= http::coding_bit(c);
  }
  return bits;
}

bool StaticFiles::acquire(const char* name, size_t len, int64_t now, Opened& out) {
  const std::string_view key(name, len);
  const uint32_t h = FileCache::hash(key);
  const uint32_t i = cache_.find(key, h);
  if (i != FileCache::kNil) {
    CacheEntry& e = cache_.at(i);
    if (now >= e.checked_at && now < e.checked_at + 1) {
      out.info = &e.info;
      out.entry = i;
      return true;
    }
    // Revalidate: the path may now name another file, or this one changed.
    const int fd = open_beneath(root_fd_, name, options_.follow_symlinks);
    FileInfo fresh;
    if (fd < 0 || !fill_info(fd, fresh)) {
      out.err = fd < 0 ? errno : EIO;
      if (fd >= 0) ::close(fd);
      if (e.refs == 0) cache_.remove(i);
      return false;
    }
    if (fresh.same_file(e.info)) {
      ::close(fd);
    } else if (e.refs == 0) {
      ::close(e.info.fd);
      e.info = fresh;
      cache_.drop_content(i);
    } else {
      // In flight with the old content: serve the new file uncached this time.
      out.local = fresh;
      out.local.variants = variants_of(name, len, fresh);
      out.info = &out.local;
      out.owned = true;
      return true;
    }
    e.info.variants = variants_of(name, len, e.info);
    e.checked_at = now;
    out.info = &e.info;
    out.entry = i;
    return true;
  }
  const int fd = open_beneath(root_fd_, name, options_.follow_symlinks);
  if (fd < 0) {
    out.err = errno;
    return false;
  }
  FileInfo fresh;
  if (!fill_info(fd, fresh)) {
    out.err = EIO;
    ::close(fd);
    return false;
  }
  fresh.variants = variants_of(name, len, fresh);
  const uint32_t slot = (fresh.is_reg || fresh.is_dir) ? cache_.insert(key, h) : FileCache::kNil;
  if (slot != FileCache::kNil) {
    CacheEntry& e = cache_.at(slot);
    e.info = fresh;
    e.checked_at = now;
    out.info = &e.info;
    out.entry = slot;
  } else {
    out.local = fresh;
    out.info = &out.local;
    out.owned = true;
  }
  return true;
}

void StaticFiles::drop(Opened& f) {
  if (f.owned && f.info != nullptr && f.info->fd >= 0) ::close(f.info->fd);
  f.owned = false;
  f.info = nullptr;
  f.entry = FileCache::kNil;
}

void StaticFiles::attach(conn::Response& response, Opened& f, uint64_t offset, uint64_t length) {
  conn::Responder& r = response.responder();
  if (f.entry != FileCache::kNil) {
    response.file(f.info->fd, /*owns=*/false, offset, length);
    ++cache_.at(f.entry).refs;
    r.hooks = this;
    r.hook_data = (r.hook_data & ~uint64_t{0xffffffff}) | (uint64_t{f.entry} + 1);
  } else {
    response.file(f.info->fd, /*owns=*/f.owned, offset, length);
    f.owned = false;  // the responder closes it
  }
  f.info = nullptr;
  f.entry = FileCache::kNil;
}

void StaticFiles::release(conn::Responder& r) {
  const uint32_t entry = static_cast<uint32_t>(r.hook_data & 0xffffffffu);
  if (entry != 0 && entry - 1 < cache_.capacity()) {
    CacheEntry& e = cache_.at(entry - 1);
    if (e.refs > 0) --e.refs;
  }
  if ((r.hook_data >> 32) == kKindListing && room_for<ListingState>(r, 0)) {
    ListingState s = load<ListingState>(r);
    if (s.dir_fd >= 0) ::close(s.dir_fd);
    s.dir_fd = -1;
    save(r, s);
  }
  r.hook_data = 0;
}

bool StaticFiles::refill(conn::Responder& r) {
  switch (r.hook_data >> 32) {
    case kKindMultipart: return refill_multipart(r);
    case kKindListing: return refill_listing(r);
    default: return false;
  }
}

void StaticFiles::handle(const conn::Request& request, conn::Response& response) {
  if (request.method == http::Method::Options) {
    response.status(Status::NoContent);
    response.header("Allow", "GET, HEAD, OPTIONS");
    return;
  }
  if (request.method != http::Method::Get && request.method != http::Method::Head)
    return write_method_not_allowed(response, {http::Method::Get, http::Method::Head, http::Method::Options});
  if (root_fd_ < 0) return write_error(response, Status::NotFound);

  const std::string_view rel = relative_path(request);
  if (!options_.dotfiles && has_dot_segment(rel)) return write_error(response, Status::NotFound);
  // The target decoder refuses %00 already; a NUL would cut the name the kernel sees.
  if (rel.find('\0') != std::string_view::npos) return write_error(response, Status::NotFound);

  // NUL-terminated name beneath the root, with room for the index name and a
  // precompressed suffix.
  char name[PATH_MAX];
  if (rel.size() + options_.index.size() + 8 > sizeof name) return write_error(response, Status::NotFound);
  size_t len = rel.size();
  std::memcpy(name, rel.data(), len);
  if (len == 0) name[len++] = '.';
  name[len] = '\0';

  Opened f;
  if (!acquire(name, len, request.now_seconds, f)) return write_error(response, open_failure_status(f.err));
  if (f.info->is_dir) {
    drop(f);
    if (request.path.empty() || request.path.back() != '/') return redirect_to_directory(request, response);
    // rel is empty (the root, written as ".") or ends with '/'.
    const size_t dir_len = rel.empty() ? 0 : len;
    std::memcpy(name + dir_len, options_.index.data(), options_.index.size());
    len = dir_len + options_.index.size();
    name[len] = '\0';
    if (!acquire(name, len, request.now_seconds, f)) {
      if (options_.listing && (f.err == ENOENT)) {
        name[dir_len] = '\0';
        if (dir_len == 0) name[0] = '.', name[1] = '\0';
        return serve_listing(request, response, name);
      }
      return write_error(response, open_failure_status(f.err));
    }
  }
  if (!f.info->is_reg) {  // FIFOs, devices, sockets; a directory named index.html
    drop(f);
    return write_error(response, Status::NotFound);
  }
  serve_file(request, response, f, std::string_view(name, len));
}

void StaticFiles::serve_file(const conn::Request& request, conn::Response& response, Opened& f,
                             std::string_view name) {
  const std::string_view type = content_type_for(name);
  const bool vary = f.info->variants != 0;
  http::Coding coding = http::Coding::Identity;
  if (vary) {
    coding = http::choose_encoding(field(request, "Accept-Encoding"), f.info->variants);
    if (coding != http::Coding::Identity) {
      char sib[PATH_MAX];
      const std::string_view sfx = http::coding_suffix(coding);
      std::memcpy(sib, name.data(), name.size());
      std::memcpy(sib + name.size(), sfx.data(), sfx.size());
      sib[name.size() + sfx.size()] = '\0';
      Opened enc;
      const int64_t orig_sec = f.info->mtime_sec, orig_nsec = f.info->mtime_nsec;
      // Pinned while the sibling is looked up: a full cache must not evict
      // (and reuse) the entry this request still serves from.
      if (f.entry != FileCache::kNil) ++cache_.at(f.entry).refs;
      const bool found = acquire(sib, name.size() + sfx.size(), request.now_seconds, enc);
      if (f.entry != FileCache::kNil) --cache_.at(f.entry).refs;
      if (found && enc.info->is_reg &&
          (enc.info->mtime_sec > orig_sec || (enc.info->mtime_sec == orig_sec && enc.info->mtime_nsec >= orig_nsec))) {
        drop(f);
        f = enc;
        if (f.info == &enc.local) f.info = &f.local;
      } else {
        if (enc.info != nullptr) drop(enc);
        coding = http::Coding::Identity;
      }
    }
  }
  const FileInfo& info = *f.info;
  const std::string_view last_modified = info.last_modified_view();
  auto validators = [&] {
    response.header("ETag", info.etag_view());
    response.header("Last-Modified", last_modified);
    if (vary) response.header("Vary", "Accept-Encoding");
    if (!options_.cache_control.empty()) response.header("Cache-Control", options_.cache_control);
  };

  const http::Validators v{info.etag_view(), info.mtime_sec};
  http::ConditionalFields cf;
  cf.if_match = field(request, "If-Match", &cf.has_if_match);
  cf.if_none_match = field(request, "If-None-Match", &cf.has_if_none_match);
  cf.if_modified_since = field(request, "If-Modified-Since");
  cf.if_unmodified_since = field(request, "If-Unmodified-Since");
  switch (http::evaluate_preconditions(cf, v, true)) {
    case http::Precondition::NotModified:
      response.status(Status::NotModified);
      validators();
      drop(f);
      return;
    case http::Precondition::PreconditionFailed:
      drop(f);
      return write_error(response, Status::PreconditionFailed);
    case http::Precondition::Proceed:
      break;
  }

  http::ByteRange ranges[kMaxParts];
  http::RangeDecision rd;
  bool if_range_present = false;
  const std::string_view range = field(request, "Range");
  const std::string_view if_range = field(request, "If-Range", &if_range_present);
  if (request.method == http::Method::Get && !range.empty() && (!if_range_present || http::if_range_allows(if_range, v)))
    rd = http::evaluate_range(range, info.size, ranges);

  if (rd.outcome == http::RangeOutcome::Unsatisfiable) {
    const uint64_t size = info.size;
    drop(f);
    char cr[40] = "bytes */";
    char* e = std::to_chars(cr + 8, cr + sizeof cr, size).ptr;
    response.status(Status::RangeNotSatisfiable);
    response.header("Content-Range", std::string_view(cr, static_cast<size_t>(e - cr)));
    response.header("Accept-Ranges", "bytes");
    write_error(response, Status::RangeNotSatisfiable);
    return;
  }
  if (rd.outcome == http::RangeOutcome::Partial && rd.count > 1 &&
      !room_for<MultipartState>(response.responder(), 512))
    rd.outcome = http::RangeOutcome::Ignore;  // responder too small for part heads: whole file

  response.status(rd.outcome == http::RangeOutcome::Partial ? Status::PartialContent : Status::Ok);
  if (rd.outcome == http::RangeOutcome::Partial && rd.count > 1) {
    char ct[80];
    const size_t n = static_cast<size_t>(
        std::snprintf(ct, sizeof ct, "multipart/byteranges; boundary=%s", boundary_));
    response.header("Content-Type", std::string_view(ct, n));
  } else {
    response.header("Content-Type", type);
  }
  if (coding != http::Coding::Identity) response.header("Content-Encoding", http::coding_token(coding));
  validators();
  response.header("Accept-Ranges", "bytes");
  response.header("X-Content-Type-Options", "nosniff");

  if (rd.outcome == http::RangeOutcome::Partial && rd.count == 1) {
    char cr[80] = "bytes ";
    char* p = cr + 6;
    p = std::to_chars(p, cr + sizeof cr, ranges[0].first).ptr;
    *p++ = '-';
    p = std::to_chars(p, cr + sizeof cr, ranges[0].last).ptr;
    *p++ = '/';
    p = std::to_chars(p, cr + sizeof cr, info.size).ptr;
    response.header("Content-Range", std::string_view(cr, static_cast<size_t>(p - cr)));
    return attach(response, f, ranges[0].first, ranges[0].size());
  }
  if (rd.outcome == http::RangeOutcome::Partial) return serve_multipart(response, f, type, ranges, rd.count);

  if (info.size == 0) return drop(f);
  // Small files leave with the head in one write.
  const std::span<char> space = response.body_space();
  if (request.method == http::Method::Get && info.size <= options_.inline_max && info.size <= space.size()) {
    // Kept bytes were read from this same file (the entry drops them when a
    // revalidation finds it changed), so they match the validators sent.
    if (f.entry != FileCache::kNil) {
      const std::string_view kept = cache_.content(f.entry);
      if (kept.size() == info.size) {
        std::memcpy(space.data(), kept.data(), kept.size());
        response.commit_body(info.size);
        return drop(f);
      }
    }
    const ssize_t got = ::pread(info.fd, space.data(), info.size, 0);
    if (got == static_cast<ssize_t>(info.size)) {
      if (f.entry != FileCache::kNil) cache_.keep_content(f.entry, std::string_view(space.data(), info.size));
      response.commit_body(info.size);
      return drop(f);
    }
    // It changed under us: send it as a range (a shrink then closes the connection).
  }
  attach(response, f, 0, info.size);
}

void StaticFiles::serve_multipart(conn::Response& response, Opened& f, std::string_view type, const void* rp,
                                  size_t count) {
  const auto* ranges = static_cast<const http::ByteRange*>(rp);
  MultipartState s{};
  s.total = f.info->size;
  s.type = type.data();
  s.type_len = static_cast<uint32_t>(type.size());
  s.count = static_cast<uint32_t>(count);
  s.next = 1;
  for (size_t i = 0; i < count; ++i) s.ranges[i] = ranges[i];
  const std::string_view boundary(boundary_);
  uint64_t total = 0;
  for (size_t i = 0; i < count; ++i) {
    Out c{nullptr};
    part_head(c, boundary, s, ranges[i]);
    total += c.n + ranges[i].size();
  }
  Out tail{nullptr};
  part_tail(tail, boundary);
  total += tail.n;

  Out first{response.body_space().data()};
  part_head(first, boundary, s, ranges[0]);
  response.commit_body(first.n);
  attach(response, f, ranges[0].first, ranges[0].size());
  conn::Responder& r = response.responder();
  r.hooks = this;
  r.hook_data = (r.hook_data & 0xffffffffu) | (kKindMultipart << 32);
  r.stream_remaining = total - first.n - ranges[0].size();
  save(r, s);
}

bool StaticFiles::refill_multipart(conn::Responder& r) {
  MultipartState s = load<MultipartState>(r);
  const std::string_view boundary(boundary_);
  Out o{r.body_area.data()};
  if (s.next < s.count) {
    const http::ByteRange& range = s.ranges[s.next];
    part_head(o, boundary, s, range);
    r.file_offset = range.first;
    r.file_remaining = range.size();
    ++s.next;
  } else {
    part_tail(o, boundary);
  }
  const uint64_t added = o.n + r.file_remaining;
  if (added > r.stream_remaining) return false;
  r.stream_remaining -= added;
  r.head_len = 0;
  r.body_len = static_cast<uint32_t>(o.n);
  r.bytes_sent = 0;
  save(r, s);
  return true;
}

void StaticFiles::serve_listing(const conn::Request& request, conn::Response& response, const char* dir_name) {
  conn::Responder& r = response.responder();
  if (!room_for<ListingState>(r, kMaxRow)) return write_error(response, Status::InternalServerError, "responder too small for a listing");
  const int fd = open_beneath(root_fd_, dir_name, options_.follow_symlinks);
  if (fd < 0) return write_error(response, open_failure_status(errno));
  // Exact length: the head, every row, the foot.
  Out head{nullptr};
  listing_head(head, request.path);
  uint64_t rows = 0;
  const bool dotfiles = options_.dotfiles;
  const bool ok = for_each_entry(fd, [&](const DirEntry& e) {
    if (!listed(e, dotfiles)) return;
    Out c{nullptr};
    if (row(c, fd, std::string_view(e.name, e.len))) rows += c.n;
  });
  if (!ok || head.n > state_offset<ListingState>(r)) {
    ::close(fd);
    return write_error(response, Status::InternalServerError, "cannot list the directory");
  }
  response.status(Status::Ok);
  response.header("Content-Type", "text/html; charset=utf-8");
  response.header("X-Content-Type-Options", "nosniff");
  if (!options_.cache_control.empty()) response.header("Cache-Control", options_.cache_control);
  Out o{response.body_space().data()};
  listing_head(o, request.path);
  response.commit_body(o.n);
  ListingState s{};
  s.dir_fd = fd;
  s.last_len = 0;
  r.hooks = this;
  r.hook_data = kKindListing << 32;
  r.stream_remaining = rows + kListingFoot.size();
  save(r, s);
}

bool StaticFiles::refill_listing(conn::Responder& r) {
  ListingState s = load<ListingState>(r);
  if (s.dir_fd < 0) return false;
  const size_t room = state_offset<ListingState>(r);
  Out o{r.body_area.data()};
  // Rounds end when a row was written or the directory is exhausted; each
  // round moves `last` forward, so they are bounded by the entries.
  for (;;) {
    // The next names after the last one sent, in byte order.
    char names[kListingPick][NAME_MAX + 1];
    uint16_t lens[kListingPick];
    size_t picked = 0;
    const std::string_view last(s.last, s.last_len);
    const bool started = s.last_len > 0;
    const bool ok = for_each_entry(s.dir_fd, [&](const DirEntry& e) {
      if (!listed(e, options_.dotfiles)) return;
      const std::string_view n(e.name, e.len);
      if (started && !name_less(last, n)) return;
      if (picked == kListingPick && !name_less(n, std::string_view(names[picked - 1], lens[picked - 1]))) return;
      size_t at = picked < kListingPick ? picked++ : kListingPick - 1;
      while (at > 0 && name_less(n, std::string_view(names[at - 1], lens[at - 1]))) {
        std::memcpy(names[at], names[at - 1], lens[at - 1]);
        lens[at] = lens[at - 1];
        --at;
      }
      std::memcpy(names[at], e.name, e.len);
      lens[at] = static_cast<uint16_t>(e.len);
    });
    if (!ok) return false;
    if (picked == 0) {
      // The end: pad (entries vanished since the length was counted), then the foot.
      if (r.stream_remaining < kListingFoot.size()) return false;
      const uint64_t pad_left = r.stream_remaining - kListingFoot.size();
      const size_t pad = static_cast<size_t>(std::min<uint64_t>(pad_left, room - kListingFoot.size()));
      std::memset(r.body_area.data(), ' ', pad);
      o.n = pad;
      if (pad == pad_left) o.put(kListingFoot);
      break;
    }
    bool full = false;
    for (size_t i = 0; i < picked && !full; ++i) {
      const std::string_view n(names[i], lens[i]);
      Out c{nullptr};
      if (row(c, s.dir_fd, n)) {
        if (o.n + c.n > room) {
          full = true;
          break;
        }
        if (o.n + c.n + kListingFoot.size() > r.stream_remaining) return false;  // it grew: close
        row(o, s.dir_fd, n);
      }
      std::memcpy(s.last, n.data(), n.size());
      s.last_len = static_cast<uint16_t>(n.size());
    }
    if (o.n > 0) break;
  }
  r.stream_remaining -= o.n;
  r.head_len = 0;
  r.body_len = static_cast<uint32_t>(o.n);
  r.bytes_sent = 0;
  save(r, s);
  return true;
}

}  // namespace hs::app
