// The static-file handler against a document root built by the test: content
// types, Last-Modified, index.html, 301 with the query kept, 404 for missing
// files, dotfiles, FIFOs (without blocking) and symlinks leaving the root,
// 405 with Allow. Requests go through app::App as conn::Service.
#include "app/static_files.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>

#include <cstdlib>
#include <string>

#include "app/app.hpp"
#include "app/mime_types.hpp"
#include "conn/memory_peer.hpp"
#include "harness.hpp"

namespace hs::app {
namespace {

using testing::run;
using testing::request;

using testing::TempTree;

class StaticFilesTest : public ::testing::Test {
protected:
  void SetUp() override {
    // outside/ holds a secret; root/ is the document root.
    tree.dir("root");
    tree.file("secret.txt", "outside the root");
    tree.file("root/index.html", "<h1>home</h1>");
    tree.file("root/style.css", "body{}");
    tree.file("root/app.js", "let a;");
    tree.file("root/data.json", "{}");
    tree.file("root/photo.JPG", "jpeg bytes");
    tree.file("root/blob.bin", std::string(5000, 'x'));
    tree.file("root/empty.txt", "");
    tree.mtime("root/style.css", 784111777);  // Sun, 06 Nov 1994 08:49:37 GMT
    tree.dir("root/sub");
    tree.file("root/sub/index.html", "sub index");
    tree.file("root/sub/.hidden", "hidden");
    tree.dir("root/noindex");
    tree.file("root/noindex/a.txt", "a");
    tree.dir("root/with space");
    tree.file("root/with space/index.html", "spaced");
    tree.dir("root/dirindex");
    tree.dir("root/dirindex/index.html");
    tree.file("root/.env", "SECRET=1");
    tree.dir("root/.well-known");
    tree.dir("root/.well-known/acme-challenge");
    tree.file("root/.well-known/acme-challenge/tok3n", "tok3n.key");
    tree.file("root/.well-known/.secret", "hidden");
    tree.dir("root/.git");
    tree.file("root/.git/config", "[core]");
    ASSERT_EQ(::mkfifo(tree.path("root/fifo").c_str(), 0644), 0);
    tree.link("style.css", "root/link.txt");             // inside the root
    tree.link("sub", "root/linkdir");                     // a directory inside
    tree.link("../secret.txt", "root/up.txt");            // climbs out
    tree.link(tree.path("secret.txt"), "root/abs.txt");   // absolute, outside
    tree.link("/proc/self/root/etc/hostname", "root/magic.txt");

    Config cfg;
    cfg.docroot = tree.path("root");
    app = std::make_unique<App>(cfg);
    ASSERT_TRUE(app->ok()) << app->error();
  }

  testing::Outcome get(const std::string& target, std::string_view method = "GET") {
    return run(*app, request(method, target));
  }

