// The bench latency histogram: bucket layout, percentiles within 0.1% of the
// exact ones on known distributions, merging, clamping, and no heap
// allocation per sample (the thread's allocations counted around record()).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <random>
#include <vector>

#include "client/bench/histogram.hpp"
#include "support/alloc_counter.hpp"

namespace hs::client::bench {
namespace {

// The exact value of rank ceil(p/100 * n) in sorted `v` (the definition the
// histogram approximates).
uint64_t exact(const std::vector<uint64_t>& sorted, double p) {
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

void expect_close(const Histogram& h, std::vector<uint64_t> values, const char* what) {
  std::sort(values.begin(), values.end());
  for (double p : {1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 99.0, 99.9, 99.99}) {
    const double want = static_cast<double>(exact(values, p));
    const double got = static_cast<double>(h.percentile(p));
    EXPECT_LE(std::fabs(got - want), want * 0.001 + 0.5) << what << " p" << p << ": " << got << " vs " << want;
  }
  EXPECT_EQ(h.max(), values.back()) << what;
  EXPECT_EQ(h.min(), values.front()) << what;
  EXPECT_EQ(h.percentile(100), values.back()) << what;
  EXPECT_EQ(h.count(), values.size()) << what;
}

TEST(Histogram, BucketsCoverEveryValueWithinOnePartIn1024) {
  std::mt19937_64 rng(7);
  std::vector<uint64_t> probes;
  for (int bit = 0; bit < Histogram::kMaxBits; ++bit) {
    const uint64_t p = uint64_t{1} << bit;
    for (uint64_t v : {p - 1, p, p + 1, p + p / 2}) probes.push_back(std::min(v, Histogram::kMaxValue));
  }
  for (int i = 0; i < 100000; ++i) probes.push_back(rng() >> (rng() % 42 + 22));
  size_t last_index = 0;
  for (size_t i = 0; i < Histogram::kBuckets; ++i) {  // contiguous, increasing, no gaps
    ASSERT_EQ(Histogram::index_of(Histogram::lowest_of(i)), i);
    if (i > 0) {
      ASSERT_EQ(Histogram::lowest_of(i), Histogram::lowest_of(i - 1) + Histogram::width_of(i - 1));
    }
    last_index = i;
  }
  EXPECT_EQ(Histogram::lowest_of(last_index) + Histogram::width_of(last_index) - 1, Histogram::kMaxValue);
  for (uint64_t v : probes) {
    if (v > Histogram::kMaxValue) continue;
    const size_t i = Histogram::index_of(v);
    ASSERT_LT(i, Histogram::kBuckets) << v;
    const uint64_t lo = Histogram::lowest_of(i), w = Histogram::width_of(i);
    ASSERT_LE(lo, v);
    ASSERT_LT(v, lo + w);
    ASSERT_LE(static_cast<double>(w), std::max(1.0, static_cast<double>(lo) / 1024.0)) << v;
  }
}

TEST(Histogram, SmallValuesAreExact) {
  auto h = std::make_unique<Histogram>();
  std::vector<uint64_t> values;
  for (uint64_t v = 1; v <= 2000; ++v) {
    h->record(v);
    values.push_back(v);
  }
  EXPECT_EQ(h->percentile(50), 1000u);
  EXPECT_EQ(h->percentile(99), 1980u);
  EXPECT_DOUBLE_EQ(h->mean(), 1000.5);
  expect_close(*h, values, "1..2000");
}

TEST(Histogram, UniformMicrosecondsToASecond) {
  auto h = std::make_unique<Histogram>();
  std::vector<uint64_t> values;
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<uint64_t> d(1'000, 1'000'000'000);
  for (int i = 0; i < 500000; ++i) {
    values.push_back(d(rng));
    h->record(values.back());
  }
  expect_close(*h, values, "uniform");
}

TEST(Histogram, ExponentialAndLogNormalLatencies) {
  std::mt19937_64 rng(2);
  {
    auto h = std::make_unique<Histogram>();
    std::vector<uint64_t> values;
    std::exponential_distribution<double> d(1.0 / 250'000);  // mean 250 us
    for (int i = 0; i < 500000; ++i) {
      values.push_back(static_cast<uint64_t>(d(rng)) + 20'000);
      h->record(values.back());
    }
    expect_close(*h, values, "exponential");
  }
  {
    auto h = std::make_unique<Histogram>();
    std::vector<uint64_t> values;
    std::lognormal_distribution<double> d(std::log(800'000.0), 1.5);  // a long tail up to seconds
    for (int i = 0; i < 500000; ++i) {
      values.push_back(std::min<uint64_t>(static_cast<uint64_t>(d(rng)) + 1, Histogram::kMaxValue));
      h->record(values.back());
    }
    expect_close(*h, values, "lognormal");
  }
}

TEST(Histogram, MergeEqualsRecordingEverything) {
  auto a = std::make_unique<Histogram>(), b = std::make_unique<Histogram>(), all = std::make_unique<Histogram>();
  std::mt19937_64 rng(3);
  for (int i = 0; i < 100000; ++i) {
    const uint64_t v = rng() % 50'000'000;
    (i % 3 ? *a : *b).record(v);
    all->record(v);
  }
  a->merge(*b);
  for (double p : {50.0, 90.0, 99.0, 99.9}) EXPECT_EQ(a->percentile(p), all->percentile(p));
  EXPECT_EQ(a->count(), all->count());
  EXPECT_EQ(a->max(), all->max());
  EXPECT_EQ(a->min(), all->min());
  EXPECT_DOUBLE_EQ(a->mean(), all->mean());
}

TEST(Histogram, EmptyAndClamped) {
  auto h = std::make_unique<Histogram>();
  EXPECT_EQ(h->percentile(50), 0u);
  EXPECT_EQ(h->max(), 0u);
  EXPECT_EQ(h->min(), 0u);
  h->record(UINT64_MAX);
  EXPECT_EQ(h->max(), Histogram::kMaxValue);
  EXPECT_EQ(h->percentile(50), Histogram::kMaxValue);
  h->record_n(5, 3);
  EXPECT_EQ(h->count(), 4u);
  EXPECT_EQ(h->percentile(75), 5u);
}

TEST(Histogram, NoAllocationPerSample) {
  if (!hs::testing::allocation_counting_available()) GTEST_SKIP() << "allocation counting is off under ASan";
  auto h = std::make_unique<Histogram>();
  std::mt19937_64 rng(4);
  hs::testing::AllocationTally tally;
  tally.start();
  for (int i = 0; i < 1'000'000; ++i) h->record(rng() >> (rng() % 40 + 20));
  const uint64_t p99 = h->percentile(99);
  tally.stop();
  EXPECT_EQ(tally.total(), 0u);
  EXPECT_GT(p99, 0u);
  EXPECT_EQ(h->count(), 1'000'000u);
}

}  // namespace
}  // namespace hs::client::bench
