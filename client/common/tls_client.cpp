#include "client/common/tls_client.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

namespace hs::client {

namespace {

int wire_version(TlsVersion v) {
  switch (v) {
    case TlsVersion::v1_0: return TLS1_VERSION;
    case TlsVersion::v1_1: return TLS1_1_VERSION;
    case TlsVersion::v1_2: return TLS1_2_VERSION;
    case TlsVersion::v1_3: return TLS1_3_VERSION;
  }
  return TLS1_2_VERSION;
}

// OpenSSL's first queued reason, short ("tlsv1 alert protocol version"), and
// the queue cleared so the next connection starts clean.
std::string last_error(const char* fallback) {
  const unsigned long e = ERR_peek_error();
  std::string why = fallback;
  if (e != 0) {
    const char* reason = ERR_reason_error_string(e);
    if (reason != nullptr) why = reason;
  }
  ERR_clear_error();
  return why;
}

bool is_ip(std::string_view host) {
  const std::string h(host);
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, h.c_str(), buf) == 1 || inet_pton(AF_INET6, h.c_str(), buf) == 1;
}

}  // namespace

const char* to_string(TlsVersion v) {
  switch (v) {
    case TlsVersion::v1_0: return "TLS 1.0";
    case TlsVersion::v1_1: return "TLS 1.1";
    case TlsVersion::v1_2: return "TLS 1.2";
    case TlsVersion::v1_3: return "TLS 1.3";
  }
  return "?";
}

TlsClientContext::~TlsClientContext() {
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
}

bool TlsClientContext::init(const TlsOptions& options, std::string_view host, std::string& why, TlsVersion min,
                            TlsVersion max) {
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (ctx_ == nullptr) {
    why = "TLS: " + last_error("cannot create a context");
    return false;
  }
  host_ = std::string(host);
  sni_ = is_ip(host) ? std::string() : host_;  // SNI carries names only (RFC 6066)
  verify_ = !options.insecure;
  if (SSL_CTX_set_min_proto_version(ctx_, wire_version(min)) != 1 ||
      SSL_CTX_set_max_proto_version(ctx_, wire_version(max)) != 1) {
    why = "TLS: " + last_error("cannot set the protocol versions");
    return false;
  }
  // TLS 1.0/1.1 are below every security level OpenSSL 3 allows by default:
  // the probe lowers it so the old ClientHello goes out and the server
  // (not this client) is the one to refuse it.
  if (min < TlsVersion::v1_2 && SSL_CTX_set_cipher_list(ctx_, "DEFAULT:@SECLEVEL=0") != 1) {
    why = "TLS: " + last_error("cannot offer the old versions");
    return false;
  }
  static const unsigned char kAlpn[] = "\x08http/1.1";
  if (SSL_CTX_set_alpn_protos(ctx_, kAlpn, sizeof kAlpn - 1) != 0) {  // 0 is success here
    why = "TLS: " + last_error("cannot set ALPN");
    return false;
  }
  SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_OFF);  // every connection a full handshake
  if (!verify_) {
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
    return true;
  }
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  if (!options.cacert.empty()) {
    // Checked first so a typo reads as one, not as an OpenSSL error stack.
    std::FILE* f = std::fopen(options.cacert.c_str(), "r");
    if (f == nullptr) {
      why = "--cacert " + options.cacert + ": " + std::strerror(errno);
      return false;
    }
    std::fclose(f);
    if (SSL_CTX_load_verify_locations(ctx_, options.cacert.c_str(), nullptr) != 1) {
      why = "--cacert " + options.cacert + ": " + last_error("no PEM certificate in it");
      return false;
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx_) != 1) {
    why = "TLS: " + last_error("cannot load the system CA store");
    return false;
  }
  // The certificate must name the host (its DNS name or IP address).
  X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx_);
  const int named = sni_.empty() ? X509_VERIFY_PARAM_set1_ip_asc(param, host_.c_str())
                                 : X509_VERIFY_PARAM_set1_host(param, host_.c_str(), 0);
  if (named != 1) {
    why = "TLS: cannot check the certificate against " + host_;
    ERR_clear_error();
    return false;
  }
  return true;
}

TlsClient::TlsClient(TlsClient&& other) noexcept { *this = std::move(other); }

TlsClient& TlsClient::operator=(TlsClient&& other) noexcept {
  if (this != &other) {
    close();
    ssl_ = std::exchange(other.ssl_, nullptr);
    in_ = std::exchange(other.in_, nullptr);
    out_ = std::exchange(other.out_, nullptr);
    state_ = std::exchange(other.state_, TlsState::idle);
    reneg_asked_ = std::exchange(other.reneg_asked_, false);
    verify_ = other.verify_;
    error_ = std::move(other.error_);
  }
  return *this;
}

bool TlsClient::open(const TlsClientContext& context) {
  close();
  error_.clear();
  verify_ = context.verifies();
  ssl_ = SSL_new(context.get());
  in_ = BIO_new(BIO_s_mem());
  out_ = BIO_new(BIO_s_mem());
  if (ssl_ == nullptr || in_ == nullptr || out_ == nullptr) {
    if (in_ != nullptr) BIO_free(in_);
    if (out_ != nullptr) BIO_free(out_);
    if (ssl_ != nullptr) SSL_free(ssl_);
    ssl_ = nullptr;
    in_ = out_ = nullptr;
    error_ = "TLS: " + last_error("out of memory for a session");
    state_ = TlsState::failed;
    return false;
  }
  // An empty input BIO means "wait for more", not end of stream.
  BIO_set_mem_eof_return(in_, -1);
  SSL_set_bio(ssl_, in_, out_);
  SSL_set_connect_state(ssl_);
  if (!context.server_name().empty()) SSL_set_tlsext_host_name(ssl_, context.server_name().c_str());
  state_ = TlsState::handshaking;
  advance();  // the ClientHello
  return state_ != TlsState::failed;
}

