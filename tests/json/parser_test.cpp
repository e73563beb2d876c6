// hs::json::parse: error kinds and offsets (a table), token layout, limits
// (depth, token array), the memory bound, and linear behaviour on deep input.
#include "json/json.hpp"
#include "tests/json/structure_check.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

namespace {

using hs::json::Errc;
using hs::json::Limits;
using hs::json::Token;
using hs::json::Type;

struct ErrorRow {
  const char* name;
  std::string input;
  Errc code;
  std::uint32_t offset;
};

void PrintTo(const ErrorRow& r, std::ostream* os) { *os << r.name; }

const std::vector<ErrorRow>& error_rows() {
  static const std::vector<ErrorRow> rows = {
      {"empty", "", Errc::unexpected_end, 0},
      {"only_whitespace", " \t\r\n", Errc::unexpected_end, 4},
      {"open_object", "{", Errc::unexpected_end, 1},
      {"open_array_value", "[1,2", Errc::unexpected_end, 4},
      {"unterminated_string", "\"abc", Errc::unexpected_end, 4},
      {"missing_colon", "{\"a\" 1}", Errc::expected_colon, 5},
      {"trailing_comma_object", "{\"a\":1,}", Errc::expected_key, 7},
      {"trailing_comma_array", "[1,]", Errc::expected_value, 3},
      {"missing_comma_array", "[1 2]", Errc::expected_comma_or_array_end, 3},
      {"missing_comma_object", "{\"a\":1 \"b\":2}", Errc::expected_comma_or_object_end, 7},
      {"number_key", "{1:2}", Errc::expected_key, 1},
      {"mismatched_close", "[1}", Errc::expected_comma_or_array_end, 2},
      {"short_literal", "tru", Errc::invalid_literal, 0},
      {"bad_literal_in_array", "[nul]", Errc::invalid_literal, 1},
      {"capital_literal", "True", Errc::expected_value, 0},
      {"leading_zero", "01", Errc::invalid_number, 1},
      {"minus_alone", "-", Errc::unexpected_end, 1},
      {"minus_letter", "-a", Errc::invalid_number, 1},
      {"dot_at_end", "1.", Errc::unexpected_end, 2},
      {"dot_then_exp", "1.e3", Errc::invalid_number, 2},
      {"exp_at_end", "1e", Errc::unexpected_end, 2},
      {"exp_sign_no_digit", "1e+]", Errc::invalid_number, 3},
      {"plus_sign", "+1", Errc::expected_value, 0},
      {"leading_dot", ".5", Errc::expected_value, 0},
      {"hex_number", "0x10", Errc::trailing_content, 1},
      {"bad_escape", "\"\\x\"", Errc::invalid_escape, 1},
      {"bad_unicode_escape", "[\"\\u12G4\"]", Errc::invalid_escape, 2},
      {"short_unicode_escape", "\"\\u12\"", Errc::invalid_escape, 1},
      {"control_char", "\"a\x01\"", Errc::control_character, 2},
      {"raw_newline", "\"a\nb\"", Errc::control_character, 2},
      {"bad_utf8", "\"\xC3\x28\"", Errc::invalid_utf8, 1},
      {"overlong_utf8", "\"\xC0\xAF\"", Errc::invalid_utf8, 1},
      {"utf8_surrogate", "\"\xED\xA0\x80\"", Errc::invalid_utf8, 1},
      {"above_10ffff", "\"\xF4\x90\x80\x80\"", Errc::invalid_utf8, 1},
      {"truncated_utf8", "\"\xE2\x82", Errc::invalid_utf8, 1},
      {"lone_low_surrogate", "\"\\uDC00\"", Errc::lone_surrogate, 1},
      {"high_then_letter", "\"ab\\uD800\\u0041\"", Errc::lone_surrogate, 3},
      {"high_at_end", "\"\\uD800\"", Errc::lone_surrogate, 1},
      {"two_values", "1 2", Errc::trailing_content, 2},
      {"garbage_after", "{} x", Errc::trailing_content, 3},
      {"comment", "/* c */ 1", Errc::expected_value, 0},
      {"bom", "\xEF\xBB\xBF{}", Errc::expected_value, 0},
      {"nul_after", std::string("1\0", 2), Errc::trailing_content, 1},
      {"single_quotes", "['a']", Errc::expected_value, 1},
  };
  return rows;
}

class ParserErrors : public ::testing::TestWithParam<ErrorRow> {};

TEST_P(ParserErrors, KindAndOffset) {
  const ErrorRow& row = GetParam();
  std::vector<Token> tokens(64);
  const auto r = hs::json::parse(row.input, tokens);
  EXPECT_EQ(static_cast<int>(r.error.code), static_cast<int>(row.code))
      << "got " << hs::json::message(r.error.code) << " at " << r.error.offset;
  EXPECT_EQ(r.error.offset, row.offset);
}

INSTANTIATE_TEST_SUITE_P(Table, ParserErrors, ::testing::ValuesIn(error_rows()),
                         [](const auto& row) { return std::string(row.param.name); });

TEST(ParserErrors, NulInsideInputIsData) {
  const std::string s("[1,\0]", 5);
  Token t[8];
  const auto r = hs::json::parse(s, t);
  EXPECT_EQ(r.error.code, Errc::expected_value);
  EXPECT_EQ(r.error.offset, 3u);
}

TEST(ParserErrors, MessageForAHandler) {
  Token t[8];
  const std::string body = "{\"name\":\"x\",\"n\" 5}";
  const auto r = hs::json::parse(body, t);
  char buf[64];
  EXPECT_EQ(hs::json::format_error(r.error, buf), "expected ':' at byte 16");
  EXPECT_EQ(r.error.kind(), hs::json::ErrorKind::syntax);
  char tiny[8];
  EXPECT_EQ(hs::json::format_error(r.error, tiny), "expecte");
  EXPECT_EQ(hs::json::format_error(r.error, std::span<char>()), "");
}

TEST(ParserErrors, Kinds) {
  using hs::json::ErrorKind;
  EXPECT_EQ(hs::json::kind_of(Errc::ok), ErrorKind::none);
  EXPECT_EQ(hs::json::kind_of(Errc::invalid_utf8), ErrorKind::invalid_unicode);
  EXPECT_EQ(hs::json::kind_of(Errc::lone_surrogate), ErrorKind::invalid_unicode);
  EXPECT_EQ(hs::json::kind_of(Errc::too_deep), ErrorKind::too_deep);
  EXPECT_EQ(hs::json::kind_of(Errc::too_many_tokens), ErrorKind::too_many_tokens);
  EXPECT_EQ(hs::json::kind_of(Errc::input_too_large), ErrorKind::too_large);
  for (int e = 0; e <= static_cast<int>(Errc::input_too_large); ++e)
    EXPECT_STRNE(hs::json::message(static_cast<Errc>(e)), "unknown error");
}

TEST(ParserTokens, Layout) {
  //                       0         1         2         3
  //                       0123456789012345678901234567890123456
  const std::string in = R"( {"a":[1,{"b":null}],"c\n":"d",  "e":-2.5e3 } )";
  std::vector<Token> t(hs::json::tokens_needed_at_most(in.size()));
  const auto r = hs::json::parse(in, t);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.token_count, 11u);
  EXPECT_EQ(hs::json::testing::check_structure(in, std::span<const Token>(t.data(), r.token_count), 10), "");
  // 0:{ 1:"a" 2:[ 3:1 4:{ 5:"b" 6:null 7:"c\n" 8:"d" 9:"e" 10:-2.5e3
  EXPECT_EQ(t[0].type(), Type::object);
  EXPECT_EQ(t[0].count(), 3u);
  EXPECT_EQ(t[0].start, 1u);
  EXPECT_EQ(t[0].end, in.size() - 1);
  EXPECT_EQ(t[0].next, 11u);
  EXPECT_EQ(t[1].type(), Type::string);
  EXPECT_EQ(in.substr(t[1].start, t[1].end - t[1].start), "a");
  EXPECT_EQ(t[1].next, 2u);
  EXPECT_EQ(t[2].type(), Type::array);
  EXPECT_EQ(t[2].count(), 2u);
  EXPECT_EQ(t[2].next, 7u);
  EXPECT_EQ(t[3].type(), Type::number);
  EXPECT_EQ(t[3].next, 4u);
  EXPECT_EQ(t[4].type(), Type::object);
  EXPECT_EQ(t[4].count(), 1u);
  EXPECT_EQ(t[4].next, 7u);
  EXPECT_EQ(t[6].type(), Type::null);
  EXPECT_TRUE(t[7].escaped());
  EXPECT_FALSE(t[8].escaped());
  EXPECT_EQ(t[8].next, 9u);
  EXPECT_EQ(in.substr(t[10].start, t[10].end - t[10].start), "-2.5e3");
  EXPECT_EQ(t[10].next, 11u);
}

