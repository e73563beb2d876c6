// The companion tools end to end: `homeserve pipeline`, `flood` and `probe`
// run as child processes against a real homeserve (both compaction modes)
// and against tiny servers that misbehave on purpose.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "../client/tiny_server.hpp"
#include "harness.hpp"

namespace hs::it {
namespace {

using test::TinyServer;

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Runs a tool; a sanitizer report on its stderr fails the test (under ASan a
// report exits 1, which some tests expect for other reasons).
RunResult run_tool(const std::vector<std::string>& args, Ms timeout) {
  RunResult r = run_homeserve(args, timeout);
  EXPECT_FALSE(has_sanitizer_report(r.err)) << r.err;
  return r;
}


class Tools : public ::testing::TestWithParam<const char*> {
protected:
  void SetUp() override {
    dir.write("a.txt", std::string(1000, 'a'));
    dir.write("b.txt", "bee\n");
    dir.write("sub/c.bin", std::string(70000, 'c'));
  }
  bool start(std::vector<std::string> extra) {
    std::vector<std::string> args{dir.path(), "--compaction", GetParam()};
    args.insert(args.end(), extra.begin(), extra.end());
    std::string why;
    const bool ok = server.start(args, &why);
    EXPECT_TRUE(ok) << why;
    return ok;
  }
  TempDir dir;
  Server server;
};

INSTANTIATE_TEST_SUITE_P(Compaction, Tools, ::testing::Values("memmove", "readv"));

TEST_P(Tools, PipelinePassesInOrderOverSeveralTargetsWritesAndRounds) {
  ASSERT_TRUE(start({}));
  const RunResult r = run_tool({"pipeline", url(server.port(), "/a.txt"), "-n", "100", "--paths",
                                     "/b.txt,sub/c.bin", "--depth", "7", "--repeat", "3"},
                                    Ms(30000));
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "pipeline: ok: 3 round(s) of 100 responses")) << r.out;
}

TEST_P(Tools, PipelineOverIpv6) {
  ASSERT_TRUE(start({"--listen", "[::1]:0"}));
  const RunResult r = run_tool({"pipeline", "http://[::1]:" + std::to_string(server.port()) + "/a.txt", "--paths",
                                "/b.txt", "-n", "10"},
                               Ms(30000));
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "to [::1]:" + std::to_string(server.port()) + "/a.txt")) << r.out;
}

TEST_P(Tools, PipelineWithOneTargetAddsUnlikeNeighbours) {
  ASSERT_TRUE(start({}));
  const RunResult r = run_tool({"pipeline", url(server.port(), "/b.txt"), "-n", "64"}, Ms(30000));
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "target HEAD /b.txt")) << r.out;
  EXPECT_TRUE(has(r.out, "-> 404")) << r.out;
}

TEST_P(Tools, PipelineBadAtGetsTheAnswersBeforeA400AndTheClose) {
  ASSERT_TRUE(start({}));
  const RunResult r =
      run_tool({"pipeline", url(server.port(), "/a.txt"), "-n", "20", "--bad-at", "9", "--repeat", "2"},
                    Ms(30000));
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "answers 1-8 in order, 400 for request 9, then the close")) << r.out;
}

TEST_P(Tools, FloodOnEachEngineCountsEveryConnection) {
  ASSERT_TRUE(start({"--max-connections", "8"}));
  for (const char* io : {"epoll", "uring"}) {
    const RunResult r = run_tool(
        {"flood", url(server.port(), "/b.txt"), "--connections", "20", "--hold", "0", "--io", io}, Ms(30000));
    EXPECT_EQ(r.status, 0) << io << "\n" << r.out << r.err;
    EXPECT_TRUE(has(r.out, "flood: 20 connections")) << io << "\n" << r.out;
    // Every one of the 20 answered 200 or 429 (anything else fails "ok"), some of each.
    EXPECT_TRUE(has(r.out, "flood: ok")) << io << "\n" << r.out;
    EXPECT_TRUE(has(r.out, "status 200")) << io << "\n" << r.out;
    EXPECT_TRUE(has(r.out, "status 429")) << io << "\n" << r.out;
  }
}

TEST_P(Tools, FloodSees429sAndAHealthyServerAfterwards) {
  ASSERT_TRUE(start({"--max-connections", "8"}));
  const RunResult r =
      run_tool({"flood", url(server.port(), "/b.txt"), "--connections", "40", "--hold", "0.5"}, Ms(30000));
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "status 200")) << r.out;
  EXPECT_TRUE(has(r.out, "status 429")) << r.out;
  EXPECT_TRUE(has(r.out, "fresh request after the release: 200")) << r.out;
  EXPECT_TRUE(has(r.out, "flood: ok")) << r.out;
  // Still serving after the tool is gone.
  Client c;
  ASSERT_TRUE(c.connect(server.port()));
  ASSERT_TRUE(c.send_all(get("/b.txt")));
  const auto got = read_responses(c, 1, Ms(5000));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].status, 200);
}

TEST_P(Tools, ProbePassesAgainstHomeserve) {
  ASSERT_TRUE(start({"--max-connections", "8", "--header-timeout", "1", "--max-pipeline", "4"}));
  const RunResult r = run_tool({"probe", url(server.port(), "/b.txt"), "--max-connections", "8",
                                     "--header-timeout", "1", "--max-pipeline", "4"},
                                    Ms(60000));
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "probe: all 7 checks passed")) << r.out;
  for (const char* check : {"header-size", "body-size", "header-timeout", "malformed", "pipeline-depth",
                            "connections", "smuggling"})
    EXPECT_TRUE(has(r.out, std::string("PASS ") + check)) << check << "\n" << r.out;
}

