// The open-file cache's bookkeeping alone (no files: entries get fd -1):
// entries, LRU eviction and the small-file byte slots, checked against a
// plain model after every step of a long random walk.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>

#include "app/file_cache.hpp"

namespace hs::app {
namespace {

TEST(FileCache, KeptBytesBelongToOneEntryAndFollowItsLife) {
  FileCache cache;
  cache.init(/*entries=*/4, /*content_slots=*/2, /*slot_bytes=*/8);
  const auto add = [&](const std::string& name) {
    const uint32_t h = FileCache::hash(name);
    const uint32_t i = cache.insert(name, h);
    EXPECT_NE(i, FileCache::kNil) << name;
    return i;
  };
  const uint32_t a = add("a"), b = add("b"), c = add("c");
  EXPECT_TRUE(cache.keep_content(a, "AAAA"));
  EXPECT_TRUE(cache.keep_content(b, "BBBBBBBB"));
  EXPECT_FALSE(cache.keep_content(c, "CCCCCCCCC")) << "larger than a slot";
  EXPECT_EQ(cache.content(a), "AAAA");
  EXPECT_EQ(cache.content(b), "BBBBBBBB");
  EXPECT_EQ(cache.content(c), "");
  // Both slots taken: c takes the least recently used holder's (a: inserted first).
  EXPECT_NE(cache.find("b", FileCache::hash("b")), FileCache::kNil);  // b is now the most recent
  EXPECT_TRUE(cache.keep_content(c, "CC"));
  EXPECT_EQ(cache.content(a), "") << "a gave its slot up";
  EXPECT_EQ(cache.content(b), "BBBBBBBB");
  EXPECT_EQ(cache.content(c), "CC");
  // Overwriting keeps the slot; dropping frees it; removing frees it too.
  EXPECT_TRUE(cache.keep_content(c, "CCC"));
  EXPECT_EQ(cache.content(c), "CCC");
  cache.drop_content(c);
  EXPECT_EQ(cache.content(c), "");
  EXPECT_TRUE(cache.keep_content(a, "A2"));
  cache.remove(b);
  EXPECT_EQ(cache.content(b), "") << "a removed entry keeps nothing";
  EXPECT_FALSE(cache.keep_content(b, "x")) << "nor takes a slot";
  EXPECT_TRUE(cache.keep_content(c, "C2")) << "b's slot is free again";
  EXPECT_EQ(cache.content(a), "A2");
  EXPECT_EQ(cache.content(c), "C2");
}

TEST(FileCache, NoSlotsMeansNothingIsKept) {
  FileCache cache;
  cache.init(4, 0, 8);
  const uint32_t i = cache.insert("a", FileCache::hash("a"));
  ASSERT_NE(i, FileCache::kNil);
  EXPECT_FALSE(cache.keep_content(i, "A"));
  EXPECT_EQ(cache.content(i), "");
}

TEST(FileCache, RandomWalkAgainstAModel) {
  constexpr size_t kEntries = 8, kSlots = 3, kSlotBytes = 16;
  FileCache cache;
  cache.init(kEntries, kSlots, kSlotBytes);
  std::map<std::string, std::string> kept;  // name -> bytes the model expects (absent: none)
  std::set<std::string> present;            // names the cache holds
  std::mt19937 rng(7);
  for (int step = 0; step < 20000; ++step) {
    const std::string name = "f" + std::to_string(rng() % 12);
    const uint32_t h = FileCache::hash(name);
    uint32_t i = cache.find(name, h);
    ASSERT_EQ(i != FileCache::kNil, present.count(name) == 1) << step << " " << name;
    switch (rng() % 4) {
      case 0:  // look up, inserting on a miss (evicting the least recently used)
        if (i == FileCache::kNil) {
          i = cache.insert(name, h);
          ASSERT_NE(i, FileCache::kNil);
          if (present.size() == kEntries) {  // someone was evicted: find out who
            for (auto it = present.begin(); it != present.end();) {
              if (cache.find(*it, FileCache::hash(*it)) == FileCache::kNil) {
                kept.erase(*it);
                it = present.erase(it);
              } else {
                ++it;
              }
            }
          }
          present.insert(name);
          kept.erase(name);
        }
        break;
      case 1:  // keep bytes (maybe taking another entry's slot)
        if (i != FileCache::kNil) {
          const std::string bytes(rng() % (kSlotBytes + 1), static_cast<char>('a' + step % 26));
          if (cache.keep_content(i, bytes)) {
            kept[name] = bytes;
          } else {
            FAIL() << "a slot is always available to the most recent entry";
          }
        }
        break;
      case 2:  // the file changed
        if (i != FileCache::kNil) {
          cache.drop_content(i);
          kept.erase(name);
        }
        break;
      case 3:  // removed
        if (i != FileCache::kNil) {
          cache.remove(i);
          present.erase(name);
          kept.erase(name);
        }
        break;
    }
    // Every present entry shows either its own last bytes or none (its slot
    // was taken); never another entry's, and never more holders than slots.
    size_t holders = 0;
    for (const std::string& n : present) {
      const uint32_t j = cache.find(n, FileCache::hash(n));
      ASSERT_NE(j, FileCache::kNil) << n;
      const std::string_view got = cache.content(j);
      if (got.empty()) {
        kept.erase(n);
      } else {
        ++holders;
        ASSERT_TRUE(kept.count(n)) << step << " " << n << " shows bytes it never kept";
        ASSERT_EQ(got, kept[n]) << step << " " << n;
      }
    }
    ASSERT_LE(holders, kSlots);
    ASSERT_EQ(cache.size(), present.size());
  }
}

}  // namespace
}  // namespace hs::app
