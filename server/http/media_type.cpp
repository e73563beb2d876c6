#include "http/media_type.hpp"

#include "http/char_classes.hpp"

namespace hs::http {
namespace {

// tchar per RFC 9110 §5.6.2 (the shared table).
constexpr bool is_tchar(unsigned char c) { return chars::is_tchar(static_cast<char>(c)); }

constexpr bool is_ws(char c) { return c == ' ' || c == '\t'; }

constexpr bool is_qdtext(unsigned char c) {
  return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
         (c >= 0x5d && c <= 0x7e) || c >= 0x80;
}

constexpr bool is_pair_char(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

constexpr char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

void skip_ows(std::string_view s, size_t& pos) {
  while (pos < s.size() && is_ws(s[pos])) ++pos;
}

std::string_view token(std::string_view s, size_t& pos) {
  const size_t start = pos;
  while (pos < s.size() && is_tchar(static_cast<unsigned char>(s[pos]))) ++pos;
  return s.substr(start, pos - start);
}

// quoted-string at s[pos] == '"'; `inner` excludes the quotes.
bool quoted_string(std::string_view s, size_t& pos, std::string_view& inner) {
  const size_t start = ++pos;
  while (pos < s.size()) {
    const auto c = static_cast<unsigned char>(s[pos]);
    if (c == '"') {
      inner = s.substr(start, pos - start);
      ++pos;
      return true;
    }
    if (c == '\\') {
      if (pos + 1 >= s.size() || !is_pair_char(static_cast<unsigned char>(s[pos + 1]))) return false;
      pos += 2;
    } else if (is_qdtext(c)) {
      ++pos;
    } else {
      return false;
    }
  }
  return false;
}

// Steps over `OWS ";" OWS [parameter]` items until a parameter is read (1),
// the list ends (0: pos left before the trailing OWS), or bad syntax (-1).
// In a list (`list`), a ',' ends the parameters. `semi` gets the offset where
// the returned parameter's item starts (before its OWS and ';').
int next_param(std::string_view s, size_t& pos, bool list, MediaParam& out, size_t* semi) {
  for (;;) {
    const size_t save = pos;
    skip_ows(s, pos);
    if (pos == s.size() || (list && s[pos] == ',')) {
      pos = save;
      return 0;
    }
    if (s[pos] != ';') return -1;
    if (semi) *semi = save;
    ++pos;
    skip_ows(s, pos);
    if (pos == s.size() || s[pos] == ';' || (list && s[pos] == ',')) continue;  // empty item
    out = MediaParam{};
    out.name = token(s, pos);
    if (out.name.empty() || pos == s.size() || s[pos] != '=') return -1;
    ++pos;
    if (pos < s.size() && s[pos] == '"') {
      out.quoted = true;
      if (!quoted_string(s, pos, out.value)) return -1;
    } else {
      out.value = token(s, pos);
      if (out.value.empty()) return -1;
    }
    return 1;
  }
}

// Next character of a parameter value with quoted-pairs undone; -1 at the end.
int value_char(const MediaParam& p, size_t& i) {
  if (i >= p.value.size()) return -1;
  if (p.quoted && p.value[i] == '\\' && i + 1 < p.value.size()) ++i;
  return static_cast<unsigned char>(p.value[i++]);
}

bool values_iequal(const MediaParam& a, const MediaParam& b) {
  size_t i = 0, j = 0;
  for (;;) {
    const int x = value_char(a, i);
    const int y = value_char(b, j);
    if (x < 0 || y < 0) return x == y;
    if (lower(static_cast<char>(x)) != lower(static_cast<char>(y))) return false;
  }
}

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
bool parse_q(std::string_view v, uint16_t& q) {
  if (v.empty() || (v[0] != '0' && v[0] != '1')) return false;
  const bool one = v[0] == '1';
  unsigned value = one ? 1000 : 0;
  if (v.size() > 1) {
    if (v[1] != '.' || v.size() > 5) return false;
    unsigned scale = 100;
    for (size_t i = 2; i < v.size(); ++i, scale /= 10) {
      const char c = v[i];
      if (c < '0' || c > '9' || (one && c != '0')) return false;
      value += static_cast<unsigned>(c - '0') * scale;
    }
  }
  q = static_cast<uint16_t>(value);
  return true;
}

bool parse_range(std::string_view s, size_t& pos, MediaRange& r) {
  r.type = token(s, pos);
  if (r.type.empty() || pos == s.size() || s[pos] != '/') return false;
  ++pos;
  r.subtype = token(s, pos);
  if (r.subtype.empty()) return false;
  if (r.type == "*" && r.subtype != "*") return false;
  const size_t params_start = pos;
  size_t params_end = 0;
  bool have_q = false;
  MediaParam p;
  for (;;) {
    size_t semi = 0;
    const int k = next_param(s, pos, true, p, &semi);
    if (k < 0) return false;
    if (k == 0) break;
    if (media_iequals(p.name, "q")) {
      if (have_q || p.quoted || !parse_q(p.value, r.q)) return false;
      have_q = true;
      params_end = semi;
    }
  }
  r.params = s.substr(params_start, (have_q ? params_end : pos) - params_start);
  return true;
}

// Skips the rest of a bad element, up to the next ',' outside quotes.
void skip_element(std::string_view s, size_t& pos) {
  bool in_quotes = false;
  while (pos < s.size()) {
    const char c = s[pos];
    if (in_quotes && c == '\\') {
      pos += 2;
      continue;
    }
    if (c == '"') in_quotes = !in_quotes;
    else if (c == ',' && !in_quotes) return;
    ++pos;
  }
  pos = s.size();
}

template <typename GetOffer>
std::optional<size_t> negotiate_impl(std::string_view accept, size_t count, GetOffer get) {
  std::optional<size_t> first_valid;
  std::optional<size_t> best;
  int best_q = 0;
  int best_spec = -1;
  bool any_valid_range = false;
  for (size_t i = 0; i < count; ++i) {
    MediaType offer;
    if (!get(i, offer)) continue;
    if (!first_valid) first_valid = i;
    int spec = -1;
    int q = 0;
    AcceptIterator it(accept);
    MediaRange r;
    while (it.next(r)) {
      if (!r.valid) continue;
      any_valid_range = true;
      if (!matches(r, offer)) continue;
      const int s = specificity(r);
      if (s > spec) {
        spec = s;
        q = r.q;
      }
    }
    if (!any_valid_range) return first_valid;  // no usable Accept: as if absent
    if (spec < 0 || q == 0) continue;
    if (q > best_q || (q == best_q && spec > best_spec)) {
      best = i;
      best_q = q;
      best_spec = spec;
    }
  }
  if (!any_valid_range) return first_valid;
  return best;
}

}  // namespace

bool media_iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

bool ParamIterator::next(MediaParam& out) {
  return next_param(s_, pos_, false, out, nullptr) == 1;
}

std::optional<MediaParam> MediaType::param(std::string_view name) const {
  ParamIterator it(params);
  MediaParam p;
  while (it.next(p))
    if (media_iequals(p.name, name)) return p;
  return std::nullopt;
}

Error parse_media_type(std::string_view text, MediaType& out) {
  out = MediaType{};
  size_t pos = 0;
  skip_ows(text, pos);
  const std::string_view type = token(text, pos);
  if (type.empty() || pos == text.size() || text[pos] != '/')
    return Error{Status::BadRequest, "invalid media type"};
  ++pos;
  const std::string_view subtype = token(text, pos);
  if (subtype.empty()) return Error{Status::BadRequest, "invalid media type"};
  const size_t params_start = pos;
  MediaParam p;
  int k;
  while ((k = next_param(text, pos, false, p, nullptr)) == 1) {
  }
  if (k < 0) return Error{Status::BadRequest, "invalid media type parameter"};
  out.type = type;
  out.subtype = subtype;
  out.params = text.substr(params_start, pos - params_start);
  return {};
}

bool param_value_iequals(const MediaParam& p, std::string_view expected) {
  return values_iequal(p, MediaParam{{}, expected, false});
}

bool AcceptIterator::next(MediaRange& out) {
  while (pos_ < s_.size() && (is_ws(s_[pos_]) || s_[pos_] == ',')) ++pos_;
  if (pos_ >= s_.size()) return false;
  const size_t start = pos_;
  out = MediaRange{};
  out.valid = parse_range(s_, pos_, out);
  if (!out.valid) {
    out.q = 0;
    pos_ = start;
    skip_element(s_, pos_);
  }
  size_t end = pos_;
  while (end > start && is_ws(s_[end - 1])) --end;
  out.element = s_.substr(start, end - start);
  return true;
}

int specificity(const MediaRange& r) {
  if (r.type == "*") return 0;
  if (r.subtype == "*") return 1;
  int n = 0;
  ParamIterator it(r.params);
  MediaParam p;
  while (it.next(p)) ++n;
  return n == 0 ? 2 : 3 + n;
}

bool matches(const MediaRange& range, const MediaType& offer) {
  if (range.type != "*" && !media_iequals(range.type, offer.type)) return false;
  if (range.subtype != "*" && !media_iequals(range.subtype, offer.subtype)) return false;
  ParamIterator it(range.params);
  MediaParam rp;
  while (it.next(rp)) {
    const std::optional<MediaParam> op = offer.param(rp.name);
    if (!op || !values_iequal(rp, *op)) return false;
  }
  return true;
}

std::optional<size_t> negotiate(std::string_view accept, std::span<const MediaType> offers) {
  return negotiate_impl(accept, offers.size(), [&](size_t i, MediaType& out) {
    out = offers[i];
    return true;
  });
}

std::optional<size_t> negotiate(std::string_view accept, std::span<const std::string_view> offers) {
  return negotiate_impl(accept, offers.size(), [&](size_t i, MediaType& out) {
    return !parse_media_type(offers[i], out);
  });
}

}  // namespace hs::http
