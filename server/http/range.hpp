// Range requests (RFC 9110 §14): a `Range` field value and the length of the
// selected representation in, a decision out: ignore the field (send 200 with
// the whole representation), send these ranges (206), or 416. Sans-I/O, no
// allocation; the caller supplies the room for the ranges.
//
// Decisions:
// - Only the `bytes` unit (case-insensitive); anything else, any syntax error,
//   or an int-range with last < first makes the whole field ignored (§14.2:
//   a server MAY ignore Range), so a malformed Range never yields 416.
// - Empty list elements and OWS around commas are allowed (§5.6.1).
// - Unsatisfiable specs are dropped; none left -> 416 (`bytes */LEN`). On an
//   empty representation every spec is unsatisfiable.
// - Satisfiable ranges are clipped to the length, sorted and coalesced when
//   they overlap or touch (§14.3 allows it), so the parts of a multipart answer
//   never repeat bytes; more than `out.size()` ranges after that -> ignored
//   (whole file, 200), and more than kMaxRangeSpecs specs -> ignored too:
//   many tiny ranges are a known amplification attack.
// - Numbers too large for 64 bits saturate (a last-pos beyond the end simply
//   means "to the end"; a first-pos that large is unsatisfiable).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace hs::http {

struct ByteRange {
  uint64_t first = 0;  // inclusive
  uint64_t last = 0;   // inclusive
  uint64_t size() const { return last - first + 1; }
  bool operator==(const ByteRange&) const = default;
};

enum class RangeOutcome : uint8_t {
  Ignore,         // 200 with the whole representation
  Partial,        // 206: `count` ranges in `out`, sorted, disjoint, within the length
  Unsatisfiable,  // 416 with Content-Range: bytes */length
};

struct RangeDecision {
  RangeOutcome outcome = RangeOutcome::Ignore;
  size_t count = 0;
};

// At most this many range specs are looked at; a longer list is ignored.
inline constexpr size_t kMaxRangeSpecs = 64;

RangeDecision evaluate_range(std::string_view value, uint64_t length, std::span<ByteRange> out);

}  // namespace hs::http
