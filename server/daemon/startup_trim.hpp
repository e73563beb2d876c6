// Hands back the memory that only start-up used, once the server is ready:
// the heap's free tail (option parsing, configuration strings) and the page
// mappings of read-only code and data that start-up touched (the option
// parser, locale set-up; the kernel maps code 64 KiB around each first use).
// Those pages stay in the page cache, shared; what serving runs maps back in
// on first use. Mappings holding private copies (relocated data) are left
// alone, so nothing is lost: only resident-set accounting changes.
#pragma once

#include <cstddef>

namespace hs::net {

struct TrimResult {
  size_t mappings = 0;  // read-only file mappings released
  size_t bytes = 0;     // their size (address space, not all of it was resident)
};

TrimResult trim_startup_memory();

}  // namespace hs::net
