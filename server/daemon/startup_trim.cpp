#include "daemon/startup_trim.hpp"

#include <malloc.h>
#include <sys/mman.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace hs::net {

namespace {

struct Mapping {
  uintptr_t start = 0, end = 0;
  bool candidate = false;  // read-only, not writable, backed by a file
  bool private_pages = false;
};

constexpr size_t kMaxRanges = 256;

}  // namespace

TrimResult trim_startup_memory() {
  TrimResult result;
  ::malloc_trim(0);
  std::FILE* f = std::fopen("/proc/self/smaps", "re");
  if (f == nullptr) return result;
  uintptr_t ranges[kMaxRanges][2];
  size_t count = 0;
  Mapping m;
  const auto finish = [&] {
    if (m.candidate && !m.private_pages && count < kMaxRanges) {
      ranges[count][0] = m.start;
      ranges[count][1] = m.end;
      ++count;
    }
    m = Mapping{};
  };
  char line[512];
  while (std::fgets(line, sizeof line, f) != nullptr) {
    uintptr_t start = 0, end = 0;
    char perms[8] = {};
    unsigned long long offset = 0, inode = 0;
    unsigned dev_major = 0, dev_minor = 0;
    if (std::sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %7s %llx %x:%x %llu", &start, &end, perms, &offset, &dev_major,
                    &dev_minor, &inode) == 7) {
      finish();
      m.start = start;
      m.end = end;
      // "r-xp" code and "r--p" constants of the executable and its libraries.
      m.candidate = inode != 0 && perms[0] == 'r' && perms[1] == '-' && perms[3] == 'p';
      continue;
    }
    unsigned long long kib = 0;
    // Any private copy (relocations written before the segment became
    // read-only) would be lost: such a mapping is kept whole.
    if (std::sscanf(line, "Anonymous: %llu kB", &kib) == 1 && kib > 0) m.private_pages = true;
    if (std::sscanf(line, "Locked: %llu kB", &kib) == 1 && kib > 0) m.private_pages = true;
  }
  finish();
  std::fclose(f);
  for (size_t i = 0; i < count; ++i) {
    if (::madvise(reinterpret_cast<void*>(ranges[i][0]), ranges[i][1] - ranges[i][0], MADV_DONTNEED) == 0) {
      ++result.mappings;
      result.bytes += ranges[i][1] - ranges[i][0];
    }
  }
  return result;
}

}  // namespace hs::net
