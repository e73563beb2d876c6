// Calls a conn::Service the way the connection does (route as soon as the
// head is parsed, then handle), with a responder over local arrays, and reads
// back what the handler wrote: status, fields, body, file range. No event
// loop, no connection: the app layer alone.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <ctime>
#include <string>
#include <string_view>

#include "conn/exchange.hpp"
#include "http/request_head.hpp"
#include "http/target.hpp"

namespace hs::app::testing {

struct Outcome {
  bool parsed = false;       // the request text was a valid head and target
  conn::Route route;
  int status = 0;
  std::string fields;        // "Name: value\r\n" lines as the handler wrote them
  std::string body;          // the small body
  bool has_file = false;
  uint64_t file_offset = 0;
  uint64_t file_length = 0;
  std::string file;          // the file range's bytes (read with pread)
  uint64_t stream_length = 0;  // the Content-Length the connection would send
  std::string streamed;      // body + file + every refilled piece
  bool stream_failed = false;
  bool overflowed = false;
  std::array<conn::Param, 8> params{};
  uint8_t param_count = 0;

  // Value of the first field named `name` (case-sensitive; handlers spell them one way).
  std::string header(std::string_view name) const {
    const std::string key = std::string(name) + ": ";
    size_t at = 0;
    while (at < fields.size()) {
      const size_t eol = fields.find("\r\n", at);
      const std::string_view line(fields.data() + at, eol - at);
      if (line.substr(0, key.size()) == key) return std::string(line.substr(key.size()));
      at = eol + 2;
    }
    return {};
  }
  bool has_header(std::string_view name) const { return fields.find(std::string(name) + ": ") != std::string::npos; }
  std::string param(std::string_view name) const {
    for (uint8_t i = 0; i < param_count; ++i)
      if (params[i].name == name) return std::string(params[i].value);
    return "<none>";
  }
  // The entity as a client would receive it for GET: small body or file range.
  std::string content() const { return has_file ? file : body; }
};

// A responder over local arrays of the server's default sizes (1 KiB head,
// 3 KiB body), as the connection would hand one to a handler.
struct LocalResponder {
  std::array<char, 1024> head_area;
  std::array<char, 3072> body_area;
  conn::Responder r;
  LocalResponder() {
    r.head_area = head_area;
    r.body_area = body_area;
  }
  LocalResponder(const LocalResponder&) = delete;
  LocalResponder& operator=(const LocalResponder&) = delete;
};

// `request`: a request head ("GET /x HTTP/1.1\r\nHost: t\r\n\r\n") followed by
// its body, if any (Content-Length framing only).
inline Outcome run(conn::Service& service, std::string_view request, int64_t now_seconds = 1'700'000'000) {
  Outcome out;
  std::array<http::Header, 32> headers;
  http::RequestHead head;
  const http::HeadResult hr = http::parse_request_head(request, 0, head, headers, http::HeadLimits{});
  if (hr.state != http::ParseState::Complete) return out;
  std::array<char, 8192> path_buf;
  http::Target target;
  if (http::parse_target(head.target, path_buf, target)) return out;
  out.parsed = true;

  conn::Request req;
  req.head = &head;
  req.method = head.method;
  req.method_token = head.method_token;
  req.raw_target = head.target;
  req.path = target.path;
  req.query = target.query;
  req.now_seconds = now_seconds;
  out.route = service.route(req);
  out.params = req.params;
  out.param_count = req.param_count;
  req.body = request.substr(head.head_bytes);

  LocalResponder local;
  conn::Responder& r = local.r;
  conn::Response resp(r);
  service.handle(out.route, req, resp);

  out.status = http::code(resp.status());
  out.overflowed = resp.overflowed();
  out.fields.assign(local.head_area.data() + r.head_start, resp.fields_len());
  out.body.assign(local.body_area.data(), r.body_len);
  const int first_fd = r.file_fd;
  auto read_range = [&](std::string& into) {
    std::string bytes(r.file_remaining, '\0');
    const ssize_t got = ::pread(r.file_fd, bytes.data(), bytes.size(), static_cast<off_t>(r.file_offset));
    EXPECT_EQ(got, static_cast<ssize_t>(bytes.size()));
    into += bytes;
  };
  if (r.file_fd >= 0) {
    out.has_file = true;
    out.file_offset = r.file_offset;
    out.file_length = r.file_remaining;
    read_range(out.file);
    EXPECT_TRUE(r.owns_fd || r.hooks != nullptr)
        << "a file range handed to the connection is owned by the responder or released by its hooks";
  }
  // A streamed body (multipart ranges, listings): pieces as the connection would ask for them.
  out.stream_length = r.body_len + r.file_remaining + r.stream_remaining;
  out.streamed = out.body + out.file;
  for (int i = 0; i < 100000 && r.stream_remaining > 0; ++i) {
    r.file_remaining = 0;
    if (!r.hooks->refill(r)) {
      out.stream_failed = true;
      break;
    }
    out.streamed.append(local.body_area.data(), r.body_len);
    if (r.file_remaining > 0) read_range(out.streamed);
  }
  if (r.hooks != nullptr) r.hooks->release(r);
  if (first_fd >= 0 && r.owns_fd) ::close(first_fd);
  return out;
}

inline std::string request(std::string_view method, std::string_view target, std::string_view extra = "",
                           std::string_view body = "") {
  std::string s = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra);
  if (!body.empty()) s += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  return s + "\r\n" + std::string(body);
}

// A temporary directory tree, removed at the end.
class TempTree {
public:
  TempTree() {
    char tmpl[] = "/tmp/hs_app_test_XXXXXX";
    const char* made = ::mkdtemp(tmpl);
    EXPECT_NE(made, nullptr);
    base_ = made ? made : "/nonexistent";
  }
  ~TempTree() { (void)std::system(("rm -rf '" + base_ + "'").c_str()); }
  const std::string& base() const { return base_; }
  std::string path(const std::string& rel) const { return base_ + "/" + rel; }
  // Writes `content` to rel; with mtime != 0 also sets its modification time.
  void file(const std::string& rel, const std::string& content, time_t mtime_seconds = 0) const {
    const int fd = ::open(path(rel).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0) << rel;
    ASSERT_EQ(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    ::close(fd);
    if (mtime_seconds != 0) mtime(rel, mtime_seconds);
  }
  void dir(const std::string& rel) const { ASSERT_EQ(::mkdir(path(rel).c_str(), 0755), 0) << rel; }
  void link(const std::string& target, const std::string& rel) const {
    ASSERT_EQ(::symlink(target.c_str(), path(rel).c_str()), 0) << rel;
  }
  void mtime(const std::string& rel, time_t t) const {
    timespec times[2] = {{t, 0}, {t, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, path(rel).c_str(), times, 0), 0);
  }

private:
  std::string base_;
};

}  // namespace hs::app::testing
