// The request head parser's one loop: request line, field lines, end of head,
// written once as templates over a scan kernel (scan_kernels.hpp) and compiled
// here into one function per scan path. Field meanings come from
// request_head_fields.hpp; which path runs is request_head_dispatch.cpp's job.
#include <cstring>

#include "http/char_classes.hpp"
#include "http/request_head_fields.hpp"
#include "http/request_head_state.hpp"
#include "http/scan_kernels.hpp"

namespace hs::http::head {

namespace {

HeadResult failed(const Ctx& c) { return HeadResult{ParseState::Failed, c.err, 0}; }

HeadResult incomplete(const Ctx& c, size_t size, size_t view) {
  if (size > c.limits.max_head_bytes)
    return HeadResult{ParseState::Failed, Error{Status::HeaderFieldsTooLarge, "header section too large"}, 0};
  return HeadResult{ParseState::Incomplete, Error{}, view};
}

// RFC 9112 §2.2: empty lines before the request line are skipped (any number,
// all counted in head_bytes and in max_head_bytes).
size_t skip_leading_crlf(const Ctx& c) {
  const char* p = c.base;
  while (c.end - p >= 2 && p[0] == '\r' && p[1] == '\n') p += 2;
  return static_cast<size_t>(p - c.base);
}

// Is there a CRLFCRLF whose final LF is at index >= from? This and the other
// noinline helpers stay out of line in the per-path functions, which inline
// everything else (see the bottom of this file): they are off the common path.
[[gnu::noinline]] bool find_head_end(const Ctx& c, size_t from) {
  const size_t size = static_cast<size_t>(c.end - c.base);
  while (from < size) {
    const void* hit = std::memchr(c.base + from, '\n', size - from);
    if (!hit) return false;
    const size_t i = static_cast<size_t>(static_cast<const char*>(hit) - c.base);
    if (i >= 3 && c.base[i - 1] == '\r' && c.base[i - 2] == '\n' && c.base[i - 3] == '\r') return true;
    from = i + 1;
  }
  return false;
}

// "HTTP/1.1\r\n" or "HTTP/1.0\r\n" at p (10 readable bytes), two loads.
inline bool is_http1x_crlf(const char* p) {
  static constexpr char k11[] = "HTTP/1.1\r\n";
  uint64_t w, want;
  uint16_t tail, want_tail;
  std::memcpy(&w, p, 8);
  std::memcpy(&want, k11, 8);
  std::memcpy(&tail, p + 8, 2);
  std::memcpy(&want_tail, k11 + 8, 2);
  // The minor digit is the 8th byte; '0' and '1' differ only in bit 0.
  uint64_t minor_bit;
  std::memcpy(&minor_bit, "\0\0\0\0\0\0\0\x01", 8);
  return ((w | minor_bit) == want) & (tail == want_tail);
}

[[gnu::noinline]] Method method_of(std::string_view m) {
  switch (m.size()) {
    case 3:
      if (m == "GET") return Method::Get;
      if (m == "PUT") return Method::Put;
      break;
    case 4:
      if (m == "HEAD") return Method::Head;
      if (m == "POST") return Method::Post;
      break;
    case 5:
      if (m == "PATCH") return Method::Patch;
      if (m == "TRACE") return Method::Trace;
      break;
    case 6:
      if (m == "DELETE") return Method::Delete;
      break;
    case 7:
      if (m == "OPTIONS") return Method::Options;
      if (m == "CONNECT") return Method::Connect;
      break;
    default:
      break;
  }
  return Method::Other;
}

// Returns the length of one valid UTF-8 sequence starting at p (a byte >= 0x80),
// 0 when the bytes up to `end` are a valid but cut prefix, -1 when invalid
// (stray continuation byte, overlong form, surrogate, above U+10FFFF).
[[gnu::noinline]] int utf8_sequence(const char* p, const char* end) {
  const auto b0 = static_cast<unsigned char>(p[0]);
  int n;
  unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // > U+10FFFF
  } else {
    return -1;
  }
  for (int i = 1; i < n; ++i) {
    if (p + i == end) return 0;
    const auto b = static_cast<unsigned char>(p[i]);
    if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return -1;
  }
  return n;
}

// Request line: method SP request-target SP HTTP-version CRLF. `p` starts after
// the leading empty lines and is left after the CRLF on Ok.
template <class K>
HS_INLINE Step parse_request_line(Ctx& c, const char*& pp) {
  const char* p = pp;
  const char* const end = c.end;
  const char* const m = p;
  if (p < end && *p == '\r') {  // not a leading CRLF: a cut one, or a bare CR
    if (p + 1 == end) return Step::More;
    return fail(c, Status::BadRequest, "bare CR");
  }
  if (p < end && *p == '\n') return fail(c, Status::BadRequest, "bare LF");
  if (end - p >= 4 && std::memcmp(p, "GET ", 4) == 0) {
    p += 3;
    c.out.method = Method::Get;
  } else {
    while (p < end && chars::is_tchar(*p)) ++p;
    if (p == end) return Step::More;
    if (*p != ' ' || p == m) return fail(c, Status::BadRequest, "invalid method token");
    c.out.method = method_of(std::string_view(m, static_cast<size_t>(p - m)));
  }
  c.out.method_token = std::string_view(m, static_cast<size_t>(p - m));
  ++p;  // the SP

  // request-target: stop at the first byte outside VCHAR-minus-'#', or one byte
  // past the limit, so an over-long target is caught before its end arrives.
  const char* const t = p;
  const size_t max_target = c.limits.max_target_bytes;
  const char* const limit =
      static_cast<size_t>(end - t) > max_target ? t + max_target + 1 : end;
  const char* const s = find_stop<K, Stops::Target>(c.base, t, limit);
  const size_t len = static_cast<size_t>(s - t);
  if (len > max_target) return fail(c, Status::UriTooLong, "request-target too long");
  if (s == end) return Step::More;
  if (*s != ' ') return fail(c, Status::BadRequest, "invalid byte in request-target");
  if (len == 0) return fail(c, Status::BadRequest, "empty request-target");
  c.out.target = std::string_view(t, len);
  if (Step st = check_target_form(c); st != Step::Ok) return st;
  p = s + 1;

  // HTTP-version CRLF
  if (end - p >= 10 && is_http1x_crlf(p)) {
    c.out.version = p[7] == '1' ? Version::Http11 : Version::Http10;
    p += 10;
  } else {
    static constexpr char kPattern[] = "HTTP/#.#\r\n";
    for (int i = 0; i < 10; ++i) {
      if (p + i == end) return Step::More;
      const char ch = p[i];
      const bool ok = kPattern[i] == '#' ? chars::is_digit(ch) : ch == kPattern[i];
      if (!ok) {
        if (i == 9) return fail(c, Status::BadRequest, "bare CR");
        return fail(c, Status::BadRequest, "malformed HTTP version");
      }
    }
    if (p[5] == '1' && p[7] == '1') {
      c.out.version = Version::Http11;
    } else if (p[5] == '1' && p[7] == '0') {
      c.out.version = Version::Http10;
    } else {
      return fail(c, Status::VersionNotSupported, "HTTP version not supported");
    }
    p += 10;
  }
  pp = p;
  return Step::Ok;
}

// One field line "name: value CRLF" starting at p (a token character or an
// error); on Ok, p is after its CRLF.
template <class K>
HS_INLINE Step parse_field_line(Ctx& c, const char*& pp, std::string_view& name, std::string_view& value) {
  const char* p = pp;
  const char* const end = c.end;
  // field-name ":"
  const char* const n = p;
  while (p < end && chars::is_tchar(*p)) ++p;
  if (p == end) return Step::More;
  if (*p != ':') {
    if (p != n && chars::is_ows(*p)) return fail(c, Status::BadRequest, "whitespace between field name and colon");
    return fail(c, Status::BadRequest, "invalid field name");
  }
  if (p == n) return fail(c, Status::BadRequest, "empty field name");
  name = std::string_view(n, static_cast<size_t>(p - n));
  ++p;
  while (p < end && chars::is_ows(*p)) ++p;

  // field-value: ASCII runs are skipped by the kernel; it stops on CR, on
  // other controls and DEL (errors), and on bytes >= 0x80 (UTF-8 checked here).
  const char* const v = p;
  for (;;) {
    p = find_stop<K, Stops::Value>(c.base, p, end);
    if (p == end) return Step::More;
    const unsigned char b = static_cast<unsigned char>(*p);
    if (b == '\r') break;
    if (b >= 0x80) {
      const int r = utf8_sequence(p, end);
      if (r == 0) return Step::More;
      if (r < 0) return fail(c, Status::BadRequest, "field value is not valid UTF-8");
      p += r;
      continue;
    }
    if (b == '\n') return fail(c, Status::BadRequest, "bare LF");
    if (b == 0) return fail(c, Status::BadRequest, "NUL in field value");
    return fail(c, Status::BadRequest, "control character in field value");
  }
  if (p + 1 == end) return Step::More;
  if (p[1] != '\n') return fail(c, Status::BadRequest, "bare CR");
  const char* ve = p;
  while (ve > v && chars::is_ows(ve[-1])) --ve;
  value = std::string_view(v, static_cast<size_t>(ve - v));
  pp = p + 2;
  return Step::Ok;
}

// Vector kernels only. The common case: a short ASCII line "name: value CRLF"
// inside the current 64-byte window of masks (see Window), which usually covers
// several lines, so a line costs a few bit operations. Returns false (nothing consumed) when the
// line does not fit or is not plain; the general code above then decides.
// Token characters never stop a value scan, so the first value-stop byte after
// p is this line's CR: the next line start does not wait for the colon search.
template <class K>
HS_INLINE bool fast_field_line(const char* base, const char*& pp, const char* end, Window& w, std::string_view& name,
                               std::string_view& value) {
  const char* const p = pp;
  unsigned rel = w.start ? static_cast<unsigned>(p - w.start) : 64;
  uint64_t m = rel < w.avail ? w.vstop >> rel : 0;
  if (m == 0) {
    if (rel == 0 || !window_masks<K>(base, p, end, w)) return false;
    rel = 0;
    m = w.vstop;
    if (m == 0) return false;
  }
  const unsigned cr = static_cast<unsigned>(__builtin_ctzll(m));
  // CR LF: both bytes stop a value scan (so both are inside the window), then compare.
  if (!((m >> cr) & 2) || p[cr] != '\r' || p[cr + 1] != '\n') return false;
  const unsigned colon = static_cast<unsigned>(__builtin_ctzll((w.nontchar >> rel) | (uint64_t{1} << cr)));
  if (colon == 0 || p[colon] != ':') return false;
  // The value: non-OWS bytes between the colon and the CR, and what lies between.
  const uint64_t content = ~(w.ows >> rel) & (~uint64_t{0} << (colon + 1)) & ((uint64_t{1} << cr) - 1);
  unsigned vs = cr, ve = cr;
  if (content) {
    vs = static_cast<unsigned>(__builtin_ctzll(content));
    ve = 64 - static_cast<unsigned>(__builtin_clzll(content));
  }
  name = std::string_view(p, colon);
  value = std::string_view(p + vs, ve - vs);
  pp = p + cr + 2;
  return true;
}

// A field that maybe_special picked out. With a vector kernel a Host value
// is first checked in one block.
template <class K>
HS_INLINE Step special_field(Ctx& c, std::string_view name, std::string_view value) {
  if constexpr (K::kWidth > 1) {
    if (name.size() == 4 && name_is(name, "host"))
      return on_host(c, value, host_fast<K>(c.base, value.data(), value.size(), c.end));
  }
  return on_field(c, name, value);
}

// The header section after the request line, up to and including the empty line.
template <class K>
HS_INLINE Step parse_fields(Ctx& c, const char*& pp) {
  const char* p = pp;
  const char* const end = c.end;
  const size_t capacity = c.capacity;
  size_t count = 0;
  [[maybe_unused]] Window w{nullptr, 0, 0, 0, 0};  // vector kernels: the masks of the current line
  for (;;) {
    if (p == end) return Step::More;
    const char first = *p;
    if (static_cast<unsigned char>(first) <= ' ') {
      if (first == '\r') {
        if (p + 1 == end) return Step::More;
        if (p[1] != '\n') return fail(c, Status::BadRequest, "bare CR");
        p += 2;
        break;
      }
      if (first == '\n') return fail(c, Status::BadRequest, "bare LF");
      if (first == ' ' || first == '\t') return fail(c, Status::BadRequest, "obsolete line folding");
    }
    if (count == capacity) return fail(c, Status::HeaderFieldsTooLarge, "too many header fields");

    std::string_view name, value;
    bool fast = false;
    if constexpr (K::kWidth > 1) fast = fast_field_line<K>(c.base, p, end, w, name, value);
    if (!fast) {
      if (Step st = parse_field_line<K>(c, p, name, value); st != Step::Ok) return st;
    }
    c.storage[count] = Header{name, value};
    ++count;
    if (maybe_special(name)) {
      if (Step st = special_field<K>(c, name, value); st != Step::Ok) return st;
    }
  }
  c.out.headers = std::span<Header>(c.storage, count);
  pp = p;
  return Step::Ok;
}

// Parses [buf, end) from the start. Ok: the head is complete and valid.
template <class K>
HS_INLINE Step parse_all(Ctx& c, size_t lead) {
  const char* p = c.base + lead;
  if (Step st = parse_request_line<K>(c, p); st != Step::Ok) return st;
  c.in_fields = true;
  if (Step st = parse_fields<K>(c, p); st != Step::Ok) return st;
  c.out.head_bytes = static_cast<size_t>(p - c.base);
  return finish(c);
}

// One whole call (c.end is already clipped to max_head_bytes); see
// parse_request_head for the contract.
template <class K>
HS_INLINE HeadResult run(Ctx& c, size_t size, size_t scanned) {
  const size_t view = static_cast<size_t>(c.end - c.base);
  const size_t lead = skip_leading_crlf(c);
  if (scanned > view) scanned = view;
  if (scanned > 0) {
    // A later call: bytes before `scanned` hold no end of head, so look for one
    // only in the new bytes. Without one, check just the request line (short,
    // and the only place an early 414 can come from) unless the limit is hit.
    if (!find_head_end(c, scanned > lead + 4 ? scanned : lead + 4)) {
      const char* p = c.base + lead;
      const Step st = parse_request_line<K>(c, p);
      if (st == Step::Fail) return failed(c);
      if (size > c.limits.max_head_bytes && parse_all<K>(c, lead) == Step::Fail) return failed(c);
      return incomplete(c, size, view);
    }
  }
  switch (parse_all<K>(c, lead)) {
    case Step::Ok: return HeadResult{ParseState::Complete, Error{}, c.out.head_bytes};
    case Step::Fail:
      // Errors in the field section count once the end of head (or the size
      // limit) is in the buffer, so that a caller feeding the same bytes in
      // pieces (which looks only for the end until then) gets the same answer.
      if (c.in_fields && size <= c.limits.max_head_bytes && !find_head_end(c, lead + 4))
        return incomplete(c, size, view);
      return failed(c);
    case Step::More: break;
  }
  // No error and no end of head in [0, view): the next call may skip all of it.
  return incomplete(c, size, view);
}

}  // namespace

// One function per scan path, each compiled for its ISA. `flatten` inlines the
// kernel's primitives into it (they carry the ISA's target attribute, so they
// cannot be always_inline inside the ISA-neutral loops above).
HeadResult parse_portable(Ctx& c, size_t size, size_t scanned) { return run<PortableKernel>(c, size, scanned); }

#if HS_HTTP_X86
__attribute__((flatten)) HS_TARGET_SSE42 HeadResult parse_sse42(Ctx& c, size_t size, size_t scanned) {
  return run<Sse42Kernel>(c, size, scanned);
}

__attribute__((flatten)) HS_TARGET_AVX2 HeadResult parse_avx2(Ctx& c, size_t size, size_t scanned) {
  return run<Avx2Kernel>(c, size, scanned);
}
#endif

}  // namespace hs::http::head
