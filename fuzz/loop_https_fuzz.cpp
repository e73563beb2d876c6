// The HTTPS path of the loop without sockets: an in-process OpenSSL client
// completes a real handshake (TLS 1.3 or 1.2) with a server TlsTransport,
// then the input becomes the client's stream -- chunks sent as records the
// client seals (arbitrary HTTP bytes), or raw bytes spliced into the
// ciphertext (garbage records) -- delivered in pieces into a connection's
// receive buffer exactly as the worker does it (ciphertext after the
// unread plaintext and the kept tail, records opened in place, answers
// sealed by the transport). Properties: no crash; the client can read every
// byte the server sent while no garbage was spliced in; the handshake slot,
// the responders and the TLS arena drain once the connection closes.
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "conn/connection.hpp"
#include "fuzz/tls_fuzz_keys.hpp"
#include "loop/worker.hpp"
#include "tests/conn/test_service.hpp"
#include "tls/tls_context.hpp"
#include "tls/tls_memory.hpp"
#include "tls/tls_transport.hpp"

namespace {

hs::tls::TlsContext* g_server = nullptr;
SSL_CTX* g_client = nullptr;

// One connection's worth of the worker's pools, in miniature.
struct Pools {
  explicit Pools(const hs::conn::Limits& l)
      : buffer(l.buffer_size + hs::net::kTlsReceiveExtra), headers(l.max_headers), path(l.max_target),
        responder_mem(4 * l.responder_size), responders(4), next(4), queue(l.max_pipeline) {
    for (size_t i = 0; i < 4; ++i) {
      std::span<char> block(responder_mem.data() + i * l.responder_size, l.responder_size);
      responders[i].head_area = block.first(l.responder_head);
      responders[i].body_area = block.subspan(l.responder_head);
    }
    pool.init(responders, next);
    ctx.limits = l;
    ctx.service = &service;
    ctx.responders = &pool;
    ctx.stats = &stats;
    ctx.header_scratch = headers;
    ctx.path_scratch = path;
    ctx.date = "Sun, 22 Nov 2026 08:00:00 GMT";
  }
  std::vector<char> buffer;
  std::vector<hs::http::Header> headers;
  std::vector<char> path;
  std::vector<char> responder_mem;
  std::vector<hs::conn::Responder> responders;
  std::vector<uint32_t> next;
  std::vector<hs::conn::QueueEntry> queue;
  hs::core::FixedPool<hs::conn::Responder> pool;
  hs::conn::testing::TestService service;
  hs::conn::Stats stats;
  hs::conn::Context ctx;
};

// The server side, as Worker::tls_received / tls_step / tls_fill do it.
struct Server {
  Server(Pools& p, hs::tls::HandshakePool& handshakes) : pools(p) {
    conn.open(p.ctx, p.queue, 0);
    if (!transport.start(handshakes, g_server->get())) std::abort();
  }
  ~Server() {
    conn.abort();
    transport.stop();
  }

  // Returns the bytes it could not take (the worker would leave them in the
  // socket; here they are lost, which breaks the record stream).
  size_t deliver(const char* data, size_t n) {
    while (n > 0 && !conn.finished() && !transport.failed()) {
      if (!conn.has_buffer()) conn.attach_transport_buffer(pools.buffer);
      std::span<char> space[2];
      if (!conn.wants_read() || conn.read_space(space) == 0) break;
      const size_t k = std::min(n, space[0].size());
      std::memcpy(space[0].data(), data, k);
      data += k;
      n -= k;
      step(k);
    }
    return n;
  }

  void step(size_t fresh) {
    const auto in = transport.on_received(conn.after_unread(), conn.transport_tail() + fresh);
    if (in.plaintext + in.partial > conn.after_unread().size()) std::abort();
    conn.set_transport_tail(in.partial);
    if (in.plaintext > 0) conn.on_received(in.plaintext, 1);
    if (transport.failed()) conn.close_at_once();
    else if (transport.peer_closed()) conn.on_peer_closed(1);
    flush();
  }

  // Everything the server would send: the transport's own output, then the
  // connection's answers sealed. The hand-off happens once output drained.
  void flush() {
    for (int guard = 0; guard < 64; ++guard) {
      const auto own = transport.output();
      if (!own.empty()) {
        sent.append(own.data(), own.size());
        transport.consume_output(own.size());
        continue;
      }
      if (transport.handshake_done() && conn.has_buffer()) {
        step(0);
        continue;
      }
      if (!conn.wants_write()) break;
      hs::conn::Slice slices[16];
      const size_t n = conn.gather(slices);
      if (n == 0) break;
      static char sealed[4 * 16500];
      size_t written = 0;
      const size_t taken = transport.encrypt(std::span<const char>(slices[0].data, slices[0].len), sealed, written);
      sent.append(sealed, written);
      if (taken == 0) break;
      conn.on_sent(taken, 1);
    }
    if (conn.can_release_buffer()) conn.release_buffer();
  }

