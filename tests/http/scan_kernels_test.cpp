// The scan kernels under the request head parser (http/scan_kernels.hpp), each
// run directly, whatever path parse_request_head would pick: the scalar, SSE4.2
// and AVX2 kernels (those this CPU runs) must all agree with the byte classes
// of char_classes.hpp wherever a scan starts and ends. The rows aim at the
// places where the one loop template meets a kernel: whole blocks, the last
// partial block read backwards (bytes already seen shifted off), a buffer
// shorter than a block (handed to the narrower kernel). Buffers are exactly
// sized heap blocks, so ASan sees any read past their end.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <string>
#include <string_view>
#include <vector>

#include "http/char_classes.hpp"
#include "http/request_head_fields.hpp"
#include "http/scan_kernels.hpp"
#include "http/scan_simd.hpp"

namespace hs::http::head {
namespace {

template <class K>
constexpr ScanPath path_of() {
#if HS_HTTP_X86
  if constexpr (std::is_same_v<K, Sse42Kernel>) return ScanPath::Sse42;
  if constexpr (std::is_same_v<K, Avx2Kernel>) return ScanPath::Avx2;
#endif
  return ScanPath::Portable;
}

// The plain definitions the kernels must match.
bool stops_ref(Stops s, char ch) { return !chars::is(s == Stops::Target ? chars::kTarget : chars::kValue, ch); }

size_t stop_ref(Stops s, std::string_view buf, size_t from) {
  while (from < buf.size() && !stops_ref(s, buf[from])) ++from;
  return from;
}

// A buffer of exactly buf.size() bytes on the heap.
struct Exact {
  explicit Exact(std::string_view s) : bytes(s.begin(), s.end()) { bytes.shrink_to_fit(); }
  const char* data() const { return bytes.data(); }
  const char* end() const { return bytes.data() + bytes.size(); }
  std::vector<char> bytes;
};

template <class K>
size_t stop_of(Stops s, const Exact& b, size_t from) {
  const char* p = b.data() + from;
  const char* hit = s == Stops::Target ? find_stop<K, Stops::Target>(b.data(), p, b.end())
                                       : find_stop<K, Stops::Value>(b.data(), p, b.end());
  return static_cast<size_t>(hit - b.data());
}

template <class K>
class ScanKernel : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!scan_path_supported(path_of<K>())) GTEST_SKIP() << scan_path_name(path_of<K>()) << " not on this CPU";
  }
};

#if HS_HTTP_X86
using Kernels = ::testing::Types<PortableKernel, Sse42Kernel, Avx2Kernel>;
#else
using Kernels = ::testing::Types<PortableKernel>;
#endif

class KernelNames {
 public:
  template <class K>
  static std::string GetName(int) {
    return scan_path_name(path_of<K>());
  }
};
TYPED_TEST_SUITE(ScanKernel, Kernels, KernelNames);

// One row per case: `buf` is the whole readable buffer, the scan starts at
// `from` and runs to the buffer's end; `want` is where it stops.
struct StopRow {
  const char* name;
  Stops stops;
  std::string buf;
  size_t from;
  size_t want;
};

const std::string k40(40, 'a');  // longer than a 32-byte block
const std::string k70(70, 'a');  // two AVX2 blocks and a tail

