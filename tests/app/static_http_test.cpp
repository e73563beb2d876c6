// The static handler's RFC 9110 behaviour through app::App: validators and
// conditionals (304/412), ranges (206, 416, multipart/byteranges byte for
// byte), precompressed siblings and Vary, Cache-Control, listings, the open
// file cache (revalidation, eviction, references) and symlink options.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "app/app.hpp"
#include "app/static_files.hpp"
#include "conn/memory_peer.hpp"
#include "harness.hpp"

namespace hs::app {
namespace {

using testing::request;
using testing::run;

using Tree = testing::TempTree;

std::string digits(size_t n) {
  std::string s(n, '0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('0' + i % 10);
  return s;
}

constexpr time_t kT = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT
constexpr const char* kDate = "Sun, 06 Nov 1994 08:49:37 GMT";

class StaticHttp : public ::testing::Test {
protected:
  void SetUp() override {
    tree.dir("root");
    tree.file("outside.txt", "outside the root");
    tree.file("root/ten.txt", "0123456789", kT);
    tree.file("root/big.txt", digits(10000), kT);
    tree.file("root/app.js", "let a = 1;", kT);
    tree.file("root/app.js.br", "BR", kT + 1);
    tree.file("root/app.js.gz", "GZ", kT);
    tree.file("root/old.css", "css", kT);
    tree.file("root/old.css.gz", "stale", kT - 10);  // older: never served
    tree.dir("root/list");
    tree.file("root/list/b.txt", "bb", kT);
    tree.file("root/list/a <&>.txt", "a", kT);
    tree.file("root/list/.hidden", "h", kT);
    tree.dir("root/list/zdir");
    tree.link("../outside.txt", "root/list/up");
    tree.dir("root/inner");
    tree.file("root/inner/f.txt", "inner", kT);
    tree.link("..", "root/out");  // a directory symlink leaving the root
    tree.link("inner", "root/in");  // one that stays
    make({});
  }

  void make(Config cfg) {
    cfg.docroot = tree.path("root");
    app = std::make_unique<App>(cfg);
    ASSERT_TRUE(app->ok()) << app->error();
  }

  testing::Outcome get(const std::string& target, const std::string& extra = "", std::string_view method = "GET",
                       int64_t now = 1'700'000'000) {
    return run(*app, request(method, target, extra), now);
  }

  std::string etag(const std::string& target) { return get(target).header("ETag"); }

  Tree tree;
  std::unique_ptr<App> app;
};

// ---- validators and conditionals ----

TEST_F(StaticHttp, StrongEtagAndLastModified) {
  auto o = get("/ten.txt");
  EXPECT_EQ(o.header("Last-Modified"), kDate);
  const std::string tag = o.header("ETag");
  ASSERT_GE(tag.size(), 7u);
  EXPECT_EQ(tag.front(), '"');
  EXPECT_EQ(tag.back(), '"');
  EXPECT_NE(tag.substr(0, 2), "W/");
  EXPECT_EQ(etag("/ten.txt"), tag) << "stable";
  EXPECT_NE(etag("/big.txt"), tag);
}

struct CondRow {
  const char* extra;  // request fields; $E is the file's ETag
  int status;
};

TEST_F(StaticHttp, ConditionalRows) {
  const std::string tag = etag("/ten.txt");
  const CondRow rows[] = {
      {"If-None-Match: $E\r\n", 304},
      {"If-None-Match: \"x\", $E\r\n", 304},
      {"If-None-Match: W/$E\r\n", 304},
      {"If-None-Match: *\r\n", 304},
      {"If-None-Match: \"x\"\r\n", 200},
      {"If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n", 304},
      {"If-Modified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n", 200},
      {"If-Modified-Since: bogus\r\n", 200},
      {"If-None-Match: \"x\"\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n", 200},
      {"If-Match: $E\r\n", 200},
      {"If-Match: *\r\n", 200},
      {"If-Match: \"x\"\r\n", 412},
      {"If-Match: W/$E\r\n", 412},
      {"If-Unmodified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n", 412},
      {"If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n", 200},
      {"If-Match: \"x\"\r\nIf-None-Match: $E\r\n", 412},
  };
  for (const CondRow& row : rows) {
    std::string extra = row.extra;
    for (size_t at; (at = extra.find("$E")) != std::string::npos;) extra.replace(at, 2, tag);
    auto o = get("/ten.txt", extra);
    EXPECT_EQ(o.status, row.status) << extra;
    if (row.status == 304) {
      EXPECT_EQ(o.body, "") << extra;
      EXPECT_FALSE(o.has_file) << extra;
      EXPECT_EQ(o.header("ETag"), tag) << extra;
      EXPECT_EQ(o.header("Last-Modified"), kDate) << extra;
    }
    if (row.status == 200) {
      EXPECT_EQ(o.content(), "0123456789") << extra;
    }
  }
  EXPECT_EQ(get("/ten.txt", "If-None-Match: " + tag + "\r\n", "HEAD").status, 304);
}

// ---- ranges ----

struct RangeRow {
  const char* range;
  int status;
  const char* content_range;  // "" when absent
  const char* body;
};

TEST_F(StaticHttp, SingleRangeRows) {
  const RangeRow rows[] = {
      {"bytes=0-0", 206, "bytes 0-0/10", "0"},
      {"bytes=2-5", 206, "bytes 2-5/10", "2345"},
      {"bytes=7-", 206, "bytes 7-9/10", "789"},
      {"bytes=-3", 206, "bytes 7-9/10", "789"},
      {"bytes=-30", 206, "bytes 0-9/10", "0123456789"},
      {"bytes=5-100", 206, "bytes 5-9/10", "56789"},
      {"bytes=0-1,1-3", 206, "bytes 0-3/10", "0123"},
      {"bytes=10-", 416, "bytes */10", "416 Range Not Satisfiable\n"},
      {"bytes=-0", 416, "bytes */10", "416 Range Not Satisfiable\n"},
      {"bytes=5-2", 200, "", "0123456789"},
      {"bytes=x", 200, "", "0123456789"},
      {"lines=1-2", 200, "", "0123456789"},
  };
  for (const RangeRow& row : rows) {
    auto o = get("/ten.txt", std::string("Range: ") + row.range + "\r\n");
    EXPECT_EQ(o.status, row.status) << row.range;
    EXPECT_EQ(o.header("Content-Range"), row.content_range) << row.range;
    EXPECT_EQ(o.content(), row.body) << row.range;
    EXPECT_EQ(o.header("Accept-Ranges"), "bytes") << row.range;
  }
  auto big = get("/big.txt", "Range: bytes=5000-5009\r\n");
  EXPECT_EQ(big.status, 206);
  ASSERT_TRUE(big.has_file);
  EXPECT_EQ(big.file_offset, 5000u);
  EXPECT_EQ(big.file, "0123456789");
  EXPECT_EQ(get("/ten.txt", "Range: bytes=0-1\r\n", "HEAD").status, 200) << "Range is for GET only";
}

TEST_F(StaticHttp, IfRange) {
  const std::string tag = etag("/ten.txt");
  EXPECT_EQ(get("/ten.txt", "Range: bytes=0-1\r\nIf-Range: " + tag + "\r\n").status, 206);
  EXPECT_EQ(get("/ten.txt", "Range: bytes=0-1\r\nIf-Range: \"old\"\r\n").status, 200);
  EXPECT_EQ(get("/ten.txt", "Range: bytes=0-1\r\nIf-Range: W/" + tag + "\r\n").status, 200);
  EXPECT_EQ(get("/ten.txt", std::string("Range: bytes=0-1\r\nIf-Range: ") + kDate + "\r\n").status, 206);
  EXPECT_EQ(get("/ten.txt", "Range: bytes=0-1\r\nIf-Range: Sun, 06 Nov 1994 08:49:38 GMT\r\n").status, 200);
}

// Splits a multipart/byteranges body into (Content-Range, bytes) parts.
struct Part {
  std::string content_range, type, bytes;
};
std::vector<Part> parse_multipart(const std::string& body, const std::string& boundary, bool& ok) {
  std::vector<Part> parts;
  const std::string delim = "\r\n--" + boundary;
  size_t at = 0;
  ok = false;
  for (;;) {
    if (body.compare(at, delim.size(), delim) != 0) return parts;
    at += delim.size();
    if (body.compare(at, 4, "--\r\n") == 0) {
      ok = at + 4 == body.size();
      return parts;
    }
    if (body.compare(at, 2, "\r\n") != 0) return parts;
    at += 2;
    const size_t end = body.find("\r\n\r\n", at);
    if (end == std::string::npos) return parts;
    Part p;
    const std::string fields = body.substr(at, end - at + 2);
    const size_t cr = fields.find("Content-Range: ");
    const size_t ct = fields.find("Content-Type: ");
    if (cr == std::string::npos || ct == std::string::npos) return parts;
    p.content_range = fields.substr(cr + 15, fields.find("\r\n", cr) - cr - 15);
    p.type = fields.substr(ct + 14, fields.find("\r\n", ct) - ct - 14);
    at = end + 4;
    const size_t next = body.find(delim, at);
    if (next == std::string::npos) return parts;
    p.bytes = body.substr(at, next - at);
    at = next;
    parts.push_back(p);
  }
}

TEST_F(StaticHttp, MultipartByterangesByteForByte) {
  const std::string content = digits(10000);
  auto o = get("/big.txt", "Range: bytes=0-4, 9990-, 5000-5002\r\n");
  ASSERT_EQ(o.status, 206);
  const std::string ct = o.header("Content-Type");
  ASSERT_EQ(ct.rfind("multipart/byteranges; boundary=", 0), 0u) << ct;
  const std::string boundary = ct.substr(31);
  EXPECT_FALSE(o.has_header("Content-Range"));
  EXPECT_FALSE(o.stream_failed);
  EXPECT_EQ(o.streamed.size(), o.stream_length) << "Content-Length is exact";
  bool ok = false;
  auto parts = parse_multipart(o.streamed, boundary, ok);
  ASSERT_TRUE(ok) << o.streamed;
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].content_range, "bytes 0-4/10000");
  EXPECT_EQ(parts[0].bytes, content.substr(0, 5));
  EXPECT_EQ(parts[1].content_range, "bytes 5000-5002/10000") << "sorted";
  EXPECT_EQ(parts[1].bytes, content.substr(5000, 3));
  EXPECT_EQ(parts[2].content_range, "bytes 9990-9999/10000");
  EXPECT_EQ(parts[2].bytes, content.substr(9990));
  for (const Part& p : parts) EXPECT_EQ(p.type, "text/plain; charset=utf-8");
}

TEST_F(StaticHttp, TooManyPartsSendTheWholeFile) {
  std::string r = "Range: bytes=";
  for (size_t i = 0; i <= kMaxParts; ++i) r += std::to_string(i * 100) + "-" + std::to_string(i * 100 + 1) + ",";
  auto o = get("/big.txt", r + "\r\n");
  EXPECT_EQ(o.status, 200);
  EXPECT_EQ(o.content(), digits(10000));
}

// ---- precompressed siblings ----

TEST_F(StaticHttp, PrecompressedSelection) {
  struct Row {
    const char* accept;
    const char* encoding;  // "" identity
    const char* body;
  } rows[] = {
      {"", "", "let a = 1;"},
      {"Accept-Encoding: gzip, br\r\n", "br", "BR"},
      {"Accept-Encoding: gzip\r\n", "gzip", "GZ"},
      {"Accept-Encoding: br;q=0.1, gzip\r\n", "gzip", "GZ"},
      {"Accept-Encoding: zstd\r\n", "", "let a = 1;"},
      {"Accept-Encoding: identity\r\n", "", "let a = 1;"},
  };
  const std::string plain_tag = get("/app.js").header("ETag");
  for (const auto& row : rows) {
    auto o = get("/app.js", row.accept);
    EXPECT_EQ(o.status, 200) << row.accept;
    EXPECT_EQ(o.header("Content-Encoding"), row.encoding) << row.accept;
    EXPECT_EQ(o.content(), row.body) << row.accept;
    EXPECT_EQ(o.header("Content-Type"), "text/javascript; charset=utf-8") << row.accept;
    EXPECT_EQ(o.header("Vary"), "Accept-Encoding") << "also on identity answers: " << row.accept;
    if (*row.encoding) {
      EXPECT_NE(o.header("ETag"), plain_tag) << "each representation its own tag";
    }
  }
  auto stale = get("/old.css", "Accept-Encoding: gzip\r\n");
  EXPECT_EQ(stale.content(), "css") << "an older .gz is not served";
  EXPECT_FALSE(stale.has_header("Vary"));
  auto range = get("/app.js", "Accept-Encoding: br\r\nRange: bytes=1-\r\n");
  EXPECT_EQ(range.status, 206);
  EXPECT_EQ(range.content(), "R") << "ranges apply to the encoded bytes";
  EXPECT_EQ(range.header("Content-Range"), "bytes 1-1/2");
  const std::string br_tag = get("/app.js", "Accept-Encoding: br\r\n").header("ETag");
  EXPECT_EQ(get("/app.js", "Accept-Encoding: br\r\nIf-None-Match: " + br_tag + "\r\n").status, 304);
  EXPECT_EQ(get("/app.js", "If-None-Match: " + br_tag + "\r\n").status, 200);
}

TEST_F(StaticHttp, CacheControl) {
  Config cfg;
  cfg.cache_control = "public, max-age=60";
  make(cfg);
  EXPECT_EQ(get("/ten.txt").header("Cache-Control"), "public, max-age=60");
  EXPECT_EQ(get("/ten.txt", "If-None-Match: *\r\n").header("Cache-Control"), "public, max-age=60");
}

// ---- listings ----

TEST_F(StaticHttp, NoListingByDefault) { EXPECT_EQ(get("/list/").status, 404); }

TEST_F(StaticHttp, ListingSortedEscapedWithExactLength) {
  Config cfg;
  cfg.listing = true;
  make(cfg);
  auto o = get("/list/");
  ASSERT_EQ(o.status, 200);
  EXPECT_EQ(o.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_FALSE(o.stream_failed);
  const std::string& html = o.streamed;
  EXPECT_EQ(html.size(), o.stream_length);
  const size_t a = html.find("<a href=\"./a%20%3C%26%3E.txt\">a &lt;&amp;&gt;.txt</a></td><td>1</td><td>Sun, 06 Nov 1994 08:49:37 GMT");
  const size_t b = html.find("<a href=\"./b.txt\">b.txt</a></td><td>2</td>");
  const size_t up = html.find("<a href=\"./up\">up</a></td><td>-</td>");
  const size_t z = html.find("<a href=\"./zdir/\">zdir/</a></td><td>-</td>");
  ASSERT_NE(a, std::string::npos) << html;
  ASSERT_NE(b, std::string::npos) << html;
  ASSERT_NE(up, std::string::npos) << html;
  ASSERT_NE(z, std::string::npos) << html;
  EXPECT_LT(a, b);
  EXPECT_LT(b, up);
  EXPECT_LT(up, z);
  EXPECT_EQ(html.find(".hidden"), std::string::npos);
  EXPECT_NE(html.find("<title>Index of /list/</title>"), std::string::npos);
  EXPECT_EQ(html.substr(html.size() - 8), "</html>\n");
  EXPECT_EQ(get("/list/", "", "HEAD").status, 200);
}

TEST_F(StaticHttp, ListingLargerThanOneResponder) {
  Config cfg;
  cfg.listing = true;
  make(cfg);
  tree.dir("root/many");
  for (int i = 0; i < 300; ++i) {
    char n[32];
    std::snprintf(n, sizeof n, "root/many/f%04d.txt", 299 - i);
    tree.file(n, "x");
  }
  auto o = get("/many/");
  ASSERT_EQ(o.status, 200);
  EXPECT_FALSE(o.stream_failed);
  EXPECT_GT(o.streamed.size(), 3 * 3072u);
  EXPECT_EQ(o.streamed.size(), o.stream_length);
  size_t at = 0;
  for (int i = 0; i < 300; ++i) {
    char n[32];
    std::snprintf(n, sizeof n, ">f%04d.txt<", i);
    const size_t next = o.streamed.find(n, at);
    ASSERT_NE(next, std::string::npos) << n;
    at = next;
  }
}

// ---- the open-file cache ----

TEST_F(StaticHttp, CacheRevalidatesAfterASecond) {
  EXPECT_EQ(get("/ten.txt", "", "GET", 100).content(), "0123456789");
  // Replaced the way deploys do it: a new file renamed over the old one.
  tree.file("root/ten.new", "changed!", kT + 5);
  ASSERT_EQ(::rename(tree.path("root/ten.new").c_str(), tree.path("root/ten.txt").c_str()), 0);
  EXPECT_EQ(get("/ten.txt", "", "GET", 100).content(), "0123456789") << "same second: the cached fd, old file";
  auto later = get("/ten.txt", "", "GET", 101);
  EXPECT_EQ(later.content(), "changed!");
  EXPECT_EQ(later.header("Last-Modified"), "Sun, 06 Nov 1994 08:49:42 GMT");
  ASSERT_EQ(::unlink(tree.path("root/ten.txt").c_str()), 0);
  EXPECT_EQ(get("/ten.txt", "", "GET", 103).status, 404);
}

TEST_F(StaticHttp, CacheKeepsSmallFilesBytesUntilTheFileChanges) {
  EXPECT_EQ(get("/ten.txt", "", "GET", 100).content(), "0123456789");
  // Rewritten in place, same size: a kept copy shows as the old bytes within
  // the second (no read), and goes once a revalidation sees the change.
  tree.file("root/ten.txt", "abcdefghij", kT + 7);
  auto same = get("/ten.txt", "", "GET", 100);
  EXPECT_EQ(same.content(), "0123456789") << "kept bytes, no read";
  EXPECT_EQ(same.header("Last-Modified"), kDate) << "and the validators they were read with";
  auto later = get("/ten.txt", "", "GET", 101);
  EXPECT_EQ(later.content(), "abcdefghij");
  EXPECT_EQ(later.header("Last-Modified"), "Sun, 06 Nov 1994 08:49:44 GMT");
  EXPECT_NE(later.header("ETag"), same.header("ETag"));
  EXPECT_EQ(get("/ten.txt", "", "HEAD", 101).status, 200);
}

TEST_F(StaticHttp, CacheNoticesARewriteThatKeepsSizeAndMtime) {
  EXPECT_EQ(get("/ten.txt", "", "GET", 100).content(), "0123456789");
  struct stat before {};
  ASSERT_EQ(::stat(tree.path("root/ten.txt").c_str(), &before), 0);
  // `cp -p` over the file: new bytes, same size, the old mtime put back. Only
  // the ctime tells; rewrite until the clock has moved on for it.
  struct stat after {};
  for (int i = 0; i < 100000; ++i) {
    tree.file("root/ten.txt", "ABCDEFGHIJ", kT);
    ASSERT_EQ(::stat(tree.path("root/ten.txt").c_str(), &after), 0);
    if (after.st_ctim.tv_sec != before.st_ctim.tv_sec || after.st_ctim.tv_nsec != before.st_ctim.tv_nsec) break;
  }
  ASSERT_NE(after.st_ctim.tv_nsec + after.st_ctim.tv_sec * 1'000'000'000ll,
            before.st_ctim.tv_nsec + before.st_ctim.tv_sec * 1'000'000'000ll);
  EXPECT_EQ(get("/ten.txt", "", "GET", 101).content(), "ABCDEFGHIJ");
}

TEST_F(StaticHttp, CacheSharesFewContentSlotsAmongManySmallFiles) {
  Config cfg;
  cfg.content_cache = 1;
  make(cfg);
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(get("/ten.txt").content(), "0123456789");
    EXPECT_EQ(get("/app.js").content(), "let a = 1;");
    EXPECT_EQ(get("/ten.txt").content(), "0123456789");
    EXPECT_EQ(get("/old.css").content(), "css");
  }
  Config none;
  none.content_cache = 0;
  make(none);
  EXPECT_EQ(get("/ten.txt", "", "GET", 100).content(), "0123456789");
  tree.file("root/ten.txt", "abcdefghij", kT + 7);
  EXPECT_EQ(get("/ten.txt", "", "GET", 100).content(), "abcdefghij") << "no kept bytes: read every time";
}

TEST_F(StaticHttp, AFullCacheNeverHandsTheServedEntryToItsSibling) {
  Config cfg;
  cfg.file_cache = 1;
  make(cfg);
  EXPECT_EQ(get("/app.js", "", "GET", 100).content(), "let a = 1;");  // cached, with its .br sibling noted
  tree.mtime("root/app.js.br", kT - 5);  // the sibling turns stale within the second
  auto o = get("/app.js", "Accept-Encoding: br\r\n", "GET", 100);
  EXPECT_EQ(o.content(), "let a = 1;") << "the stale sibling is skipped, and its lookup must not evict app.js";
  EXPECT_FALSE(o.has_header("Content-Encoding"));
  EXPECT_EQ(get("/app.js", "", "GET", 100).content(), "let a = 1;");
}

TEST_F(StaticHttp, CacheEvictsLeastRecentlyUsed) {
  Config cfg;
  cfg.file_cache = 2;
  make(cfg);
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(get("/ten.txt").content(), "0123456789");
    EXPECT_EQ(get("/app.js").content(), "let a = 1;");
    EXPECT_EQ(get("/old.css").content(), "css");
  }
  Config none;
  none.file_cache = 0;
  make(none);
  EXPECT_EQ(get("/ten.txt").content(), "0123456789");
}

// ---- symlinks ----

TEST_F(StaticHttp, DirectorySymlinkLeavingTheRoot) {
  EXPECT_EQ(get("/out/outside.txt").status, 404);
  EXPECT_EQ(get("/in/f.txt").content(), "inner");
  use_openat_fallback_for_testing(true);
  EXPECT_EQ(get("/out/outside.txt").status, 404) << "the fallback walk follows no symlink";
  EXPECT_EQ(get("/in/f.txt", "", "GET", 1).status, 404);
  use_openat_fallback_for_testing(false);
  Config cfg;
  cfg.follow_symlinks = true;
  make(cfg);
  EXPECT_EQ(get("/out/outside.txt").content(), "outside the root") << "--follow-symlinks";
}

// ---- through the connection: streamed bodies written a few bytes at a time ----

TEST_F(StaticHttp, StreamedBodiesThroughTheConnection) {
  StaticFiles files;
  StaticOptions so;
  so.listing = true;
  ASSERT_EQ(files.open(tree.path("root").c_str(), so), 0);
  Config cfg;
  cfg.docroot = "";
  App custom(cfg);
  ASSERT_EQ(custom.router().add({http::Method::Get, http::Method::Head}, "/*", files), AddError::none);
  conn::Limits limits;
  limits.buffer_size = 4096;
  limits.max_target = 1024;
  limits.max_headers = 16;
  for (size_t max_write : {size_t{7}, size_t{1000}, SIZE_MAX}) {
    conn::MemoryPeer peer(limits, custom, 8, max_write);
    peer.send(request("GET", "/big.txt", "Range: bytes=0-1,100-101\r\n") + request("GET", "/list/") +
                  request("HEAD", "/list/") + request("HEAD", "/big.txt", "Range: bytes=0-1,100-101\r\n") +
                  request("GET", "/ten.txt"),
              1);
    const std::string& out = peer.output;
    const size_t boundary_at = out.find("boundary=");
    ASSERT_NE(boundary_at, std::string::npos) << out;
    const std::string boundary = out.substr(boundary_at + 9, out.find("\r\n", boundary_at) - boundary_at - 9);
    const std::string multipart = "\r\n--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8\r\n" +
                                  "Content-Range: bytes 0-1/10000\r\n\r\n01\r\n--" + boundary +
                                  "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 100-101/10000" +
                                  "\r\n\r\n01\r\n--" + boundary + "--\r\n";
    const size_t m = out.find(multipart);
    ASSERT_NE(m, std::string::npos) << out;
    EXPECT_NE(out.find("Content-Length: " + std::to_string(multipart.size()) + "\r\n"), std::string::npos);
    const size_t list = out.find("HTTP/1.1 200 OK", m);
    ASSERT_NE(list, std::string::npos);
    const size_t end = out.find("</html>\nHTTP/1.1 200 OK", list);
    ASSERT_NE(end, std::string::npos) << "HEAD follows the listing: " << out;
    const size_t cl = out.find("Content-Length: ", list);
    const size_t body = out.find("\r\n\r\n", list) + 4;
    EXPECT_EQ(std::to_string(end + 8 - body), out.substr(cl + 16, out.find("\r\n", cl) - cl - 16));
    const size_t head_big = out.find("\r\n\r\nHTTP/1.1 200 OK", end);
    ASSERT_NE(head_big, std::string::npos) << "HEAD: no body";
    EXPECT_NE(out.find("Content-Length: 10000\r\n", head_big), std::string::npos) << "Range is for GET only";
    EXPECT_EQ(out.substr(out.size() - 10), "0123456789");
    EXPECT_EQ(peer.responders_in_use(), 0u);
    EXPECT_EQ(files.cache().referenced(), 0u) << "every cache reference released";
  }
}

}  // namespace
}  // namespace hs::app
