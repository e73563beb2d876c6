// `homeserve bench` end to end: exact counts and framing checks against a real
// homeserve (keep-alive and pipelined, several URLs), wrong Content-Length
// from a tiny test server (a thread here) counted as framing errors, the
// --json summary read back with hs::json, a bounded --rate run, the embedded
// scenarios, --hold-idle, and bad options. Loopback only; every wait has a
// deadline.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "../client/tiny_server.hpp"
#include "engine/uring_engine.hpp"
#include "harness.hpp"
#include "json/json.hpp"

namespace hs::it {
namespace {

using Clock = std::chrono::steady_clock;

// A parsed --json document (tokens kept alive with it).
class Json {
public:
  explicit Json(std::string text) : text_(std::move(text)), tokens_(json::tokens_needed_at_most(text_.size())) {
    parsed_ = json::parse_document(text_, tokens_);
  }
  bool ok() const { return parsed_.ok(); }
  json::Value root() const { return parsed_.doc.root(); }
  int64_t integer(std::initializer_list<const char*> path) const {
    json::Value v = root();
    for (const char* k : path) v = v[k];
    return v.as_int64().value_or(-1);
  }
  double real(std::initializer_list<const char*> path) const {
    json::Value v = root();
    for (const char* k : path) v = v[k];
    return v.as_double().value_or(-1);
  }

private:
  std::string text_;
  std::vector<json::Token> tokens_;
  json::Parsed parsed_;
};


class Bench : public ::testing::Test {
protected:
  void SetUp() override {
    dir.write("small.txt", std::string(1024, 's'));
    dir.write("other.txt", std::string(3000, 'o'));
    dir.write("large.bin", std::string(300 * 1024, 'l'));
    std::string failure;
    ASSERT_TRUE(server.start({dir.path()}, &failure)) << failure;
  }
  TempDir dir;
  Server server;
};

TEST_F(Bench, CountsEveryResponseExactly) {
  const RunResult r =
      run_homeserve({"bench", "-n", "500", "-c", "4", "--json", url(server.port(), "/small.txt")}, Ms(30000));
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  const Json j(r.out);
  ASSERT_TRUE(j.ok()) << r.out;
  EXPECT_EQ(j.integer({"responses"}), 500);
  EXPECT_EQ(j.integer({"requests"}), 500);
  EXPECT_EQ(j.integer({"status", "2xx"}), 500);
  EXPECT_EQ(j.integer({"errors", "total"}), 0);
  EXPECT_EQ(j.integer({"connections"}), 4);
  EXPECT_GE(j.integer({"bytes"}), 500 * 1024);
  EXPECT_GT(j.real({"requests_per_second"}), 0);
  EXPECT_GT(j.real({"latency_us", "p99"}), 0);
  EXPECT_GE(j.real({"latency_us", "max"}), j.real({"latency_us", "p50"}));
}

TEST_F(Bench, PipelinedAndRoundRobinOverUrls) {
  const RunResult r = run_homeserve({"bench", "-n", "500", "-c", "3", "--pipeline", "8", "--json",
                                     url(server.port(), "/small.txt"), url(server.port(), "/other.txt")},
                                    Ms(30000));
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  const Json j(r.out);
  ASSERT_TRUE(j.ok()) << r.out;
  EXPECT_EQ(j.integer({"responses"}), 500);
  EXPECT_EQ(j.integer({"errors", "total"}), 0);
  EXPECT_EQ(j.integer({"pipeline"}), 8);
  // Both files were asked for: more bytes than 500 of the small one alone.
  EXPECT_GT(j.integer({"bytes"}), 500 * 1024 + 100 * 2000);
}

TEST_F(Bench, LargeBodiesPipelinedBetweenSmallOnes) {
  // Long Content-Length bodies are counted without being copied (MSG_TRUNC);
  // the small answers pipelined behind them must still frame exactly.
  const RunResult r = run_homeserve({"bench", "-n", "90", "-c", "2", "--pipeline", "4", "--json",
                                     url(server.port(), "/large.bin"), url(server.port(), "/small.txt")},
                                    Ms(30000));
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  const Json j(r.out);
  ASSERT_TRUE(j.ok()) << r.out;
  EXPECT_EQ(j.integer({"responses"}), 90);
  EXPECT_EQ(j.integer({"errors", "total"}), 0);
  EXPECT_GE(j.integer({"bytes"}), 45 * (300 * 1024 + 1024));
  EXPECT_LT(j.integer({"bytes"}), 45 * (300 * 1024 + 1024) + 90 * 1024);  // plus heads
}

TEST_F(Bench, UnexpectedStatusIsAnError) {
  const RunResult r = run_homeserve({"bench", "-n", "20", "-c", "2", "--json", url(server.port(), "/missing")}, Ms(30000));
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  const Json j(r.out);
  ASSERT_TRUE(j.ok()) << r.out;
  EXPECT_EQ(j.integer({"responses"}), 20);
  EXPECT_EQ(j.integer({"status", "4xx"}), 20);
  EXPECT_EQ(j.integer({"errors", "status"}), 20);
  const RunResult ok = run_homeserve(
      {"bench", "-n", "20", "-c", "2", "--expect-status", "404", "--json", url(server.port(), "/missing")}, Ms(30000));
  EXPECT_EQ(ok.status, 0) << ok.out << ok.err;
}

TEST_F(Bench, ConstantRateRunsBounded) {
  const auto start = Clock::now();
  const RunResult r = run_homeserve(
      {"bench", "--rate", "400", "-d", "1s", "-c", "4", "--json", url(server.port(), "/small.txt")}, Ms(30000));
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
  const Json j(r.out);
  ASSERT_TRUE(j.ok()) << r.out;
  EXPECT_EQ(j.real({"rate"}), 400);
  // About 400 requests were due in the second; a loaded machine may answer fewer.
  EXPECT_GE(j.integer({"responses"}), 100);
  EXPECT_LE(j.integer({"responses"}), 420);
  EXPECT_EQ(j.integer({"errors", "total"}), 0);
}

TEST_F(Bench, HoldsIdleConnections) {
  const RunResult r = run_homeserve({"bench", "--hold-idle", "20", "-d", "200ms", url(server.port(), "/small.txt")},
                                    Ms(30000));
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("holding 20 idle connections (0 failed)"), std::string::npos) << r.out;
}

// A port nothing listens on: every request of -n ends as a connect error.
void expect_refused_as_connect_errors(std::vector<std::string> extra) {
  const uint16_t port = free_port();
  ASSERT_NE(port, 0);
  std::vector<std::string> args{"bench", "-n", "6", "-c", "2", "--json", url(port, "/")};
  args.insert(args.begin() + 1, extra.begin(), extra.end());
  const RunResult r = run_homeserve(args, Ms(30000));
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  const Json j(r.out);
  ASSERT_TRUE(j.ok()) << r.out;
  EXPECT_EQ(j.integer({"responses"}), 0);
  EXPECT_EQ(j.integer({"errors", "connect"}), 6);
}

// The load generator on each I/O engine (--io), whatever HOMESERVE_IO gives
// the server: exact counts over small and long bodies pipelined together
// (epoll counts the long ones with MSG_TRUNC, io_uring where they land),
// refused connects as connect errors, and the engine named in the summary.
class BenchIo : public ::testing::TestWithParam<const char*> {
protected:
  void SetUp() override {
    dir.write("small.txt", std::string(1024, 's'));
    dir.write("large.bin", std::string(300 * 1024, 'l'));
    std::string failure;
    ASSERT_TRUE(server.start({dir.path()}, &failure)) << failure;
  }
  static const char* engine_name() { return std::string(GetParam()) == "uring" ? "io_uring" : "epoll"; }
  TempDir dir;
  Server server;
};

TEST_P(BenchIo, CountsEveryResponseExactly) {
  const RunResult r = run_homeserve({"bench", "--io", GetParam(), "-n", "200", "-c", "4", "--pipeline", "4", "--json",
                                     url(server.port(), "/large.bin"), url(server.port(), "/small.txt")},
                                    Ms(30000));
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  const Json j(r.out);
  ASSERT_TRUE(j.ok()) << r.out;
  EXPECT_TRUE(j.root()["io"].equals(engine_name())) << r.out;
  EXPECT_EQ(j.integer({"responses"}), 200);
  EXPECT_EQ(j.integer({"requests"}), 200);
  EXPECT_EQ(j.integer({"status", "2xx"}), 200);
  EXPECT_EQ(j.integer({"errors", "total"}), 0);
  EXPECT_EQ(j.integer({"connects"}), 4);
  // About half are the long body (the connections share the quota as they go).
  EXPECT_GE(j.integer({"bytes"}), 90 * 300 * 1024);
  EXPECT_LT(j.integer({"bytes"}), 110 * 300 * 1024 + 200 * 1024);
}

TEST_P(BenchIo, RefusedConnectionsEndAsConnectErrors) { expect_refused_as_connect_errors({"--io", GetParam()}); }

INSTANTIATE_TEST_SUITE_P(Engines, BenchIo, ::testing::Values("epoll", "uring"));

TEST(BenchOptions, BadOptionsExitTwo) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"bench", "-d", "soon", "http://127.0.0.1:1/"},
        std::vector<std::string>{"bench", "--pipeline", "0", "http://127.0.0.1:1/"},
        std::vector<std::string>{"bench", "ftp://127.0.0.1:1/"},
        std::vector<std::string>{"bench", "http://127.0.0.1:1/a", "http://127.0.0.1:2/b"},
        std::vector<std::string>{"bench", "-H", "no colon", "http://127.0.0.1:1/"},
        std::vector<std::string>{"bench", "--io", "select", "http://127.0.0.1:1/"}}) {
    const RunResult r = run_homeserve(args, Ms(10000));
    EXPECT_EQ(r.status, 2) << args[1] << ": " << r.err;
    EXPECT_NE(r.err.find("homeserve"), std::string::npos);
  }
}

