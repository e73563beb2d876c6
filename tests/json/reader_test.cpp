// Read API: member lookup, iteration, string unescaping, numbers, bools/null.
#include "json/json.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace {

using hs::json::ReadErr;
using hs::json::Token;

// Parses into storage the fixture owns; asserts success.
struct Doc {
  std::string text;
  std::vector<Token> tokens;
  hs::json::Document doc;
  explicit Doc(std::string s) : text(std::move(s)), tokens(hs::json::tokens_needed_at_most(text.size())) {
    const auto p = hs::json::parse_document(text, tokens);
    EXPECT_TRUE(p.ok()) << text << ": " << hs::json::message(p.error.code) << " at " << p.error.offset;
    doc = p.doc;
  }
  hs::json::Value root() const { return doc.root(); }
};

TEST(Reader, HandlerStyleAccess) {
  Doc d(R"({"user":{"name":"Alice","id":42,"admin":false,"email":null},"tags":["a","b"],"ratio":0.5})");
  const auto root = d.root();
  ASSERT_TRUE(root.is_object());
  EXPECT_EQ(root.size(), 3u);
  char buf[64];
  const auto name = root["user"]["name"].get_string(buf);
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(name.value, "Alice");
  EXPECT_EQ(root["user"]["id"].as_int64(), 42);
  EXPECT_EQ(root["user"]["admin"].as_bool(), false);
  EXPECT_TRUE(root["user"]["email"].is_null());
  EXPECT_EQ(root["ratio"].as_double(), 0.5);
  // Missing values chain without crashing and read as absent.
  EXPECT_FALSE(root["nope"]);
  EXPECT_FALSE(root["nope"]["deeper"].valid());
  EXPECT_EQ(root["nope"].type(), hs::json::Type::invalid);
  EXPECT_EQ(root["nope"].as_int64(), std::nullopt);
  std::int64_t v = 0;
  EXPECT_EQ(root["nope"].get_int64(v), ReadErr::missing);
  EXPECT_EQ(root["user"]["name"].get_int64(v), ReadErr::wrong_type);
  EXPECT_EQ(root["tags"]["x"].valid(), false);  // find on an array
  EXPECT_EQ(root["tags"].at(1).get_string(buf).value, "b");
  EXPECT_FALSE(root["tags"].at(2));
  EXPECT_FALSE(root.at(0));  // at on an object
  EXPECT_EQ(root["tags"].offset(), d.text.find('['));
  EXPECT_EQ(root["user"]["name"].offset(), d.text.find("\"Alice\""));
  EXPECT_EQ(root["user"]["name"].raw(), "Alice");
}

TEST(Reader, FindSkipsNestedValuesAndMatchesEscapedKeys) {
  Doc d(R"({"a":{"b":[1,{"target":0}]},"na\u006de":"x","target":1,"t\"q":2,"":3,"target":4})");
  const auto root = d.root();
  EXPECT_EQ(root["target"].as_int64(), 1);  // first match at this level only
  EXPECT_EQ(root["name"].raw(), "x");
  EXPECT_EQ(root["t\"q"].as_int64(), 2);
  EXPECT_EQ(root[""].as_int64(), 3);
  EXPECT_FALSE(root["nam"]);
  EXPECT_FALSE(root["namex"]);
}

TEST(Reader, Iteration) {
  Doc d(R"({"list":[1,[2,3],{"k":[]},"s",true],"empty":[],"obj":{"x":1,"y":{"z":2},"w":3},"eo":{}})");
  const auto root = d.root();
  std::vector<std::string> kinds;
  for (const auto v : root["list"].elements()) kinds.push_back(std::to_string(static_cast<int>(v.type())));
  EXPECT_EQ(kinds, (std::vector<std::string>{"3", "1", "0", "2", "4"}));
  int n = 0;
  for (const auto v : root["empty"].elements()) n += v.valid();
  for (const auto m : root["eo"].members()) n += m.key.valid();
  for (const auto v : root["obj"].elements()) n += v.valid();  // not an array: empty range
  EXPECT_EQ(n, 0);
  std::string keys;
  for (const auto m : root["obj"].members()) {
    keys += std::string(m.key.raw()) + "=" + (m.value.is_object() ? "{}" : std::string(m.value.raw())) + ";";
  }
  EXPECT_EQ(keys, "x=1;y={};w=3;");
  std::string top;
  for (const auto m : root.members()) top += std::string(m.key.raw()) + ",";
  EXPECT_EQ(top, "list,empty,obj,eo,");
}

struct StringRow {
  const char* json;      // a JSON string literal
  std::string expected;  // decoded bytes
};

