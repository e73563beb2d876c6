// Which scan path parses (run-time CPU feature check, the HS_HTTP_SCAN
// override, the hooks of scan_simd.hpp) and the public entry points of
// request_head.hpp.
#include <atomic>
#include <cstdlib>

#include "http/char_classes.hpp"
#include "http/request_head.hpp"
#include "http/request_head_state.hpp"
#include "http/scan_simd.hpp"

namespace hs::http {

namespace {

std::atomic<int> g_path{-1};

ScanPath best_path() {
#if HS_HTTP_X86
  if (scan_path_supported(ScanPath::Avx2)) return ScanPath::Avx2;
  if (scan_path_supported(ScanPath::Sse42)) return ScanPath::Sse42;
  return ScanPath::Portable;
#else
  return ScanPath::Portable;
#endif
}

ScanPath initial_path() {
  if (const char* env = std::getenv("HS_HTTP_SCAN")) {
    const std::string_view e(env);
    for (ScanPath p : {ScanPath::Portable, ScanPath::Sse42, ScanPath::Avx2})
      if (e == scan_path_name(p) && scan_path_supported(p)) return p;
  }
  return best_path();
}

}  // namespace

bool scan_path_supported(ScanPath p) {
  switch (p) {
    case ScanPath::Portable: return true;
#if HS_HTTP_X86
    case ScanPath::Sse42:
      __builtin_cpu_init();
      return __builtin_cpu_supports("sse4.2");
    case ScanPath::Avx2:  // compiled for AVX2 with BMI1/2 and POPCNT
      __builtin_cpu_init();
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") &&
             __builtin_cpu_supports("popcnt");
#else
    case ScanPath::Sse42:
    case ScanPath::Avx2: return false;
#endif
  }
  return false;
}

const char* scan_path_name(ScanPath p) {
  switch (p) {
    case ScanPath::Portable: return "portable";
    case ScanPath::Sse42: return "sse4.2";
    case ScanPath::Avx2: return "avx2";
  }
  return "?";
}

ScanPath active_scan_path() {
  int v = g_path.load(std::memory_order_relaxed);
  if (v < 0) {
    v = static_cast<int>(initial_path());
    g_path.store(v, std::memory_order_relaxed);
  }
  return static_cast<ScanPath>(v);
}

bool set_scan_path(ScanPath p) {
  if (!scan_path_supported(p)) return false;
  g_path.store(static_cast<int>(p), std::memory_order_relaxed);
  return true;
}

HeadResult parse_request_head(std::string_view buf, size_t scanned, RequestHead& out,
                              std::span<Header> header_storage, const HeadLimits& limits) {
  const size_t view = buf.size() < limits.max_head_bytes ? buf.size() : limits.max_head_bytes;
  out = RequestHead{};
  // The span arrives in memory when registers run out; reading its two words
  // apart (not as one 16-byte copy) avoids a store-forwarding stall.
  Header* const storage = header_storage.data();
  const size_t capacity = header_storage.size();
  head::Ctx c{buf.data(), buf.data() + view, out, storage, capacity, limits};
  int path = g_path.load(std::memory_order_relaxed);
  if (path < 0) path = static_cast<int>(active_scan_path());
  switch (static_cast<ScanPath>(path)) {
#if HS_HTTP_X86
    case ScanPath::Avx2: return head::parse_avx2(c, buf.size(), scanned);
    case ScanPath::Sse42: return head::parse_sse42(c, buf.size(), scanned);
#endif
    default: return head::parse_portable(c, buf.size(), scanned);
  }
}

const Header* RequestHead::find(std::string_view name) const {
  for (const Header& h : headers) {
    if (h.name.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < name.size() && same; ++i) same = chars::lower(h.name[i]) == chars::lower(name[i]);
    if (same) return &h;
  }
  return nullptr;
}

std::string_view RequestHead::header(std::string_view name) const {
  const Header* h = find(name);
  return h != nullptr ? h->value : std::string_view{};
}

}  // namespace hs::http