  TempTree tree;
  std::unique_ptr<App> app;
};

TEST_F(StaticFilesTest, ServesASmallFileInsideTheResponderWithItsFields) {
  auto o = get("/style.css");
  EXPECT_EQ(o.status, 200);
  EXPECT_FALSE(o.has_file) << "small files leave with the head";
  EXPECT_EQ(o.body, "body{}");
  EXPECT_EQ(o.header("Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(o.header("Last-Modified"), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(o.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(o.header("Accept-Ranges"), "bytes");
  EXPECT_EQ(o.header("ETag").front(), '"');
  EXPECT_FALSE(o.has_header("Vary")) << "no precompressed sibling";
  EXPECT_FALSE(o.has_header("Cache-Control"));
  EXPECT_FALSE(o.has_header("Content-Length")) << "the connection adds it";
  EXPECT_EQ(o.route.max_body, 0u) << "static files accept no body";
}

TEST_F(StaticFilesTest, ServesALargerFileAsAFileRange) {
  auto o = get("/blob.bin");
  EXPECT_EQ(o.status, 200);
  ASSERT_TRUE(o.has_file);
  EXPECT_EQ(o.file_offset, 0u);
  EXPECT_EQ(o.file_length, 5000u);
  EXPECT_EQ(o.file, std::string(5000, 'x'));
  EXPECT_EQ(o.body, "");
}

TEST_F(StaticFilesTest, HeadWritesTheSameFieldsAsGet) {
  auto g = get("/style.css");
  auto h = get("/style.css", "HEAD");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.fields, g.fields);
  EXPECT_EQ(h.file_length, 6u) << "a range: the connection counts it and drops it for HEAD";
}

TEST_F(StaticFilesTest, ContentTypes) {
  EXPECT_EQ(get("/index.html").header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(get("/app.js").header("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(get("/data.json").header("Content-Type"), "application/json");
  EXPECT_EQ(get("/photo.JPG").header("Content-Type"), "image/jpeg");
  EXPECT_EQ(get("/blob.bin").header("Content-Type"), "application/octet-stream");
  EXPECT_EQ(get("/blob.bin").content().size(), 5000u);
}

TEST_F(StaticFilesTest, EmptyFileHasNoRange) {
  auto o = get("/empty.txt");
  EXPECT_EQ(o.status, 200);
  EXPECT_FALSE(o.has_file);
  EXPECT_EQ(o.body, "");
  EXPECT_EQ(o.header("Content-Type"), "text/plain; charset=utf-8");
}

TEST_F(StaticFilesTest, DirectoriesServeTheirIndex) {
  auto root = get("/");
  EXPECT_EQ(root.status, 200);
  EXPECT_EQ(root.content(), "<h1>home</h1>");
  EXPECT_EQ(root.header("Content-Type"), "text/html; charset=utf-8");
  auto sub = get("/sub/");
  EXPECT_EQ(sub.status, 200);
  EXPECT_EQ(sub.content(), "sub index");
  EXPECT_EQ(get("/noindex/").status, 404);
  EXPECT_EQ(get("/dirindex/").status, 404) << "an index.html that is a directory";
  EXPECT_EQ(get("/with%20space/").content(), "spaced");
}

TEST_F(StaticFilesTest, DirectoryWithoutSlashRedirectsKeepingTheQuery) {
  auto o = get("/sub");
  EXPECT_EQ(o.status, 301);
  EXPECT_EQ(o.header("Location"), "/sub/");
  EXPECT_FALSE(o.has_file);
  EXPECT_EQ(get("/sub?x=1&y=%20").header("Location"), "/sub/?x=1&y=%20");
  EXPECT_EQ(get("/with%20space").header("Location"), "/with%20space/");
  EXPECT_EQ(get("/./sub").header("Location"), "/sub/") << "the normalised path";
}

TEST_F(StaticFilesTest, MissingIs404WithASmallBody) {
  for (const char* t : {"/missing", "/missing/", "/style.css/", "/sub/missing.html", "/noindex/b.txt"}) {
    auto o = get(t);
    EXPECT_EQ(o.status, 404) << t;
    EXPECT_EQ(o.body, "404 Not Found\n") << t;
    EXPECT_EQ(o.header("Content-Type"), "text/plain; charset=utf-8") << t;
    EXPECT_FALSE(o.has_file) << t;
  }
}

TEST_F(StaticFilesTest, DotfilesAre404) {
  for (const char* t : {"/.env", "/.git/config", "/.git/", "/.git", "/sub/.hidden", "/%2egit/config",
                        "/.well-known/.secret", "/.well-knownx/acme-challenge/tok3n"})
    EXPECT_EQ(get(t).status, 404) << t;
}

TEST_F(StaticFilesTest, WellKnownIsServedForAcmeChallenges) {
  const auto o = get("/.well-known/acme-challenge/tok3n");
  EXPECT_EQ(o.status, 200);
  EXPECT_EQ(o.content(), "tok3n.key");
}

TEST_F(StaticFilesTest, DotfilesServedWhenAllowed) {
  Config cfg;
  cfg.docroot = tree.path("root");
  cfg.dotfiles = true;
  App with(cfg);
  ASSERT_TRUE(with.ok());
  EXPECT_EQ(run(with, request("GET", "/.env")).content(), "SECRET=1");
}

TEST_F(StaticFilesTest, FifoIs404WithoutBlocking) {
  ::alarm(10);  // a blocking open would hang the test: fail it instead
  auto o = get("/fifo");
  ::alarm(0);
  EXPECT_EQ(o.status, 404);
  EXPECT_FALSE(o.has_file);
}

TEST_F(StaticFilesTest, SymlinksInsideTheRootWork) {
  auto o = get("/link.txt");
  EXPECT_EQ(o.status, 200);
  EXPECT_EQ(o.content(), "body{}");
  EXPECT_EQ(o.header("Content-Type"), "text/plain; charset=utf-8") << "the requested name decides";
  EXPECT_EQ(get("/linkdir/").content(), "sub index");
  EXPECT_EQ(get("/linkdir").header("Location"), "/linkdir/");
}

TEST_F(StaticFilesTest, SymlinksLeavingTheRootAre404) {
  for (const char* t : {"/up.txt", "/abs.txt", "/magic.txt"}) {
    auto o = get(t);
    EXPECT_EQ(o.status, 404) << t;
    EXPECT_EQ(o.content().find("outside"), std::string::npos) << t;
  }
}

TEST_F(StaticFilesTest, OpenatFallbackStaysSafe) {
  use_openat_fallback_for_testing(true);
  EXPECT_EQ(get("/style.css").content(), "body{}");
  EXPECT_EQ(get("/").content(), "<h1>home</h1>");
  EXPECT_EQ(get("/sub").header("Location"), "/sub/");
  EXPECT_EQ(get("/fifo").status, 404);
  for (const char* t : {"/up.txt", "/abs.txt", "/magic.txt", "/link.txt"})
    EXPECT_EQ(get(t).status, 404) << t << ": a final symlink is refused (O_NOFOLLOW)";
  use_openat_fallback_for_testing(false);
  EXPECT_EQ(get("/link.txt").content(), "body{}");
}

TEST_F(StaticFilesTest, OtherMethodsAre405WithAllow) {
  for (const char* m : {"POST", "PUT", "DELETE", "PATCH", "BREW"}) {
    auto o = run(*app, request(m, "/style.css"));
    EXPECT_EQ(o.route.status, http::Status::MethodNotAllowed) << m;
    EXPECT_EQ(o.status, 405) << m;
    EXPECT_EQ(o.header("Allow"), "GET, HEAD, OPTIONS") << m;
    EXPECT_EQ(o.body, "405 Method Not Allowed\n") << m;
    EXPECT_FALSE(o.has_file) << m;
  }
}

TEST_F(StaticFilesTest, OptionsIs204WithAllow) {
  auto o = run(*app, request("OPTIONS", "/style.css"));
  EXPECT_EQ(o.status, 204);
  EXPECT_EQ(o.header("Allow"), "GET, HEAD, OPTIONS");
  EXPECT_EQ(o.body, "");
  EXPECT_FALSE(o.has_file);
}

TEST_F(StaticFilesTest, MountedUnderAPrefixServesTheRestOfThePath) {
  StaticFiles files;
  ASSERT_EQ(files.open(tree.path("root").c_str()), 0);
  Config cfg;
  cfg.docroot = "";  // no "/*" mount
  App custom(cfg);
  ASSERT_TRUE(custom.ok());
  ASSERT_EQ(custom.router().add({http::Method::Get, http::Method::Head}, "/files/*", files), AddError::none);
  EXPECT_EQ(run(custom, request("GET", "/files/style.css")).content(), "body{}");
  EXPECT_EQ(run(custom, request("GET", "/files/")).content(), "<h1>home</h1>");
  EXPECT_EQ(run(custom, request("GET", "/files/sub")).header("Location"), "/files/sub/");
  EXPECT_EQ(run(custom, request("GET", "/files/.env")).status, 404);
  EXPECT_EQ(run(custom, request("GET", "/style.css")).status, 404);
}

size_t open_descriptors() {
  size_t n = 0;
  DIR* d = ::opendir("/proc/self/fd");
  if (d == nullptr) return 0;
  while (::readdir(d) != nullptr) ++n;
  ::closedir(d);
  return n;
}

TEST_F(StaticFilesTest, NoDescriptorLeaks) {
  auto all = [&] {
    for (const char* t : {"/style.css", "/", "/sub", "/sub/", "/noindex/", "/dirindex/", "/fifo", "/missing",
                          "/.env", "/up.txt", "/abs.txt", "/empty.txt", "/linkdir/", "/blob.bin"})
      (void)get(t);
    (void)get("/style.css", "POST");
  };
  // With the file cache: descriptors stay open for hot files, but no more on a second round.
  all();
  const size_t warm = open_descriptors();
  all();
  EXPECT_EQ(open_descriptors(), warm);
  // Without it, every descriptor is closed.
  Config cfg;
  cfg.docroot = tree.path("root");
  cfg.file_cache = 0;
  app = std::make_unique<App>(cfg);
  const size_t before = open_descriptors();
  all();
  EXPECT_EQ(open_descriptors(), before);
}

TEST_F(StaticFilesTest, ThroughTheConnection) {
  conn::Limits limits;
  limits.buffer_size = 4096;
  limits.max_target = 1024;
  limits.max_headers = 16;
  conn::MemoryPeer peer(limits, *app);
  peer.send(request("GET", "/style.css") + request("HEAD", "/style.css") + request("GET", "/blob.bin") +
                request("GET", "/sub") + request("POST", "/style.css", "", "x=1"),
            1);
  const std::string& out = peer.output;
  size_t at = out.find("HTTP/1.1 200 OK\r\n");
  ASSERT_EQ(at, 0u) << out;
  at = out.find("Content-Length: 6\r\n", at);
  ASSERT_NE(at, std::string::npos) << out;
  at = out.find("\r\n\r\nbody{}HTTP/1.1 200 OK\r\n", at);
  ASSERT_NE(at, std::string::npos) << "GET then HEAD: " << out;
  at = out.find("Content-Length: 6\r\n", at);
  ASSERT_NE(at, std::string::npos) << out;
  at = out.find("\r\n\r\nHTTP/1.1 200 OK\r\n", at);
  ASSERT_NE(at, std::string::npos) << "HEAD has no body: " << out;
  at = out.find("Content-Length: 5000\r\n", at);
  ASSERT_NE(at, std::string::npos) << out;
  at = out.find(std::string(5000, 'x') + "HTTP/1.1 301 Moved Permanently\r\n", at);
  ASSERT_NE(at, std::string::npos) << out;
  at = out.find("Location: /sub/\r\n", at);
  ASSERT_NE(at, std::string::npos) << out;
  at = out.find("HTTP/1.1 405 Method Not Allowed\r\n", at);
  ASSERT_NE(at, std::string::npos) << out;
  EXPECT_NE(out.find("Allow: GET, HEAD, OPTIONS\r\n", at), std::string::npos) << out;
  EXPECT_NE(out.find("Connection: close\r\n", at), std::string::npos) << "a skipped body closes: " << out;
  EXPECT_EQ(peer.responders_in_use(), 0u) << "every responder (and its fd) released";
}

TEST(StaticFilesOpen, MissingRootIsAnError) {
  StaticFiles files;
  EXPECT_EQ(files.open("/nonexistent/hs_app_test"), ENOENT);
  Config cfg;
  cfg.docroot = "/nonexistent/hs_app_test";
  App app(cfg);
  EXPECT_FALSE(app.ok());
  EXPECT_NE(app.error().find("/nonexistent/hs_app_test"), std::string_view::npos) << app.error();
}

struct MimeRow {
  const char* name;
  const char* type;
};

TEST(MimeTypes, Table) {
  const MimeRow rows[] = {
      {"a.html", "text/html; charset=utf-8"},       {"a.htm", "text/html; charset=utf-8"},
      {"a.css", "text/css; charset=utf-8"},         {"a.js", "text/javascript; charset=utf-8"},
      {"a.mjs", "text/javascript; charset=utf-8"},  {"a.json", "application/json"},
      {"a.svg", "image/svg+xml"},                   {"a.png", "image/png"},
      {"a.jpeg", "image/jpeg"},                     {"A.JPG", "image/jpeg"},
      {"a.gif", "image/gif"},                       {"a.webp", "image/webp"},
      {"a.avif", "image/avif"},                     {"favicon.ico", "image/x-icon"},
      {"a.woff2", "font/woff2"},                    {"a.txt", "text/plain; charset=utf-8"},
      {"README.md", "text/markdown; charset=utf-8"}, {"a.pdf", "application/pdf"},
      {"a.mp4", "video/mp4"},                       {"a.webm", "video/webm"},
      {"a.mp3", "audio/mpeg"},                      {"a.ogg", "audio/ogg"},
      {"a.flac", "audio/flac"},                     {"a.wasm", "application/wasm"},
      {"a.zip", "application/zip"},                 {"a.xml", "text/xml; charset=utf-8"},
      {"dir.d/file.tar.gz", "application/gzip"},     {"a.mkv", "video/x-matroska"},
      {"site.webmanifest", "application/manifest+json"}, {"a.vtt", "text/vtt; charset=utf-8"},
      {"a.ttf", "font/ttf"},                        {"a.webmanifestx", "application/octet-stream"},
      {"Makefile", "application/octet-stream"},     {".bashrc", "application/octet-stream"},
      {"a.", "application/octet-stream"},           {"a.htmlx", "application/octet-stream"},
      {"dir.html/file", "application/octet-stream"}, {"", "application/octet-stream"},
  };
  for (const MimeRow& r : rows) EXPECT_EQ(content_type_for(r.name), r.type) << r.name;
}

}  // namespace
}  // namespace hs::app
