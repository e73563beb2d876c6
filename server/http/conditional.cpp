#include "http/conditional.hpp"

#include <optional>

#include "http/char_classes.hpp"
#include "http/response_writer.hpp"

namespace hs::http {

namespace {

using chars::is_ows;
using chars::trim_ows;

bool etagc(unsigned char c) { return c == 0x21 || (c >= 0x23 && c != 0x7f); }

// One entity-tag at the front of `s`: consumes it, sets `weak` and the quoted
// opaque part (quotes included). False when malformed.
bool take_etag(std::string_view& s, bool& weak, std::string_view& quoted) {
  weak = false;
  if (s.size() >= 2 && s[0] == 'W' && s[1] == '/') {
    weak = true;
    s.remove_prefix(2);
  }
  if (s.empty() || s[0] != '"') return false;
  size_t i = 1;
  while (i < s.size() && s[i] != '"') {
    if (!etagc(static_cast<unsigned char>(s[i]))) return false;
    ++i;
  }
  if (i >= s.size()) return false;
  quoted = s.substr(0, i + 1);
  s.remove_prefix(i + 1);
  return true;
}

}  // namespace

bool etag_list_matches(std::string_view list, std::string_view etag, bool weak) {
  list = trim_ows(list);
  if (list == "*") return !etag.empty();
  if (etag.empty()) return false;
  // The representation's own tag: strip W/ for weak comparison.
  bool own_weak = false;
  std::string_view own;
  std::string_view e = etag;
  if (!take_etag(e, own_weak, own)) return false;
  // Bounded: each pass consumes at least one byte or returns.
  while (!list.empty()) {
    while (!list.empty() && (is_ows(list.front()) || list.front() == ',')) list.remove_prefix(1);
    if (list.empty()) break;
    bool w = false;
    std::string_view q;
    if (!take_etag(list, w, q)) return false;
    if (q == own && (weak || (!w && !own_weak))) return true;
    while (!list.empty() && is_ows(list.front())) list.remove_prefix(1);
    if (!list.empty() && list.front() != ',') return false;
  }
  return false;
}

Precondition evaluate_preconditions(const ConditionalFields& f, const Validators& v, bool get_or_head) {
  // Step 1 / 2.
  if (f.has_if_match) {
    if (!etag_list_matches(f.if_match, v.etag, /*weak=*/false)) return Precondition::PreconditionFailed;
  } else if (!f.if_unmodified_since.empty() && v.last_modified >= 0) {
    const std::optional<int64_t> date = parse_http_date(trim_ows(f.if_unmodified_since));
    if (date && v.last_modified > *date) return Precondition::PreconditionFailed;
  }
  // Step 3 / 4.
  if (f.has_if_none_match) {
    if (etag_list_matches(f.if_none_match, v.etag, /*weak=*/true))
      return get_or_head ? Precondition::NotModified : Precondition::PreconditionFailed;
  } else if (get_or_head && !f.if_modified_since.empty() && v.last_modified >= 0) {
    const std::optional<int64_t> date = parse_http_date(trim_ows(f.if_modified_since));
    if (date && v.last_modified <= *date) return Precondition::NotModified;
  }
  return Precondition::Proceed;
}

bool if_range_allows(std::string_view if_range, const Validators& v) {
  if_range = trim_ows(if_range);
  if (if_range.empty()) return false;
  if (if_range.front() == '"' || if_range.starts_with("W/")) {
    bool weak = false;
    std::string_view q;
    std::string_view rest = if_range;
    if (!take_etag(rest, weak, q) || !rest.empty() || weak) return false;
    return q == v.etag && !v.etag.empty();
  }
  const std::optional<int64_t> date = parse_http_date(if_range);
  return date && v.last_modified >= 0 && *date == v.last_modified;
}

}  // namespace hs::http
