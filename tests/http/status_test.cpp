#include "http/status.hpp"

#include <gtest/gtest.h>

namespace hs::http {
namespace {

TEST(Status, ReasonPhrases) {
  EXPECT_EQ(reason_phrase(Status::Ok), "OK");
  EXPECT_EQ(reason_phrase(Status::HeaderFieldsTooLarge), "Request Header Fields Too Large");
  EXPECT_EQ(reason_phrase(static_cast<Status>(299)), "Unknown");
  EXPECT_EQ(code(Status::TooManyRequests), 429);
}

}  // namespace
}  // namespace hs::http
