// `homeserve bench` with no URL: the system-level readv-versus-memmove
// benchmark. Generates a temporary docroot (a 1 KiB and a 1 MiB file), starts
// `homeserve serve` over it once per compaction mode, runs the standard
// scenarios against each (1 KiB keep-alive, the same pipelined 16 deep, the
// 1 MiB file) and prints one table: req/s, p99, the server's RSS and CPU time
// per response.
#pragma once

#include <cstdint>

#include "client/bench/options.hpp"
#include "engine/engine.hpp"

namespace hs::client::bench {

int run_embedded(const Options& options, int64_t scenario_ns, net::IoKind io);

}  // namespace hs::client::bench