TEST_P(Tools, ProbeFailsWhenTheLimitsGivenAreNotTheServers) {
  // The server allows 80 connections; told 8, the probe sees no 429 and says so.
  ASSERT_TRUE(start({"--max-connections", "80"}));
  const RunResult r = run_tool(
      {"probe", url(server.port(), "/b.txt"), "--max-connections", "8", "--only", "connections"}, Ms(60000));
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "FAIL connections")) << r.out;
  EXPECT_TRUE(has(r.out, "expected some 429")) << r.out;
}

TEST(ToolsAgainstTinyServers, PipelineCatchesAReorderedAnswer) {
  TinyServer tiny({[](std::string_view head, size_t) {
                     const std::string t = TinyServer::target(head);
                     return TinyServer::response(200, t == "/one" ? "1" : t == "/two" ? "22" : "333",
                                                 TinyServer::is_head(head));
                   },
                   4});
  const RunResult r =
      run_tool({"pipeline", tiny.url("/one"), "--paths", "/two,/three", "-n", "9"}, Ms(30000));
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "FAIL in round 1: response 5 of 9 (to GET /two): expected status 200, got 200") ||
              has(r.out, "response 5 of 9 (to GET /two): expected a 2-byte body, got 3 bytes"))
      << r.out;
  EXPECT_TRUE(has(r.err, "pipeline: round 1: response 5 of 9")) << r.err;
}

TEST(ToolsAgainstTinyServers, ProbeFailsAgainstAServerThatAnswers200ToEverything) {
  TinyServer tiny({[](std::string_view head, size_t) {
    return TinyServer::response(200, "fine", TinyServer::is_head(head));
  }});
  const RunResult r = run_tool({"probe", tiny.url("/"), "--max-connections", "8", "--header-timeout", "0.2",
                                     "--timeout", "2"},
                                    Ms(60000));
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  for (const char* check : {"header-size", "body-size", "header-timeout", "malformed", "connections", "smuggling"})
    EXPECT_TRUE(has(r.out, std::string("FAIL ") + check)) << check << "\n" << r.out;
  EXPECT_TRUE(has(r.out, "got: 200")) << r.out;
}

TEST(ToolsAgainstTinyServers, FloodFailsWhenTheServerStopsAnswering) {
  TinyServer tiny({[](std::string_view, size_t) { return std::string(); }});  // reads, never answers
  const RunResult r = run_tool({"flood", tiny.url("/"), "--connections", "10", "--hold", "0", "--timeout",
                                     "0.5", "--fresh-timeout", "0.5"},
                                    Ms(30000));
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "fresh request during the hold: no response: timeout")) << r.out;
  EXPECT_TRUE(has(r.err, "flood: 10 of 10 connections got no expected answer")) << r.err;
}

TEST(ToolsUsage, FloodSaysWhenItCannotRaiseTheDescriptorLimit) {
  // A hard limit of 64 and no CAP_SYS_RESOURCE (dropped from the bounding set
  // where setpriv exists, for a root test runner).
  int status = -1;
  const std::string out =
      shell(std::string("ulimit -n 64 && if command -v setpriv >/dev/null; then "
                        "exec setpriv --bounding-set=-sys_resource ") +
                HS_BINARY + " flood http://127.0.0.1:1/ --connections 500 2>&1; else exec " + HS_BINARY +
                " flood http://127.0.0.1:1/ --connections 500 2>&1; fi",
            &status);
  EXPECT_EQ(status, 1) << out;
  EXPECT_TRUE(has(out, "flood: need 564 descriptors but the limit is 64 (hard 64)")) << out;
  EXPECT_TRUE(has(out, "ulimit -Hn")) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
}

TEST(ToolsUsage, BadCommandLinesExit2WithOneLine) {
  struct Row {
    std::vector<std::string> args;
    const char* says;
  };
  const Row rows[] = {
      {{"pipeline"}, "url is required"},
      {{"pipeline", "ftp://127.0.0.1:1/"}, "only http:// and https://"},
      {{"pipeline", "http://127.0.0.1:1/", "-n", "0"}, "-n must be"},
      {{"pipeline", "http://127.0.0.1:1/", "-n", "3", "--bad-at", "4"}, "--bad-at must be at most -n"},
      {{"flood", "http://example.com/"}, "numeric"},
      {{"flood", "http://127.0.0.1:1/", "--connections", "0"}, "--connections must be"},
      {{"flood", "http://127.0.0.1:1/", "--io", "select"}, "--io must be auto, epoll or uring"},
      {{"probe", "ftp://127.0.0.1/"}, "only http://"},
      {{"probe", "http://127.0.0.1:1/", "--only", "nope"}, "unknown check 'nope'"},
      {{"probe", "http://127.0.0.1:1/", "--buffer-size", "lots"}, ""},
  };
  for (const Row& row : rows) {
    const RunResult r = run_tool(row.args, Ms(10000));
    EXPECT_EQ(r.status, 2) << row.args[0] << " " << (row.args.size() > 1 ? row.args[1] : "") << "\n" << r.err;
    EXPECT_TRUE(has(r.err, row.says)) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

}  // namespace
}  // namespace hs::it
