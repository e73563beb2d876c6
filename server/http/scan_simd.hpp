// Which byte-scanning code the HTTP head parser runs: AVX2 or SSE4.2 (each
// chosen at run time when the CPU has it), or the portable scalar code that
// every platform has. Tests and fuzzers force each path to compare them.
#pragma once

#include <cstdint>

namespace hs::http {

enum class ScanPath : uint8_t { Portable, Sse42, Avx2 };

// True when this build and this CPU can run `p`.
bool scan_path_supported(ScanPath p);

// The path parse_request_head uses now. The first use picks the fastest
// supported one, unless the environment variable HS_HTTP_SCAN names another
// ("portable", "sse4.2", "avx2"; an unsupported name falls back to the best).
ScanPath active_scan_path();

// Forces a path (tests, fuzzers, benchmarks). Returns false, changing nothing,
// when the path is not supported. Not meant to be called while other threads parse.
bool set_scan_path(ScanPath p);

const char* scan_path_name(ScanPath p);

}  // namespace hs::http
