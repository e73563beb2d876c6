#include "client/bench/hold.hpp"

#include <cstdio>
#include <string>

#include "client/bench/requests.hpp"
#include "client/flood/flood.hpp"

namespace hs::client::bench {

// The connections are a flood's (client/flood: the engine's loop) without its
// fresh checks: opened at once, one request each, held until -d, a stop, or
// the server closed them all.
int hold_idle(const Options& o, const Url& url, int64_t hold_ns, const std::atomic<bool>& stop) {
  RequestSpec rs;
  rs.method = o.method;
  rs.host = url.host;
  rs.targets = {url.target};
  rs.headers = o.headers;
  rs.body = o.body;
  RequestSet requests;
  std::string error;
  if (!requests.build(rs, 1, error)) {
    std::fprintf(stderr, "homeserve bench: %s\n", error.c_str());
    return 2;
  }
  FloodOptions fo;
  fo.connections = o.hold_idle;
  fo.hold = static_cast<double>(hold_ns) / 1e9;
  fo.timeout = 5;
  fo.io = o.io;
  fo.request = std::string(requests.window(0, 1));
  fo.fresh_checks = false;
  fo.stop = &stop;
  fo.on_hold = [](const FloodReport& r) {
    std::printf("holding %llu idle connections (%llu failed)\n", static_cast<unsigned long long>(r.kept),
                static_cast<unsigned long long>(r.connections - r.kept));
    std::fflush(stdout);
  };
  FloodReport r;
  if (!flood(url, fo, r, error)) {
    std::fprintf(stderr, "homeserve bench: %s\n", error.c_str());
    return 1;
  }
  std::printf("held %llu idle connections; the server closed %llu of them meanwhile\n",
              static_cast<unsigned long long>(r.kept), static_cast<unsigned long long>(r.kept - r.kept_after_hold));
  return r.kept == r.connections && r.kept > 0 ? 0 : 1;
}

}  // namespace hs::client::bench
