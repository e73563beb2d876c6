// `homeserve flood URL --connections N`: opens N connections at once (more
// than the server's limit), sends one request on each, classifies every
// outcome (a status, reset, closed unanswered, timeout, connect error), holds
// the connections the server kept for --hold seconds, and checks that the
// server still answers a fresh request promptly, during the hold and after
// the release (the hold ends early once the server closed them all). One
// loop on the server's I/O engine (epoll or io_uring, --io) over fixed
// per-connection state (a framer and a 2 KiB head buffer each, reserved
// once); response bodies are not kept. https: each connection shakes hands
// first (a TLS client session per connection, client/common/tls_client.hpp;
// a failed handshake counts as a connect error).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <cstdio>
#include <string>
#include <vector>

#include "client/common/fetch.hpp"
#include "client/common/tls_client.hpp"
#include "client/common/url.hpp"

namespace hs::client {

struct FloodReport;

struct FloodOptions {
  std::string url;
  uint64_t connections = 100;
  double hold = 2;             // seconds to keep the answered connections open
  std::vector<int> expect{200, 429};
  double timeout = 5;          // seconds for every connection to be answered
  double fresh_timeout = 2;    // seconds for a fresh request to be answered ("promptly")
  std::string io = "auto";     // the I/O engine: auto, epoll or uring
  TlsOptions tls;              // https: --insecure, --cacert
  // For `bench --hold-idle`, which holds its connections with this loop:
  std::string request;                              // sent on each connection (empty: a GET of the URL)
  bool fresh_checks = true;                         // the fresh requests during the hold and after the release
  const std::atomic<bool>* stop = nullptr;          // ends the hold early (SIGINT)
  std::function<void(const FloodReport&)> on_hold;  // once every connection settled, before the hold
};

struct FloodReport {
  uint64_t connections = 0;
  std::array<uint64_t, 600> status{};  // answers per status code (100-599)
  uint64_t reset = 0;          // reset before an answer
  uint64_t closed = 0;         // closed before an answer
  uint64_t timeout = 0;        // no answer before the deadline
  uint64_t connect_error = 0;  // connect failed (refused, no descriptor, ...)
  // https: closed by the server before the handshake ended. A full server's
  // TLS listener answers so (no 429 can be read before a handshake): it
  // counts as expected wherever 429 is.
  uint64_t handshake_closed = 0;
  uint64_t bad = 0;            // the answer did not frame
  uint64_t kept = 0;           // answered and left open by the server
  uint64_t kept_after_hold = 0;
  double answer_ms = 0;        // until the last connection settled
  Fetched during_hold;         // a fresh request while holding
  Fetched after_release;       // a fresh request after closing everything
  uint32_t after_release_tries = 0;
  std::string first_problem;   // for a person, empty when none

  // Connections whose outcome is not an expected status.
  uint64_t unexpected(const std::vector<int>& expect) const;
};

// Runs the flood against `url` (sizes already checked). Fails only on set-up
// (descriptor limit, the engine): false with `why`.
bool flood(const Url& url, const FloodOptions& o, FloodReport& report, std::string& why);

// Verdict: true when every outcome was an expected status and both fresh
// requests were answered (after the release with an expected status other
// than 429). `why` names the first problem.
bool flood_passed(const FloodReport& r, const std::vector<int>& expect, std::string& why);

// The command: the table on `out`, a one-line failure on `err`. 0 ok, 1 fail, 2 bad options.
int run_flood(const FloodOptions& o, std::FILE* out, std::FILE* err);

}  // namespace hs::client