TEST(ParserTokens, Scalars) {
  for (const char* s : {"0", "-0", "1.5E+10", "true", "false", "null", "\"\"", "\"\\u00e9\xC3\xA9\"", " 7 "}) {
    Token t[1];
    const auto r = hs::json::parse(s, t);
    EXPECT_TRUE(r.ok()) << s;
    EXPECT_EQ(r.token_count, 1u);
    EXPECT_EQ(t[0].next, 1u);
  }
}

TEST(ParserLimits, TokenArrayExhaustion) {
  Token t[4];
  auto r = hs::json::parse("[1,2,3]", std::span<Token>(t, 3));
  EXPECT_EQ(r.error.code, Errc::too_many_tokens);
  EXPECT_EQ(r.error.offset, 5u);
  EXPECT_EQ(r.error.kind(), hs::json::ErrorKind::too_many_tokens);
  r = hs::json::parse("[1,2,3]", std::span<Token>(t, 4));
  EXPECT_TRUE(r.ok());
  r = hs::json::parse("{\"k\":1}", std::span<Token>(t, 1));
  EXPECT_EQ(r.error.code, Errc::too_many_tokens);
  EXPECT_EQ(r.error.offset, 1u);  // the key
  r = hs::json::parse(" 1", std::span<Token>());
  EXPECT_EQ(r.error.code, Errc::too_many_tokens);
  EXPECT_EQ(r.error.offset, 1u);
}

