// The static handler's open-file cache: a fixed table of open descriptors with
// what a response needs from them (stat fields, strong ETag, which
// precompressed siblings exist), so a hot file costs no open/fstat per
// request. Sized once at start-up (--file-cache N entries); serving never
// allocates.
//
// Decisions:
// - Keyed by the path beneath the root (at most kMaxCachedName bytes; longer
//   names are served uncached). Chained hash buckets over entry indices,
//   least-recently-used eviction over an intrusive list.
// - An entry in use by a response (refs > 0: its fd is being sent) is never
//   evicted or closed; when every entry is in use, files are opened uncached
//   and owned by their responder.
// - Revalidation is the caller's (StaticFiles): at most once a second per
//   entry it opens the path again and compares device, inode, size, mtime and
//   ctime.
// - Small files' bytes may be kept too (a fixed slab of equal slots, one per
//   entry at most), so a hot small file costs no read either: the response is
//   then a single write. A slot is taken by the file read last, from the
//   least recently used entry holding one; a changed file drops its bytes.
// - Single-threaded: one cache per StaticFiles, one StaticFiles per worker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "http/response_writer.hpp"

namespace hs::app {

inline constexpr size_t kMaxCachedName = 240;
inline constexpr size_t kEtagMax = 56;

// What the handler knows about one open file or directory.
struct FileInfo {
  int fd = -1;
  bool is_dir = false;
  bool is_reg = false;
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint64_t size = 0;
  int64_t mtime_sec = 0;
  int64_t mtime_nsec = 0;
  int64_t ctime_sec = 0;   // not in the ETag: only to notice an in-place rewrite that kept size and mtime
  int64_t ctime_nsec = 0;
  uint8_t variants = 0;  // http::coding_bit()s of FILE.br/.zst/.gz beside it, not older
  uint8_t etag_len = 0;
  char etag[kEtagMax] = {};
  char last_modified[http::kHttpDateLen] = {};  // mtime as an HTTP date, formatted once per stat

  std::string_view last_modified_view() const { return {last_modified, sizeof last_modified}; }

  std::string_view etag_view() const { return {etag, etag_len}; }
  bool same_file(const FileInfo& o) const {
    return dev == o.dev && ino == o.ino && size == o.size && mtime_sec == o.mtime_sec && mtime_nsec == o.mtime_nsec &&
           ctime_sec == o.ctime_sec && ctime_nsec == o.ctime_nsec;
  }
};

struct CacheEntry {
  FileInfo info;
  int64_t checked_at = 0;  // wall seconds of the last revalidation
  uint32_t refs = 0;       // responses sending this fd
  uint32_t hash = 0;
  uint32_t lru_prev = 0xffffffffu, lru_next = 0xffffffffu, chain_next = 0xffffffffu;  // indices; FileCache::kNil = none
  uint32_t content_slot = 0xffffffffu;  // FileCache::kNil: no bytes kept
  bool used = false;
  uint8_t name_len = 0;
  char name[kMaxCachedName] = {};

  std::string_view name_view() const { return {name, name_len}; }
};

class FileCache {
public:
  static constexpr uint32_t kNil = 0xffffffffu;

  FileCache() = default;
  FileCache(const FileCache&) = delete;
  FileCache& operator=(const FileCache&) = delete;
  ~FileCache();

  // Allocates `entries` entries (0: no cache) and `content_slots` slots of
  // `slot_bytes` for small files' bytes (0: none). Start-up only; the slab's
  // pages are touched only as files fill them.
  void init(size_t entries, size_t content_slots = 0, size_t slot_bytes = 0);
  size_t capacity() const { return capacity_; }
  size_t size() const { return used_; }

  static uint32_t hash(std::string_view name);

  // The entry for `name`, marked most recently used; kNil when absent.
  uint32_t find(std::string_view name, uint32_t hash);
  // A new entry for `name` (not present), evicting the least recently used
  // entry nobody is sending; kNil when every entry is in use (or no cache).
  // The caller fills info (its fd then belongs to the cache).
  uint32_t insert(std::string_view name, uint32_t hash);
  // Drops an entry (closes its fd). Only with refs == 0.
  void remove(uint32_t index);

  CacheEntry& at(uint32_t index) { return entries_[index]; }

  // The kept bytes of entry `index` (empty view when none).
  std::string_view content(uint32_t index) const;
  // Keeps a copy of `bytes` for entry `index` (at most the slot size), taking
  // a free slot or the least recently used entry's; false when it cannot.
  bool keep_content(uint32_t index, std::string_view bytes);
  // Forgets entry `index`'s bytes (its file changed).
  void drop_content(uint32_t index);
  // Entries some response is still sending (tests: 0 once responses are done).
  size_t referenced() const {
    size_t n = 0;
    for (size_t i = 0; i < built_; ++i) n += entries_[i].used && entries_[i].refs > 0;
    return n;
  }


private:
  void lru_unlink(uint32_t i);
  void lru_push_front(uint32_t i);
  void chain_unlink(uint32_t i);

  // Room for capacity_ entries, constructed one by one as first needed
  // (entries_[0, built_)): an idle cache costs no memory beyond what it used.
  struct RawDelete {
    void operator()(CacheEntry* p) const { ::operator delete(p, std::align_val_t{alignof(CacheEntry)}); }
  };
  std::unique_ptr<CacheEntry[], RawDelete> entries_;
  size_t built_ = 0;
  std::unique_ptr<uint32_t[]> buckets_;
  std::unique_ptr<char[]> slab_;             // content_slots_ * slot_bytes_
  std::unique_ptr<uint32_t[]> slot_len_;     // bytes kept in each slot
  std::unique_ptr<uint32_t[]> free_slots_;   // a stack of free slot numbers
  size_t content_slots_ = 0;
  size_t slot_bytes_ = 0;
  size_t free_count_ = 0;
  size_t capacity_ = 0;
  size_t nbuckets_ = 0;
  size_t used_ = 0;
  uint32_t free_head_ = kNil;  // unused entries, linked by lru_next
  uint32_t lru_head_ = kNil;   // most recent
  uint32_t lru_tail_ = kNil;   // least recent
};

}  // namespace hs::app
