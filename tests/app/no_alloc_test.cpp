// Serving performs no heap allocation: route() and handle() of every built-in
// handler (static files, redirects, errors, status, the JSON API example) run
// while the calling thread's allocations are counted (tests/support): only
// route() and handle() are tallied, not the test's own strings or gtest.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <string>
#include <vector>

#include "app/app.hpp"
#include "harness.hpp"
#include "support/alloc_counter.hpp"

namespace hs::app {
namespace {

using testing::request;

// A parsed request, ready to be routed (parsing happens before arming).
struct Prepared {
  std::string text;
  std::array<http::Header, 16> headers;
  http::RequestHead head;
  std::array<char, 1024> path;
  conn::Request req;
};

void prepare(Prepared& p) {
  ASSERT_EQ(http::parse_request_head(p.text, 0, p.head, p.headers, {}).state, http::ParseState::Complete) << p.text;
  http::Target t;
  ASSERT_FALSE(http::parse_target(p.head.target, p.path, t)) << p.text;
  p.req.head = &p.head;
  p.req.method = p.head.method;
  p.req.method_token = p.head.method_token;
  p.req.raw_target = p.head.target;
  p.req.path = t.path;
  p.req.query = t.query;
  p.req.body = std::string_view(p.text).substr(p.head.head_bytes);
}

TEST(NoAllocation, EveryBuiltInHandler) {
  if (!hs::testing::allocation_counting_available()) GTEST_SKIP() << "allocation counting is off under AddressSanitizer";
  testing::TempTree tree;
  tree.dir("sub");
  tree.file("a.txt", "hi\n");
  tree.file("sub/index.html", "ix\n");
  ASSERT_EQ(::mkfifo(tree.path("fifo").c_str(), 0644), 0);
  const std::string root = tree.base();

  Config cfg;
  cfg.docroot = root;
  cfg.status_path = "/_status";
  cfg.example_api = true;
  App app(cfg);
  ASSERT_TRUE(app.ok()) << app.error();

  const char* json = "Content-Type: application/json\r\n";
  std::vector<Prepared> all(14);
  all[0].text = request("GET", "/a.txt");
  all[1].text = request("HEAD", "/sub/");
  all[2].text = request("GET", "/sub?q=1");
  all[3].text = request("GET", "/missing");
  all[4].text = request("GET", "/fifo");
  all[5].text = request("GET", "/.env");
  all[6].text = request("DELETE", "/a.txt");
  all[7].text = request("GET", "/_status");
  all[8].text = request("POST", "/api/sum", json, R"({"numbers":[1,2.5,3]})");
  all[9].text = request("POST", "/api/sum", json, R"({"numbers" [1]})");
  all[10].text = request("POST", "/api/sum", "Content-Type: text/plain\r\n", "{}");
  all[11].text = request("GET", "/api/hello/ann");
  all[12].text = request("GET", "/api/sum");
  all[13].text = request("GET", "/");
  for (Prepared& p : all) prepare(p);

  testing::LocalResponder local;
  conn::Responder& r = local.r;

  std::vector<int> statuses;
  statuses.reserve(all.size());
  hs::testing::AllocationTally tally;
  for (int round = 0; round < 100; ++round) {
    for (Prepared& p : all) {
      tally.start();
      const conn::Route route = app.route(p.req);
      conn::Response resp(r);
      app.handle(route, p.req, resp);
      if (round == 0) app.error_page(http::Status::RequestTimeout, "request head not received in time", resp);
      tally.stop();
      if (r.owns_fd && r.file_fd >= 0) ::close(r.file_fd);
      if (round == 0) statuses.push_back(http::code(resp.status()));
    }
  }
  EXPECT_EQ(tally.total(), 0u);
  EXPECT_EQ(statuses, (std::vector<int>{408, 408, 408, 408, 408, 408, 408, 408, 408, 408, 408, 408, 408, 408}));
}

// The static handler's every path, streamed bodies included: conditionals,
// single and multipart ranges (refilled piece by piece), precompressed
// siblings, listings, the file cache's hits, revalidation and release.
TEST(NoAllocation, StaticFilesEveryPath) {
  if (!hs::testing::allocation_counting_available()) GTEST_SKIP() << "allocation counting is off under AddressSanitizer";
  testing::TempTree tree;
  tree.dir("l");
  tree.file("a.txt", "hi\n");
  tree.file("big.bin", std::string(20000, '\0'));
  tree.file("app.js", "js\n");
  tree.file("app.js.gz", "gz\n");  // written after app.js: not older, so it is offered
  tree.file("l/x", "");
  tree.file("l/y", "");
  const std::string root = tree.base();
  Config cfg;
  cfg.docroot = root;
  cfg.listing = true;
  cfg.file_cache = 2;  // small: eviction happens too
  App app(cfg);
  ASSERT_TRUE(app.ok()) << app.error();

  std::vector<Prepared> all(10);
  all[0].text = request("GET", "/a.txt", "If-None-Match: *\r\n");
  all[1].text = request("GET", "/a.txt", "If-Match: \"x\"\r\n");
  all[2].text = request("GET", "/big.bin", "Range: bytes=0-9\r\n");
  all[3].text = request("GET", "/big.bin", "Range: bytes=0-9,100-199,-5\r\n");
  all[4].text = request("GET", "/big.bin", "Range: bytes=90000-\r\n");
  all[5].text = request("GET", "/app.js", "Accept-Encoding: gzip, br\r\n");
  all[6].text = request("GET", "/l/");
  all[7].text = request("OPTIONS", "/a.txt");
  all[8].text = request("GET", "/big.bin", "If-Range: \"old\"\r\nRange: bytes=0-1\r\n");
  all[9].text = request("HEAD", "/big.bin", "Range: bytes=0-9,100-199\r\n");
  for (Prepared& p : all) prepare(p);

  testing::LocalResponder local;
  conn::Responder& r = local.r;
  std::vector<int> statuses;
  statuses.reserve(all.size());
  uint64_t streamed = 0;
  hs::testing::AllocationTally tally;
  for (int round = 0; round < 50; ++round) {
    for (Prepared& p : all) {
      p.req.now_seconds = 1'700'000'000 + round / 10;  // revalidations every 10 rounds
      tally.start();
      const conn::Route route = app.route(p.req);
      conn::Response resp(r);
      app.handle(route, p.req, resp);
      for (int i = 0; i < 1000 && r.stream_remaining > 0 && r.hooks != nullptr; ++i) {
        r.file_remaining = 0;
        if (!r.hooks->refill(r)) break;
        streamed += r.body_len;
      }
      if (r.hooks != nullptr) r.hooks->release(r);
      tally.stop();
      if (r.owns_fd && r.file_fd >= 0) ::close(r.file_fd);
      if (round == 0) statuses.push_back(http::code(resp.status()));
    }
  }
  EXPECT_EQ(tally.total(), 0u);
  EXPECT_EQ(statuses, (std::vector<int>{304, 412, 206, 206, 416, 200, 200, 204, 200, 200}));
  EXPECT_GT(streamed, 0u);
}

}  // namespace
}  // namespace hs::app
