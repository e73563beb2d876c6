// Internal to the request head parser: the state of one parse_request_head
// call, shared by the parse loop (request_head_parse.cpp), the field semantics
// (request_head_fields.cpp) and the dispatch (request_head_dispatch.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/request_head.hpp"

// Code on the per-request path is inlined into one function per scan path.
#define HS_INLINE inline __attribute__((always_inline))

#if defined(__x86_64__)
#define HS_HTTP_X86 1  // the SSE4.2 and AVX2 paths exist
#else
#define HS_HTTP_X86 0
#endif

namespace hs::http::head {

enum class Step : uint8_t { Ok, More, Fail };

// Everything one call needs; fields remembered across header lines live here.
struct Ctx {
  const char* base;  // buf.data()
  const char* end;   // base + min(buf.size(), max_head_bytes)
  RequestHead& out;
  Header* storage;  // the caller's array (kept as two words: see parse_request_head)
  size_t capacity;
  const HeadLimits& limits;
  Error err{};
  std::string_view target_authority{};  // set for absolute-form targets
  uint64_t cl = 0;
  unsigned host_count = 0;
  bool in_fields = false;  // the request line parsed; now in the field section
  bool absolute_form = false;
  bool cl_seen = false;
  bool te_seen = false;
  bool te_chunked = false;  // `chunked` seen (it is then the last coding so far)
  bool te_other = false;    // a coding other than `chunked` seen
  bool conn_close = false;
  bool conn_keep_alive = false;
  bool expect_100 = false;
  bool expect_bad = false;
};

inline Step fail(Ctx& c, Status s, const char* why) {
  c.err = Error{s, why};
  return Step::Fail;
}

// The parse loop compiled for each scan path (request_head_parse.cpp); `c.end`
// is already clipped to max_head_bytes, `size` is the whole buffer's length.
// See parse_request_head for the contract.
HeadResult parse_portable(Ctx& c, size_t size, size_t scanned);
#if HS_HTTP_X86
HeadResult parse_sse42(Ctx& c, size_t size, size_t scanned);
HeadResult parse_avx2(Ctx& c, size_t size, size_t scanned);
#endif

}  // namespace hs::http::head
