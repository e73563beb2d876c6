// The receive buffer's two compaction modes, byte for byte: where reads go and
// that the unread bytes come out in order after consume/linearize.
#include "conn/receive_buffer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hs::conn {
namespace {

// Writes `bytes` into the read space (as a read would) and commits them.
size_t fill(ReceiveBuffer& rb, const std::string& bytes) {
  std::span<char> space[2];
  size_t pieces = rb.read_space(space);
  size_t n = 0;
  for (size_t i = 0; i < pieces && n < bytes.size(); ++i) {
    size_t k = std::min(space[i].size(), bytes.size() - n);
    std::copy_n(bytes.data() + n, k, space[i].data());
    n += k;
  }
  rb.commit(n);
  return n;
}

std::string unread(ReceiveBuffer& rb) {
  rb.linearize();
  auto c = rb.contiguous();
  return std::string(c.data(), c.size());
}

struct Row {
  const char* name;
  size_t capacity;
  size_t first;    // bytes of the first read
  size_t consume;  // then consumed
  size_t second;   // bytes of the second read
};

TEST(ReceiveBuffer, UnreadBytesSurviveEveryLayout) {
  const std::vector<Row> rows = {
      {"no leftover", 16, 10, 10, 8},
      {"leftover, no wrap", 16, 10, 4, 4},
      {"wrap with room before start", 16, 14, 10, 8},
      {"wrap, only unread bytes move", 16, 16, 12, 4},
      {"wrap across the end, only unread bytes move", 16, 14, 12, 6},
      {"wrap, buffer nearly full", 16, 14, 3, 5},
      {"wrap to exactly full", 16, 16, 6, 6},
      {"one byte left", 16, 16, 15, 15},
  };
  for (Compaction mode : {Compaction::Memmove, Compaction::Readv}) {
    for (const Row& row : rows) {
      std::vector<char> mem(row.capacity);
      ReceiveBuffer rb;
      rb.attach(mem, mode);
      std::string sent;
      for (size_t i = 0; i < row.first; ++i) sent += static_cast<char>('a' + i % 26);
      ASSERT_EQ(fill(rb, sent), row.first) << row.name;
      rb.consume(row.consume);
      std::string more;
      for (size_t i = 0; i < row.second; ++i) more += static_cast<char>('A' + i % 26);
      // Read as a loop does: again while bytes remain and there is room.
      size_t took = 0;
      for (int i = 0; i < 4 && took < more.size(); ++i) took += fill(rb, more.substr(took));
      ASSERT_EQ(took, std::min(row.second, row.capacity - (row.first - row.consume))) << row.name;
      const std::string expected = sent.substr(row.consume) + more.substr(0, took);
      EXPECT_EQ(unread(rb), expected) << row.name << (mode == Compaction::Readv ? " readv" : " memmove");
      EXPECT_EQ(rb.size(), expected.size());
    }
  }
}

TEST(ReceiveBuffer, ReadvModeReadsIntoTwoPiecesWithoutMoving) {
  std::vector<char> mem(16);
  ReceiveBuffer rb;
  rb.attach(mem, Compaction::Readv);
  fill(rb, std::string(12, 'x'));
  rb.consume(10);  // 2 unread bytes at [10, 12)
  std::span<char> space[2];
  ASSERT_EQ(rb.read_space(space), 2u);
  EXPECT_EQ(space[0].data(), mem.data() + 12);
  EXPECT_EQ(space[0].size(), 4u);
  EXPECT_EQ(space[1].data(), mem.data());
  EXPECT_EQ(space[1].size(), 4u) << "bounded so a later linearize moves only unread bytes";
}

TEST(ReceiveBuffer, MemmoveModeMovesTheTailFirst) {
  std::vector<char> mem(16);
  ReceiveBuffer rb;
  rb.attach(mem, Compaction::Memmove);
  fill(rb, "0123456789");
  rb.consume(6);
  std::span<char> space[2];
  ASSERT_EQ(rb.read_space(space), 1u);
  EXPECT_EQ(std::string(mem.data(), 4), "6789");
  EXPECT_EQ(space[0].data(), mem.data() + 4);
  EXPECT_EQ(space[0].size(), 12u);
}

}  // namespace
}  // namespace hs::conn
