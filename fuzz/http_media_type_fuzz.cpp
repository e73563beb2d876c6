// libFuzzer target for hs::http media types. Input: a header value, then
// (after the first '\n') up to 8 offers, one per line. Properties:
//  1. every view from parse_media_type, ParamIterator and AcceptIterator lies
//     inside the input; q is in [0, 1000]; valid ranges have a type and a
//     subtype, and `*` types only with `*` subtypes; iteration ends;
//  2. negotiate returns an index of an offer that parses, or none; with an
//     empty Accept it returns the first offer that parses; the string and the
//     parsed-offer overloads agree; a chosen offer matches a valid range with
//     q > 0 (unless no range is valid);
//  3. a Content-Type accepted once is accepted again when re-parsed from its
//     own type/subtype/params slice.
#include "http/media_type.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using namespace hs::http;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "http_media_type_fuzz property failed: %s\n", what);
  std::abort();
}

#define CHECK(cond) \
  do {              \
    if (!(cond)) fail(#cond); \
  } while (0)

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void check_params(std::string_view params, std::string_view whole) {
  CHECK(inside(params, whole));
  ParamIterator it(params);
  MediaParam p;
  size_t n = 0;
  while (it.next(p)) {
    CHECK(inside(p.name, params) && inside(p.value, params));
    CHECK(!p.name.empty());
    CHECK(++n <= params.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string in(reinterpret_cast<const char*>(data), size);
  const std::string_view all(in);
  const size_t nl = all.find('\n');
  const std::string_view header = all.substr(0, nl);
  std::vector<std::string_view> offers;
  if (nl != std::string_view::npos) {
    std::string_view rest = all.substr(nl + 1);
    while (offers.size() < 8) {
      const size_t e = rest.find('\n');
      offers.push_back(rest.substr(0, e));
      if (e == std::string_view::npos) break;
      rest = rest.substr(e + 1);
    }
  }

  // 1. Content-Type.
  MediaType mt;
  if (!parse_media_type(header, mt)) {
    CHECK(inside(mt.type, header) && inside(mt.subtype, header));
    CHECK(!mt.type.empty() && !mt.subtype.empty());
    check_params(mt.params, header);
    // 3.
    const char* b = mt.type.data();
    const std::string_view slice(b, static_cast<size_t>(mt.params.data() + mt.params.size() - b));
    MediaType again;
    CHECK(!parse_media_type(slice, again));
    CHECK(again.type == mt.type && again.subtype == mt.subtype && again.params == mt.params);
  }

  // 1. Accept.
  AcceptIterator ai(header);
  MediaRange r;
  size_t n = 0;
  bool any_valid = false;
  while (ai.next(r)) {
    CHECK(++n <= header.size());
    CHECK(r.q <= 1000);
    CHECK(inside(r.element, header) && !r.element.empty());
    if (!r.valid) continue;
    any_valid = true;
    CHECK(inside(r.type, header) && inside(r.subtype, header));
    CHECK(!r.type.empty() && !r.subtype.empty());
    CHECK(r.type != "*" || r.subtype == "*");
    check_params(r.params, header);
    CHECK(specificity(r) >= 0);
  }

  // 2. negotiate.
  const auto got = negotiate(header, std::span<const std::string_view>(offers));
  std::vector<MediaType> parsed;
  std::vector<size_t> index_of;  // parsed[k] is offers[index_of[k]]
  for (size_t i = 0; i < offers.size(); ++i) {
    MediaType m;
    if (!parse_media_type(offers[i], m)) {
      parsed.push_back(m);
      index_of.push_back(i);
    }
  }
  if (got) {
    CHECK(*got < offers.size());
    MediaType chosen;
    CHECK(!parse_media_type(offers[*got], chosen));
    if (any_valid) {
      bool ok = false;
      AcceptIterator it(header);
      while (it.next(r))
        if (r.valid && r.q > 0 && matches(r, chosen)) ok = true;
      CHECK(ok);
    }
  }
  if (!any_valid) CHECK(got == (index_of.empty() ? std::nullopt : std::optional<size_t>(index_of[0])));
  const auto got2 = negotiate(header, std::span<const MediaType>(parsed));
  CHECK(got.has_value() == got2.has_value());
  if (got) CHECK(index_of[*got2] == *got);
  return 0;
}
