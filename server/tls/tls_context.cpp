#include "tls/tls_context.hpp"

#include "tls/tls_session.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>

namespace hs::tls {

namespace {

// TLS 1.2: ECDHE key exchange with AEAD ciphers only.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384";
constexpr const char* kTls13Suites = "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384";
constexpr unsigned char kHttp11[] = {'h', 't', 't', 'p', '/', '1', '.', '1'};

// TLS 1.3 traffic secrets go to the session, for the hand-off to the record
// layer; nothing is written anywhere.
void key_log(const SSL* ssl, const char* line) {
  if (auto* s = static_cast<TlsSession*>(SSL_get_ex_data(ssl, session_index()))) s->on_key_log(line);
}

int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned inlen,
                void*) {
  // The client's list: length-prefixed names. Only http/1.1 is spoken; a
  // client that offers only others goes on without ALPN (as nginx does).
  for (unsigned i = 0; i < inlen;) {
    const unsigned len = in[i];
    if (i + 1 + len > inlen) break;
    if (len == sizeof kHttp11 && std::equal(kHttp11, kHttp11 + len, in + i + 1)) {
      *out = in + i + 1;
      *outlen = static_cast<unsigned char>(len);
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + len;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

}  // namespace

std::string last_error() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

TlsContext::~TlsContext() {
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
}

bool TlsContext::load(const std::string& cert_chain, const std::string& key, std::string& why) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) {
    why = "TLS: " + last_error();
    return false;
  }
  const auto fail = [&](const std::string& what) {
    why = what + ": " + last_error();
    SSL_CTX_free(ctx);
    return false;
  };
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1 || SSL_CTX_set_ciphersuites(ctx, kTls13Suites) != 1)
    return fail("TLS policy");
  // Renegotiation refused both ways (OpenSSL 3 refuses a client's by default).
  SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_PRIORITIZE_CHACHA | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_NO_COMPRESSION);
  // Buffers go back to the arena while a connection is idle.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  // Resumption by stateless tickets only: no server-side cache to grow.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(ctx, 1);
  SSL_CTX_set_alpn_select_cb(ctx, select_alpn, nullptr);
  SSL_CTX_set_keylog_callback(ctx, key_log);
  if (tickets_ != nullptr && !tickets_->attach(ctx)) return fail("TLS session tickets");
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_chain.c_str()) != 1) return fail("--tls-cert " + cert_chain);
  if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) return fail("--tls-key " + key);
  if (SSL_CTX_check_private_key(ctx) != 1) return fail("--tls-key " + key + " does not match --tls-cert " + cert_chain);
  SSL_CTX* old = nullptr;
  {
    std::lock_guard<std::mutex> g(swap_);
    old = ctx_;
    ctx_ = ctx;
  }
  if (old != nullptr) SSL_CTX_free(old);
  return true;
}

SSL_CTX* TlsContext::share() const {
  std::lock_guard<std::mutex> g(swap_);
  if (ctx_ != nullptr) SSL_CTX_up_ref(ctx_);
  return ctx_;
}

}  // namespace hs::tls