const std::vector<StopRow> kStopRows = {
    {"target: empty scan", Stops::Target, "abc", 3, 3},
    {"target: no stop in a short buffer", Stops::Target, "abcdefg", 0, 7},
    {"target: space", Stops::Target, "/index.html HTTP/1.1", 0, 11},
    {"target: '#' stops", Stops::Target, "/a#frag", 0, 2},
    {"target: DEL stops", Stops::Target, "/a\x7f" "b", 0, 2},
    {"target: byte >= 0x80 stops", Stops::Target, "/a\xc3\xa9", 0, 2},
    {"target: NUL stops", Stops::Target, std::string("/a\0b", 4), 0, 2},
    {"target: HTAB stops", Stops::Target, "/a\tb", 0, 2},
    {"target: stop in the first whole block", Stops::Target, k40.substr(0, 5) + " " + k40, 0, 5},
    {"target: stop in a later whole block", Stops::Target, k70 + " " + k40, 0, 70},
    {"target: stop in the backward tail", Stops::Target, k40 + " b", 0, 40},
    {"target: stop before `from` is not seen", Stops::Target, "a b" + k40, 3, 43},
    {"target: stop before `from` in the backward block", Stops::Target, k40 + " aaaaaa", 41, 47},
    {"target: last byte stops", Stops::Target, k40 + "#", 0, 40},
    {"target: buffer of 17 (SSE backward, AVX2 narrower)", Stops::Target, std::string(16, 'a') + " ", 2, 16},
    {"target: buffer of 15 (below every block)", Stops::Target, std::string(14, 'a') + " ", 0, 14},
    {"target: buffer of 33", Stops::Target, std::string(32, 'a') + " ", 5, 32},
    {"value: CR", Stops::Value, "text/html\r\n", 0, 9},
    {"value: HTAB and SP do not stop", Stops::Value, "a \tb\r\n", 0, 4},
    {"value: '#' does not stop", Stops::Value, "a#b\r\n", 0, 3},
    {"value: DEL stops", Stops::Value, "ab\x7f", 0, 2},
    {"value: byte >= 0x80 stops", Stops::Value, "ab\xff", 0, 2},
    {"value: LF stops", Stops::Value, "ab\nc", 0, 2},
    {"value: NUL stops", Stops::Value, std::string("ab\0c", 4), 0, 2},
    {"value: 0x1f stops", Stops::Value, "ab\x1f", 0, 2},
    {"value: no stop in a long buffer", Stops::Value, k70, 3, 70},
    {"value: stop in the backward tail", Stops::Value, k40 + "\r\n", 2, 40},
    {"value: stop before `from` in the backward block", Stops::Value, k40 + "\raaaaaa", 41, 47},
    {"value: buffer of 31", Stops::Value, std::string(30, 'a') + "\r", 0, 30},
};

TYPED_TEST(ScanKernel, StopRows) {
  for (const StopRow& row : kStopRows) {
    SCOPED_TRACE(row.name);
    ASSERT_EQ(stop_ref(row.stops, row.buf, row.from), row.want) << "the row itself is wrong";
    EXPECT_EQ(stop_of<TypeParam>(row.stops, Exact(row.buf), row.from), row.want);
  }
}

// Every byte value at every place of a 64-byte buffer (two AVX2 blocks, four
// SSE ones), scanned from every start before it.
TYPED_TEST(ScanKernel, EveryByteEverywhere) {
  for (Stops s : {Stops::Target, Stops::Value}) {
    for (int byte = 0; byte < 256; ++byte) {
      for (size_t at = 0; at < 64; ++at) {
        std::string buf(64, 'a');
        buf[at] = static_cast<char>(byte);
        const Exact b(buf);
        for (size_t from = 0; from <= at; from += 5) {
          ASSERT_EQ(stop_of<TypeParam>(s, b, from), stop_ref(s, buf, from))
              << "byte " << byte << " at " << at << " from " << from << " target " << (s == Stops::Target);
        }
      }
    }
  }
}

// Every buffer length up to 100 (short ones go to narrower kernels), every
// start and one stop byte at every place (or none).
TYPED_TEST(ScanKernel, EveryLengthStartAndStop) {
  for (Stops s : {Stops::Target, Stops::Value}) {
    const char stop = s == Stops::Target ? ' ' : '\r';
    for (size_t len = 0; len <= 100; ++len) {
      for (size_t at = 0; at <= len; ++at) {
        std::string buf(len, 'a');
        if (at < len) buf[at] = stop;
        const Exact b(buf);
        for (size_t from = 0; from <= len; ++from)
          ASSERT_EQ(stop_of<TypeParam>(s, b, from), stop_ref(s, buf, from)) << "len " << len << " at " << at << " from " << from;
      }
    }
  }
}

#if HS_HTTP_X86
template <class K>
class VectorKernel : public ScanKernel<K> {};
using VectorKernels = ::testing::Types<Sse42Kernel, Avx2Kernel>;
TYPED_TEST_SUITE(VectorKernel, VectorKernels, KernelNames);

