// Writer: structure and commas, escaping (a table), UTF-8 checks, overflow and
// misuse reporting, numbers, and output that our own parser accepts.
#include "json/json.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace {

using hs::json::WriteErr;
using hs::json::Writer;

TEST(Writer, ObjectsArraysAndCommas) {
  char buf[256];
  Writer w(buf);
  w.begin_object()
      .key("id").integer(42)
      .key("name").string("Alice")
      .key("tags").begin_array().string("a").begin_array().end_array().begin_object().end_object().null().end_array()
      .key("ok").boolean(true)
      .key("no").boolean(false)
      .key("nested").begin_object().key("x").real(0.5).end_object()
      .end_object();
  ASSERT_TRUE(w.ok());
  EXPECT_TRUE(w.complete());
  EXPECT_EQ(w.view(),
            R"({"id":42,"name":"Alice","tags":["a",[],{},null],"ok":true,"no":false,"nested":{"x":0.5}})");
  EXPECT_EQ(w.size(), w.view().size());
  hs::json::Token t[32];
  EXPECT_TRUE(hs::json::parse(w.view(), t).ok());
}

TEST(Writer, ScalarRoots) {
  char buf[32];
  EXPECT_EQ(Writer(buf).integer(-9223372036854775807 - 1).view(), "-9223372036854775808");
  EXPECT_EQ(Writer(buf).string("").view(), "\"\"");
  EXPECT_EQ(Writer(buf).null().view(), "null");
  Writer w(buf);
  EXPECT_FALSE(w.complete());
  w.begin_array();
  EXPECT_FALSE(w.complete());
  w.end_array();
  EXPECT_TRUE(w.complete());
}

struct EscapeRow {
  std::string in;
  std::string out;  // the JSON string literal written
};

TEST(Writer, Escaping) {
  const std::vector<EscapeRow> rows = {
      {"plain", R"("plain")"},
      {"\"", R"("\"")"},
      {"\\", R"("\\")"},
      {"/", R"("/")"},
      {"\b\f\n\r\t", R"("\b\f\n\r\t")"},
      {std::string("\0", 1), R"("\u0000")"},
      {"\x01\x1f", R"("\u0001\u001f")"},
      {"\x7f", "\"\x7f\""},
      {"caf\xC3\xA9 \xE6\x9D\xB1 \xF0\x9F\x98\x80", "\"caf\xC3\xA9 \xE6\x9D\xB1 \xF0\x9F\x98\x80\""},
      {"a\"b\\c\nd", R"("a\"b\\c\nd")"},
      {"\xE2\x80\xA8", "\"\xE2\x80\xA8\""},
  };
  for (const auto& row : rows) {
    char buf[64];
    Writer w(buf);
    w.string(row.in);
    ASSERT_TRUE(w.ok()) << row.out;
    EXPECT_EQ(w.view(), row.out);
    // Round trip through the parser and the reader.
    hs::json::Token t[1];
    const auto p = hs::json::parse_document(w.view(), t);
    ASSERT_TRUE(p.ok()) << row.out;
    char dec[64];
    EXPECT_EQ(p.doc.root().get_string(dec).value, row.in);
    // Keys are escaped the same way.
    char kb[80];
    Writer wk(kb);
    wk.begin_object().key(row.in).integer(1).end_object();
    EXPECT_EQ(wk.view(), "{" + row.out + ":1}");
  }
}

