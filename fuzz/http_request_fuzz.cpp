// libFuzzer target for the request head parser. Beyond "no crash" it checks:
//  - the same answer whole, fed as growing prefixes (passing `scanned` along),
//    and split at a data-derived point;
//  - the same answer on every scan path (portable, SSE4.2, AVX2 as available);
//  - on Complete: every view lies inside the buffer, head_bytes <= size, the
//    header count fits the storage, names are tokens, values hold no CR/LF/NUL;
//  - on Failed: a 4xx/5xx status and a reason; on Incomplete: scanned <= size.
// Prefixes are copied into exactly sized heap blocks so ASan sees over-reads.
// The first two input bytes pick the header storage size, limits and steps.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http/char_classes.hpp"
#include "http/request_head.hpp"
#include "http/scan_simd.hpp"

namespace {

using namespace hs::http;

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

struct Outcome {
  ParseState state{};
  uint16_t status = 0;
  std::string reason, method_token, target, host;
  Method method{};
  Version version{};
  std::vector<std::string> fields;  // name '\0' value
  BodyFraming framing{};
  uint64_t content_length = 0;
  bool keep_alive = false, expect_continue = false;
  size_t head_bytes = 0;
  bool operator==(const Outcome&) const = default;
};

bool inside(std::string_view v, std::string_view buf) {
  return v.empty() || (v.data() >= buf.data() && v.data() + v.size() <= buf.data() + buf.size());
}

struct Setup {
  size_t storage_size;
  HeadLimits limits;
  size_t step;   // growing prefixes by this many bytes
  size_t split;  // one split point
};

Outcome parse(std::string_view bytes, size_t scanned, const Setup& s, size_t* scanned_out) {
  // An exactly sized copy: reading past its end is an ASan report.
  std::unique_ptr<char[]> copy(new char[bytes.size() ? bytes.size() : 1]);
  if (!bytes.empty()) std::memcpy(copy.get(), bytes.data(), bytes.size());
  const std::string_view buf(copy.get(), bytes.size());
  std::vector<Header> storage(s.storage_size);
  RequestHead head;
  const HeadResult r = parse_request_head(buf, scanned, head, storage, s.limits);
  if (scanned_out) *scanned_out = r.scanned;

  Outcome o;
  o.state = r.state;
  o.status = code(r.error.status);
  o.reason = std::string(r.error.reason);
  switch (r.state) {
    case ParseState::Failed:
      CHECK(o.status >= 400 && o.status <= 599);
      CHECK(!o.reason.empty());
      return o;
    case ParseState::Incomplete:
      CHECK(o.status == 0);
      CHECK(r.scanned <= buf.size());
      CHECK(buf.size() <= s.limits.max_head_bytes);
      return o;
    case ParseState::Complete:
      break;
  }
  CHECK(o.status == 0);
  CHECK(head.head_bytes <= buf.size() && head.head_bytes <= s.limits.max_head_bytes);
  CHECK(r.scanned == head.head_bytes);
  CHECK(head.head_bytes >= 4 && std::memcmp(buf.data() + head.head_bytes - 4, "\r\n\r\n", 4) == 0);
  CHECK(head.headers.size() <= storage.size());
  CHECK(head.headers.empty() || head.headers.data() == storage.data());
  CHECK(inside(head.method_token, buf) && inside(head.target, buf) && inside(head.host, buf));
  CHECK(!head.method_token.empty() && !head.target.empty());
  CHECK(head.target.size() <= s.limits.max_target_bytes);
  for (char ch : head.method_token) CHECK(chars::is_tchar(ch));
  for (const Header& h : head.headers) {
    CHECK(inside(h.name, buf) && inside(h.value, buf));
    CHECK(h.name.data() + h.name.size() <= buf.data() + head.head_bytes);
    CHECK(h.value.data() + h.value.size() <= buf.data() + head.head_bytes);
    CHECK(!h.name.empty());
    for (char ch : h.name) CHECK(chars::is_tchar(ch));
    for (char ch : h.value) CHECK(ch != '\r' && ch != '\n' && ch != '\0');
    CHECK(h.value.empty() || (!chars::is_ows(h.value.front()) && !chars::is_ows(h.value.back())));
  }
  size_t hosts = 0;
  for (const Header& h : head.headers) hosts += h.name.size() == 4 && head.header("host").data() == h.value.data();
  CHECK(hosts <= 1);
  if (head.version == Version::Http11) CHECK(hosts == 1);
  if (head.framing == BodyFraming::Chunked) CHECK(head.header("content-length").empty());

  o.method = head.method;
  o.method_token = std::string(head.method_token);
  o.target = std::string(head.target);
  o.host = std::string(head.host);
  o.version = head.version;
  for (const Header& h : head.headers) o.fields.push_back(std::string(h.name) + '\0' + std::string(h.value));
  o.framing = head.framing;
  o.content_length = head.content_length;
  o.keep_alive = head.keep_alive;
  o.expect_continue = head.expect_continue;
  o.head_bytes = head.head_bytes;
  return o;
}

Outcome growing(std::string_view in, const Setup& s) {
  size_t scanned = 0;
  Outcome last;
  for (size_t len = 0;; len += s.step) {
    if (len > in.size()) len = in.size();
    last = parse(in.substr(0, len), scanned, s, &scanned);
    if (last.state != ParseState::Incomplete || len == in.size()) return last;
  }
}

Outcome split(std::string_view in, const Setup& s) {
  size_t scanned = 0;
  const size_t k = s.split > in.size() ? in.size() : s.split;
  Outcome first = parse(in.substr(0, k), 0, s, &scanned);
  if (first.state != ParseState::Incomplete) return first;
  return parse(in, scanned, s, nullptr);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  Setup s;
  s.storage_size = data[0] & 0x0f ? (data[0] & 0x0f) * 4 : 1;
  if (data[1] & 0x80) {  // small limits so 414/431 paths are reached
    s.limits.max_head_bytes = 32 + (data[1] & 0x3f) * 8;
    s.limits.max_target_bytes = 4 + (data[1] & 0x0f) * 4;
  }
  s.step = 1 + (data[0] >> 4);
  const std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);
  s.split = in.empty() ? 0 : (static_cast<size_t>(data[1] & 0x7f) * 131) % (in.size() + 1);

  Outcome reference;
  bool first = true;
  for (ScanPath path : {ScanPath::Portable, ScanPath::Sse42, ScanPath::Avx2}) {
    if (!set_scan_path(path)) continue;
    const Outcome whole = parse(in, 0, s, nullptr);
    CHECK(growing(in, s) == whole);
    CHECK(split(in, s) == whole);
    if (first) {
      reference = whole;
      first = false;
    } else {
      CHECK(whole == reference);
    }
  }
  return 0;
}
