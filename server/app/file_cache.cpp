#include "app/file_cache.hpp"

#include <unistd.h>

#include <cstring>
#include <new>
#include <type_traits>

namespace hs::app {

FileCache::~FileCache() {
  for (size_t i = 0; i < built_; ++i)
    if (entries_[i].used && entries_[i].info.fd >= 0) ::close(entries_[i].info.fd);
}

void FileCache::init(size_t entries, size_t content_slots, size_t slot_bytes) {
  capacity_ = entries;
  content_slots_ = entries > 0 && slot_bytes > 0 ? content_slots : 0;
  slot_bytes_ = content_slots_ > 0 ? slot_bytes : 0;
  // new char[] leaves the slab untouched: its pages cost memory once filled.
  slab_.reset(content_slots_ > 0 ? new char[content_slots_ * slot_bytes_] : nullptr);
  slot_len_.reset(content_slots_ > 0 ? new uint32_t[content_slots_]() : nullptr);
  free_slots_.reset(content_slots_ > 0 ? new uint32_t[content_slots_] : nullptr);
  free_count_ = content_slots_;
  for (size_t i = 0; i < content_slots_; ++i) free_slots_[i] = static_cast<uint32_t>(content_slots_ - 1 - i);
  static_assert(std::is_trivially_destructible_v<CacheEntry>);
  entries_.reset(entries > 0 ? static_cast<CacheEntry*>(::operator new(entries * sizeof(CacheEntry),
                                                                      std::align_val_t{alignof(CacheEntry)}))
                             : nullptr);
  built_ = 0;
  nbuckets_ = 1;
  while (nbuckets_ < entries * 2) nbuckets_ <<= 1;
  buckets_.reset(new uint32_t[nbuckets_]);
  for (size_t b = 0; b < nbuckets_; ++b) buckets_[b] = kNil;
  free_head_ = kNil;
}

uint32_t FileCache::hash(std::string_view name) {
  uint32_t h = 2166136261u;  // FNV-1a
  for (char c : name) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  return h;
}

uint32_t FileCache::find(std::string_view name, uint32_t h) {
  if (capacity_ == 0) return kNil;
  for (uint32_t i = buckets_[h & (nbuckets_ - 1)]; i != kNil; i = entries_[i].chain_next) {
    const CacheEntry& e = entries_[i];
    if (e.hash == h && e.name_view() == name) {
      lru_unlink(i);
      lru_push_front(i);
      return i;
    }
  }
  return kNil;
}

uint32_t FileCache::insert(std::string_view name, uint32_t h) {
  if (capacity_ == 0 || name.size() > kMaxCachedName) return kNil;
  uint32_t i = free_head_;
  if (i != kNil) {
    free_head_ = entries_[i].lru_next;
  } else if (built_ < capacity_) {
    i = static_cast<uint32_t>(built_++);
    new (&entries_[i]) CacheEntry();
  } else {
    // Least recently used entry that no response is sending (bounded by capacity).
    for (i = lru_tail_; i != kNil && entries_[i].refs > 0; i = entries_[i].lru_prev) {
    }
    if (i == kNil) return kNil;
    remove(i);
    i = free_head_;
    free_head_ = entries_[i].lru_next;
  }
  CacheEntry& e = entries_[i];
  e.info = FileInfo{};
  e.checked_at = 0;
  e.refs = 0;
  e.content_slot = kNil;
  e.hash = h;
  e.used = true;
  e.name_len = static_cast<uint8_t>(name.size());
  std::memcpy(e.name, name.data(), name.size());
  const size_t b = h & (nbuckets_ - 1);
  e.chain_next = buckets_[b];
  buckets_[b] = i;
  lru_push_front(i);
  ++used_;
  return i;
}

void FileCache::remove(uint32_t i) {
  CacheEntry& e = entries_[i];
  if (!e.used) return;
  if (e.info.fd >= 0) ::close(e.info.fd);
  e.info.fd = -1;
  drop_content(i);
  chain_unlink(i);
  lru_unlink(i);
  e.used = false;
  e.lru_next = free_head_;
  free_head_ = i;
  --used_;
}

std::string_view FileCache::content(uint32_t i) const {
  const CacheEntry& e = entries_[i];
  if (!e.used || e.content_slot == kNil) return {};
  return {slab_.get() + size_t{e.content_slot} * slot_bytes_, slot_len_[e.content_slot]};
}

bool FileCache::keep_content(uint32_t i, std::string_view bytes) {
  CacheEntry& e = entries_[i];
  if (content_slots_ == 0 || bytes.size() > slot_bytes_ || !e.used) return false;
  if (e.content_slot == kNil) {
    if (free_count_ == 0) {
      // The least recently used entry holding bytes gives them up (not this one:
      // it was just found, so it is the most recent).
      uint32_t v = lru_tail_;
      while (v != kNil && (v == i || entries_[v].content_slot == kNil)) v = entries_[v].lru_prev;
      if (v == kNil) return false;
      drop_content(v);
    }
    e.content_slot = free_slots_[--free_count_];
  }
  std::memcpy(slab_.get() + size_t{e.content_slot} * slot_bytes_, bytes.data(), bytes.size());
  slot_len_[e.content_slot] = static_cast<uint32_t>(bytes.size());
  return true;
}

void FileCache::drop_content(uint32_t i) {
  CacheEntry& e = entries_[i];
  if (e.content_slot == kNil) return;
  free_slots_[free_count_++] = e.content_slot;
  e.content_slot = kNil;
}

void FileCache::lru_unlink(uint32_t i) {
  CacheEntry& e = entries_[i];
  if (e.lru_prev != kNil) entries_[e.lru_prev].lru_next = e.lru_next;
  else lru_head_ = e.lru_next;
  if (e.lru_next != kNil) entries_[e.lru_next].lru_prev = e.lru_prev;
  else lru_tail_ = e.lru_prev;
  e.lru_prev = e.lru_next = kNil;
}

void FileCache::lru_push_front(uint32_t i) {
  CacheEntry& e = entries_[i];
  e.lru_prev = kNil;
  e.lru_next = lru_head_;
  if (lru_head_ != kNil) entries_[lru_head_].lru_prev = i;
  lru_head_ = i;
  if (lru_tail_ == kNil) lru_tail_ = i;
}

void FileCache::chain_unlink(uint32_t i) {
  const size_t b = entries_[i].hash & (nbuckets_ - 1);
  uint32_t* link = &buckets_[b];
  while (*link != kNil && *link != i) link = &entries_[*link].chain_next;
  if (*link == i) *link = entries_[i].chain_next;
}

}  // namespace hs::app
