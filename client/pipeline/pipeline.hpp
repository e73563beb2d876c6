// `homeserve pipeline URL -n N`: sends N requests back to back on one
// connection and checks that exactly N responses come back, in request order,
// with the right status and body.
//
// Making order visible: the tool first asks each target once, alone, and
// keeps its answer (status and body). The pipelined requests then cycle
// through the targets (request i asks target i mod K), so two neighbouring
// answers swapped differ. Targets are the URL and each --paths entry; when
// they all answer alike, a HEAD of the URL and a GET of a missing path join
// them (a 200 with a body, a 200 without, a 404).
//
// --bad-at K replaces request K (from 1) with one the server must refuse
// (Content-Length that is not a number): answers 1..K-1 must arrive, then a
// 400, then the close, and nothing else.
//
// One connection, one round at a time: a sequential checker, so it uses the
// deadline-bounded socket helpers (client/common/stream.hpp, one poll per
// wait; TLS for https) rather than the engine that bench and flood multiplex on.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "client/common/deadline.hpp"
#include "client/common/tls_client.hpp"
#include "client/common/url.hpp"

namespace hs::client {

struct PipelineOptions {
  std::string url;
  std::vector<std::string> paths;  // more targets on the same host ("/a.txt" or "a.txt")
  uint64_t count = 16;             // requests per round (-n)
  uint64_t depth = 0;              // requests per write (0: all in one write)
  uint64_t repeat = 1;             // rounds
  uint64_t bad_at = 0;             // 1-based position of a bad request (0: none)
  double timeout = 10;             // seconds per round
  TlsOptions tls;                  // https: --insecure, --cacert
};

// What one target answers when asked alone.
struct PipelineTarget {
  std::string label;    // "GET /a.txt"
  std::string request;  // its bytes
  bool head = false;
  int status = 0;
  std::string body;
};

struct PipelinePlan {
  Url url;
  std::vector<PipelineTarget> targets;
  std::vector<uint32_t> target_of;  // per request of a round
  std::string batch;                // every request of a round, back to back
  std::vector<size_t> write_ends;   // batch offsets where each write ends
  uint64_t bad_at = 0;              // as in the options
  std::vector<std::string> notes;   // e.g. targets that answer alike
};

// Checks the options alone (URL, ranges): false with a one-line reason.
bool check_pipeline_options(const PipelineOptions& o, std::string& why);

// Builds the plan: parses the URL, asks each target once. On failure returns
// false with a one-line reason.
bool plan_pipeline(const PipelineOptions& o, PipelinePlan& plan, std::string& why);

struct RoundResult {
  bool ok = false;
  uint64_t answered = 0;  // responses that matched, in order
  std::string message;    // the mismatch, for a person
};

// Runs one round on a fresh connection.
RoundResult run_pipeline_round(const PipelinePlan& plan, Deadline deadline);

// The command: prints a report on `out`, a one-line failure on `err`.
// Returns 0 when every round passed, 1 otherwise, 2 on bad options.
int run_pipeline(const PipelineOptions& o, std::FILE* out, std::FILE* err);

}  // namespace hs::client
