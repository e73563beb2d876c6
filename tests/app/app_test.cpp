// App as conn::Service: the status endpoint (its JSON read back with the JSON
// parser), the JSON API example with exact bodies, error pages, start-up
// errors; and a few exchanges through the real connection (MemoryPeer) to
// check what the connection adds (Content-Length, HEAD without a body, 413).
#include "app/app.hpp"

#include <gtest/gtest.h>

#include <string>

#include "conn/memory_peer.hpp"
#include "harness.hpp"
#include "json/json.hpp"

namespace hs::app {
namespace {

using testing::request;
using testing::run;

core::Millis g_now = 0;
core::Millis fake_clock() { return g_now; }

void fill_sample(void* context, StatusSample& out) {
  const int worker = *static_cast<int*>(context);
  out.worker = static_cast<uint32_t>(worker);
  out.workers = 2;
  out.pools.connections = {1024, 3};
  out.pools.buffers = {64, 1};
  out.pools.responders = {256, 2};
  out.stats.connections_accepted = 40;
  out.stats.connections_rejected = 2;
  out.stats.requests = 118;
  out.stats.bytes_in = 9000;
  out.stats.bytes_out = 120000;
  out.stats.timeouts = 5;
  out.stats.buffer_waits = 7;
  out.stats.count_status(200);
  out.stats.count_status(200);
  out.stats.count_status(404);
  out.stats.count_status(429);
}

Config api_config() {
  Config cfg;
  cfg.docroot = "";
  cfg.status_path = "/_status";
  cfg.example_api = true;
  cfg.clock = fake_clock;
  return cfg;
}

std::string sum(std::string_view body, std::string_view content_type = "application/json") {
  std::string extra = content_type.empty() ? "" : "Content-Type: " + std::string(content_type) + "\r\n";
  return request("POST", "/api/sum", extra, body);
}

// ---- status endpoint

TEST(StatusEndpoint, ReportsTheProbeAsJson) {
  g_now = 1'000;
  App app(api_config());
  ASSERT_TRUE(app.ok()) << app.error();
  int worker = 1;
  app.set_status_probe({&fill_sample, &worker});
  g_now = 13'500;
  auto o = run(app, request("GET", "/_status"));
  ASSERT_EQ(o.status, 200) << o.body;
  EXPECT_EQ(o.header("Content-Type"), "application/json");
  EXPECT_EQ(o.header("Cache-Control"), "no-store");

  json::Token tokens[512];
  const json::Parsed p = json::parse_document(o.body, tokens);
  ASSERT_TRUE(p.ok()) << o.body;
  const json::Value root = p.doc.root();
  EXPECT_EQ(root["uptime_seconds"].as_int64(), 12);
  EXPECT_EQ(root["worker"].as_int64(), 1);
  EXPECT_EQ(root["workers"].as_int64(), 2);
  EXPECT_EQ(root["pools"]["connections"]["capacity"].as_int64(), 1024);
  EXPECT_EQ(root["pools"]["connections"]["in_use"].as_int64(), 3);
  EXPECT_EQ(root["pools"]["buffers"]["capacity"].as_int64(), 64);
  EXPECT_EQ(root["pools"]["responders"]["in_use"].as_int64(), 2);
  EXPECT_EQ(root["connections"]["accepted"].as_int64(), 40);
  EXPECT_EQ(root["connections"]["rejected_429"].as_int64(), 2);
  EXPECT_EQ(root["requests"]["total"].as_int64(), 118);
  EXPECT_EQ(root["requests"]["by_class"]["2xx"].as_int64(), 2);
  EXPECT_EQ(root["requests"]["by_class"]["4xx"].as_int64(), 2);
  EXPECT_EQ(root["requests"]["by_class"]["5xx"].as_int64(), 0);
  EXPECT_EQ(root["requests"]["by_code"]["200"].as_int64(), 2);
  EXPECT_EQ(root["requests"]["by_code"]["404"].as_int64(), 1);
  EXPECT_EQ(root["requests"]["by_code"]["429"].as_int64(), 1);
  EXPECT_EQ(root["requests"]["by_code"]["505"].as_int64(), 0);
  EXPECT_EQ(root["requests"]["by_code"].size(), conn::Stats::kTrackedCodes.size());
  EXPECT_EQ(root["bytes"]["in"].as_int64(), 9000);
  EXPECT_EQ(root["bytes"]["out"].as_int64(), 120000);
  EXPECT_EQ(root["timeouts"].as_int64(), 5);
  EXPECT_EQ(root["buffer_waits"].as_int64(), 7);
}

TEST(StatusEndpoint, WithoutAProbeReportsZeros) {
  g_now = 0;
  App app(api_config());
  auto o = run(app, request("GET", "/_status"));
  ASSERT_EQ(o.status, 200);
  json::Token tokens[512];
  const json::Parsed p = json::parse_document(o.body, tokens);
  ASSERT_TRUE(p.ok()) << o.body;
  EXPECT_EQ(p.doc.root()["pools"]["connections"]["capacity"].as_int64(), 0);
  EXPECT_EQ(p.doc.root()["workers"].as_int64(), 1);
}

TEST(StatusEndpoint, OnlyGetAndHeadAndOnlyWhenConfigured) {
  App app(api_config());
  auto post = run(app, request("POST", "/_status"));
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.header("Allow"), "GET, HEAD");
  Config cfg = api_config();
  cfg.status_path = "";
  App off(cfg);
  EXPECT_EQ(run(off, request("GET", "/_status")).status, 404);
}

// ---- JSON API example

struct SumRow {
  const char* name;
  std::string request;
  int status;
  const char* body;
};

TEST(ExampleApi, SumTable) {
  App app(api_config());
  ASSERT_TRUE(app.ok()) << app.error();
  const SumRow rows[] = {
      {"integers", sum(R"({"numbers":[1,2,3]})"), 200, R"({"sum":6})"},
      {"empty list", sum(R"({"numbers":[]})"), 200, R"({"sum":0})"},
      {"negative", sum(R"({"numbers":[-5,2]})"), 200, R"({"sum":-3})"},
      {"fractions", sum(R"({"numbers":[1.5,2]})"), 200, R"({"sum":3.5})"},
      {"whitespace and other keys", sum(" { \"x\" : null , \"numbers\" : [ 40 , 2 ] } "), 200, R"({"sum":42})"},
      {"charset utf-8", sum(R"({"numbers":[1]})", "application/json; charset=UTF-8"), 200, R"({"sum":1})"},
      {"type in upper case", sum(R"({"numbers":[1]})", "Application/JSON"), 200, R"({"sum":1})"},
      {"bad json", sum(R"({"numbers" [1]})"), 400, R"({"error":"expected ':' at byte 11"})"},
      {"trailing comma", sum(R"({"numbers":[1,]})"), 400, R"({"error":"expected a value at byte 14"})"},
      {"empty body", sum(""), 400, R"({"error":"unexpected end of input at byte 0"})"},
      {"wrong shape", sum(R"({"numbers":"1,2"})"), 400, R"({"error":"expected {\"numbers\":[...]}"})"},
      {"not numbers", sum(R"({"numbers":[1,"2"]})"), 400, R"({"error":"expected {\"numbers\":[...]}"})"},
      {"no numbers", sum(R"([1,2])"), 400, R"({"error":"expected {\"numbers\":[...]}"})"},
      {"overflow", sum(R"({"numbers":[9223372036854775807,1]})"), 400, R"({"error":"sum out of range"})"},
      {"text/plain", sum(R"({"numbers":[1]})", "text/plain"), 415,
       R"({"error":"Content-Type must be application/json"})"},
      {"no content type", sum(R"({"numbers":[1]})", ""), 415, R"({"error":"Content-Type must be application/json"})"},
      {"other charset", sum(R"({"numbers":[1]})", "application/json; charset=latin1"), 415,
       R"({"error":"Content-Type must be application/json"})"},
      {"malformed content type", sum(R"({"numbers":[1]})", "application/"), 415,
       R"({"error":"Content-Type must be application/json"})"},
  };
  for (const SumRow& row : rows) {
    auto o = run(app, row.request);
    ASSERT_TRUE(o.parsed) << row.name;
    EXPECT_EQ(o.status, row.status) << row.name;
    EXPECT_EQ(o.body, row.body) << row.name;
    EXPECT_EQ(o.header("Content-Type"), "application/json") << row.name;
    EXPECT_EQ(o.route.max_body, kSumMaxBody) << row.name;
  }
}

TEST(ExampleApi, TooManyValuesIs413) {
  App app(api_config());
  std::string body = R"({"numbers":[)";
  for (size_t i = 0; i < kSumMaxTokens; ++i) body += i ? ",1" : "1";
  body += "]}";
  auto o = run(app, sum(body));
  EXPECT_EQ(o.status, 413);
  EXPECT_NE(o.body.find("too many values"), std::string::npos) << o.body;
}

TEST(ExampleApi, OtherMethodsAre405) {
  App app(api_config());
  for (const char* m : {"GET", "HEAD", "PUT", "DELETE"}) {
    auto o = run(app, request(m, "/api/sum"));
    EXPECT_EQ(o.status, 405) << m;
    EXPECT_EQ(o.header("Allow"), "POST") << m;
  }
}

TEST(ExampleApi, HelloUsesARouteParam) {
  App app(api_config());
  auto o = run(app, request("GET", "/api/hello/ann"));
  EXPECT_EQ(o.status, 200);
  EXPECT_EQ(o.body, R"({"hello":"ann"})");
  EXPECT_EQ(o.param("name"), "ann");
  EXPECT_EQ(run(app, request("GET", "/api/hello/%22quoted%22")).body, R"({"hello":"\"quoted\""})");
  EXPECT_EQ(run(app, request("GET", "/api/hello/%FF")).status, 400);
  EXPECT_EQ(run(app, request("GET", "/api/hello/")).status, 404);
}