// The Window at every line start of buffers of every length up to 130: the
// masks against the byte classes, nothing at or past `avail`.
TYPED_TEST(VectorKernel, WindowMasks) {
  constexpr std::string_view kAlphabet("Xa-1:\t \r\n\x80#\x7f~\0", 14);
  std::string all;
  for (size_t i = 0; i < 130; ++i) all += kAlphabet[(i * 7 + i / 13) % kAlphabet.size()];
  for (size_t len = 0; len <= all.size(); ++len) {
    const Exact b(std::string_view(all).substr(0, len));
    for (size_t at = 0; at < len; ++at) {
      Window w{};
      const bool ok = window_masks<TypeParam>(b.data(), b.data() + at, b.end(), w);
      ASSERT_EQ(ok, len >= 64) << "len " << len << " at " << at;
      if (!ok) continue;
      const size_t avail = std::min<size_t>(64, len - at);
      uint64_t vstop = 0, nontchar = 0, ows = 0;
      for (size_t i = 0; i < avail; ++i) {
        const char ch = all[at + i];
        vstop |= uint64_t{stops_ref(Stops::Value, ch)} << i;
        nontchar |= uint64_t{!chars::is_tchar(ch)} << i;
        ows |= uint64_t{chars::is_ows(ch)} << i;
      }
      SCOPED_TRACE(::testing::Message() << "len " << len << " at " << at);
      ASSERT_EQ(w.start, b.data() + at);
      ASSERT_EQ(w.avail, avail);
      ASSERT_EQ(w.vstop, vstop);
      ASSERT_EQ(w.nontchar, nontchar);
      ASSERT_EQ(w.ows, ows);
    }
  }
}

// One row per case: the Host value sits between `before` and `after` (the
// buffer ends with `after`); `sse` / `avx2`: what each kernel's one-block check
// answers. True must mean valid_host; false only defers to it.
struct HostRow {
  const char* name;
  std::string before;
  std::string value;
  std::string after;
  bool sse;
  bool avx2;
};

const std::string kLead = "GET / HTTP/1.1\r\nHost: ";  // 22 bytes
const std::string kEnd = "\r\n\r\n";

const std::vector<HostRow> kHostRows = {
    {"name and port", kLead, "localhost:8080", kEnd + k40, true, true},
    {"name only", kLead, "localhost", kEnd + k40, true, true},
    {"16 bytes: one SSE block", kLead, "abcdefghij.local", kEnd + k40, true, true},
    {"17 bytes: past an SSE block", kLead, "abcdefghijk.local", kEnd + k40, false, true},
    {"32 bytes: one AVX2 block", kLead, "abcdefghijklmnopqrstuvwxyz.local", kEnd + k40, false, true},
    {"33 bytes: past an AVX2 block", kLead, "abcdefghijklmnopqrstuvwxyz1.local", kEnd + k40, false, false},
    {"port 65535", kLead, "h:65535", kEnd + k40, true, true},
    {"port 65536 defers", kLead, "h:65536", kEnd + k40, false, false},
    {"six port digits defer", kLead, "h:123456", kEnd + k40, false, false},
    {"empty port defers", kLead, "h:", kEnd + k40, false, false},
    {"empty host defers", kLead, ":80", kEnd + k40, false, false},
    {"two colons defer", kLead, "a:1:2", kEnd + k40, false, false},
    {"non-digit port defers", kLead, "h:8a", kEnd + k40, false, false},
    {"IPv6 literal defers", kLead, "[::1]:80", kEnd + k40, false, false},
    {"percent-encoding defers", kLead, "h%41", kEnd + k40, false, false},
    {"space defers", kLead, "a b", kEnd + k40, false, false},
    {"byte >= 0x80 defers", kLead, "h\xc3\xa9", kEnd + k40, false, false},
    {"empty value defers", kLead, "", kEnd + k40, false, false},
    // Near the end of the buffer: the block ending at `end`, read backwards,
    // with the bytes before the value (a colon among them) shifted off.
    {"backward block, a colon before the value", std::string(20, 'a') + "x:1 ", "h:80", kEnd, true, true},
    {"backward block, bad bytes before the value", std::string(20, 'a') + " \x80\t[", "host", kEnd, true, true},
    {"buffer of 20: SSE backward, AVX2 narrower", "GET / ", "h.example:80", "\r\n", true, true},
    {"buffer of 10: shorter than any block", "a:", "h:80", "\r\n\r\n", false, false},
    {"buffer of 40, 20-byte value at the end", std::string(16, 'a'), "abcdefghij.example:1", "\r\n\r\n", false, true},
};

TYPED_TEST(VectorKernel, HostRows) {
  constexpr bool kAvx2 = TypeParam::kWidth == 32;
  for (const HostRow& row : kHostRows) {
    SCOPED_TRACE(row.name);
    const Exact b(row.before + row.value + row.after);
    const char* v = b.data() + row.before.size();
    const bool fast = host_fast<TypeParam>(b.data(), v, row.value.size(), b.end());
    EXPECT_EQ(fast, kAvx2 ? row.avx2 : row.sse);
    if (fast) {
      EXPECT_TRUE(valid_host(row.value));
    }
  }
}
#endif  // HS_HTTP_X86

}  // namespace
}  // namespace hs::http::head
