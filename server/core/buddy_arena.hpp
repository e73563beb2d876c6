// A buddy allocator over one block reserved at start-up: for a library that
// allocates variable sizes on its own schedule (OpenSSL), where the fixed
// pools of the rest of the server cannot be used. Sizes round up to a power
// of two (with a 16-byte header); a freed block merges with its free buddy,
// so memory carved for small objects serves a large one again later. When
// nothing fits, allocate() returns null: the library reports an error, the
// arena never grows. Not thread-safe: the caller locks.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hs::core {

class BuddyArena {
public:
  static constexpr size_t kMinOrder = 5;   // 32-byte blocks: a 16-byte header, 16 bytes of payload
  static constexpr size_t kMaxOrder = 40;

  BuddyArena() = default;
  ~BuddyArena();
  BuddyArena(const BuddyArena&) = delete;
  BuddyArena& operator=(const BuddyArena&) = delete;

  // Reserves `bytes` rounded down to a power of two (at least 64 KiB). The
  // pages are untouched until blocks are used. False when the memory is not
  // available.
  bool reserve(size_t bytes);

  void* allocate(size_t n);
  void release(void* p);
  // Grows or shrinks in place when the block already fits; else moves.
  void* reallocate(void* p, size_t n);

  size_t capacity() const { return size_t{1} << top_order_; }
  size_t in_use() const { return in_use_; }  // bytes of blocks handed out (headers included)
  size_t peak() const { return peak_; }
  void reset_peak() { peak_ = in_use_; }  // measure a phase's peak from here
  uint64_t failures() const { return failures_; }
  size_t usable_size(const void* p) const;    // payload bytes of p's block
  // Gives the pages of free blocks of 2^min_order bytes or more back to the
  // kernel (MADV_DONTNEED), keeping each block's first page (its header and
  // free-list links). The reservation stays; a page costs memory again once a
  // block there is used. Returns the bytes advised.
  size_t release_free_pages(size_t min_order);
  bool owns(const void* p) const;

private:
  struct Header {            // at the start of every block, free or not
    uint32_t magic;
    uint8_t order;
    uint8_t free;
    uint8_t pad[2];
    uint64_t reserved;       // keeps the payload 16-byte aligned
  };
  struct FreeBlock {         // a free block's payload: its free-list links
    Header h;
    FreeBlock* prev;
    FreeBlock* next;
  };
  static constexpr uint32_t kMagic = 0x68736261;  // "hsba"

  static size_t order_for(size_t n);
  void push(FreeBlock* b, size_t order);
  void unlink(FreeBlock* b, size_t order);
  FreeBlock* buddy_of(const FreeBlock* b, size_t order) const;

  std::byte* base_ = nullptr;  // mmap'd: page-aligned, untouched until used
  size_t top_order_ = 0;
  FreeBlock* free_[kMaxOrder + 1] = {};
  size_t in_use_ = 0;
  size_t peak_ = 0;
  uint64_t failures_ = 0;
};

}  // namespace hs::core