// tokens_needed_at_most(N) suffices for the densest documents of each shape.
TEST(ParserLimits, MemoryBoundHoldsForDenseInputs) {
  auto repeat = [](std::string open, const std::string& item, int n, std::string close) {
    for (int i = 0; i < n; ++i) open += (i ? "," : "") + item;
    return open + close;
  };
  const std::vector<std::string> inputs = {
      "1", "[]", "[1]", "[[]]", "{\"\":1}",
      repeat("[", "1", 1000, "]"), repeat("[", "[]", 1000, "]"), repeat("[", "{}", 1000, "]"),
      repeat("{", "\"\":1", 1000, "}"), repeat("{", "\"\":[]", 1000, "}"), std::string(1000, '[') + std::string(1000, ']'),
  };
  for (const auto& in : inputs) {
    std::vector<Token> t(hs::json::tokens_needed_at_most(in.size()));
    const auto r = hs::json::parse(in, t, Limits{2000});
    EXPECT_TRUE(r.ok()) << in.substr(0, 20) << ": " << hs::json::message(r.error.code);
    EXPECT_LE(r.token_count, t.size());
  }
}

TEST(ParserLimits, DepthLimitExact) {
  Token t[16];
  EXPECT_TRUE(hs::json::parse("[[[1]]]", t, Limits{3}).ok());
  auto r = hs::json::parse("[[[[1]]]]", t, Limits{3});
  EXPECT_EQ(r.error.code, Errc::too_deep);
  EXPECT_EQ(r.error.offset, 3u);
  r = hs::json::parse("[{\"a\":[{}]}]", t, Limits{3});
  EXPECT_EQ(r.error.code, Errc::too_deep);
  EXPECT_EQ(r.error.offset, 7u);
  EXPECT_TRUE(hs::json::parse("7", t, Limits{0}).ok());
  EXPECT_EQ(hs::json::parse("[]", t, Limits{0}).error.code, Errc::too_deep);
  // Siblings do not add depth.
  EXPECT_TRUE(hs::json::parse("[[],[],{},[[]]]", t, Limits{3}).ok());
  EXPECT_EQ(hs::json::parse("[[],[],{},[[]]]", t, Limits{2}).error.offset, 11u);
}

