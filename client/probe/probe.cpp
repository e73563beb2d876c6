#include "client/probe/probe.hpp"

#include <algorithm>
#include <cmath>

#include "client/common/fetch.hpp"
#include "client/common/response_reader.hpp"
#include "client/common/socket_io.hpp"
#include "client/common/url.hpp"
#include "client/flood/flood.hpp"
#include "client/pipeline/pipeline.hpp"
#include "client/probe/tls_checks.hpp"

namespace hs::client {

namespace {

constexpr const char* kChecks[] = {"header-size",   "body-size",    "header-timeout",        "malformed",
                                   "pipeline-depth", "connections",  "smuggling",             "tls-versions",
                                   "tls-plaintext",  "tls-renegotiation", "tls-handshake-timeout"};

// One request whose answer must carry `want`.
ProbeLine expect_status(const char* check, const Url& url, const std::string& request, const std::string& sent,
                        int want, double timeout) {
  ProbeLine line{check, false, sent, ""};
  const Fetched f = fetch(url, request, Deadline::after_seconds(timeout), 1 << 20);
  line.got = f.describe();
  line.pass = f.outcome == ReadOutcome::response && f.status == want;
  if (!line.pass) line.got += " (expected " + std::to_string(want) + ")";
  return line;
}

ProbeLine header_size(const Url& url, const ProbeOptions& o) {
  // Fields of 1000 bytes until the section is 1 KiB above the buffer.
  const uint64_t total = o.buffer_size + 1024;
  const uint64_t fields = total / 1000 + 1;
  std::string extra;
  extra.reserve(fields * 1000);
  for (uint64_t i = 0; i < fields; ++i) {
    char name[32];
    const int n = std::snprintf(name, sizeof name, "X-Probe-%llu: ", static_cast<unsigned long long>(i));
    extra.append(name, static_cast<size_t>(n)).append(1000 - static_cast<size_t>(n) - 2, 'a').append("\r\n");
  }
  const std::string request = make_request("GET", url.target, url.host, extra);
  return expect_status("header-size", url, request,
                       "GET with a " + std::to_string(request.size()) + "-byte head (" + std::to_string(fields) +
                           " fields of 1000 bytes), above --buffer-size " + std::to_string(o.buffer_size),
                       431, o.timeout);
}

ProbeLine body_size(const Url& url, const ProbeOptions& o) {
  const uint64_t limit = o.max_body == 0 ? o.buffer_size : o.max_body;
  const std::string request =
      make_request("GET", url.target, url.host, "Content-Length: " + std::to_string(limit + 1) + "\r\n") +
      std::string(64, 'b');
  return expect_status("body-size", url, request,
                       "GET with Content-Length: " + std::to_string(limit + 1) + " (64 body bytes sent)", 413,
                       o.timeout);
}

ProbeLine header_timeout(const Url& url, const ProbeOptions& o) {
  ProbeLine line{"header-timeout", false, "half a head (\"GET " + url.target + " HTTP/1.1\\r\\nHost: ...\\r\\n\"), then nothing", ""};
  const double allowed = o.header_timeout * 1.5 + 1;
  const Deadline deadline = Deadline::after_seconds(allowed);
  const auto start = Clock::now();
  Stream stream;
  const Io io = stream.connect(url, Deadline::after_seconds(o.timeout));
  if (io != Io::ok) {
    line.got = io == Io::tls ? stream.error() : std::string("connect ") + to_string(io);
    return line;
  }
  const std::string partial = "GET " + url.target + " HTTP/1.1\r\nHost: " + url.host + "\r\n";
  if (stream.send_all(partial, deadline) != Io::ok) {
    line.got = "could not send the partial head";
    return line;
  }
  ResponseReader reader(16 * 1024);
  const ReadOutcome got = reader.next(stream, deadline, nullptr);
  const double ms = ms_since(start);
  char text[200];
  if (got == ReadOutcome::response) {
    std::snprintf(text, sizeof text, "%d after %.0f ms", reader.info().status, ms);
    line.pass = reader.info().status == 408;
  } else if (got == ReadOutcome::closed || got == ReadOutcome::reset) {
    std::snprintf(text, sizeof text, "connection %s after %.0f ms, no answer", to_string(got), ms);
    line.pass = true;
  } else {
    std::snprintf(text, sizeof text, "%s after %.0f ms (allowed %.1f s)", to_string(got), ms, allowed);
  }
  line.got = text;
  if (!line.pass) line.got += " (expected 408 or a close)";
  return line;
}

ProbeLine malformed(const Url& url, const ProbeOptions& o) {
  return expect_status("malformed", url, make_request("GET", url.target, url.host, "No-Colon-Here\r\n"),
                       "GET with the field line \"No-Colon-Here\"", 400, o.timeout);
}

ProbeLine smuggling(const Url& url, const ProbeOptions& o) {
  const std::string request =
      make_request("POST", url.target, url.host, "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n") + "0\r\n\r\n";
  return expect_status("smuggling", url, request, "POST with Content-Length: 5 and Transfer-Encoding: chunked", 400,
                       o.timeout);
}

ProbeLine pipeline_depth(const ProbeOptions& o) {
  ProbeLine line{"pipeline-depth", false, "", ""};
  PipelineOptions po;
  po.url = o.url;
  po.count = o.max_pipeline * 2 + 1;
  po.timeout = o.timeout * 2;
  po.tls = o.tls;
  line.sent = std::to_string(po.count) + " requests in one write (--max-pipeline " + std::to_string(o.max_pipeline) + ")";
  PipelinePlan plan;
  std::string why;
  if (!plan_pipeline(po, plan, why)) {
    line.got = why;
    return line;
  }
  line.sent += ", cycling over " + std::to_string(plan.targets.size()) + " targets";
  const RoundResult r = run_pipeline_round(plan, Deadline::after_seconds(po.timeout));
  line.pass = r.ok;
  line.got = r.ok ? "all " + std::to_string(r.answered) + " answered in order with the right bodies" : r.message;
  return line;
}

ProbeLine connections(const Url& url, const ProbeOptions& o) {
  ProbeLine line{"connections", false, "", ""};
  FloodOptions fo;
  fo.url = o.url;
  fo.connections = o.max_connections * o.workers + 4;
  fo.hold = 0;
  fo.timeout = o.timeout * 2;
  fo.fresh_timeout = o.timeout;
  fo.tls = o.tls;
  line.sent = std::to_string(fo.connections) + " connections at once, a GET on each (--max-connections " +
              std::to_string(o.max_connections) + " x " + std::to_string(o.workers) + " worker(s))";
  FloodReport r;
  std::string why;
  if (!flood(url, fo, r, why)) {
    line.got = why;
    return line;
  }
  char text[384];
  // Over https the server's answer to a full house is a clean close at the
  // handshake (no 429 can be read before one).
  const uint64_t refused = r.status[429] + r.handshake_closed;
  std::snprintf(text, sizeof text, "%llu x 200, %llu x 429, %llu closed at the TLS handshake, %llu other; then a fresh request: %s",
                static_cast<unsigned long long>(r.status[200]), static_cast<unsigned long long>(r.status[429]),
                static_cast<unsigned long long>(r.handshake_closed),
                static_cast<unsigned long long>(r.unexpected(fo.expect)), r.after_release.describe().c_str());
  line.got = text;
  line.pass = refused > 0 && flood_passed(r, fo.expect, why);
  if (!line.pass) line.got += refused == 0 ? " (expected some 429, or closes at the TLS handshake)" : " (" + why + ")";
  return line;
}

bool wanted(const ProbeOptions& o, const char* check) {
  return o.only.empty() || std::find(o.only.begin(), o.only.end(), check) != o.only.end();
}

}  // namespace

std::vector<ProbeLine> probe(const ProbeOptions& o, std::string& why) {
  std::vector<ProbeLine> lines;
  Url url;
  const char* url_why = "";
  if (!parse_url(o.url, url, url_why)) {
    why = o.url + ": " + url_why;
    return lines;
  }
  if (!attach_tls(url, o.tls, why)) return lines;
  if (wanted(o, "header-size")) lines.push_back(header_size(url, o));
  if (wanted(o, "body-size")) lines.push_back(body_size(url, o));
  if (wanted(o, "malformed")) lines.push_back(malformed(url, o));
  if (wanted(o, "smuggling")) lines.push_back(smuggling(url, o));
  if (wanted(o, "pipeline-depth")) lines.push_back(pipeline_depth(o));
  if (wanted(o, "header-timeout")) lines.push_back(header_timeout(url, o));
  if (wanted(o, "connections") && o.max_connections > 0) lines.push_back(connections(url, o));
  if (url.https) {
    if (wanted(o, "tls-versions")) lines.push_back(tls_versions(url, o));
    if (wanted(o, "tls-plaintext")) lines.push_back(tls_plaintext(url, o));
    if (wanted(o, "tls-renegotiation")) lines.push_back(tls_renegotiation(url, o));
    if (wanted(o, "tls-handshake-timeout")) lines.push_back(tls_handshake_timeout(url, o));
  }
  return lines;
}

int run_probe(const ProbeOptions& o, std::FILE* out, std::FILE* err) {
  Url url;
  const char* url_why = "";
  if (!parse_url(o.url, url, url_why)) {
    std::fprintf(err, "probe: %s: %s\n", o.url.c_str(), url_why);
    return 2;
  }
  for (const std::string& c : o.only) {
    if (std::find_if(std::begin(kChecks), std::end(kChecks), [&](const char* k) { return c == k; }) ==
        std::end(kChecks)) {
      std::fprintf(err, "probe: unknown check '%s'\n", c.c_str());
      return 2;
    }
  }
  if (o.buffer_size < 64 || o.buffer_size > (uint64_t{1} << 30) || o.max_pipeline == 0 || o.max_pipeline > 100000 ||
      o.workers == 0 || o.workers > 1024 || o.max_connections > 1'000'000 || !(o.header_timeout > 0) ||
      o.header_timeout > 3600 || !(o.timeout > 0) || o.timeout > 3600 || !(o.handshake_timeout > 0) ||
      o.handshake_timeout > 3600) {
    std::fprintf(err, "probe: a limit is out of range (see 'homeserve probe --help')\n");
    return 2;
  }
  std::string why;
  const std::vector<ProbeLine> lines = probe(o, why);
  if (!why.empty()) {
    std::fprintf(err, "probe: %s\n", why.c_str());
    return 1;
  }
  size_t failed = 0;
  for (const ProbeLine& l : lines) {
    std::fprintf(out, "%s %-15s sent: %s; got: %s\n", l.pass ? "PASS" : "FAIL", l.check.c_str(), l.sent.c_str(),
                 l.got.c_str());
    if (!l.pass) ++failed;
  }
  if (failed > 0) {
    std::fprintf(out, "probe: %zu of %zu checks failed\n", failed, lines.size());
    return 1;
  }
  std::fprintf(out, "probe: all %zu checks passed\n", lines.size());
  return 0;
}

}  // namespace hs::client