TEST(Reader, Unescaping) {
  const std::vector<StringRow> rows = {
      {R"("plain")", "plain"},
      {R"("")", ""},
      {R"("a\nb")", "a\nb"},
      {R"("\"\\\/\b\f\n\r\t")", "\"\\/\b\f\n\r\t"},
      {R"("\u0041\u00e9\u20AC")", "A\xC3\xA9\xE2\x82\xAC"},
      {R"("\u0000")", std::string("\0", 1)},
      {R"("\u007F\u0080\u07FF\u0800\uFFFF")", "\x7F\xC2\x80\xDF\xBF\xE0\xA0\x80\xEF\xBF\xBF"},
      {R"("\uD83D\uDE00")", "\xF0\x9F\x98\x80"},
      {R"("\uDBFF\uDFFF")", "\xF4\x8F\xBF\xBF"},
      {R"("\ud800\udc00x")", "\xF0\x90\x80\x80x"},
      {"\"caf\xC3\xA9 \\u00e9\"", "caf\xC3\xA9 \xC3\xA9"},
      {R"("x\\u0041")", "x\\u0041"},
  };
  for (const auto& row : rows) {
    Doc d(row.json);
    std::vector<char> buf(d.root().raw().size());  // the documented bound suffices
    const auto s = d.root().get_string(buf);
    ASSERT_TRUE(s.ok()) << row.json;
    EXPECT_EQ(std::string(s.value), row.expected) << row.json;
    EXPECT_TRUE(d.root().equals(row.expected)) << row.json;
    EXPECT_FALSE(d.root().equals(row.expected + "x")) << row.json;
    EXPECT_LE(row.expected.size(), d.root().raw().size());
  }
}

TEST(Reader, UnescapeBufferTooSmallAndNoCopyWithoutEscapes) {
  Doc d(R"(["a\u00e9b","plain"])");
  char small[3];
  EXPECT_EQ(d.root().at(0).get_string(small).error, ReadErr::buffer_too_small);
  char four[4];
  EXPECT_EQ(d.root().at(0).get_string(four).value, "a\xC3\xA9" "b");
  // No escapes: the view points into the input, the buffer is not needed.
  const auto p = d.root().at(1).get_string(std::span<char>());
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.value.data(), d.text.data() + d.text.find("plain"));
  EXPECT_EQ(d.root().get_string(four).error, ReadErr::wrong_type);
}

// Hand-made raw strings (never produced by parse()) decode lone surrogates and
// broken escapes to U+FFFD instead of failing.
TEST(Reader, UnescapeReplacesLoneSurrogatesInRawInput) {
  char out[32];
  auto dec = [&](std::string_view raw) {
    const std::size_t n = hs::json::unescape(raw, out);
    return n == static_cast<std::size_t>(-1) ? std::string("<small>") : std::string(out, n);
  };
  EXPECT_EQ(dec("\\uD800"), "\xEF\xBF\xBD");
  EXPECT_EQ(dec("\\uDC00a"), "\xEF\xBF\xBD" "a");
  EXPECT_EQ(dec("\\uD800\\u0041"), "\xEF\xBF\xBD" "A");
  EXPECT_EQ(dec("\\u12"), "\xEF\xBF\xBD" "12");
  EXPECT_EQ(dec("a\\"), "a\\");
  EXPECT_EQ(hs::json::unescape("abc", std::span<char>(out, 2)), static_cast<std::size_t>(-1));
}

struct NumberRow {
  const char* json;
  ReadErr int_err;
  std::int64_t int_value;
  ReadErr double_err;
  double double_value;
};

