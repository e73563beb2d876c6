// Static files end to end over loopback, against the real binary: every
// status of issue 5 (200, 204, 206, 301, 304, 404, 405, 412, 416), ranges and
// multipart bodies byte for byte, precompressed selection (raw and curl),
// traversal attempts that must never return a file outside the root, a FIFO,
// and a file truncated while it is being sent (never more than
// Content-Length, then the connection closes).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "harness.hpp"

namespace hs::it {
namespace {

std::string pattern(size_t n, unsigned seed) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    s[i] = static_cast<char>(x >> 24);
  }
  return s;
}

constexpr const char* kSecret = "TOP-SECRET-OUTSIDE-THE-ROOT";

class Static : public ::testing::Test {
protected:
  void SetUp() override {
    base.write("secret.txt", kSecret);
    root = base.path() + "/root";
    base.write("root/small.txt", "hello, world\n");
    base.write("root/big.bin", big);
    base.write("root/sub/index.html", "sub index\n");
    base.write("root/nodir/a.txt", "a\n");
    base.write("root/.env", "SECRET=1\n");
    base.write("root/app.js", js);
    ASSERT_EQ(::symlink("../secret.txt", (root + "/up.txt").c_str()), 0);
    ASSERT_EQ(::symlink(base.path().c_str(), (root + "/outdir").c_str()), 0);
    ASSERT_EQ(::symlink("small.txt", (root + "/in.txt").c_str()), 0);
    ASSERT_EQ(::mkfifo((root + "/fifo").c_str(), 0644), 0);
  }

  void start(std::vector<std::string> args = {}) {
    args.insert(args.begin(), root);
    std::string why;
    ASSERT_TRUE(server.start(args, &why)) << why;
  }

  // One request on a fresh connection; the response parsed.
  Response ask(const std::string& raw, bool head_only = false) {
    Client c;
    EXPECT_TRUE(c.connect(server.port()));
    EXPECT_TRUE(c.send_all(raw));
    auto r = read_responses(c, 1, Ms(5000), head_only);
    return r.empty() ? Response{} : r[0];
  }
  Response get_with(const std::string& path, const std::string& extra = "") { return ask(get(path, extra)); }

  std::string url(const std::string& path) const { return it::url(server.port(), path); }

  TempDir base;
  std::string root;
  std::string big = pattern(300 * 1024, 3);
  std::string js = "function f(){return 1;}\n" + std::string(4000, ' ') + "// end\n";
  Server server;
};

TEST_F(Static, EveryStatus) {
  start();
  auto ok = get_with("/small.txt");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "hello, world\n");
  EXPECT_EQ(ok.field("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(ok.field("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(ok.field("Accept-Ranges"), "bytes");
  const std::string tag = ok.field("ETag");
  ASSERT_FALSE(tag.empty());
  const std::string lm = ok.field("Last-Modified");

  auto head = ask("HEAD /small.txt HTTP/1.1\r\nHost: t\r\n\r\n", true);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.field("Content-Length"), "13");
  EXPECT_EQ(head.field("ETag"), tag);

  auto opt = ask("OPTIONS /small.txt HTTP/1.1\r\nHost: t\r\n\r\n", true);
  EXPECT_EQ(opt.status, 204);
  EXPECT_EQ(opt.field("Allow"), "GET, HEAD, OPTIONS");

  auto post = ask("POST /small.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.field("Allow"), "GET, HEAD, OPTIONS");
  EXPECT_EQ(ask("DELETE /small.txt HTTP/1.1\r\nHost: t\r\n\r\n").status, 405);

  EXPECT_EQ(get_with("/small.txt", "If-None-Match: " + tag + "\r\n").status, 304);
  EXPECT_EQ(get_with("/small.txt", "If-None-Match: W/" + tag + "\r\n").status, 304);
  EXPECT_EQ(get_with("/small.txt", "If-Modified-Since: " + lm + "\r\n").status, 304);
  auto nm = get_with("/small.txt", "If-None-Match: \"nope\", " + tag + "\r\n");
  EXPECT_EQ(nm.status, 304);
  EXPECT_EQ(nm.body, "");
  EXPECT_EQ(nm.field("Content-Length"), "");
  EXPECT_EQ(nm.field("ETag"), tag);
  EXPECT_EQ(get_with("/small.txt", "If-Match: \"nope\"\r\n").status, 412);
  EXPECT_EQ(get_with("/small.txt", "If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n").status, 412);

  auto part = get_with("/small.txt", "Range: bytes=7-11\r\n");
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, "world");
  EXPECT_EQ(part.field("Content-Range"), "bytes 7-11/13");
  auto bad = get_with("/small.txt", "Range: bytes=100-\r\n");
  EXPECT_EQ(bad.status, 416);
  EXPECT_EQ(bad.field("Content-Range"), "bytes */13");
  EXPECT_EQ(get_with("/small.txt", "Range: bytes=oops\r\n").status, 200);

  auto moved = get_with("/sub?x=1");
  EXPECT_EQ(moved.status, 301);
  EXPECT_EQ(moved.field("Location"), "/sub/?x=1");
  EXPECT_EQ(get_with("/sub/").body, "sub index\n");
  EXPECT_EQ(get_with("/nodir/").status, 404);
  EXPECT_EQ(get_with("/missing").status, 404);
  EXPECT_EQ(get_with("/.env").status, 404);
}

