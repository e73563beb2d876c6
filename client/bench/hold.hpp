// `homeserve bench --hold-idle N URL`: opens N keep-alive connections, makes
// one request on each, then holds them idle (for -d, or until SIGINT/SIGTERM)
// so that a server's memory with N idle connections can be read. Prints
// "holding N idle connections" once they are all open, and at the end how
// many the server closed meanwhile.
#pragma once

#include <atomic>
#include <cstdint>

#include "client/bench/options.hpp"
#include "client/common/url.hpp"

namespace hs::client::bench {

int hold_idle(const Options& options, const Url& url, int64_t hold_ns, const std::atomic<bool>& stop);

}  // namespace hs::client::bench
