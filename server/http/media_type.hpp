// Media types (RFC 9110 §8.3.1, §12.5.1): parse Content-Type, iterate Accept
// lazily, and pick the best of the server's offers. No allocation: every view
// points into the caller's string, parameters are re-read on demand.
//
// Decisions:
// - type, subtype and parameter names compare case-insensitively; parameter
//   values compare case-insensitively too (after unquoting) when matching
//   Accept ranges against offers (charset, level, ... in practice).
// - Parameters: `*( OWS ";" OWS [ token "=" ( token / quoted-string ) ] )`;
//   empty parameters (`text/plain;`) are allowed, as in the grammar.
// - Accept: a comma list, empty elements skipped. `q` (any case) is the
//   weight: "0" ["." 0-3 digits] or "1" ["." 0-3 zeros], held as 0..1000.
//   Parameters before `q` belong to the range; those after it (the old
//   accept-ext) are checked for syntax and ignored.
// - An element that does not parse (bad syntax, `*/html`, a q of 2, 0.1234,
//   "0.5" quoted, a second q) is invalid: it is skipped as if absent. A header
//   with no valid element at all (empty, or all invalid) is treated like a
//   missing Accept: the first offer wins.
// - negotiate(): for each offer, the most specific matching range decides its
//   q (first one on a tie of specificity); q=0 excludes. The offer with the
//   highest q wins, then the one whose range was more specific, then the
//   earlier offer (the server's order is its preference).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "http/status.hpp"

namespace hs::http {

// ASCII case-insensitive comparison (named so it cannot clash with a peer's).
bool media_iequals(std::string_view a, std::string_view b);

struct MediaParam {
  std::string_view name;
  std::string_view value;  // quoted-string: without the quotes, escapes still in
  bool quoted = false;
};

// Iterates a parameter list as held in MediaType::params / MediaRange::params.
// The list must have been validated (by the parse that produced it).
class ParamIterator {
 public:
  explicit ParamIterator(std::string_view params) : s_(params) {}
  bool next(MediaParam& out);

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

struct MediaType {
  std::string_view type;     // as received
  std::string_view subtype;
  std::string_view params;   // raw text after the subtype; iterate with ParamIterator

  bool is(std::string_view t, std::string_view sub) const {
    return media_iequals(type, t) && media_iequals(subtype, sub);
  }
  // First parameter named `name` (case-insensitive); nullopt when absent.
  std::optional<MediaParam> param(std::string_view name) const;
};

// Parses a Content-Type value (the whole string, OWS around it allowed).
// Malformed -> 400.
Error parse_media_type(std::string_view text, MediaType& out);

// Compares a parameter value with `expected`, unescaping quoted-pairs first.
bool param_value_iequals(const MediaParam& p, std::string_view expected);

struct MediaRange {
  std::string_view type;     // "*" for "*/*"
  std::string_view subtype;  // "*" for "type/*" and "*/*"
  std::string_view params;   // parameters before q, raw
  uint16_t q = 1000;         // 0..1000
  bool valid = false;        // false: the element is to be ignored
  std::string_view element;  // the whole element text, for logs
};

// Yields each non-empty element of an Accept value, valid or not.
class AcceptIterator {
 public:
  explicit AcceptIterator(std::string_view header) : s_(header) {}
  bool next(MediaRange& out);

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

// Specificity of a range: 0 `*/*`, 1 `type/*`, 2 `type/sub`, 3+n with n params.
int specificity(const MediaRange& r);
// True when `offer` falls in `range` (type, subtype, and every range param).
bool matches(const MediaRange& range, const MediaType& offer);

// Index of the best offer for `accept` (empty = no Accept field), or nullopt:
// answer 406. Offers that do not parse are never chosen.
std::optional<size_t> negotiate(std::string_view accept, std::span<const MediaType> offers);
std::optional<size_t> negotiate(std::string_view accept, std::span<const std::string_view> offers);

}  // namespace hs::http
