// Request head parser (RFC 9112): request line and header section, parsed in
// place. Results are string_views into the caller's buffer; nothing allocates.
//
// Contract (picohttpparser style): call with the whole buffer received so far
// and the `scanned` value from the previous call (0 the first time); a call on a
// longer buffer does not rescan what it already looked at for the end of head.
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
  std::string_view host;              // the Host value ("" when absent in 1.0)
  bool keep_alive = true;             // after Connection and version defaults
  bool expect_continue = false;       // Expect: 100-continue
  size_t head_bytes = 0;              // length of the head including the blank line

  // Case-insensitive lookup of the first field with this name.
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
