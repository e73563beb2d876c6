// The tools' verdicts against tiny servers that misbehave on purpose: a
// swapped pipelined answer, a 400 without the close, a 503 for everyone, a
// server that answers 200 to everything (ignores every limit).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "client/flood/flood.hpp"
#include "client/pipeline/pipeline.hpp"
#include "client/probe/probe.hpp"
#include "tiny_server.hpp"

namespace hs::client {
namespace {

using test::TinyServer;

// Distinct bodies per target; "Content-Length: not-a-number" gets a 400.
std::string files(std::string_view head, size_t) {
  if (head.find("Content-Length: not-a-number") != std::string_view::npos)
    return TinyServer::response(400, "bad", false, "Connection: close\r\n");
  const std::string t = TinyServer::target(head);
  const bool h = TinyServer::is_head(head);
  if (t == "/a") return TinyServer::response(200, "alpha", h);
  if (t == "/b") return TinyServer::response(200, "bravo!", h);
  if (t == "/c") return TinyServer::response(200, "charlie", h);
  return TinyServer::response(404, "no such thing", h);
}

// Captures what a tool prints.
class Output {
public:
  Output() : f_(std::tmpfile()) {}
  ~Output() {
    if (f_) std::fclose(f_);
  }
  std::FILE* get() { return f_; }
  std::string text() {
    std::fflush(f_);
    std::rewind(f_);
    std::string s;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f_)) > 0) s.append(buf, n);
    return s;
  }

private:
  std::FILE* f_;
};

// The number on the flood table's row `label` ("  timeout      5"), -1 when absent.
long count_of(const std::string& text, const std::string& label) {
  const size_t at = text.find("\n  " + label + " ");
  if (at == std::string::npos) return -1;
  const size_t eol = text.find('\n', at + 1);
  const size_t sp = text.rfind(' ', eol);
  return std::strtol(text.c_str() + sp + 1, nullptr, 10);
}

TEST(Pipeline, PassesAgainstAnInOrderServer) {
  TinyServer server({files});
  PipelineOptions o;
  o.url = server.url("/a");
  o.paths = {"/b", "c"};
  o.count = 30;
  o.depth = 4;
  o.repeat = 2;
  o.timeout = 5;
  Output out, err;
  EXPECT_EQ(run_pipeline(o, out.get(), err.get()), 0) << out.text() << err.text();
  EXPECT_NE(out.text().find("pipeline: ok"), std::string::npos);
}

TEST(Pipeline, CatchesASwappedAnswer) {
  // Answers 2 and 3 (index 1 and 2) of a pipelined connection leave swapped.
  TinyServer server({files, 1});
  PipelineOptions o;
  o.url = server.url("/a");
  o.paths = {"/b", "/c"};
  o.count = 6;
  o.timeout = 5;
  Output out, err;
  EXPECT_EQ(run_pipeline(o, out.get(), err.get()), 1);
  const std::string text = out.text();
  EXPECT_NE(text.find("response 2 of 6 (to GET /b)"), std::string::npos) << text;
  EXPECT_NE(err.text().find("pipeline: round 1: response 2 of 6"), std::string::npos) << err.text();
}

TEST(Pipeline, OneTargetGetsUnlikeNeighboursSoASwapShows) {
  TinyServer server({files, 1});
  PipelineOptions o;
  o.url = server.url("/a");
  o.count = 4;
  o.timeout = 5;
  Output out, err;
  EXPECT_EQ(run_pipeline(o, out.get(), err.get()), 1) << out.text();
  EXPECT_NE(out.text().find("HEAD /a and GET /.homeserve-pipeline-missing join it"), std::string::npos) << out.text();
  EXPECT_NE(out.text().find("response 2 of 4 (to HEAD /a): expected status 200, got 404"), std::string::npos) << out.text();
}

TEST(Pipeline, BadAtWantsTheAnswersBeforeThenA400ThenTheClose) {
  {
    TinyServer server({files});
    PipelineOptions o;
    o.url = server.url("/a");
    o.paths = {"/b"};
    o.count = 8;
    o.bad_at = 4;
    o.repeat = 2;
    o.timeout = 5;
    Output out, err;
    EXPECT_EQ(run_pipeline(o, out.get(), err.get()), 0) << out.text() << err.text();
    EXPECT_NE(out.text().find("answers 1-3 in order, 400 for request 4, then the close"), std::string::npos)
        << out.text();
  }
  {
    // A server that answers the bad request but keeps the connection open.
    TinyServer server({files, SIZE_MAX, false});
    PipelineOptions o;
    o.url = server.url("/a");
    o.paths = {"/b"};
    o.count = 8;
    o.bad_at = 4;
    o.timeout = 1;
    Output out, err;
    EXPECT_EQ(run_pipeline(o, out.get(), err.get()), 1);
    // Either the answers after the 400 show up, or the close never comes.
    const std::string text = out.text();
    EXPECT_TRUE(text.find("sent more after answering the bad request") != std::string::npos ||
                text.find("did not close") != std::string::npos)
        << text;
  }
}