TEST(BenchOptions, RefusedConnectionsEndAsConnectErrors) { expect_refused_as_connect_errors({}); }

// A tiny server (tests/client/tiny_server.hpp) that answers every request
// with the same bytes, closing the connection after each answer when asked.
test::TinyServer::Options fixed_answer(std::string answer, bool close_after) {
  test::TinyServer::Options o;
  o.answer = [answer = std::move(answer)](std::string_view, size_t) { return answer; };
  o.close_after_each = close_after;
  return o;
}

TEST(BenchFraming, BodyShorterThanAnnouncedIsAFramingError) {
  test::TinyServer tiny(fixed_answer("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + std::string(50, 'x'), /*close_after=*/true));
  ASSERT_NE(tiny.port(), 0);
  const RunResult r = run_homeserve({"bench", "-n", "5", "-c", "1", "--json", url(tiny.port(), "/")}, Ms(30000));
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  const Json j(r.out);
  ASSERT_TRUE(j.ok()) << r.out;
  EXPECT_EQ(j.integer({"responses"}), 0);
  EXPECT_EQ(j.integer({"errors", "framing"}), 5) << r.out;
  EXPECT_EQ(j.integer({"errors", "total"}), 5);
}

TEST(BenchFraming, LongBodyCutShortIsAFramingError) {
  test::TinyServer tiny(fixed_answer("HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n" + std::string(200 * 1024, 'x'),
                                     /*close_after=*/true));
  ASSERT_NE(tiny.port(), 0);
  const RunResult r = run_homeserve({"bench", "-n", "3", "-c", "1", "--json", url(tiny.port(), "/")}, Ms(30000));
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  const Json j(r.out);
  ASSERT_TRUE(j.ok()) << r.out;
  EXPECT_EQ(j.integer({"responses"}), 0);
  EXPECT_EQ(j.integer({"errors", "framing"}), 3) << r.out;
}

TEST(BenchFraming, BodyLongerThanAnnouncedIsAFramingError) {
  test::TinyServer tiny(fixed_answer("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA BYTES", /*close_after=*/false));
  ASSERT_NE(tiny.port(), 0);
  const RunResult r = run_homeserve({"bench", "-n", "6", "-c", "1", "--json", url(tiny.port(), "/")}, Ms(30000));
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  const Json j(r.out);
  ASSERT_TRUE(j.ok()) << r.out;
  // Each connection: one good response, then bytes nobody asked for.
  EXPECT_GE(j.integer({"errors", "framing"}), 1);
  EXPECT_GE(j.integer({"responses"}), 1);
  EXPECT_EQ(j.integer({"responses"}) + j.integer({"errors", "total"}), 6);
  EXPECT_EQ(j.integer({"errors", "reset"}) + j.integer({"errors", "timeout"}), 0);
}

TEST(BenchEmbedded, ScenariosAgainstBothCompactionModes) {
  const RunResult r = run_homeserve({"bench", "-d", "300ms", "--json"}, Ms(60000));
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  const Json j(r.out);
  ASSERT_TRUE(j.ok()) << r.out;
  const json::Value rows = j.root()["scenarios"];
  // 3 scenarios x 2 compaction modes, under epoll and (where the kernel has it) io_uring.
  std::string why;
  const size_t engines = net::uring_usable(why) ? 2 : 1;
  ASSERT_EQ(rows.size(), 6u * engines) << r.out;
  size_t readv = 0, uring = 0;
  for (json::Value row : rows.elements()) {
    EXPECT_GT(row["responses"].as_int64().value_or(0), 0);
    EXPECT_EQ(row["errors"]["total"].as_int64().value_or(-1), 0);
    EXPECT_GT(row["server_rss_bytes"].as_int64().value_or(0), 0);
    if (row["compaction"].equals("readv")) ++readv;
    if (row["io"].equals("uring")) ++uring;
    else EXPECT_TRUE(row["io"].equals("epoll")) << r.out;
  }
  EXPECT_EQ(readv, 3 * engines);
  EXPECT_EQ(uring, 6 * (engines - 1));
}

}  // namespace
}  // namespace hs::it
