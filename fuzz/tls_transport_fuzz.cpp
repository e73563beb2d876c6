// Arbitrary bytes as the TLS stream a client sends, into a server-side
// TlsTransport (handshake on OpenSSL, then records), fed in up to three
// pieces the way the loop would (output drained, called again). No crash,
// no read past what was given, plaintext never more than what came in, and
// every connection gives its handshake slot and all of its memory back to
// the TLS arena when stopped. The key and certificate are made
// once, in-process (ECDSA P-256). Seeds: real ClientHellos (TLS 1.2, 1.3).
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <span>
#include <string>

#include "fuzz/tls_fuzz_keys.hpp"
#include "tls/tls_context.hpp"
#include "tls/tls_memory.hpp"
#include "tls/tls_session.hpp"
#include "tls/tls_transport.hpp"

namespace {

hs::tls::TlsContext* g_ctx = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::string why;
  if (!hs::tls::install_tls_memory(size_t{256} << 20, why)) {
    std::fprintf(stderr, "tls_session_fuzz: %s\n", why.c_str());
    std::abort();
  }
  char dir[] = "/tmp/hs-tls-fuzz-XXXXXX";
  if (::mkdtemp(dir) == nullptr) std::abort();
  const std::string key = std::string(dir) + "/key.pem", cert = std::string(dir) + "/cert.pem";
  if (!hs::fuzz::write_key_and_cert(key, cert)) std::abort();
  g_ctx = new hs::tls::TlsContext();
  if (!g_ctx->load(cert, key, why)) {
    std::fprintf(stderr, "tls_session_fuzz: %s\n", why.c_str());
    std::abort();
  }
  ::unlink(key.c_str());
  ::unlink(cert.c_str());
  ::rmdir(dir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static hs::tls::HandshakePool pool(1);
  const size_t baseline = hs::tls::tls_memory_stats().in_use;
  {
    hs::tls::TlsTransport t;
    if (!t.start(pool, g_ctx->get())) std::abort();
    // The first byte picks where the stream is cut (pieces as the network would).
    const size_t cut1 = size > 0 ? (data[0] * size) / 512 : 0;
    const size_t cut2 = size > 0 ? (data[0] * size) / 256 : 0;
    static char buf[32768];
    size_t have = 0;
    const size_t pieces[3][2] = {{0, cut1}, {cut1, cut2}, {cut2, size}};
    for (const auto& piece : pieces) {
      const size_t n = std::min(piece[1] - piece[0], sizeof buf - have);
      std::memcpy(buf + have, data + piece[0], n);
      size_t len = have + n;
      for (int round = 0; round < 3; ++round) {
        const auto in = t.on_received(std::span<char>(buf, sizeof buf), len);
        if (in.plaintext > size || in.plaintext + in.partial > sizeof buf) std::abort();
        std::memmove(buf, buf + in.plaintext, in.partial);
        have = len = in.partial;
        if (t.output().empty()) break;
        t.consume_output(t.output().size());  // what the server would send back
      }
      if (t.failed()) break;
    }
    t.close_notify();
    t.stop();
  }
  if (pool.in_use() != 0) std::abort();
  // A closed connection gives its memory back. OpenSSL keeps tables made on
  // first use of an algorithm (the first inputs make most of them); a
  // session left behind is ~19 KiB.
  static int inputs = 0;
  if (++inputs > 256 && hs::tls::tls_memory_stats().in_use > baseline + (16u << 10)) std::abort();
  return 0;
}
