#include "core/buddy_arena.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

namespace hs::core {

BuddyArena::~BuddyArena() {
  if (base_ != nullptr) ::munmap(base_, capacity());
}

bool BuddyArena::reserve(size_t bytes) {
  if (base_ != nullptr) return false;
  size_t order = 16;  // 64 KiB at least
  while (order < kMaxOrder && (size_t{1} << (order + 1)) <= bytes) ++order;
  void* p = ::mmap(nullptr, size_t{1} << order, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return false;
  base_ = static_cast<std::byte*>(p);
  top_order_ = order;
  auto* whole = reinterpret_cast<FreeBlock*>(base_);
  push(whole, order);
  return true;
}

size_t BuddyArena::release_free_pages(size_t min_order) {
  static const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  size_t released = 0;
  for (size_t o = min_order; o <= top_order_; ++o) {
    const size_t size = size_t{1} << o;
    if (size <= page) continue;  // blocks of a page or more start on a page (base is page-aligned)
    for (FreeBlock* b = free_[o]; b != nullptr; b = b->next) {
      ::madvise(reinterpret_cast<std::byte*>(b) + page, size - page, MADV_DONTNEED);
      released += size - page;
    }
  }
  return released;
}

size_t BuddyArena::order_for(size_t n) {
  const size_t need = n + sizeof(Header);
  if (need < n) return kMaxOrder + 1;  // overflow
  size_t order = kMinOrder;
  while (order <= kMaxOrder && (size_t{1} << order) < need) ++order;
  return order;
}

void BuddyArena::push(FreeBlock* b, size_t order) {
  b->h.magic = kMagic;
  b->h.order = static_cast<uint8_t>(order);
  b->h.free = 1;
  b->prev = nullptr;
  b->next = free_[order];
  if (free_[order] != nullptr) free_[order]->prev = b;
  free_[order] = b;
}

void BuddyArena::unlink(FreeBlock* b, size_t order) {
  if (b->prev != nullptr) b->prev->next = b->next;
  else free_[order] = b->next;
  if (b->next != nullptr) b->next->prev = b->prev;
  b->h.free = 0;
}

BuddyArena::FreeBlock* BuddyArena::buddy_of(const FreeBlock* b, size_t order) const {
  const size_t offset = static_cast<size_t>(reinterpret_cast<const std::byte*>(b) - base_);
  return reinterpret_cast<FreeBlock*>(base_ + (offset ^ (size_t{1} << order)));
}

void* BuddyArena::allocate(size_t n) {
  const size_t order = order_for(n);
  size_t have = order;
  while (have <= top_order_ && free_[have] == nullptr) ++have;
  if (base_ == nullptr || order > top_order_ || have > top_order_) {
    ++failures_;
    return nullptr;
  }
  FreeBlock* b = free_[have];
  unlink(b, have);
  while (have > order) {  // split: the upper half goes back free
    --have;
    push(reinterpret_cast<FreeBlock*>(reinterpret_cast<std::byte*>(b) + (size_t{1} << have)), have);
  }
  b->h.magic = kMagic;
  b->h.order = static_cast<uint8_t>(order);
  b->h.free = 0;
  in_use_ += size_t{1} << order;
  if (in_use_ > peak_) peak_ = in_use_;
  return reinterpret_cast<std::byte*>(b) + sizeof(Header);
}

void BuddyArena::release(void* p) {
  if (p == nullptr) return;
  auto* b = reinterpret_cast<FreeBlock*>(static_cast<std::byte*>(p) - sizeof(Header));
  size_t order = b->h.order;
  in_use_ -= size_t{1} << order;
  while (order < top_order_) {
    FreeBlock* buddy = buddy_of(b, order);
    if (buddy->h.magic != kMagic || buddy->h.free == 0 || buddy->h.order != order) break;
    unlink(buddy, order);
    if (buddy < b) b = buddy;
    ++order;
  }
  push(b, order);
}

void* BuddyArena::reallocate(void* p, size_t n) {
  if (p == nullptr) return allocate(n);
  const size_t old = usable_size(p);
  if (n <= old && order_for(n) == order_for(old)) return p;  // same block size
  void* q = allocate(n);
  if (q == nullptr) return nullptr;  // the old block stays valid, as realloc's contract says
  std::memcpy(q, p, n < old ? n : old);
  release(p);
  return q;
}

size_t BuddyArena::usable_size(const void* p) const {
  const auto* h = reinterpret_cast<const Header*>(static_cast<const std::byte*>(p) - sizeof(Header));
  return (size_t{1} << h->order) - sizeof(Header);
}

bool BuddyArena::owns(const void* p) const {
  const auto* b = static_cast<const std::byte*>(p);
  return base_ != nullptr && b >= base_ + sizeof(Header) && b < base_ + capacity();
}

}  // namespace hs::core
