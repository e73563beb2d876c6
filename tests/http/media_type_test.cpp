// Media type rows: Content-Type values, Accept elements (validity, q), and
// negotiation (Accept + offers -> chosen index or none).
#include "http/media_type.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hs::http {
namespace {

struct CtRow {
  std::string text;
  bool ok;
  std::string type = "", subtype = "";
  std::string charset = "";  // value of the charset param as held (quotes stripped)
};

TEST(MediaType, ContentTypeRows) {
  const std::vector<CtRow> rows = {
      {"text/html", true, "text", "html"},
      {"text/html; charset=utf-8", true, "text", "html", "utf-8"},
      {"TEXT/HTML;Charset=\"UTF-8\"", true, "TEXT", "HTML", "UTF-8"},
      {"application/json;", true, "application", "json"},
      {"text/plain ; a=b ;charset=x", true, "text", "plain", "x"},
      {"text/plain;;charset=y", true, "text", "plain", "y"},
      {" text/plain ", true, "text", "plain"},
      {"multipart/form-data; boundary=\"a b\\\"c\"", true, "multipart", "form-data"},
      {"application/vnd.api+json", true, "application", "vnd.api+json"},
      {"", false},
      {"text", false},
      {"text/", false},
      {"/html", false},
      {"te xt/html", false},
      {"text/html charset=utf-8", false},
      {"text/html;charset", false},
      {"text/html;charset=", false},
      {"text/html;charset =utf-8", false},
      {"text/html;charset= utf-8", false},
      {"text/html;a=\"unterminated", false},
      {"text/html;a=\"x\"y", false},
      {"text/html;a=b c", false},
      {"text/html,text/plain", false},
      {"text/h\x01tml", false},
  };
  for (const CtRow& r : rows) {
    SCOPED_TRACE("Content-Type: " + r.text);
    MediaType mt;
    const Error e = parse_media_type(r.text, mt);
    EXPECT_EQ(!e, r.ok) << e.reason;
    if (!r.ok) {
      EXPECT_EQ(e.status, Status::BadRequest);
      continue;
    }
    EXPECT_EQ(mt.type, r.type);
    EXPECT_EQ(mt.subtype, r.subtype);
    const auto cs = mt.param("CHARSET");
    EXPECT_EQ(cs ? std::string(cs->value) : std::string(), r.charset);
  }
}

TEST(MediaType, ParamsAndValues) {
  MediaType mt;
  ASSERT_FALSE(parse_media_type("multipart/form-data; boundary=\"a b\\\"c\"; x=1", mt));
  EXPECT_TRUE(mt.is("MULTIPART", "Form-Data"));
  ParamIterator it(mt.params);
  MediaParam p;
  ASSERT_TRUE(it.next(p));
  EXPECT_EQ(p.name, "boundary");
  EXPECT_EQ(p.value, "a b\\\"c");
  EXPECT_TRUE(p.quoted);
  EXPECT_TRUE(param_value_iequals(p, "A B\"C"));
  EXPECT_FALSE(param_value_iequals(p, "a b\\\"c"));
  ASSERT_TRUE(it.next(p));
  EXPECT_EQ(p.name, "x");
  EXPECT_EQ(p.value, "1");
  EXPECT_FALSE(it.next(p));
  EXPECT_FALSE(mt.param("y"));
}

struct RangeRow {
  std::string element;
  bool valid;
  int q = 0;
  std::string params = "";
};

TEST(MediaType, AcceptElementRows) {
  const std::vector<RangeRow> rows = {
      {"text/html", true, 1000},
      {"*/*;q=0", true, 0},
      {"text/*;q=0.5", true, 500},
      {"a/b;q=0.123", true, 123},
      {"a/b;q=1.000", true, 1000},
      {"a/b ; Q=0.8", true, 800},
      {"a/b;q=1.", true, 1000},
      {"a/b;q=0.", true, 0},
      {"a/b;q=0.05", true, 50},
      {"text/html;level=1;q=0.5;ext=1", true, 500, ";level=1"},
      {"text/html;level=1", true, 1000, ";level=1"},
      {"a/b;q=2", false},
      {"a/b;q=1.001", false},
      {"a/b;q=0.1234", false},
      {"a/b;q=\"0.5\"", false},
      {"a/b;q=", false},
      {"a/b;q=.5", false},
      {"a/b;q=-1", false},
      {"a/b;q=0.5;q=0.3", false},
      {"*/html", false},
      {"a", false},
      {"a/b;x", false},
      {"a/b c", false},
  };
  for (const RangeRow& r : rows) {
    SCOPED_TRACE("Accept element: " + r.element);
    const std::string header = r.element + ", x/y";
    AcceptIterator it(header);
    MediaRange m;
    ASSERT_TRUE(it.next(m));
    EXPECT_EQ(m.valid, r.valid);
    EXPECT_EQ(m.element, r.element);
    if (r.valid) {
      EXPECT_EQ(m.q, r.q);
      EXPECT_EQ(m.params, r.params);
    }
    // The element after it is always found, whatever happened to this one.
    ASSERT_TRUE(it.next(m));
    EXPECT_TRUE(m.valid);
    EXPECT_EQ(m.type, "x");
    EXPECT_FALSE(it.next(m));
  }
}

struct NegRow {
  std::string accept;
  std::vector<std::string_view> offers;
  int want;  // -1: none (406)
};

TEST(MediaType, NegotiateRows) {
  const std::vector<std::string_view> O = {"text/html", "application/json", "text/plain"};
  const std::vector<NegRow> rows = {
      {"", O, 0},
      {"application/json", O, 1},
      {"text/*", O, 0},
      {"text/*, text/plain", O, 2},
      {"*/*", O, 0},
      {"*/*;q=0.1, application/json", O, 1},
      {"application/json;q=0", O, -1},
      {"application/json;q=0, */*", O, 0},
      {"text/html;q=0, */*;q=0.5", O, 1},
      {"image/png", O, -1},
      {"text/html;q=0.5, application/json;q=0.8", O, 1},
      {"text/html;q=0.8, application/json;q=0.8", O, 0},
      {"foo, ;;, text/plain", O, 2},
      {"text/html;q=2", O, 0},              // no valid element: as if absent
      {"text/html;q=2, text/plain", O, 2},  // the invalid element is ignored
      {",,, ", O, 0},
      {"TEXT/PLAIN", O, 2},
      {"text/*;q=0.3, text/html;q=0.7, */*;q=0.5", {"text/plain", "text/html", "image/png"}, 1},
      {"text/html;level=1", {"text/html", "text/html;level=1"}, 1},
      {"text/html;charset=utf-8", {"text/html; charset=UTF-8"}, 0},
      {"text/html;charset=\"utf-8\"", {"text/html;charset=utf-8"}, 0},
      {"text/html;charset=latin1", {"text/html;charset=utf-8"}, -1},
      {"*/*", {}, -1},
      {"", {"bad", "text/plain"}, 1},
      {"*/*", {"bad", "text/plain"}, 1},
  };
  for (const NegRow& r : rows) {
    SCOPED_TRACE("Accept: " + r.accept);
    const auto got = negotiate(r.accept, std::span<const std::string_view>(r.offers));
    EXPECT_EQ(got ? static_cast<int>(*got) : -1, r.want);
  }
}

TEST(MediaType, NegotiateParsedOffers) {
  MediaType offers[2];
  ASSERT_FALSE(parse_media_type("text/html", offers[0]));
  ASSERT_FALSE(parse_media_type("application/json", offers[1]));
  EXPECT_EQ(negotiate("application/*", offers), 1u);
  EXPECT_EQ(negotiate("", offers), 0u);
  EXPECT_FALSE(negotiate("image/*", offers));
}

}  // namespace
}  // namespace hs::http
