#include "tls/tls_session.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tls/tls_context.hpp"

namespace hs::tls {

bool TlsSession::open(SSL_CTX* ctx) {
  close();
  ssl_ = SSL_new(ctx);
  in_ = BIO_new(BIO_s_mem());
  out_ = BIO_new(BIO_s_mem());
  if (ssl_ == nullptr || in_ == nullptr || out_ == nullptr) {
    if (in_ != nullptr) BIO_free(in_);
    if (out_ != nullptr) BIO_free(out_);
    if (ssl_ != nullptr) SSL_free(ssl_);
    ssl_ = nullptr;
    in_ = out_ = nullptr;
    error_ = "no memory for a TLS session";
    ERR_clear_error();
    return false;
  }
  // An empty memory BIO reads as "retry", not as end of file.
  BIO_set_mem_eof_return(in_, -1);
  SSL_set_bio(ssl_, in_, out_);
  SSL_set_accept_state(ssl_);
  state_ = TlsState::Handshaking;
  error_.clear();
  return true;
}

void TlsSession::close() {
  if (ssl_ != nullptr) SSL_free(ssl_);  // frees both BIOs
  ssl_ = nullptr;
  in_ = out_ = nullptr;
}

bool TlsSession::feed(std::span<const char> ciphertext) {
  if (ssl_ == nullptr) return false;
  size_t done = 0;
  while (done < ciphertext.size()) {
    size_t n = 0;
    if (BIO_write_ex(in_, ciphertext.data() + done, ciphertext.size() - done, &n) != 1) {
      ERR_clear_error();
      error_ = "no memory for received TLS records";
      state_ = TlsState::Failed;
      return false;
    }
    done += n;
  }
  if (state_ == TlsState::Handshaking) advance();
  return true;
}

void TlsSession::fail(int ssl_error) {
  if (ssl_error == SSL_ERROR_ZERO_RETURN) {
    state_ = TlsState::Closed;
    return;
  }
  state_ = TlsState::Failed;
  if (error_.empty()) error_ = ssl_error == SSL_ERROR_SYSCALL ? "TLS stream ended" : last_error();
  ERR_clear_error();
}

void TlsSession::advance() {
  const int r = SSL_do_handshake(ssl_);
  if (r == 1) {
    state_ = TlsState::Open;
    return;
  }
  const int e = SSL_get_error(ssl_, r);
  if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) fail(e);
}

size_t TlsSession::read(std::span<char> out) {
  if (ssl_ == nullptr || state_ == TlsState::Failed || state_ == TlsState::Closed) return 0;
  if (state_ == TlsState::Handshaking) {
    advance();
    if (state_ != TlsState::Open) return 0;
  }
  size_t n = 0;
  if (SSL_read_ex(ssl_, out.data(), out.size(), &n) == 1) return n;
  const int e = SSL_get_error(ssl_, 0);
  if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) fail(e);
  return 0;
}

size_t TlsSession::write(std::span<const char> plaintext) {
  if (ssl_ == nullptr || state_ != TlsState::Open || plaintext.empty()) return 0;
  size_t n = 0;
  if (SSL_write_ex(ssl_, plaintext.data(), plaintext.size(), &n) == 1) return n;
  const int e = SSL_get_error(ssl_, 0);
  if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) fail(e);
  return 0;
}

std::span<const char> TlsSession::output() const {
  if (out_ == nullptr) return {};
  char* data = nullptr;
  const long n = BIO_get_mem_data(out_, &data);
  return n > 0 ? std::span<const char>(data, static_cast<size_t>(n)) : std::span<const char>{};
}

void TlsSession::consume(size_t n) {
  if (out_ == nullptr || n == 0) return;
  // A memory BIO reads from its front: skip n bytes without copying them out.
  char sink[4096];
  while (n > 0) {
    const int k = BIO_read(out_, sink, static_cast<int>(n < sizeof sink ? n : sizeof sink));
    if (k <= 0) break;
    n -= static_cast<size_t>(k);
  }
}

void TlsSession::shutdown() {
  if (ssl_ != nullptr && (state_ == TlsState::Open || state_ == TlsState::Closed)) {
    SSL_shutdown(ssl_);
    ERR_clear_error();
  }
}

const char* TlsSession::version() const { return ssl_ != nullptr ? SSL_get_version(ssl_) : ""; }

const char* TlsSession::cipher() const {
  const char* name = ssl_ != nullptr ? SSL_get_cipher_name(ssl_) : nullptr;
  return name != nullptr ? name : "";
}

std::string TlsSession::alpn() const {
  const unsigned char* p = nullptr;
  unsigned len = 0;
  if (ssl_ != nullptr) SSL_get0_alpn_selected(ssl_, &p, &len);
  return p != nullptr ? std::string(reinterpret_cast<const char*>(p), len) : std::string();
}

void TlsSession::release_buffers() {
  if (ssl_ != nullptr) SSL_free_buffers(ssl_);
}

}  // namespace hs::tls
