// Conditional requests (RFC 9110 §13): the validators of the selected
// representation and the request's If-* field values in, a decision out.
// Sans-I/O, no allocation.
//
// Decisions:
// - Evaluation order is §13.2.2: If-Match (strong comparison; `*` matches an
//   existing representation) else If-Unmodified-Since -> 412 when false;
//   then If-None-Match (weak comparison; `*` matches) -> 304 for GET/HEAD,
//   412 otherwise; else, for GET/HEAD only, If-Modified-Since -> 304 when the
//   representation is not newer than the date. Dates that do not parse are
//   ignored (§13.1.3, §13.1.4); a malformed entity-tag list matches nothing.
// - If-Range (§13.1.5) decides whether Range is honoured: an entity-tag must
//   match strongly (a weak tag never does), an HTTP-date must equal
//   Last-Modified exactly; anything else means "send the whole file".
// - Entity-tags: `"opaque"` or `W/"opaque"`; opaque bytes are %x21 / %x23-7E
//   / obs-text (§8.8.3).
#pragma once

#include <cstdint>
#include <string_view>

namespace hs::http {

struct Validators {
  std::string_view etag;       // strong, with its quotes: "\"1a-2b-3c\""; empty: none
  int64_t last_modified = -1;  // Unix seconds; < 0: none
};

struct ConditionalFields {
  std::string_view if_match;
  std::string_view if_none_match;
  std::string_view if_modified_since;
  std::string_view if_unmodified_since;
  bool has_if_match = false;       // present (an empty value is present and matches nothing)
  bool has_if_none_match = false;
};

enum class Precondition : uint8_t {
  Proceed,             // evaluate Range, answer normally
  NotModified,         // 304, no body
  PreconditionFailed,  // 412
};

Precondition evaluate_preconditions(const ConditionalFields& fields, const Validators& v, bool get_or_head);

// True when `list` (a `#entity-tag` list or `*`) matches `etag`. `weak`
// selects weak comparison (W/ prefixes ignored); strong comparison never
// matches a weak tag.
bool etag_list_matches(std::string_view list, std::string_view etag, bool weak);

// True when the Range field should be honoured given this If-Range value.
bool if_range_allows(std::string_view if_range, const Validators& v);

}  // namespace hs::http
