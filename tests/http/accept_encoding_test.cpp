// Accept-Encoding rows: field value and the precompressed files present in,
// the coding to send out.
#include "http/accept_encoding.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hs::http {
namespace {

constexpr uint8_t kAll = coding_bit(Coding::Br) | coding_bit(Coding::Zstd) | coding_bit(Coding::Gzip);
constexpr uint8_t kGz = coding_bit(Coding::Gzip);
constexpr uint8_t kBrGz = coding_bit(Coding::Br) | coding_bit(Coding::Gzip);
constexpr uint8_t kZstd = coding_bit(Coding::Zstd);

constexpr auto Id = Coding::Identity;
constexpr auto Br = Coding::Br;
constexpr auto Zs = Coding::Zstd;
constexpr auto Gz = Coding::Gzip;

struct Row {
  std::string value;
  uint8_t available;
  Coding want;
};

TEST(AcceptEncoding, Rows) {
  const std::vector<Row> rows = {
      {"", kAll, Id},
      {"gzip", kAll, Gz},
      {"gzip, deflate, br", kAll, Br},
      {"gzip, deflate, br, zstd", kAll, Br},
      {"gzip, deflate, br, zstd", kGz, Gz},
      {"zstd, gzip", kAll, Zs},
      {"br", kGz, Id},
      {"br;q=0.5, gzip", kAll, Gz},
      {"br;q=1.0, gzip;q=1", kAll, Br},
      {"br;q=0, gzip;q=0", kAll, Id},
      {"br;q=0.001", kAll, Br},
      {"br; q=0.5 ,gzip ; q=0.6", kAll, Gz},
      {"BR, GZIP", kAll, Br},
      {"x-gzip", kAll, Gz},
      {"*", kAll, Br},
      {"*;q=0", kAll, Id},
      {"*, br;q=0", kAll, Zs},
      {"*;q=0.1, gzip", kAll, Gz},
      {"identity", kAll, Id},
      {"deflate, compress", kAll, Id},
      {"br;q=2", kAll, Id},       // malformed q: not acceptable
      {"br;q=0.5000", kAll, Id},  // four decimals
      {"br;q=", kAll, Id},
      {"br;level=5", kAll, Br},   // other parameters are skipped
      {"gzip", 0, Id},
      {"zstd", kZstd, Zs},
      {"br, gzip", kBrGz, Br},
      {",,, gzip ,", kAll, Gz},
      {"gzipx", kAll, Id},
  };
  for (const Row& row : rows)
    EXPECT_EQ(choose_encoding(row.value, row.available), row.want) << "'" << row.value << "' avail " << int(row.available);
}

TEST(AcceptEncoding, TokensAndSuffixes) {
  EXPECT_EQ(coding_token(Br), "br");
  EXPECT_EQ(coding_token(Zs), "zstd");
  EXPECT_EQ(coding_token(Gz), "gzip");
  EXPECT_EQ(coding_suffix(Br), ".br");
  EXPECT_EQ(coding_suffix(Zs), ".zst");
  EXPECT_EQ(coding_suffix(Gz), ".gz");
  EXPECT_EQ(coding_suffix(Id), "");
}

}  // namespace
}  // namespace hs::http
