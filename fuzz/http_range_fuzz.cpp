// libFuzzer target for the Range evaluator (http/range.hpp). Input: 8 bytes
// of representation length (small values favoured), then the field value.
// Properties: a Partial answer has 1..room ranges, each within the length,
// sorted, disjoint and not adjacent (coalesced); Unsatisfiable only when the
// value is a well-formed bytes range set; the decision does not depend on
// the room beyond the count it needs.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "http/range.hpp"

using hs::http::ByteRange;
using hs::http::RangeOutcome;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 8) return 0;
  uint64_t raw = 0;
  std::memcpy(&raw, data, 8);
  // Mostly small lengths, sometimes huge ones.
  const uint64_t length = (raw & 0x8000000000000000ull) ? raw : raw % 4096;
  const std::string_view value(reinterpret_cast<const char*>(data + 8), size - 8);

  ByteRange small[4];
  ByteRange big[hs::http::kMaxRangeSpecs];
  const auto a = hs::http::evaluate_range(value, length, small);
  const auto b = hs::http::evaluate_range(value, length, big);

  if (a.outcome == RangeOutcome::Partial) {
    if (a.count == 0 || a.count > 4) std::abort();
    for (size_t i = 0; i < a.count; ++i) {
      if (small[i].first > small[i].last || small[i].last >= length) std::abort();
      if (i > 0 && small[i].first <= small[i - 1].last + 1) std::abort();  // sorted, disjoint, coalesced
      if (!(small[i] == big[i])) std::abort();
    }
  }
  if (a.outcome == RangeOutcome::Unsatisfiable && a.count != 0) std::abort();
  // More room only turns "too many ranges" (Ignore) into Partial.
  if (a.outcome != b.outcome && !(a.outcome == RangeOutcome::Ignore && b.outcome == RangeOutcome::Partial &&
                                  b.count > 4))
    std::abort();
  if (a.outcome == RangeOutcome::Partial && b.count != a.count) std::abort();
  return 0;
}