TEST(ExampleApi, NotMountedByDefault) {
  Config cfg = api_config();
  cfg.example_api = false;
  App app(cfg);
  EXPECT_EQ(run(app, sum(R"({"numbers":[1]})")).status, 404);
}

// ---- error pages and start-up

TEST(AppService, ErrorPagesAreSmallText) {
  App app(api_config());
  conn::Responder r;
  char head[512], body[256];
  r.head_area = head;
  r.body_area = body;
  conn::Response resp(r);
  EXPECT_TRUE(app.error_page(http::Status::ContentTooLarge, "request body larger than this resource accepts", resp));
  EXPECT_EQ(resp.status(), http::Status::ContentTooLarge);
  EXPECT_EQ(std::string_view(body, r.body_len),
            "413 Content Too Large: request body larger than this resource accepts\n");
  conn::Response plain(r);
  app.error_page(http::Status::BadRequest, "", plain);
  EXPECT_EQ(std::string_view(body, r.body_len), "400 Bad Request\n");
}

TEST(AppService, UnknownPathIs404) {
  App app(api_config());
  auto o = run(app, request("GET", "/nothing"));
  EXPECT_EQ(o.route.status, http::Status::NotFound);
  EXPECT_EQ(o.status, 404);
  EXPECT_EQ(o.body, "404 Not Found\n");
}

