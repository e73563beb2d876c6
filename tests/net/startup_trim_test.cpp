// Releasing start-up's read-only mappings changes the resident set, never
// behaviour: after the trim this very process still calls through its PLT,
// its vtables and libstdc++, throws and catches, and formats numbers.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "daemon/startup_trim.hpp"

namespace hs::net {
namespace {

long resident_pages() {
  std::FILE* f = std::fopen("/proc/self/statm", "re");
  if (f == nullptr) return -1;
  long size = 0, resident = 0;
  const int n = std::fscanf(f, "%ld %ld", &size, &resident);
  std::fclose(f);
  return n == 2 ? resident : -1;
}

struct Shape {
  virtual ~Shape() = default;
  virtual int sides() const = 0;
};
struct Triangle final : Shape {
  int sides() const override { return 3; }
};

TEST(StartupTrim, ReleasesReadOnlyMappingsAndTheProcessCarriesOn) {
  const long before = resident_pages();
  ASSERT_GT(before, 0);
  const TrimResult r = trim_startup_memory();
  const long after = resident_pages();
  EXPECT_GT(r.mappings, 0u) << "the executable's code at least";
  EXPECT_GT(r.bytes, 0u);
  EXPECT_LT(after, before) << "pages released: " << before << " -> " << after;

  // Everything below runs code and reads constants whose pages were released.
  std::unique_ptr<Shape> shape = std::make_unique<Triangle>();
  EXPECT_EQ(shape->sides(), 3);
  std::vector<int> v(1000);
  std::iota(v.rbegin(), v.rend(), 0);
  std::sort(v.begin(), v.end());
  EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));
  std::function<std::string(int)> f = [](int x) { return "n=" + std::to_string(x); };
  EXPECT_EQ(f(42), "n=42");
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f %s", 3.14159, "pi");
  EXPECT_STREQ(buf, "3.142 pi");
  try {
    throw std::runtime_error("unwound through released .eh_frame pages");
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("eh_frame"), std::string::npos);
  }
  // A second trim is harmless.
  trim_startup_memory();
  EXPECT_EQ(shape->sides(), 3);
}

}  // namespace
}  // namespace hs::net
