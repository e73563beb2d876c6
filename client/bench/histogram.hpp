// Latency histogram for `homeserve bench`: fixed log-linear buckets in the
// manner of HdrHistogram, about three significant digits, no allocation.
//
// Values (nanoseconds) below 2048 have a bucket each; above, every power of two
// [2^k, 2^(k+1)) is split into 1024 equal buckets, so a bucket is at most
// 1/1024 of its values wide and a percentile read back as the bucket's
// midpoint is within 0.05% of the recorded value. Values above kMaxValue
// (about 73 minutes) are counted as kMaxValue. 33,792 counters (264 KiB):
// give each thread one, record() is an index computation and an increment,
// merge() at the end.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace hs::client::bench {

class Histogram {
public:
  static constexpr int kSubBits = 10;                           // 1024 buckets per power of two
  static constexpr uint64_t kLinear = uint64_t{2} << kSubBits;  // 2048 exact buckets
  static constexpr int kMaxBits = 42;
  static constexpr uint64_t kMaxValue = (uint64_t{1} << kMaxBits) - 1;
  static constexpr size_t kBuckets = kLinear + size_t{kMaxBits - kSubBits - 1} * (size_t{1} << kSubBits);

  void record(uint64_t value) noexcept { record_n(value, 1); }
  void record_n(uint64_t value, uint64_t n) noexcept {
    if (value > kMaxValue) value = kMaxValue;
    counts_[index_of(value)] += n;
    total_ += n;
    sum_ += value * n;
    if (value < min_) min_ = value;
    if (value > max_) max_ = value;
  }
  void merge(const Histogram& other) noexcept;
  void reset() noexcept { *this = Histogram(); }

  uint64_t count() const noexcept { return total_; }
  uint64_t min() const noexcept { return total_ ? min_ : 0; }
  uint64_t max() const noexcept { return max_; }
  double mean() const noexcept { return total_ ? static_cast<double>(sum_) / static_cast<double>(total_) : 0.0; }
  // The value at or below which `percent` (0..100) of the samples lie: the
  // midpoint of the bucket holding that rank, clamped to [min, max]. 0 when empty.
  uint64_t percentile(double percent) const noexcept;

  // Bucket layout, public for tests.
  static size_t index_of(uint64_t value) noexcept {
    if (value < kLinear) return static_cast<size_t>(value);
    const int msb = 63 - __builtin_clzll(value);  // >= kSubBits + 1
    const int shift = msb - kSubBits;             // >= 1
    return static_cast<size_t>(kLinear + uint64_t(shift - 1) * (uint64_t{1} << kSubBits) +
                               ((value >> shift) - (uint64_t{1} << kSubBits)));
  }
  static uint64_t lowest_of(size_t index) noexcept;
  static uint64_t width_of(size_t index) noexcept;

private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t total_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace hs::client::bench
