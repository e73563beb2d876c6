#include <gtest/gtest.h>

#include <vector>

#include "core/fixed_pool.hpp"
#include "core/fixed_ring.hpp"
#include "core/startup_arena.hpp"
#include "core/timer_wheel.hpp"

namespace hs::core {
namespace {

TEST(StartupArena, CarvesAlignedBlocksAndRefusesOverflow) {
  StartupArena arena(StartupArena::bytes_for<uint64_t>(4) + StartupArena::bytes_for<char>(3));
  auto chars = arena.take<char>(3);
  auto words = arena.take<uint64_t>(4);
  ASSERT_EQ(chars.size(), 3u);
  ASSERT_EQ(words.size(), 4u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(words.data()) % alignof(uint64_t), 0u);
  EXPECT_TRUE(arena.take<uint64_t>(100).empty());
}

TEST(FixedPool, AcquiresUntilEmptyAndReusesReleased) {
  std::vector<int> items(3);
  std::vector<uint32_t> next(3);
  FixedPool<int> pool;
  pool.init(items, next);
  int* a = pool.acquire();
  int* b = pool.acquire();
  int* c = pool.acquire();
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(pool.acquire(), nullptr);
  EXPECT_EQ(pool.in_use(), 3u);
  pool.release(b);
  EXPECT_FALSE(pool.is_in_use(pool.index_of(b)));
  EXPECT_EQ(pool.acquire(), b);
  EXPECT_EQ(pool.available(), 0u);
}

TEST(FixedRing, IsFifoAndBounded) {
  std::vector<int> slots(2);
  FixedRing<int> ring(slots);
  EXPECT_TRUE(ring.push(1));
  EXPECT_TRUE(ring.push(2));
  EXPECT_FALSE(ring.push(3));
  EXPECT_EQ(ring.front(), 1);
  ring.pop();
  EXPECT_TRUE(ring.push(3));
  EXPECT_EQ(ring.at(0), 2);
  EXPECT_EQ(ring.at(1), 3);
}

TEST(TimerWheel, FiresOnlyDueTimersIncludingLaterTurns) {
  std::vector<TimerNode> slots(8);
  TimerWheel wheel;
  wheel.init(slots, 10, 0);
  TimerNode a, b, c;
  a.owner = 1; b.owner = 2; c.owner = 3;
  wheel.schedule(a, 25);
  wheel.schedule(b, 25 + 8 * 10);  // same slot, one turn later
  wheel.schedule(c, 40);
  std::vector<uint32_t> fired;
  auto record = [&](TimerNode& n) { fired.push_back(n.owner); };
  wheel.expire(24, record);
  EXPECT_TRUE(fired.empty());
  wheel.expire(30, record);
  EXPECT_EQ(fired, (std::vector<uint32_t>{1}));
  wheel.cancel(c);
  wheel.expire(60, record);
  EXPECT_EQ(fired, (std::vector<uint32_t>{1}));
  wheel.expire(1000, record);  // slept past a whole turn
  EXPECT_EQ(fired, (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(wheel.size(), 0u);
  EXPECT_EQ(wheel.wait_hint(1000), -1);
}

TEST(TimerWheel, WaitHintPointsAtTheEarliestDeadline) {
  std::vector<TimerNode> slots(8);
  TimerWheel wheel;
  wheel.init(slots, 10, 0);
  TimerNode far, near;
  wheel.schedule(far, 200);   // two turns ahead
  EXPECT_EQ(wheel.wait_hint(0), 200);
  wheel.schedule(near, 35);
  EXPECT_EQ(wheel.wait_hint(0), 35);
  EXPECT_EQ(wheel.wait_hint(38), 0);  // overdue: expire() at 38 fires it
  int fired = 0;
  wheel.expire(40, [&](TimerNode&) { ++fired; });
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(wheel.wait_hint(40), 160);
  wheel.schedule(near, 5);  // overdue
  EXPECT_EQ(wheel.wait_hint(41), 0);
}

TEST(TimerWheel, CallbackMayReschedule) {
  std::vector<TimerNode> slots(4);
  TimerWheel wheel;
  wheel.init(slots, 10, 0);
  TimerNode a;
  wheel.schedule(a, 10);
  int fires = 0;
  wheel.expire(15, [&](TimerNode& n) { ++fires; wheel.schedule(n, 50); });
  EXPECT_EQ(fires, 1);
  EXPECT_TRUE(a.linked());
  wheel.expire(49, [&](TimerNode&) { ++fires; });
  EXPECT_EQ(fires, 1);
  wheel.expire(50, [&](TimerNode&) { ++fires; });
  EXPECT_EQ(fires, 2);
}

}  // namespace
}  // namespace hs::core