TEST_F(Static, RangesOfALargeFileByteForByte) {
  start();
  auto one = get_with("/big.bin", "Range: bytes=100000-199999\r\n");
  ASSERT_EQ(one.status, 206);
  EXPECT_EQ(one.body, big.substr(100000, 100000));
  auto tail = get_with("/big.bin", "Range: bytes=-1000\r\n");
  EXPECT_EQ(tail.body, big.substr(big.size() - 1000));
  EXPECT_EQ(tail.field("Content-Range"), "bytes " + std::to_string(big.size() - 1000) + "-" +
                                             std::to_string(big.size() - 1) + "/" + std::to_string(big.size()));

  auto multi = get_with("/big.bin", "Range: bytes=0-99, 200000-250000, 307100-\r\n");
  ASSERT_EQ(multi.status, 206);
  const std::string ct = multi.field("Content-Type");
  ASSERT_EQ(ct.rfind("multipart/byteranges; boundary=", 0), 0u) << ct;
  const std::string boundary = ct.substr(31);
  // Expected body, built independently.
  const struct {
    size_t first, last;
  } parts[] = {{0, 99}, {200000, 250000}, {307100, big.size() - 1}};
  std::string want;
  for (const auto& p : parts) {
    want += "\r\n--" + boundary + "\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes " +
            std::to_string(p.first) + "-" + std::to_string(p.last) + "/" + std::to_string(big.size()) + "\r\n\r\n";
    want += big.substr(p.first, p.last - p.first + 1);
  }
  want += "\r\n--" + boundary + "--\r\n";
  EXPECT_EQ(multi.body.size(), want.size());
  EXPECT_TRUE(multi.body == want) << "multipart body differs";

  // Pipelined: a multipart answer between two others keeps the order and framing.
  Client c;
  ASSERT_TRUE(c.connect(server.port()));
  ASSERT_TRUE(c.send_all(get("/small.txt") + get("/big.bin", "Range: bytes=1-2,5-6\r\n") + get("/small.txt")));
  auto rs = read_responses(c, 3, Ms(5000));
  ASSERT_EQ(rs.size(), 3u);
  EXPECT_EQ(rs[0].body, "hello, world\n");
  EXPECT_EQ(rs[1].status, 206);
  EXPECT_NE(rs[1].body.find(big.substr(5, 2)), std::string::npos);
  EXPECT_EQ(rs[2].body, "hello, world\n");

  // curl agrees on single ranges.
  const std::string out = base.path() + "/curl.part";
  int status = -1;
  shell("curl -s --max-time 10 -r 1000-1999 -o '" + out + "' " + url("/big.bin"), &status);
  EXPECT_EQ(status, 0);
  std::ifstream f(out, std::ios::binary);
  const std::string got((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(got == big.substr(1000, 1000));
}

TEST_F(Static, PrecompressedSelection) {
  ASSERT_EQ(std::system(("gzip -k -9 '" + root + "/app.js'").c_str()), 0);
  ASSERT_EQ(std::system(("zstd -q -k '" + root + "/app.js' -o '" + root + "/app.js.zst'").c_str()), 0);
  start();
  std::ifstream gz(root + "/app.js.gz", std::ios::binary);
  const std::string gz_bytes((std::istreambuf_iterator<char>(gz)), std::istreambuf_iterator<char>());
  auto g = get_with("/app.js", "Accept-Encoding: gzip, deflate\r\n");
  EXPECT_EQ(g.status, 200);
  EXPECT_EQ(g.field("Content-Encoding"), "gzip");
  EXPECT_EQ(g.field("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(g.field("Vary"), "Accept-Encoding");
  EXPECT_TRUE(g.body == gz_bytes);
  auto z = get_with("/app.js", "Accept-Encoding: gzip, zstd, br\r\n");
  EXPECT_EQ(z.field("Content-Encoding"), "zstd") << "no .br here: zstd before gzip";
  auto plain = get_with("/app.js");
  EXPECT_EQ(plain.field("Content-Encoding"), "");
  EXPECT_EQ(plain.field("Vary"), "Accept-Encoding");
  EXPECT_EQ(plain.body, js);
  auto range = get_with("/app.js", "Accept-Encoding: gzip\r\nRange: bytes=0-1\r\n");
  EXPECT_EQ(range.status, 206);
  EXPECT_EQ(range.body, gz_bytes.substr(0, 2)) << "ranges of the encoded bytes";
  // curl decodes it back to the original.
  int status = -1;
  const std::string decoded = shell("curl -s --max-time 10 --compressed " + url("/app.js"), &status);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(decoded, js);
}

TEST_F(Static, TraversalNeverLeavesTheRoot) {
  start();
  const char* targets[] = {
      "/../secret.txt",         "/%2e%2e/secret.txt",       "/%2E%2E/secret.txt",   "/sub/../../secret.txt",
      "/..%2fsecret.txt",       "/%2e%2e%2fsecret.txt",     "/sub/%2e%2e/%2e%2e/secret.txt",
      "/up.txt",                "/outdir/secret.txt",       "//secret.txt",         "/./../secret.txt",
      "/.%2e/secret.txt",       "http://t/../secret.txt",   "/..\\secret.txt",      "/%00/../secret.txt",
      "/sub/..%5c..%5csecret.txt",
  };
  for (const char* t : targets) {
    auto r = ask(std::string("GET ") + t + " HTTP/1.1\r\nHost: t\r\n\r\n");
    EXPECT_EQ(r.body.find(kSecret), std::string::npos) << t;
    EXPECT_NE(r.status, 200) << t;
  }
  // curl normalises dot segments itself; --path-as-is sends them raw.
  const std::string raw = shell("curl -s --max-time 5 --path-as-is " + url("/../secret.txt") + " " +
                                url("/sub/../../secret.txt") + " " + url("/%2e%2e/secret.txt"));
  EXPECT_EQ(raw.find(kSecret), std::string::npos);
  EXPECT_EQ(get_with("/in.txt").body, "hello, world\n") << "a symlink inside the root works";
}

TEST_F(Static, FollowSymlinksFlag) {
  start({"--follow-symlinks"});
  EXPECT_EQ(get_with("/up.txt").body, kSecret);
}

TEST_F(Static, DotfilesFlagAndCacheControl) {
  start({"--dotfiles", "--cache-control", "public, max-age=3600"});
  auto r = get_with("/.env");
  EXPECT_EQ(r.body, "SECRET=1\n");
  EXPECT_EQ(r.field("Cache-Control"), "public, max-age=3600");
}

TEST_F(Static, FifoNeverBlocks) {
  start();
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(get_with("/fifo").status, 404);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  EXPECT_EQ(get_with("/small.txt").status, 200) << "the loop still serves";
}

TEST_F(Static, Listing) {
  for (int i = 0; i < 200; ++i) base.write("root/many/file-" + std::to_string(1000 + i) + ".txt", "x");
  base.write("root/many/<b>&.txt", "y");
  start({"--listing"});
  auto r = get_with("/many/");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.field("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(std::to_string(r.body.size()), r.field("Content-Length"));
  EXPECT_NE(r.body.find("&lt;b&gt;&amp;.txt"), std::string::npos);
  EXPECT_NE(r.body.find("href=\"./%3Cb%3E%26.txt\""), std::string::npos);
  size_t at = 0;
  for (int i = 0; i < 200; ++i) {
    const size_t next = r.body.find(">file-" + std::to_string(1000 + i) + ".txt<", at);
    ASSERT_NE(next, std::string::npos) << i;
    at = next;
  }
  EXPECT_EQ(r.body.substr(r.body.size() - 8), "</html>\n");
}

TEST_F(Static, FileTruncatedDuringTheSendClosesAtOrBeforeContentLength) {
  // A large sparse file: sendfile reads zeros quickly, the disk holds nothing.
  const std::string path = root + "/huge.bin";
  const uint64_t size = 256ull << 20;
  {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(size)), 0);
    ::close(fd);
  }
  start();
  Client c;
  ASSERT_TRUE(c.connect(server.port(), 64 * 1024));  // a slow reader keeps the send going
  ASSERT_TRUE(c.send_all(get("/huge.bin")));
  std::string stream;
  while (stream.find("\r\n\r\n") == std::string::npos) ASSERT_GT(c.read_some(stream, Ms(5000)), 0);
  const size_t head_end = stream.find("\r\n\r\n") + 4;
  ASSERT_NE(stream.find("Content-Length: " + std::to_string(size) + "\r\n"), std::string::npos) << stream;
  ASSERT_EQ(::truncate(path.c_str(), 1 << 20), 0);
  EXPECT_TRUE(c.read_to_eof(stream, Ms(30000))) << "the connection closes";
  const uint64_t body = stream.size() - head_end;
  EXPECT_LT(body, size) << "never all the announced bytes";
  EXPECT_GE(body, 0u);
  EXPECT_LE(body, size);
  // The server is fine and serves the file's new length.
  auto after = get_with("/small.txt");
  EXPECT_EQ(after.status, 200);
}

}  // namespace
}  // namespace hs::it
