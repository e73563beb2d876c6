// Test helpers for the TLS layer: the arena installed before OpenSSL runs,
// keys made with openssl(1), an OpenSSL client over memory BIOs, and a pump
// that moves bytes between it and a TlsSession.
#pragma once

#include <gtest/gtest.h>

#include <openssl/ssl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <span>
#include <string>

#include <memory>

#include "tls/record_layer.hpp"
#include "tls/tls_context.hpp"
#include "tls/tls_memory.hpp"
#include "tls/tls_session.hpp"

namespace hs::tls {

// Before any OpenSSL call in this process (gtest runs each test in its own
// process under ctest; a static initializer runs before main).
inline const bool g_memory = [] {
  std::string why;
  const bool ok = install_tls_memory(size_t{64} << 20, why);
  if (!ok) std::fprintf(stderr, "tls test: %s\n", why.c_str());
  return ok;
}();

struct Keys {
  std::string dir, cert, key;
  bool make(const char* kind) {
    char tmpl[] = "/tmp/hs-tls-test-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return false;
    dir = tmpl;
    cert = dir + "/cert.pem";
    key = dir + "/key.pem";
    const std::string alg = std::string(kind) == "rsa" ? "-newkey rsa:2048" : "-newkey ec -pkeyopt ec_paramgen_curve:P-256";
    const std::string cmd = "openssl req -x509 " + alg + " -nodes -days 2 -subj /CN=localhost -keyout " + key +
                            " -out " + cert + " >/dev/null 2>&1";
    return std::system(cmd.c_str()) == 0;
  }
  ~Keys() {
    if (!dir.empty()) std::system(("rm -rf " + dir).c_str());
  }
};

// An OpenSSL client over two memory BIOs.
struct Client {
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  BIO* in = nullptr;
  BIO* out = nullptr;
  explicit Client(int min_version, int max_version, const char* ciphers12 = nullptr, const char* suites13 = nullptr,
                  bool alpn = true) {
    ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx, min_version);
    SSL_CTX_set_max_proto_version(ctx, max_version);
    SSL_CTX_set_security_level(ctx, 0);  // let the old protocols be offered, to be refused
    if (ciphers12 != nullptr) SSL_CTX_set_cipher_list(ctx, ciphers12);
    if (suites13 != nullptr) SSL_CTX_set_ciphersuites(ctx, suites13);
    ssl = SSL_new(ctx);
    in = BIO_new(BIO_s_mem());
    out = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(in, -1);
    SSL_set_bio(ssl, in, out);
    SSL_set_connect_state(ssl);
    SSL_set_tlsext_host_name(ssl, "localhost");
    static const unsigned char protos[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    if (alpn) SSL_set_alpn_protos(ssl, protos, sizeof protos);
  }
  ~Client() {
    SSL_free(ssl);
    SSL_CTX_free(ctx);
  }
  std::string take_output() {
    std::string s;
    char buf[4096];
    int n;
    while ((n = BIO_read(out, buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(n));
    return s;
  }
  void give(std::span<const char> bytes) { BIO_write(in, bytes.data(), static_cast<int>(bytes.size())); }
};

inline size_t g_pump_peak = 0;  // the arena's most in use during a pump

// Moves bytes both ways until neither side has anything to say.
inline void pump(Client& c, TlsSession& s) {
  for (int round = 0; round < 20; ++round) {
    g_pump_peak = std::max(g_pump_peak, tls_memory_stats().in_use);
    SSL_do_handshake(c.ssl);
    const std::string to_server = c.take_output();
    if (!to_server.empty()) s.feed(to_server);
    char sink[1];
    s.read(sink);  // progresses the handshake
    const std::span<const char> to_client = s.output();
    if (to_server.empty() && to_client.empty()) break;
    c.give(to_client);
    s.consume(to_client.size());
  }
}

// A fixture base: a key and certificate made with openssl(1) and loaded into
// context() (skipped with a message where openssl(1) cannot make one).
template <class Base>
class ServerKeysTest : public Base {
protected:
  void SetUp() override {
    ASSERT_TRUE(g_memory);
    if (!keys_.make(key_kind())) GTEST_SKIP() << "openssl(1) could not make a " << key_kind() << " key";
    std::string why;
    ASSERT_TRUE(context().load(keys_.cert, keys_.key, why)) << why;
  }
  virtual const char* key_kind() const { return "ecdsa"; }
  virtual TlsContext& context() { return ctx_; }
  Keys keys_;
  TlsContext ctx_;
};

// A TLS 1.3 connection handed off to the record layer: the OpenSSL client
// on one side, the record state on the other, OpenSSL's server session gone.
struct HandedOff {
  Keys keys;
  TlsContext ctx;
  std::unique_ptr<Client> client;
  RecordState state;
  std::string why;  // set when setting up failed

  bool start(const char* suite) {
    if (!keys.make("ecdsa")) return (why = "openssl(1) could not make a key", false);
    if (!ctx.load(keys.cert, keys.key, why)) return false;
    client = std::make_unique<Client>(TLS1_3_VERSION, TLS1_3_VERSION, nullptr, suite);
    TlsSession session;
    if (!session.open(ctx.get())) return (why = "no session", false);
    pump(*client, session);
    if (session.state() != TlsState::Open) return (why = "handshake: " + std::string(session.error()), false);
    client->give(session.output());  // tickets and all
    session.consume(session.output().size());
    char unread[64];
    size_t unread_len = 0;
    if (!session.hand_off(state, unread, unread_len)) return (why = session.error(), false);
    return true;
  }
  // The client's records for `plaintext`, as bytes on the wire.
  std::string client_sends(const std::string& plaintext) {
    SSL_write(client->ssl, plaintext.data(), static_cast<int>(plaintext.size()));
    return client->take_output();
  }
  // Everything the client can read now.
  std::string client_reads() {
    std::string got;
    char buf[16384];
    int n;
    while ((n = SSL_read(client->ssl, buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
    return got;
  }
};

}  // namespace hs::tls
