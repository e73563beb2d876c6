// Request-target handling (RFC 9112 §3.2, RFC 3986): split into path and
// query, percent-decode the path into the caller's fixed buffer, remove dot
// segments, and refuse anything that could reach outside the served root.
// No allocation; views point into the input or into the caller's buffer.
//
// Accepted forms: origin-form `/path[?query]` and absolute-form
// `http[s]://authority[/path][?query]` (scheme case-insensitive; its path is
// taken, an empty path becomes `/`, the authority is reported for the Host
// check). Asterisk-form and authority-form -> 400: the caller handles
// `OPTIONS *` and CONNECT before calling.
//
// The decoded path (decisions):
// - always starts with `/`, never contains an empty, `.` or `..` segment,
//   never a NUL, a control byte, or a backslash;
// - `%XX` escapes are decoded (hex case-insensitive); a bad escape, `%00`,
//   any decoded control byte (0x01-0x1f, 0x7f), an encoded slash `%2F`, and a
//   backslash raw or `%5C` -> 400. Encoded dots (`%2e`) are dots;
// - raw bytes allowed in the path: RFC 3986 pchar plus `[]{}|^` and the
//   backtick, which browsers send unencoded; SP, controls, `"<>#\`, DEL and
//   bytes >= 0x80 (which must arrive percent-encoded) -> 400;
// - dot segments are removed (RFC 3986 §5.2.4) but a `..` that would climb
//   above the root -> 400 instead of being clamped (`/a/../../x`);
// - runs of slashes collapse into one (`//a///b` -> `/a/b`): the file system
//   would treat them the same, and a router then sees one spelling;
// - a trailing slash is kept, and a final `.` or `..` segment leaves one
//   (`/a/.` -> `/a/`, `/a/b/..` -> `/a/`), as in RFC 3986.
// - the decoded path may contain `%`, `?`, `#`, SP and bytes >= 0x80 (UTF-8
//   is not validated): they are file name bytes now, not syntax.
// The decoded path is never longer than the raw path, so a buffer of
// target.size() bytes always suffices; a smaller buffer that overflows -> 414.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "http/status.hpp"

namespace hs::http {

enum class TargetForm : unsigned char { Origin, Absolute };

struct Target {
  TargetForm form = TargetForm::Origin;
  std::string_view authority;  // absolute-form only: host[:port], raw
  std::string_view raw_path;   // path as received (still encoded)
  std::string_view query;      // raw, without the '?'; empty when absent
  bool has_query = false;      // a '?' was present (maybe with an empty query)
  std::string_view path;       // decoded and normalised, in the caller's buffer
};

// Parses `target` (the raw request-target from the request line). On success
// returns an empty Error and fills `out`; `out.path` lies in `path_buf`.
Error parse_target(std::string_view target, std::span<char> path_buf, Target& out);

// The normalisation step alone, on an already decoded path (no `%` decoding):
// the same slash/dot rules and checks as parse_target. Applying it to
// parse_target's result gives that result back. `path` must start with '/'.
Error normalize_decoded_path(std::string_view path, std::span<char> out_buf,
                             std::string_view& out);

// One `key[=value]` element of a query string; raw (not decoded) views.
struct QueryParam {
  std::string_view key;
  std::string_view value;
  bool has_value = false;  // an '=' was present
};

// Iterates `a=1&b&c=` lazily; empty elements (`&&`) are skipped.
class QueryIterator {
 public:
  explicit QueryIterator(std::string_view query) : rest_(query) {}
  bool next(QueryParam& out);

 private:
  std::string_view rest_;
};

// Decodes one query key or value (form style: `+` is a space, `%XX` escapes)
// into `out_buf`. Bad escape -> 400, `out_buf` too small -> 414.
Error decode_query_component(std::string_view in, std::span<char> out_buf,
                             std::string_view& out);

}  // namespace hs::http