  Pools& pools;
  hs::conn::Connection conn;
  hs::tls::TlsTransport transport;
  std::string sent;  // ciphertext to the client
};

void to_client(SSL* ssl, std::string& bytes) {
  if (!bytes.empty()) BIO_write(SSL_get_rbio(ssl), bytes.data(), static_cast<int>(bytes.size()));
  bytes.clear();
}

std::string from_client(SSL* ssl) {
  std::string out;
  char buf[16384];
  for (int n; (n = BIO_read(SSL_get_wbio(ssl), buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::string why;
  if (!hs::tls::install_tls_memory(size_t{256} << 20, why)) {
    std::fprintf(stderr, "loop_https_fuzz: %s\n", why.c_str());
    std::abort();
  }
  char dir[] = "/tmp/hs-https-fuzz-XXXXXX";
  if (::mkdtemp(dir) == nullptr) std::abort();
  const std::string key = std::string(dir) + "/key.pem", cert = std::string(dir) + "/cert.pem";
  if (!hs::fuzz::write_key_and_cert(key, cert)) std::abort();
  g_server = new hs::tls::TlsContext();
  if (!g_server->load(cert, key, why)) std::abort();
  ::unlink(key.c_str());
  ::unlink(cert.c_str());
  ::rmdir(dir);
  g_client = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(g_client, SSL_VERIFY_NONE, nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  static hs::tls::HandshakePool handshakes(1);
  hs::conn::Limits limits;
  limits.buffer_size = 1024 + (data[0] & 0x3) * 1024;
  limits.max_pipeline = 1 + (data[1] & 0x7);
  const size_t piece = 1 + data[1] * 7u;  // how the ciphertext is cut on the way in
  SSL* client = SSL_new(g_client);
  SSL_set_bio(client, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
  SSL_set_connect_state(client);
  if (data[0] & 0x4) SSL_set_max_proto_version(client, TLS1_2_VERSION);
  bool garbage = false;   // the stream the server saw is damaged: alerts are fair
  std::string received;   // plaintext the client read
  Pools pools(limits);
  {
    Server server(pools, handshakes);
    // The handshake.
    for (int round = 0; round < 8 && !SSL_is_init_finished(client); ++round) {
      ERR_clear_error();
      SSL_do_handshake(client);
      const std::string hello = from_client(client);
      server.deliver(hello.data(), hello.size());
      to_client(client, server.sent);
    }
    if (!SSL_is_init_finished(client)) std::abort();  // a real client always completes
    // The input: [mode][len][bytes]..., sealed by the client or spliced raw.
    size_t at = 2;
    while (at + 2 <= size && !server.conn.finished()) {
      const bool raw = (data[at] & 1) != 0;
      const size_t len = std::min<size_t>(data[at + 1], size - at - 2);
      const char* bytes = reinterpret_cast<const char*>(data) + at + 2;
      at += 2 + len;
      std::string wire;
      if (raw) {
        wire.assign(bytes, len);
        garbage = garbage || len > 0;
      } else if (len > 0) {
        ERR_clear_error();
        if (SSL_write(client, bytes, static_cast<int>(len)) <= 0) break;
        wire = from_client(client);
      }
      for (size_t off = 0; off < wire.size(); off += piece)
        if (server.deliver(wire.data() + off, std::min(piece, wire.size() - off)) > 0) garbage = true;
      to_client(client, server.sent);
      char buf[16384];
      for (;;) {
        ERR_clear_error();
        const int n = SSL_read(client, buf, sizeof buf);
        if (n <= 0) {
          const int e = SSL_get_error(client, n);
          // Without garbage, everything the server sent must open.
          if (!garbage && e != SSL_ERROR_WANT_READ && e != SSL_ERROR_ZERO_RETURN) std::abort();
          break;
        }
        received.append(buf, static_cast<size_t>(n));
      }
    }
  }
  SSL_free(client);
  if (handshakes.in_use() != 0 || pools.pool.in_use() != 0) std::abort();
  // Everything answered was HTTP: each piece of plaintext starts a response.
  if (!received.empty() && received.rfind("HTTP/1.1 ", 0) != 0) std::abort();
  return 0;
}