void TlsClient::close() {
  if (ssl_ != nullptr) SSL_free(ssl_);  // frees both BIOs
  ssl_ = nullptr;
  in_ = out_ = nullptr;
  state_ = TlsState::idle;
  reneg_asked_ = false;
}

void TlsClient::fail(int ssl_error) {
  if (ssl_error == SSL_ERROR_ZERO_RETURN) {
    state_ = TlsState::closed;
    ERR_clear_error();
    return;
  }
  const bool in_handshake = state_ == TlsState::handshaking || reneg_asked_;
  state_ = TlsState::failed;
  if (!error_.empty()) {
    ERR_clear_error();
    return;
  }
  // Without verification OpenSSL still records the result: only a check
  // that was asked for explains a failure.
  const long verify = verify_ ? SSL_get_verify_result(ssl_) : X509_V_OK;
  if (verify != X509_V_OK) {
    error_ = std::string("certificate verification failed: ") + X509_verify_cert_error_string(verify);
    ERR_clear_error();
    return;
  }
  error_ = last_error(ssl_error == SSL_ERROR_SYSCALL ? "the TLS stream ended" : "TLS error");
  if (in_handshake) error_ = "TLS handshake failed: " + error_;
}

void TlsClient::advance() {
  const int r = SSL_do_handshake(ssl_);
  if (r == 1) {
    state_ = TlsState::open;
    return;
  }
  const int e = SSL_get_error(ssl_, r);
  if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) fail(e);
}

void TlsClient::feed(std::span<const char> ciphertext) {
  if (ssl_ == nullptr || ciphertext.empty()) return;
  size_t done = 0;
  while (done < ciphertext.size()) {
    size_t n = 0;
    if (BIO_write_ex(in_, ciphertext.data() + done, ciphertext.size() - done, &n) != 1) {
      ERR_clear_error();
      error_ = "no memory for received TLS records";
      state_ = TlsState::failed;
      return;
    }
    done += n;
  }
  if (state_ == TlsState::handshaking) advance();
}

size_t TlsClient::read(std::span<char> out) {
  if (ssl_ == nullptr || state_ == TlsState::failed || state_ == TlsState::closed || out.empty()) return 0;
  if (state_ == TlsState::handshaking) {
    advance();
    if (state_ != TlsState::open) return 0;
  }
  size_t n = 0;
  ERR_clear_error();  // SSL_get_error reads the thread's queue: nothing stale in it
  if (SSL_read_ex(ssl_, out.data(), out.size(), &n) == 1) return n;
  const int e = SSL_get_error(ssl_, 0);
  if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) fail(e);
  return 0;
}

size_t TlsClient::write(std::span<const char> plaintext) {
  if (ssl_ == nullptr || state_ != TlsState::open || plaintext.empty()) return 0;
  size_t n = 0;
  ERR_clear_error();
  if (SSL_write_ex(ssl_, plaintext.data(), plaintext.size(), &n) == 1) return n;
  const int e = SSL_get_error(ssl_, 0);
  if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) fail(e);
  return 0;
}

std::span<const char> TlsClient::output() const {
  if (out_ == nullptr) return {};
  char* data = nullptr;
  const long n = BIO_get_mem_data(out_, &data);
  return n > 0 ? std::span<const char>(data, static_cast<size_t>(n)) : std::span<const char>{};
}

void TlsClient::consume(size_t n) {
  // A memory BIO reads from its front: skip n bytes by reading them out.
  char sink[4096];
  while (out_ != nullptr && n > 0) {
    const int k = BIO_read(out_, sink, static_cast<int>(n < sizeof sink ? n : sizeof sink));
    if (k <= 0) break;
    n -= static_cast<size_t>(k);
  }
}

size_t TlsClient::take_output(std::span<char> dst) {
  if (out_ == nullptr || dst.empty()) return 0;
  size_t n = 0;
  if (BIO_read_ex(out_, dst.data(), dst.size(), &n) != 1) return 0;  // empty
  return n;
}

void TlsClient::shutdown() {
  if (ssl_ != nullptr && state_ == TlsState::open) SSL_shutdown(ssl_);
  ERR_clear_error();
}

bool TlsClient::request_renegotiation() {
  if (ssl_ == nullptr || state_ != TlsState::open || SSL_version(ssl_) != TLS1_2_VERSION) return false;
  if (SSL_renegotiate(ssl_) != 1) {
    ERR_clear_error();
    return false;
  }
  reneg_asked_ = true;
  // Writes the new ClientHello; the server's answer arrives through read().
  const int r = SSL_do_handshake(ssl_);
  if (r != 1) {
    const int e = SSL_get_error(ssl_, r);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) fail(e);
  }
  return state_ != TlsState::failed;
}

bool TlsClient::renegotiated() const {
  return ssl_ != nullptr && reneg_asked_ && state_ == TlsState::open && SSL_renegotiate_pending(ssl_) == 0;
}

const char* TlsClient::version() const { return ssl_ != nullptr ? SSL_get_version(ssl_) : ""; }

const char* TlsClient::cipher() const { return ssl_ != nullptr ? SSL_get_cipher_name(ssl_) : ""; }

std::string TlsClient::alpn() const {
  if (ssl_ == nullptr) return {};
  const unsigned char* p = nullptr;
  unsigned int n = 0;
  SSL_get0_alpn_selected(ssl_, &p, &n);
  return p != nullptr ? std::string(reinterpret_cast<const char*>(p), n) : std::string();
}

}  // namespace hs::client
