// The TLS 1.3 record layer on arbitrary bytes: (1) as a stream of records
// from the peer, open() never reads past what it was given, never reports
// more plaintext than a record can hold, and (with overwhelming
// probability) never accepts a forged record; (2) as plaintext, what seal()
// makes, open() gives back byte for byte, whatever the suite, and a changed
// byte is always refused; (3) as records the peer seals (type and body
// chosen by the input, cut at random), through RecordStream: the
// post-handshake protocol (KeyUpdate in pieces, alerts, stray types) never
// crashes, delivers no more plaintext than was sealed, and stops at the
// first failure. The first byte picks the suite.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "tls/record_layer.hpp"
#include "tls/record_stream.hpp"

namespace {

hs::tls::RecordState make_state(uint8_t pick) {
  static const char* suites[] = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"};
  hs::tls::RecordState s;
  if (!s.set_suite(suites[pick % 3])) std::abort();
  for (size_t i = 0; i < sizeof s.read.secret; ++i) s.read.secret[i] = static_cast<uint8_t>(i * 13 + pick);
  std::memcpy(s.write.secret, s.read.secret, sizeof s.write.secret);  // we talk to ourselves
  if (!s.derive(s.read) || !s.derive(s.write)) std::abort();
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // (1) The bytes as records from the peer.
  {
    hs::tls::RecordState s = make_state(data[0]);
    std::vector<char> wire(data + 1, data + size);
    size_t at = 0;
    while (at < wire.size()) {
      const hs::tls::OpenResult r = hs::tls::open(s, std::span<char>(wire).subspan(at));
      if (r.alert != hs::tls::Alert::None || r.consumed == 0) break;
      if (r.consumed > wire.size() - at || r.length > hs::tls::kMaxPlaintext) std::abort();
      // A record that opens was forged without the key: not expected.
      std::abort();
    }
  }
  // (2) The bytes as plaintext: seal, then open.
  {
    hs::tls::RecordState s = make_state(data[0]);
    const size_t n = std::min(size - 1, hs::tls::kMaxPlaintext);
    std::vector<char> rec(hs::tls::sealed_size(n));
    const size_t len = hs::tls::seal(s, 23, std::span<const char>(reinterpret_cast<const char*>(data + 1), n), rec);
    if (len != rec.size()) std::abort();
    std::vector<char> tampered = rec;
    hs::tls::RecordState t = s;
    const hs::tls::OpenResult r = hs::tls::open(s, rec);
    if (r.alert != hs::tls::Alert::None || r.consumed != len || r.type != 23 || r.length != n ||
        std::memcmp(rec.data() + hs::tls::kRecordHeader, data + 1, n) != 0)
      std::abort();
    tampered[hs::tls::kRecordHeader + (data[0] % (len - hs::tls::kRecordHeader))] ^= 0x20;
    if (hs::tls::open(t, tampered).alert != hs::tls::Alert::BadRecordMac) std::abort();
  }
  // (3) Records of the input's choosing, sealed by the peer, into a stream.
  {
    hs::tls::RecordState s = make_state(data[0]);
    hs::tls::RecordStream stream;
    stream.start(s);
    hs::tls::RecordState peer = s;  // same secrets both ways (make_state)
    std::vector<char> wire;
    size_t sealed_app = 0;
    // Input after the first byte: [type][len][body...] repeated.
    for (size_t at = 1; at + 2 <= size;) {
      const uint8_t type = data[at];
      const size_t len = std::min<size_t>(data[at + 1], size - at - 2);
      std::vector<char> rec(hs::tls::sealed_size(len));
      const size_t n = hs::tls::seal(peer, type, std::span<const char>(reinterpret_cast<const char*>(data + at + 2), len), rec);
      if (n == 0) std::abort();
      wire.insert(wire.end(), rec.begin(), rec.begin() + static_cast<long>(n));
      // Type 0 seals the body as padding-hidden content (the last non-zero
      // byte becomes the type): it may carry application bytes too.
      if (type == 23 || type == 0) sealed_app += len;
      // A whole KeyUpdate from the peer moves its keys on, as a real peer's would.
      if (type == 22 && len == 5 && data[at + 2] == 24 && data[at + 5] == 1 && data[at + 6] <= 1) peer.update(peer.write);
      at += 2 + len;
    }
    std::vector<char> buf(wire.size() + 1);
    size_t have = 0, delivered = 0;
    const size_t step = 1 + data[0] % 97;
    for (size_t at = 0; at < wire.size(); at += step) {
      const size_t n = std::min(step, wire.size() - at);
      std::memcpy(buf.data() + have, wire.data() + at, n);
      const auto in = stream.decrypt(buf, have + n);
      if (in.plaintext + in.partial > have + n) std::abort();
      delivered += in.plaintext;
      std::memmove(buf.data(), buf.data() + in.plaintext, in.partial);
      have = in.partial;
      if (stream.control().size() > 2 * hs::tls::sealed_size(5)) std::abort();
      if (stream.state() != hs::tls::RecordStream::State::Open && in.partial != 0) std::abort();
    }
    if (delivered > sealed_app) std::abort();
  }
  return 0;
}