// No recursion: 100,000 and 1,000,000 '[' end in a clean "too deep" exactly at
// the limit, and with a limit above the input they run to "unexpected end"
// with one token per bracket (nothing but the token array grows).
TEST(ParserLimits, HugeNestingIsCleanAndLinear) {
  for (std::size_t n : {std::size_t{100000}, std::size_t{1000000}}) {
    const std::string in(n, '[');
    std::vector<Token> t(hs::json::tokens_needed_at_most(in.size()) + n);
    auto r = hs::json::parse(in, t, Limits{1000});
    EXPECT_EQ(r.error.code, Errc::too_deep);
    EXPECT_EQ(r.error.offset, 1000u);
    EXPECT_EQ(r.token_count, 1000u);
    r = hs::json::parse(in, t, Limits{static_cast<std::uint32_t>(n)});
    EXPECT_EQ(r.error.code, Errc::unexpected_end);
    EXPECT_EQ(r.error.offset, n);
    EXPECT_EQ(r.token_count, n);
  }
}

// A million nested arrays parse completely; each close is O(1) (parent link),
// so the structure is right and the run is as fast as a flat array's.
TEST(ParserLimits, MillionDeepAccepted) {
  const std::size_t n = 1000000;
  const std::string in = std::string(n, '[') + std::string(n, ']');
  std::vector<Token> t(n);
  const auto r = hs::json::parse(in, t, Limits{static_cast<std::uint32_t>(n)});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.token_count, n);
  for (std::size_t i = 0; i < n; ++i) {
    ASSERT_EQ(t[i].start, i);
    ASSERT_EQ(t[i].end, 2 * n - i);
    ASSERT_EQ(t[i].next, n);
    ASSERT_EQ(t[i].count(), i + 1 < n ? 1u : 0u);
  }
  auto r2 = hs::json::parse(in, t, Limits{static_cast<std::uint32_t>(n - 1)});
  EXPECT_EQ(r2.error.code, Errc::too_deep);
  EXPECT_EQ(r2.error.offset, n - 1);
}

TEST(ParserLimits, WhitespaceEverywhere) {
  const std::string in = " \t\n\r[ 1 , { \"a\" : true , \"b\":[ ] } , \"x\" ] \n";
  Token t[16];
  const auto r = hs::json::parse(in, t);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(hs::json::testing::check_structure(in, std::span<const Token>(t, r.token_count), 8), "");
}

TEST(ParserLimits, LongStringsAcrossVectorBoundaries) {
  // Specials at every position relative to the 16-byte scan, and at the very end.
  for (std::size_t len = 0; len < 40; ++len) {
    for (const char* special : {"\\n", "\xC3\xA9", "\\u00e9", "\\uD83D\\uDE00"}) {
      std::string body(len, 'x');
      const std::string in = "\"" + body + special + body + "\"";
      Token t[1];
      const auto r = hs::json::parse(in, t);
      ASSERT_TRUE(r.ok()) << in;
      EXPECT_EQ(t[0].end, in.size() - 1);
      const std::string bad = "\"" + body + "\x01" + "\"";
      EXPECT_EQ(hs::json::parse(bad, t).error.offset, len + 1);
      const std::string open = "\"" + body;
      EXPECT_EQ(hs::json::parse(open, t).error.code, Errc::unexpected_end);
    }
  }
}

}  // namespace
