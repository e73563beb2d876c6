// `homeserve bench`: the plain options the command line fills (CLI11 stays in
// server/cli/main.cpp) and the parsing of their text values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hs::client::bench {

struct Options {
  std::vector<std::string> urls;     // none: the embedded scenarios against a homeserve it starts
  uint32_t connections = 0;          // -c, over all threads; 0: 16 (embedded: each scenario's own)
  uint32_t threads = 1;              // -t
  std::string duration;              // -d: "10s", "500ms", "2m" (default 10s; 3s per embedded scenario)
  uint64_t requests = 0;             // -n: stop after this many answered (or failed) requests; 0: use -d
  uint32_t pipeline = 1;             // requests in flight per connection
  std::vector<std::string> headers;  // -H "Name: value"
  std::string method = "GET";
  std::string body;                  // sent with Content-Length
  double rate = 0;                   // --rate: requests/s over all connections; 0: closed loop
  std::string timeout = "5s";        // no progress on a busy connection for this long: a timeout error
  int expect_status = 0;             // 0: any 2xx or 3xx; else exactly this status
  bool json = false;                 // --json summary on stdout instead of the text report
  bool progress = true;              // the live line (only when stderr is a terminal)
  std::string io = "auto";           // --io: auto (io_uring where the kernel allows it), epoll, uring
  uint32_t hold_idle = 0;            // --hold-idle N: open N keep-alive connections and hold them
  bool new_connection = false;       // --new-connection: a new connection (handshake) per request
  bool insecure = false;             // --insecure: https without certificate verification
  std::string cacert;                // --cacert FILE: PEM CA certificates (default: the system store)
  std::vector<std::string> compaction{"memmove", "readv"};  // embedded: the server's modes to compare
};

// "10s", "1.5s", "250ms", "2m", "1h", or a bare number of seconds, into
// nanoseconds. False on anything else or a non-positive value.
bool parse_duration(std::string_view text, int64_t& nanos);

// Runs `homeserve bench`; returns the exit status (0 ok, 1 errors seen or
// nothing answered, 2 bad options). Prints to stdout, messages to stderr.
int run(const Options& options);

}  // namespace hs::client::bench