TEST(AppService, StartUpErrorsSayWhy) {
  Config cfg = api_config();
  cfg.status_path = "_status";
  App bad(cfg);
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "bad status path '_status': bad route pattern");
  cfg.status_path = "/api/sum";  // the example has POST there: one resource, GET added
  App shared(cfg);
  EXPECT_TRUE(shared.ok()) << shared.error();
  cfg.max_routes = 1;
  App small(cfg);
  EXPECT_FALSE(small.ok());
}

// ---- through the real connection

class AppOverConnection : public ::testing::Test {
protected:
  conn::Limits limits() const {
    conn::Limits l;
    l.buffer_size = 8192;
    l.max_target = 1024;
    l.max_headers = 16;
    return l;
  }
};

TEST_F(AppOverConnection, SumAndErrorsEndToEnd) {
  App app(api_config());
  conn::MemoryPeer peer(limits(), app);
  peer.send(sum(R"({"numbers":[1,2,3]})"), 1);
  EXPECT_NE(peer.output.find("HTTP/1.1 200 OK\r\n"), std::string::npos) << peer.output;
  EXPECT_NE(peer.output.find("Content-Length: 9\r\n"), std::string::npos) << peer.output;
  EXPECT_EQ(peer.output.substr(peer.output.size() - 9), R"({"sum":6})");

  peer.output.clear();
  peer.send(request("GET", "/api/sum"), 2);
  EXPECT_EQ(peer.output.find("HTTP/1.1 405 Method Not Allowed\r\n"), 0u) << peer.output;
  EXPECT_NE(peer.output.find("Allow: POST\r\n"), std::string::npos) << peer.output;
}

TEST_F(AppOverConnection, BodyLargerThanTheRoutePolicyIs413) {
  App app(api_config());
  conn::MemoryPeer peer(limits(), app);
  const std::string big(kSumMaxBody + 1, ' ');
  peer.send(sum(big), 1);
  EXPECT_EQ(peer.output.find("HTTP/1.1 413 Content Too Large\r\n"), 0u) << peer.output;
}

TEST_F(AppOverConnection, StatusHeadHasTheLengthButNoBody) {
  App app(api_config());
  conn::MemoryPeer peer(limits(), app);
  peer.send(request("HEAD", "/_status"), 1);
  const size_t end = peer.output.find("\r\n\r\n");
  ASSERT_NE(end, std::string::npos) << peer.output;
  EXPECT_EQ(peer.output.size(), end + 4) << "HEAD has no body";
  EXPECT_NE(peer.output.find("Content-Length: "), std::string::npos);
  EXPECT_EQ(peer.output.find("Content-Length: 0\r\n"), std::string::npos);
}

}  // namespace
}  // namespace hs::app