TEST(Pipeline, RefusesBadOptions) {
  Output out, err;
  PipelineOptions o;
  o.url = "ftp://127.0.0.1:1/";
  EXPECT_EQ(run_pipeline(o, out.get(), err.get()), 2);
  EXPECT_NE(err.text().find("only http:// and https://"), std::string::npos);
  o.url = "https://127.0.0.1:1/";
  o.tls.cacert = "/nonexistent/ca.pem";
  EXPECT_EQ(run_pipeline(o, out.get(), err.get()), 2);
  EXPECT_NE(err.text().find("--cacert /nonexistent/ca.pem: No such file or directory"), std::string::npos);
  o.tls = {};
  o.url = "http://127.0.0.1:1/";
  o.count = 3;
  o.bad_at = 4;
  EXPECT_EQ(run_pipeline(o, out.get(), err.get()), 2);
}

TEST(Pipeline, ReportsAServerThatIsNotThere) {
  Output out, err;
  PipelineOptions o;
  o.url = "http://127.0.0.1:1/";  // nothing listens on port 1
  EXPECT_EQ(run_pipeline(o, out.get(), err.get()), 1);
  EXPECT_NE(err.text().find("connect refused"), std::string::npos) << err.text();
}

TEST(Flood, CountsStatusesAndFailsOnUnexpectedOnes) {
  TinyServer server({[](std::string_view, size_t) { return TinyServer::response(503, "busy"); }});
  FloodOptions o;
  o.url = server.url("/");
  o.connections = 20;
  o.hold = 0;
  o.timeout = 5;
  Output out, err;
  EXPECT_EQ(run_flood(o, out.get(), err.get()), 1);
  const std::string text = out.text();
  EXPECT_NE(text.find("status 503 (unexpected)"), std::string::npos) << text;
  EXPECT_NE(text.find("20 of 20 connections got no expected answer"), std::string::npos) << text;
  // Told that 503 is fine, the same server passes.
  o.expect = {503};
  Output out2, err2;
  EXPECT_EQ(run_flood(o, out2.get(), err2.get()), 0) << out2.text();
}

TEST(Flood, ASilentServerTimesOut) {
  TinyServer server({[](std::string_view, size_t) { return std::string(); }});
  FloodOptions o;
  o.url = server.url("/");
  o.connections = 5;
  o.hold = 0;
  o.timeout = 0.3;
  o.fresh_timeout = 0.3;
  Output out, err;
  EXPECT_EQ(run_flood(o, out.get(), err.get()), 1);
  EXPECT_EQ(count_of(out.text(), "timeout"), 5) << out.text();
}

TEST(Probe, FailsAgainstAServerThatIgnoresEveryLimit) {
  TinyServer server({[](std::string_view head, size_t) {
    return TinyServer::response(200, "ok", TinyServer::is_head(head));
  }});
  ProbeOptions o;
  o.url = server.url("/");
  o.buffer_size = 4096;
  o.max_connections = 8;
  o.max_pipeline = 4;
  o.header_timeout = 0.2;
  o.timeout = 2;
  Output out, err;
  EXPECT_EQ(run_probe(o, out.get(), err.get()), 1);
  const std::string text = out.text();
  for (const char* line : {"FAIL header-size", "FAIL body-size", "FAIL malformed", "FAIL smuggling",
                           "FAIL header-timeout", "FAIL connections"})
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  // It does answer pipelined requests in order.
  EXPECT_NE(text.find("PASS pipeline-depth"), std::string::npos) << text;
  EXPECT_NE(text.find("probe: 6 of 7 checks failed"), std::string::npos) << text;
}

TEST(Probe, OnlyRunsTheNamedChecksAndRefusesUnknownOnes) {
  TinyServer server({[](std::string_view, size_t) { return TinyServer::response(400, "no"); }});
  ProbeOptions o;
  o.url = server.url("/");
  o.only = {"malformed", "smuggling"};
  Output out, err;
  EXPECT_EQ(run_probe(o, out.get(), err.get()), 0) << out.text();
  EXPECT_NE(out.text().find("probe: all 2 checks passed"), std::string::npos) << out.text();
  o.only = {"nonsense"};
  Output out2, err2;
  EXPECT_EQ(run_probe(o, out2.get(), err2.get()), 2);
  EXPECT_NE(err2.text().find("unknown check 'nonsense'"), std::string::npos);
}

}  // namespace
}  // namespace hs::client
