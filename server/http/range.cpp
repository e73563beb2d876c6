#include "http/range.hpp"

#include <algorithm>
#include <array>

#include "http/char_classes.hpp"

namespace hs::http {

namespace {

constexpr uint64_t kNone = ~uint64_t{0};

using chars::is_digit;
using chars::is_ows;
using chars::lower;

// Digits at `s[i..]`, saturating at kNone - 1. False when there are none.
bool number(std::string_view s, size_t& i, uint64_t& v) {
  const size_t start = i;
  v = 0;
  while (i < s.size() && is_digit(s[i])) {
    const uint64_t d = static_cast<uint64_t>(s[i] - '0');
    v = v > (kNone - 1 - d) / 10 ? kNone - 1 : v * 10 + d;
    ++i;
  }
  return i > start;
}

struct Spec {
  uint64_t first;  // kNone: suffix range
  uint64_t last;   // kNone: open ("a-"); for a suffix range, its length
};

}  // namespace

RangeDecision evaluate_range(std::string_view value, uint64_t length, std::span<ByteRange> out) {
  const RangeDecision ignore{};
  // "bytes" OWS? "=": RFC 9110 has no OWS before '=', but tolerating none is safer.
  constexpr std::string_view kUnit = "bytes";
  if (value.size() < kUnit.size() + 1) return ignore;
  for (size_t k = 0; k < kUnit.size(); ++k)
    if (lower(value[k]) != kUnit[k]) return ignore;
  if (value[kUnit.size()] != '=') return ignore;
  const std::string_view set = value.substr(kUnit.size() + 1);

  std::array<Spec, kMaxRangeSpecs> specs;
  size_t nspecs = 0;
  size_t i = 0;
  bool any = false;
  // Bounded: every pass consumes at least one byte or returns.
  while (i < set.size()) {
    while (i < set.size() && (is_ows(set[i]) || set[i] == ',')) ++i;  // empty elements
    if (i >= set.size()) break;
    Spec s{};
    if (set[i] == '-') {
      ++i;
      uint64_t n = 0;
      if (!number(set, i, n)) return ignore;
      s = {kNone, n};
    } else {
      uint64_t a = 0;
      if (!number(set, i, a)) return ignore;
      if (i >= set.size() || set[i] != '-') return ignore;
      ++i;
      uint64_t b = kNone;
      if (i < set.size() && is_digit(set[i])) {
        number(set, i, b);
        if (b < a) return ignore;
      }
      s = {a, b};
    }
    while (i < set.size() && is_ows(set[i])) ++i;
    if (i < set.size() && set[i] != ',') return ignore;
    if (nspecs == specs.size()) return ignore;
    specs[nspecs++] = s;
    any = true;
  }
  if (!any) return ignore;

  // Satisfiable specs as byte ranges within the length.
  std::array<ByteRange, kMaxRangeSpecs> ranges;
  size_t n = 0;
  for (size_t k = 0; k < nspecs; ++k) {
    const Spec& s = specs[k];
    if (length == 0) continue;
    if (s.first == kNone) {
      if (s.last == 0) continue;  // "-0": unsatisfiable
      const uint64_t take = std::min(s.last, length);
      ranges[n++] = {length - take, length - 1};
    } else {
      if (s.first >= length) continue;
      ranges[n++] = {s.first, std::min(s.last, length - 1)};
    }
  }
  if (n == 0) return {RangeOutcome::Unsatisfiable, 0};

  // Sort (insertion: at most kMaxRangeSpecs) and coalesce overlapping or adjacent ranges.
  for (size_t a = 1; a < n; ++a) {
    const ByteRange key = ranges[a];
    size_t b = a;
    while (b > 0 && ranges[b - 1].first > key.first) {
      ranges[b] = ranges[b - 1];
      --b;
    }
    ranges[b] = key;
  }
  size_t m = 0;
  for (size_t k = 0; k < n; ++k) {
    if (m > 0 && ranges[k].first <= ranges[m - 1].last + 1) {
      ranges[m - 1].last = std::max(ranges[m - 1].last, ranges[k].last);
    } else {
      ranges[m++] = ranges[k];
    }
  }
  if (m > out.size()) return ignore;
  std::copy_n(ranges.begin(), m, out.begin());
  return {RangeOutcome::Partial, m};
}

}  // namespace hs::http
