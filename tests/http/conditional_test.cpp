// Conditional request rows (RFC 9110 §13): If-* values and validators in,
// 304 / 412 / proceed out, in the precedence of §13.2.2; If-Range rows.
#include "http/conditional.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hs::http {
namespace {

constexpr auto Go = Precondition::Proceed;
constexpr auto N304 = Precondition::NotModified;
constexpr auto F412 = Precondition::PreconditionFailed;

// The representation: ETag "abc", modified Sun, 06 Nov 1994 08:49:37 GMT.
constexpr std::string_view kTag = "\"abc\"";
constexpr int64_t kMtime = 784111777;
const char* const kAt = "Sun, 06 Nov 1994 08:49:37 GMT";
const char* const kBefore = "Sun, 06 Nov 1994 08:49:36 GMT";
const char* const kAfter = "Sun, 06 Nov 1994 08:49:38 GMT";
const char* const kNone = nullptr;

struct Row {
  const char* if_match;
  const char* if_none_match;
  const char* if_modified_since;
  const char* if_unmodified_since;
  bool get_or_head;
  Precondition want;
  const char* why;
};

const std::vector<Row>& rows() {
  static const std::vector<Row> r = {
      {kNone, kNone, kNone, kNone, true, Go, "no conditions"},
      // If-None-Match
      {kNone, "\"abc\"", kNone, kNone, true, N304, "INM same tag"},
      {kNone, "W/\"abc\"", kNone, kNone, true, N304, "INM weak comparison"},
      {kNone, "\"x\", \"abc\"", kNone, kNone, true, N304, "INM list"},
      {kNone, "\"x\",W/\"abc\" ,\"y\"", kNone, kNone, true, N304, "INM list, weak in the middle"},
      {kNone, "*", kNone, kNone, true, N304, "INM star"},
      {kNone, "\"x\"", kNone, kNone, true, Go, "INM other tag"},
      {kNone, "\"ABC\"", kNone, kNone, true, Go, "INM tags are case-sensitive"},
      {kNone, "abc", kNone, kNone, true, Go, "INM unquoted: malformed"},
      {kNone, "\"abc", kNone, kNone, true, Go, "INM unterminated"},
      {kNone, "", kNone, kNone, true, Go, "INM empty"},
      {kNone, "\"abc\"", kNone, kNone, false, F412, "INM match on a non-GET"},
      // If-Modified-Since
      {kNone, kNone, kAt, kNone, true, N304, "IMS same second"},
      {kNone, kNone, kAfter, kNone, true, N304, "IMS later"},
      {kNone, kNone, kBefore, kNone, true, Go, "IMS earlier"},
      {kNone, kNone, "Sunday, 06-Nov-94 08:49:37 GMT", kNone, true, N304, "IMS RFC 850"},
      {kNone, kNone, "Sun Nov  6 08:49:37 1994", kNone, true, N304, "IMS asctime"},
      {kNone, kNone, "yesterday", kNone, true, Go, "IMS invalid date ignored"},
      {kNone, kNone, kAt, kNone, false, Go, "IMS ignored for other methods"},
      {kNone, "\"x\"", kAt, kNone, true, Go, "INM present: IMS ignored"},
      {kNone, "\"abc\"", kBefore, kNone, true, N304, "INM decides over IMS"},
      // If-Match
      {"\"abc\"", kNone, kNone, kNone, true, Go, "IM same tag"},
      {"*", kNone, kNone, kNone, true, Go, "IM star"},
      {"\"x\", \"abc\"", kNone, kNone, kNone, true, Go, "IM list"},
      {"\"x\"", kNone, kNone, kNone, true, F412, "IM other tag"},
      {"W/\"abc\"", kNone, kNone, kNone, true, F412, "IM strong comparison: weak never matches"},
      {"", kNone, kNone, kNone, true, F412, "IM empty"},
      {"\"x\"", "\"abc\"", kNone, kNone, true, F412, "IM fails before INM"},
      {"\"abc\"", "\"abc\"", kNone, kNone, true, N304, "IM passes, INM matches"},
      // If-Unmodified-Since
      {kNone, kNone, kNone, kAt, true, Go, "IUS same second"},
      {kNone, kNone, kNone, kAfter, true, Go, "IUS later"},
      {kNone, kNone, kNone, kBefore, true, F412, "IUS earlier"},
      {kNone, kNone, kNone, "garbage", true, Go, "IUS invalid ignored"},
      {"\"abc\"", kNone, kNone, kBefore, true, Go, "IM present: IUS ignored"},
      {kNone, kNone, kAt, kBefore, true, F412, "IUS fails before IMS"},
      {kNone, "\"abc\"", kNone, kBefore, true, F412, "IUS fails before INM"},
  };
  return r;
}

TEST(Conditional, Rows) {
  const Validators v{kTag, kMtime};
  for (const Row& row : rows()) {
    ConditionalFields f;
    if (row.if_match) f.if_match = row.if_match, f.has_if_match = true;
    if (row.if_none_match) f.if_none_match = row.if_none_match, f.has_if_none_match = true;
    if (row.if_modified_since) f.if_modified_since = row.if_modified_since;
    if (row.if_unmodified_since) f.if_unmodified_since = row.if_unmodified_since;
    EXPECT_EQ(evaluate_preconditions(f, v, row.get_or_head), row.want) << row.why;
  }
}

struct IfRangeRow {
  std::string value;
  bool allows;
};

TEST(Conditional, IfRangeRows) {
  const Validators v{kTag, kMtime};
  const std::vector<IfRangeRow> rows = {
      {"\"abc\"", true},
      {" \"abc\" ", true},
      {"W/\"abc\"", false},  // weak tags never match
      {"\"abd\"", false},
      {"\"abc\", \"x\"", false},  // one tag, not a list
      {kAt, true},
      {kBefore, false},
      {kAfter, false},  // must be equal, not "not newer"
      {"not a date", false},
      {"", false},
  };
  for (const IfRangeRow& row : rows) EXPECT_EQ(if_range_allows(row.value, v), row.allows) << row.value;
  EXPECT_FALSE(if_range_allows(kAt, Validators{kTag, -1})) << "no Last-Modified";
}

TEST(Conditional, ListMatching) {
  EXPECT_TRUE(etag_list_matches("\"abc\"", "\"abc\"", false));
  EXPECT_FALSE(etag_list_matches("\"abc\"", "W/\"abc\"", false));
  EXPECT_TRUE(etag_list_matches("\"abc\"", "W/\"abc\"", true));
  EXPECT_FALSE(etag_list_matches("*", "", true)) << "no representation";
  EXPECT_FALSE(etag_list_matches("\"a\" \"abc\"", "\"abc\"", true)) << "missing comma";
}

}  // namespace
}  // namespace hs::http
