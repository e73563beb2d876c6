#include "client/bench/histogram.hpp"

#include <cmath>

namespace hs::client::bench {

static_assert(Histogram::kBuckets == 33792, "2048 exact buckets, then 31 powers of two of 1024 buckets");

uint64_t Histogram::lowest_of(size_t index) noexcept {
  if (index < kLinear) return index;
  const size_t k = index - kLinear;
  const int shift = static_cast<int>(k >> kSubBits) + 1;
  const uint64_t top = (uint64_t{1} << kSubBits) + (k & ((size_t{1} << kSubBits) - 1));
  return top << shift;
}

uint64_t Histogram::width_of(size_t index) noexcept {
  if (index < kLinear) return 1;
  return uint64_t{1} << (((index - kLinear) >> kSubBits) + 1);
}

void Histogram::merge(const Histogram& other) noexcept {
  for (size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  total_ += other.total_;
  sum_ += other.sum_;
  if (other.min_ < min_) min_ = other.min_;
  if (other.max_ > max_) max_ = other.max_;
}

uint64_t Histogram::percentile(double percent) const noexcept {
  if (total_ == 0) return 0;
  if (!(percent < 100)) return max_;
  if (!(percent > 0)) return min_;
  uint64_t rank = static_cast<uint64_t>(std::ceil(percent / 100.0 * static_cast<double>(total_)));
  if (rank == 0) rank = 1;
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const uint64_t mid = lowest_of(i) + (width_of(i) - 1) / 2;
      if (mid < min_) return min_;
      if (mid > max_) return max_;
      return mid;
    }
  }
  return max_;
}

}  // namespace hs::client::bench