TEST(Reader, Numbers) {
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  const std::vector<NumberRow> rows = {
      {"0", ReadErr::ok, 0, ReadErr::ok, 0.0},
      {"-0", ReadErr::ok, 0, ReadErr::ok, -0.0},
      {"42", ReadErr::ok, 42, ReadErr::ok, 42.0},
      {"-17", ReadErr::ok, -17, ReadErr::ok, -17.0},
      {"9223372036854775807", ReadErr::ok, kMax, ReadErr::ok, 9223372036854775807.0},
      {"9223372036854775808", ReadErr::out_of_range, 0, ReadErr::ok, 9223372036854775808.0},
      {"-9223372036854775808", ReadErr::ok, kMin, ReadErr::ok, -9223372036854775808.0},
      {"-9223372036854775809", ReadErr::out_of_range, 0, ReadErr::ok, -9223372036854775809.0},
      {"100000000000000000000000", ReadErr::out_of_range, 0, ReadErr::ok, 1e23},
      {"1.0", ReadErr::not_integer, 0, ReadErr::ok, 1.0},
      {"1e2", ReadErr::not_integer, 0, ReadErr::ok, 100.0},
      {"0.1", ReadErr::not_integer, 0, ReadErr::ok, 0.1},
      {"-2.5E-3", ReadErr::not_integer, 0, ReadErr::ok, -0.0025},
      {"1.7976931348623157e308", ReadErr::not_integer, 0, ReadErr::ok, 1.7976931348623157e308},
      {"1e400", ReadErr::not_integer, 0, ReadErr::out_of_range, 0},
      {"-1e400", ReadErr::not_integer, 0, ReadErr::out_of_range, 0},
      {"123456789e302", ReadErr::not_integer, 0, ReadErr::out_of_range, 0},
      {"0.00001e-400", ReadErr::not_integer, 0, ReadErr::ok, 0.0},
      {"1e-400", ReadErr::not_integer, 0, ReadErr::ok, 0.0},
      {"-1e-400", ReadErr::not_integer, 0, ReadErr::ok, -0.0},
      {"4.9e-324", ReadErr::not_integer, 0, ReadErr::ok, 4.9e-324},
      {"1E+2", ReadErr::not_integer, 0, ReadErr::ok, 100.0},
      {"0e99999999999999999999", ReadErr::not_integer, 0, ReadErr::ok, 0.0},
  };
  for (const auto& row : rows) {
    Doc d(row.json);
    std::int64_t i = -1;
    EXPECT_EQ(d.root().get_int64(i), row.int_err) << row.json;
    if (row.int_err == ReadErr::ok) {
      EXPECT_EQ(i, row.int_value) << row.json;
    }
    double x = -1;
    EXPECT_EQ(d.root().get_double(x), row.double_err) << row.json;
    if (row.double_err == ReadErr::ok) {
      EXPECT_EQ(x, row.double_value) << row.json;
      EXPECT_EQ(std::signbit(x), std::signbit(row.double_value)) << row.json;
    }
  }
}

TEST(Reader, BoolsNullAndWrongTypes) {
  Doc d(R"([true,false,null,"true",1])");
  const auto r = d.root();
  EXPECT_EQ(r.at(0).as_bool(), true);
  EXPECT_EQ(r.at(1).as_bool(), false);
  EXPECT_EQ(r.at(2).as_bool(), std::nullopt);
  EXPECT_TRUE(r.at(2).is_null());
  EXPECT_FALSE(r.at(3).is_bool());
  bool b = false;
  EXPECT_EQ(r.at(3).get_bool(b), ReadErr::wrong_type);
  EXPECT_EQ(r.at(9).get_bool(b), ReadErr::missing);
  double x;
  EXPECT_EQ(r.at(3).get_double(x), ReadErr::wrong_type);
  EXPECT_EQ(r.at(4).size(), 0u);
  EXPECT_EQ(r.size(), 5u);
  EXPECT_STREQ(hs::json::message(ReadErr::not_integer), "not an integer");
}

TEST(Reader, FailedParseGivesEmptyDocument) {
  Token t[8];
  const auto p = hs::json::parse_document("{\"a\":", t);
  EXPECT_FALSE(p.ok());
  EXPECT_TRUE(p.doc.empty());
  EXPECT_FALSE(p.doc.root());
  EXPECT_FALSE(p.doc.root()["a"]);
}

// The README's example, compiled and run.
TEST(Reader, ReadmeExample) {
  const std::string body = R"({"user":{"id":7,"name":"Bob \u00e9"},"tags":["x","y"]})";
  std::vector<Token> storage(hs::json::tokens_needed_at_most(body.size()));
  std::span<Token> tokens(storage);
  char out[128];
  hs::json::Writer w(out);
  auto parsed = hs::json::parse_document(body, tokens, {.max_depth = 32});
  if (!parsed.ok()) {
    char msg[64];
    w.begin_object().key("error").string(hs::json::format_error(parsed.error, msg)).end_object();
  }
  ASSERT_TRUE(parsed.ok());
  auto user = parsed.doc.root()["user"];
  std::optional<std::int64_t> id = user["id"].as_int64();
  char buf[256];
  hs::json::StringRead name = user["name"].get_string(buf);
  int n = 0;
  for (auto tag : parsed.doc.root()["tags"].elements()) n += tag.is_string();
  EXPECT_EQ(id, 7);
  EXPECT_EQ(name.value, "Bob \xC3\xA9");
  EXPECT_EQ(n, 2);
}

}  // namespace
