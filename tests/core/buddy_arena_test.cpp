// BuddyArena: alignment, exhaustion (null, counted, nothing grows), merging
// back to one whole block whatever the order of frees, realloc's contract,
// and a randomized run against a model that checks every block's bytes.
#include "core/buddy_arena.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <vector>

namespace hs::core {
namespace {

constexpr size_t kArena = 1 << 20;

TEST(BuddyArena, BlocksAreAlignedDistinctAndBigEnough) {
  BuddyArena a;
  ASSERT_TRUE(a.reserve(kArena));
  EXPECT_EQ(a.capacity(), kArena);
  struct Row { size_t ask; size_t block; } rows[] = {
      {0, 32}, {1, 32}, {16, 32}, {17, 64}, {48, 64}, {49, 128}, {1000, 1024}, {1009, 2048}, {16384, 32768},
  };
  std::vector<void*> got;
  for (const Row& r : rows) {
    const size_t before = a.in_use();
    void* p = a.allocate(r.ask);
    ASSERT_NE(p, nullptr) << r.ask;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 16, 0u) << r.ask;
    EXPECT_EQ(a.in_use() - before, r.block) << r.ask;
    EXPECT_GE(a.usable_size(p), r.ask);
    EXPECT_TRUE(a.owns(p));
    std::memset(p, 0xab, r.ask);
    got.push_back(p);
  }
  std::sort(got.begin(), got.end());
  EXPECT_EQ(std::adjacent_find(got.begin(), got.end()), got.end());
  for (void* p : got) a.release(p);
  EXPECT_EQ(a.in_use(), 0u);
}

TEST(BuddyArena, ExhaustionIsNullAndCountedAndFreeingRestoresTheWhole) {
  BuddyArena a;
  ASSERT_TRUE(a.reserve(kArena));
  std::vector<void*> blocks;
  while (void* p = a.allocate(4000)) blocks.push_back(p);
  EXPECT_EQ(blocks.size(), kArena / 4096);
  EXPECT_EQ(a.failures(), 1u);
  EXPECT_EQ(a.allocate(1), nullptr);  // every byte is taken
  EXPECT_EQ(a.allocate(kArena), nullptr);
  EXPECT_EQ(a.failures(), 3u);
  std::mt19937 rng(7);
  std::shuffle(blocks.begin(), blocks.end(), rng);
  for (void* p : blocks) a.release(p);
  void* whole = a.allocate(kArena - 16);  // merged back into the one top block
  ASSERT_NE(whole, nullptr);
  EXPECT_EQ(a.peak(), kArena);
  a.release(whole);
}

TEST(BuddyArena, ReallocateKeepsTheBytesAndAFailureKeepsTheOldBlock) {
  BuddyArena a;
  ASSERT_TRUE(a.reserve(kArena));
  char* p = static_cast<char*>(a.allocate(100));
  ASSERT_NE(p, nullptr);
  for (int i = 0; i < 100; ++i) p[i] = static_cast<char>(i);
  EXPECT_EQ(a.reallocate(p, 110), p);  // still fits its 128-byte block
  char* q = static_cast<char*>(a.reallocate(p, 5000));
  ASSERT_NE(q, nullptr);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(q[i], static_cast<char>(i));
  EXPECT_EQ(a.reallocate(q, 2 * kArena), nullptr);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(q[i], static_cast<char>(i));  // untouched
  char* r = static_cast<char*>(a.reallocate(q, 10));
  ASSERT_NE(r, nullptr);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(r[i], static_cast<char>(i));
  a.release(r);
  EXPECT_EQ(a.in_use(), 0u);
  EXPECT_EQ(a.reallocate(nullptr, 10) != nullptr, true);  // realloc(NULL, n) = malloc(n)
}

TEST(BuddyArena, RandomizedAgainstAModel) {
  BuddyArena a;
  ASSERT_TRUE(a.reserve(kArena));
  struct Live { unsigned char* p; size_t n; unsigned char fill; };
  std::vector<Live> live;
  std::mt19937 rng(12345);
  size_t failures = 0;
  for (int step = 0; step < 20000; ++step) {
    const bool grow = live.empty() || rng() % 100 < 55;
    if (grow) {
      const size_t n = (rng() % 4 == 0) ? rng() % 20000 : rng() % 300;
      auto* p = static_cast<unsigned char*>(a.allocate(n));
      if (p == nullptr) {
        ++failures;
        continue;
      }
      const auto fill = static_cast<unsigned char>(rng());
      std::memset(p, fill, n);
      live.push_back({p, n, fill});
    } else {
      const size_t i = rng() % live.size();
      for (size_t k = 0; k < live[i].n; ++k) ASSERT_EQ(live[i].p[k], live[i].fill) << step;
      a.release(live[i].p);
      live[i] = live.back();
      live.pop_back();
    }
    ASSERT_LE(a.in_use(), a.capacity());
  }
  for (const Live& l : live) {
    for (size_t k = 0; k < l.n; ++k) ASSERT_EQ(l.p[k], l.fill);
    a.release(l.p);
  }
  EXPECT_EQ(a.in_use(), 0u);
  EXPECT_EQ(a.failures(), failures);
  EXPECT_NE(a.allocate(kArena - 16), nullptr);  // everything merged back
}

}  // namespace
}  // namespace hs::core

namespace hs::core {
namespace {

// Freed large blocks give their pages back (all but each block's first
// page, which holds its header and links); the arena stays whole and usable.
TEST(BuddyArena, ReleasingFreePagesKeepsTheArenaWhole) {
  BuddyArena a;
  ASSERT_TRUE(a.reserve(1u << 20));
  std::vector<void*> blocks;
  for (int i = 0; i < 6; ++i) {
    void* p = a.allocate(100 * 1024);  // 128 KiB blocks
    ASSERT_NE(p, nullptr);
    std::memset(p, 0xab, 100 * 1024);
    blocks.push_back(p);
  }
  EXPECT_EQ(a.release_free_pages(16), (256u << 10) - static_cast<size_t>(::sysconf(_SC_PAGESIZE)))
      << "the 256 KiB never handed out, but for its first page";
  for (size_t i = 1; i < blocks.size(); i += 2) a.release(blocks[i]);
  EXPECT_GT(a.release_free_pages(16), 0u);
  for (size_t i = 0; i < blocks.size(); i += 2) EXPECT_EQ(static_cast<unsigned char*>(blocks[i])[5000], 0xab);
  for (size_t i = 0; i < blocks.size(); i += 2) a.release(blocks[i]);
  EXPECT_EQ(a.in_use(), 0u);
  a.release_free_pages(16);
  void* whole = a.allocate((1u << 20) - 64);  // everything merged back into one block
  ASSERT_NE(whole, nullptr);
  std::memset(whole, 1, (1u << 20) - 64);
  a.release(whole);
}

}  // namespace
}  // namespace hs::core
