// `homeserve probe URL`: checks the limits of a running server, any server:
// the limits come from flags (what the server was started with), and each
// check prints one PASS/FAIL line with what was sent and what came back.
//
//   header-size     a header section larger than --buffer-size      -> 431
//   body-size       Content-Length above --max-body (default: --buffer-size) -> 413
//   header-timeout  half a head, then silence                        -> 408 or close within --header-timeout (+50%, +1 s)
//   malformed       a field line without a colon                     -> 400
//   pipeline-depth  2 x --max-pipeline + 1 requests in one write     -> all answered, in order
//   connections     --max-connections x --workers + 4 connections    -> some 429, the rest 200, then healthy
//   smuggling       Content-Length and Transfer-Encoding together    -> 400
//
// With an https URL every check above runs over TLS, and four more follow
// (tls_checks.hpp):
//   tls-versions           ClientHellos offering only TLS 1.0, only 1.1  -> both refused
//   tls-plaintext          plain HTTP to the TLS port                    -> close or alert; HTTPS still answered
//   tls-handshake-timeout  silence / half a ClientHello                  -> close within --handshake-timeout (+50%, +1 s)
//   tls-renegotiation      a TLS 1.2 client asks to renegotiate          -> refused, alert or close
//
// The checks run one after another, each on one connection with the
// deadline-bounded socket helpers (sequential: no loop to share), except
// `connections`, which is a flood (client/flood: the engine's loop).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "client/common/tls_client.hpp"

namespace hs::client {

struct ProbeOptions {
  std::string url;
  uint64_t buffer_size = 16 * 1024;
  uint64_t max_body = 0;           // 0: buffer_size
  uint64_t max_connections = 1024;  // per worker; 0 skips the connections check
  uint64_t workers = 1;
  uint64_t max_pipeline = 16;
  double header_timeout = 10;      // seconds
  double timeout = 5;              // seconds to wait for each answer
  std::vector<std::string> only;   // run only these checks (empty: all)
  double handshake_timeout = 10;   // https: the server's seconds for a TLS handshake
  TlsOptions tls;                  // https: --insecure, --cacert
};

struct ProbeLine {
  std::string check;
  bool pass = false;
  std::string sent;
  std::string got;
};

// Runs the checks; one line each, in order.
std::vector<ProbeLine> probe(const ProbeOptions& o, std::string& why);

// The command: PASS/FAIL lines on `out`. 0 when all pass, 1 otherwise, 2 on bad options.
int run_probe(const ProbeOptions& o, std::FILE* out, std::FILE* err);

}  // namespace hs::client