TEST(Writer, InvalidUtf8IsReported) {
  for (const char* bad : {"\xC3", "\xC3\x28", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xFF", "a\x80"}) {
    char buf[32];
    Writer w(buf);
    w.begin_array().string(bad).end_array();
    EXPECT_EQ(w.status(), WriteErr::invalid_utf8) << bad;
    EXPECT_EQ(w.view(), "");
    Writer wk(buf);
    wk.begin_object().key(bad);
    EXPECT_EQ(wk.status(), WriteErr::invalid_utf8);
  }
}

TEST(Writer, OverflowIsReportedNotTruncated) {
  const std::string doc = R"({"k":"v\n","n":[1,2]})";
  for (std::size_t cap = 0; cap <= doc.size(); ++cap) {
    std::vector<char> buf(cap);
    Writer w(buf);
    w.begin_object().key("k").string("v\n").key("n").begin_array().integer(1).integer(2).end_array().end_object();
    if (cap < doc.size()) {
      EXPECT_EQ(w.status(), WriteErr::overflow) << cap;
      EXPECT_EQ(w.view(), "");
      EXPECT_EQ(w.size(), 0u);
      EXPECT_FALSE(w.complete());
    } else {
      EXPECT_TRUE(w.complete());
      EXPECT_EQ(w.view(), doc);
    }
  }
}

TEST(Writer, MisuseIsReported) {
  char buf[64];
  auto status = [&](auto&& steps) {
    Writer w(buf);
    steps(w);
    return w.status();
  };
  EXPECT_EQ(status([](Writer& w) { w.begin_object().integer(1); }), WriteErr::misuse);  // value without key
  EXPECT_EQ(status([](Writer& w) { w.begin_array().key("a"); }), WriteErr::misuse);     // key in array
  EXPECT_EQ(status([](Writer& w) { w.key("a"); }), WriteErr::misuse);                   // key at top level
  EXPECT_EQ(status([](Writer& w) { w.begin_object().key("a").key("b"); }), WriteErr::misuse);
  EXPECT_EQ(status([](Writer& w) { w.begin_object().key("a").end_object(); }), WriteErr::misuse);
  EXPECT_EQ(status([](Writer& w) { w.begin_object().end_array(); }), WriteErr::misuse);
  EXPECT_EQ(status([](Writer& w) { w.end_array(); }), WriteErr::misuse);
  EXPECT_EQ(status([](Writer& w) { w.integer(1).integer(2); }), WriteErr::misuse);  // two roots
  EXPECT_EQ(status([](Writer& w) { w.real(std::nan("")); }), WriteErr::invalid_value);
  EXPECT_EQ(status([](Writer& w) { w.real(std::numeric_limits<double>::infinity()); }), WriteErr::invalid_value);
  EXPECT_EQ(status([](Writer& w) { w.number_text("01"); }), WriteErr::invalid_value);
  EXPECT_EQ(status([](Writer& w) { w.number_text(" 1"); }), WriteErr::invalid_value);
  EXPECT_EQ(status([](Writer& w) { w.number_text("1 "); }), WriteErr::invalid_value);
  EXPECT_EQ(status([](Writer& w) { w.number_text("\"1\""); }), WriteErr::invalid_value);
  EXPECT_EQ(status([](Writer& w) { w.number_text("-1.5e+3"); }), WriteErr::ok);
  // Errors are sticky.
  Writer w(buf);
  w.begin_array().end_object().integer(1).end_array();
  EXPECT_EQ(w.status(), WriteErr::misuse);
  EXPECT_STREQ(hs::json::message(WriteErr::overflow), "output buffer full");
}

TEST(Writer, DepthLimit) {
  std::vector<char> buf(8 * hs::json::kMaxWriterDepth + 8);
  Writer w(buf);
  for (std::uint32_t i = 0; i < hs::json::kMaxWriterDepth; ++i) w.begin_array();
  for (std::uint32_t i = 0; i < hs::json::kMaxWriterDepth; ++i) w.end_array();
  EXPECT_TRUE(w.complete());
  Writer deep(buf);
  for (std::uint32_t i = 0; i <= hs::json::kMaxWriterDepth; ++i) deep.begin_object().key("");
  EXPECT_EQ(deep.status(), WriteErr::misuse);
}

TEST(Writer, DoublesRoundTrip) {
  for (double d : {0.0, -0.0, 0.1, 1.0 / 3, 1e300, -1e-300, 4.9e-324, 1.7976931348623157e308, 123456789.0, 1e21}) {
    char buf[64];
    Writer w(buf);
    w.real(d);
    ASSERT_TRUE(w.ok());
    hs::json::Token t[1];
    const auto p = hs::json::parse_document(w.view(), t);
    ASSERT_TRUE(p.ok()) << w.view();
    double back = 1;
    ASSERT_EQ(p.doc.root().get_double(back), hs::json::ReadErr::ok) << w.view();
    EXPECT_EQ(back, d) << w.view();
    EXPECT_EQ(std::signbit(back), std::signbit(d));
  }
}

// The error body a handler sends with a 400.
TEST(Writer, ErrorBodyForAHandler) {
  const std::string body = "{\"name\":\"x\",\"n\" 5}";
  hs::json::Token t[8];
  const auto r = hs::json::parse(body, t);
  char msg[64], out[96];
  Writer w(out);
  w.begin_object().key("error").string(hs::json::format_error(r.error, msg)).end_object();
  EXPECT_EQ(w.view(), R"({"error":"expected ':' at byte 16"})");
}

}  // namespace
