// Range rows (RFC 9110 §14): field value and representation length in,
// decision and ranges out.
#include "http/range.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

namespace hs::http {
namespace {

constexpr auto I = RangeOutcome::Ignore;
constexpr auto P = RangeOutcome::Partial;
constexpr auto U = RangeOutcome::Unsatisfiable;

struct Row {
  std::string value;
  uint64_t length;
  RangeOutcome outcome;
  std::vector<ByteRange> ranges = {};
};

const std::vector<Row>& rows() {
  static const std::vector<Row> r = {
      // ---- single ranges
      {"bytes=0-0", 10, P, {{0, 0}}},
      {"bytes=0-9", 10, P, {{0, 9}}},
      {"bytes=2-5", 10, P, {{2, 5}}},
      {"bytes=5-", 10, P, {{5, 9}}},
      {"bytes=0-", 10, P, {{0, 9}}},
      {"bytes=9-", 10, P, {{9, 9}}},
      {"bytes=-3", 10, P, {{7, 9}}},
      {"bytes=-10", 10, P, {{0, 9}}},
      {"bytes=-100", 10, P, {{0, 9}}},
      {"bytes=3-100", 10, P, {{3, 9}}},
      {"bytes=0-99999999999999999999999999", 10, P, {{0, 9}}},
      {"BYTES=1-2", 10, P, {{1, 2}}},
      {"Bytes=1-2", 10, P, {{1, 2}}},
      // ---- unsatisfiable -> 416
      {"bytes=10-", 10, U},
      {"bytes=10-20", 10, U},
      {"bytes=-0", 10, U},
      {"bytes=0-0", 0, U},
      {"bytes=-5", 0, U},
      {"bytes=99999999999999999999999-", 10, U},
      {"bytes=10-11, 20-", 10, U},
      // ---- several: sorted, coalesced
      {"bytes=0-1,4-5", 10, P, {{0, 1}, {4, 5}}},
      {"bytes=4-5,0-1", 10, P, {{0, 1}, {4, 5}}},
      {"bytes=0-1, 2-3", 10, P, {{0, 3}}},
      {"bytes=0-5,3-8", 10, P, {{0, 8}}},
      {"bytes=0-0,-1", 10, P, {{0, 0}, {9, 9}}},
      {"bytes=0-1,20-30", 10, P, {{0, 1}}},
      {"bytes=-2,0-", 10, P, {{0, 9}}},
      {"bytes=1-1,1-1,1-1", 10, P, {{1, 1}}},
      {"bytes= 0-1 ,\t4-5 ", 10, P, {{0, 1}, {4, 5}}},
      {"bytes=,0-1,,4-5,", 10, P, {{0, 1}, {4, 5}}},
      {"bytes=0-0,2-2,4-4,6-6", 10, P, {{0, 0}, {2, 2}, {4, 4}, {6, 6}}},
      {"bytes=0-0,2-2,4-4,6-6,8-8", 10, I},  // five parts: more than the room (4)
      {"bytes=0-0,1-1,2-2,3-3,4-4,5-5", 10, P, {{0, 5}}},  // coalesced into one
      // ---- malformed -> ignored
      {"", 10, I},
      {"bytes", 10, I},
      {"bytes=", 10, I},
      {"bytes=,", 10, I},
      {"bytes =0-1", 10, I},
      {"bytes=a-b", 10, I},
      {"bytes=1", 10, I},
      {"bytes=-", 10, I},
      {"bytes=5-2", 10, I},
      {"bytes=1-2-3", 10, I},
      {"bytes=1-2;x", 10, I},
      {"bytes=+1-2", 10, I},
      {"bytes=0x1-2", 10, I},
      {"bytes=1 -2", 10, I},
      {"bytes=1- 2", 10, I},
      {"bytes=0-1,5-2", 10, I},
      {"items=0-1", 10, I},
      {"bytes=0-1 2-3", 10, I},
      {"bytes=--1", 10, I},
  };
  return r;
}

std::string describe(const Row& row) { return "'" + row.value + "' len " + std::to_string(row.length); }

TEST(Range, Rows) {
  for (const Row& row : rows()) {
    std::array<ByteRange, 4> out{};
    const RangeDecision d = evaluate_range(row.value, row.length, out);
    EXPECT_EQ(d.outcome, row.outcome) << describe(row);
    if (d.outcome != P) continue;
    ASSERT_EQ(d.count, row.ranges.size()) << describe(row);
    for (size_t i = 0; i < d.count; ++i) EXPECT_EQ(out[i], row.ranges[i]) << describe(row) << " #" << i;
  }
}

TEST(Range, TooManySpecsAreIgnoredEvenWhenTheyCoalesce) {
  std::string v = "bytes=";
  for (size_t i = 0; i <= kMaxRangeSpecs; ++i) v += "0-0,";
  std::array<ByteRange, 4> out{};
  EXPECT_EQ(evaluate_range(v, 10, out).outcome, I);
  v = "bytes=";
  for (size_t i = 0; i < kMaxRangeSpecs; ++i) v += "0-0,";
  EXPECT_EQ(evaluate_range(v, 10, out).outcome, P);
}

TEST(Range, NoRoomMeansOnlyTheWholeFile) {
  std::span<ByteRange> none;
  EXPECT_EQ(evaluate_range("bytes=0-1", 10, none).outcome, I);
  EXPECT_EQ(evaluate_range("bytes=20-", 10, none).outcome, U);
}

}  // namespace
}  // namespace hs::http
