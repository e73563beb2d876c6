// Request head parser (RFC 9112): request line and header section, parsed in
// place. Results are string_views into the caller's buffer; nothing allocates.
//
// Contract (picohttpparser style): call with the whole buffer received so far
// and the `scanned` value from the previous call (0 the first time); a call on a
// longer buffer does not rescan what it already looked at for the end of head.
//
// Results and when they come:
//  - Complete: the head is valid; `head_bytes` (also returned as `scanned`)
//    is where the body or the next request starts.
//  - Failed: `error` holds the status to answer (400, 414, 417, 431, 501, 505)
//    and a short reason. The body framing is then unknown: close afterwards.
//  - Incomplete: more bytes needed; pass `scanned` back with the longer buffer.
//  Errors in the request line (including 414 for a target longer than
//  max_target_bytes, found before the line ends) are reported as soon as the
//  bytes show them. Errors in the field section are reported once the end of
//  head (CRLF CRLF) or the max_head_bytes limit is in the buffer, so the answer
//  never depends on how the bytes were split across calls: whole, byte by
//  byte or in any pieces, the final result is identical.
//  `out` and the header array hold meaningful data only after Complete.
//  Cost of a later call: the new bytes plus the request line (to catch 414
//  early); the whole head is parsed once, when its end has arrived.
//
// Decisions (RFC 9112 / 9110 leave some of these open):
//  - Line endings: only CRLF. A bare LF or a bare CR anywhere in the head is a
//    400: when every line must end in CRLF, no two parsers (a proxy and us) can
//    disagree on where a line or the head ends.
//  - Empty lines (CRLF) before the request line are skipped, any number of them
//    (RFC 9112 §2.2 asks for at least one); they count in head_bytes and in
//    max_head_bytes.
//  - Request line: exactly one SP between its parts; the method is a token,
//    matched case-sensitively (unknown -> Method::Other); the target is VCHARs
//    other than '#' (no CTL, SP, DEL or byte >= 0x80) in origin-form ("/..."),
//    asterisk-form ("*", OPTIONS only, else 400) or absolute-form
//    (scheme "://" host[:port] [path]); CONNECT -> 501; anything else -> 400.
//    "HTTP/" DIGIT "." DIGIT: 1.0 and 1.1 accepted, other versions -> 505,
//    any other spelling -> 400.
//  - Field lines: name is a token directly followed by ':' (whitespace before
//    the colon -> 400); obs-fold (a line starting with SP/HTAB) -> 400; the
//    value may hold HTAB, SP, VCHAR and UTF-8 (overlongs, surrogates and code
//    points above U+10FFFF -> 400); NUL, CR, LF, other CTLs and DEL -> 400.
//  - Content-Length: 1*DIGIT fitting in 64 bits. Repeats with the same value,
//    as separate fields or a list ("42, 42"), are accepted as one (RFC 9110
//    §8.6); differing values, empty list members or anything else -> 400.
//  - Transfer-Encoding (fields add up to one list): HTTP/1.0 -> 400; with
//    Content-Length -> 400; empty, malformed (empty list members, bad
//    parameters), `chunked` twice, or not last -> 400; a well-formed list
//    ending in `chunked` with other codings before it -> 501. Codings are
//    case-insensitive; `chunked` takes no parameters.
//  - Host: required once in HTTP/1.1 (missing or repeated -> 400), at most
//    once in 1.0. Value: empty, or reg-name / IPv4 / "[" IPv6 "]" (no zone,
//    no IPvFuture) with an optional ":" port of 1-5 digits <= 65535.
//  - Connection: comma-separated tokens, case-insensitive; `close` wins over
//    `keep-alive`; 1.1 is persistent by default, 1.0 only with keep-alive.
//  - Expect: only `100-continue` (case-insensitive); anything else, or an empty
//    value, -> 417 (after all 400 checks). In HTTP/1.0 the expectation is
//    ignored (RFC 9110 §10.1.1) and expect_continue stays false.
//  Precedence once the head is complete: per-line errors in line order, then
//  missing Host, CL+TE, TE final coding (400), TE unsupported coding (501),
//  Expect (417).
//
// Scanning: AVX2 or SSE4.2 when the CPU has them, else portable code; see
// http/scan_simd.hpp to force a path (tests compare all of them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "http/status.hpp"

namespace hs::http {

enum class Method : uint8_t { Get, Head, Post, Put, Delete, Options, Patch, Trace, Connect, Other };
enum class Version : uint8_t { Http10, Http11 };
enum class BodyFraming : uint8_t { None, ContentLength, Chunked };

struct Header {
  std::string_view name;   // as received (case preserved); compare case-insensitively
  std::string_view value;  // leading/trailing whitespace trimmed
};

struct HeadLimits {
  size_t max_head_bytes = 16 * 1024;  // header section larger than this -> 431
  size_t max_target_bytes = 8 * 1024; // request-target longer than this -> 414
};

struct RequestHead {
  Method method = Method::Other;
  std::string_view method_token;
  std::string_view target;            // raw request-target, not decoded
  Version version = Version::Http11;
  std::span<Header> headers;          // the filled prefix of the caller's array

  // Derived from the fields while parsing:
  BodyFraming framing = BodyFraming::None;
  uint64_t content_length = 0;        // valid when framing == ContentLength
  std::string_view host;              // the Host value ("" when absent in 1.0); for an
                                      // absolute-form target, its host[:port] instead
                                      // (RFC 9112 §3.2.2: the target wins over Host)
  bool keep_alive = true;             // after Connection and version defaults
  bool expect_continue = false;       // Expect: 100-continue
  size_t head_bytes = 0;              // length of the head including the blank line

  // Case-insensitive lookup of the first field with this name (nullptr /
  // empty when absent).
  const Header* find(std::string_view name) const;
  std::string_view header(std::string_view name) const;
};

enum class ParseState : uint8_t { Complete, Incomplete, Failed };

struct HeadResult {
  ParseState state = ParseState::Incomplete;
  Error error;          // set when state == Failed
  size_t scanned = 0;   // pass back on the next call with a longer buffer
};

// Parses a request head out of `buf`. `header_storage` is the caller's fixed
// array; more fields than it holds -> 431.
HeadResult parse_request_head(std::string_view buf, size_t scanned, RequestHead& out,
                              std::span<Header> header_storage, const HeadLimits& limits);

}  // namespace hs::http
