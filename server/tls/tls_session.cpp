#include "tls/tls_session.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstring>
#include <string_view>

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
    set_error("no memory for a TLS session");
    ERR_clear_error();
    return false;
  }
  // An empty memory BIO reads as "retry", not as end of file.
  BIO_set_mem_eof_return(in_, -1);
  SSL_set_bio(ssl_, in_, out_);
  SSL_set_accept_state(ssl_);
  SSL_set_ex_data(ssl_, session_index(), this);
  secrets_seen_ = secret_len_ = 0;
  records_after_handshake_ = 0;
  state_ = TlsState::Handshaking;
  error_[0] = '\0';
  return true;
}

void TlsSession::close() {
  OPENSSL_cleanse(client_secret_, sizeof client_secret_);
  OPENSSL_cleanse(server_secret_, sizeof server_secret_);
  secrets_seen_ = 0;
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
      set_error("no memory for received TLS records");
      state_ = TlsState::Failed;
      return false;
    }
    done += n;
  }
  if (state_ == TlsState::Handshaking) advance();
  return true;
}

void TlsSession::set_error(const char* why) {
  std::snprintf(error_, sizeof error_, "%s", why);
}

void TlsSession::fail(int ssl_error) {
  if (ssl_error == SSL_ERROR_ZERO_RETURN) {
    state_ = TlsState::Closed;
    return;
  }
  state_ = TlsState::Failed;
  if (error_[0] == '\0') {
    if (ssl_error == SSL_ERROR_SYSCALL) {
      set_error("TLS stream ended");
    } else {
      const unsigned long e = ERR_peek_error();
      if (e != 0) ERR_error_string_n(e, error_, sizeof error_);
      else set_error("unknown TLS error");
    }
  }
  ERR_clear_error();
}

void TlsSession::advance() {
  const size_t before = output().size();
  const int r = SSL_do_handshake(ssl_);
  if (r == 1) {
    state_ = TlsState::Open;
    // What the last step wrote answers the client's Finished: in TLS 1.3
    // only records under the server's application keys (session tickets).
    const std::span<const char> out = output();
    for (size_t at = before; at + kRecordHeader <= out.size();) {
      const auto* h = reinterpret_cast<const unsigned char*>(out.data() + at);
      at += kRecordHeader + ((size_t{h[3]} << 8) | h[4]);
      ++records_after_handshake_;
    }
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
  ERR_clear_error();  // SSL_get_error reads the thread's queue: nothing stale in it
  if (SSL_read_ex(ssl_, out.data(), out.size(), &n) == 1) return n;
  const int e = SSL_get_error(ssl_, 0);
  if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) fail(e);
  return 0;
}

size_t TlsSession::write(std::span<const char> plaintext) {
  if (ssl_ == nullptr || (state_ != TlsState::Open && state_ != TlsState::Closed) || plaintext.empty()) return 0;
  size_t n = 0;
  ERR_clear_error();
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

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void TlsSession::on_key_log(const char* line) {
  // "<LABEL> <client random, hex> <secret, hex>"
  const std::string_view l(line);
  int which = 0;
  if (l.rfind("CLIENT_TRAFFIC_SECRET_0 ", 0) == 0) which = 1;
  else if (l.rfind("SERVER_TRAFFIC_SECRET_0 ", 0) == 0) which = 2;
  else return;
  const size_t at = l.rfind(' ');
  const std::string_view hex = l.substr(at + 1);
  if (hex.size() != 64 && hex.size() != 96) return;
  uint8_t* dst = which == 1 ? client_secret_ : server_secret_;
  for (size_t i = 0; i < hex.size() / 2; ++i) {
    const int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return;
    dst[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  secret_len_ = static_cast<uint8_t>(hex.size() / 2);
  secrets_seen_ |= static_cast<uint8_t>(which);
}

bool TlsSession::hand_off(RecordState& out, std::span<char> unread, size_t& unread_len) {
  unread_len = 0;
  if (ssl_ == nullptr || state_ != TlsState::Open) {
    set_error("the handshake is not done");
    return false;
  }
  if (SSL_version(ssl_) != TLS1_3_VERSION) {
    set_error("only TLS 1.3 hands off to the record layer");
    return false;
  }
  if (!output().empty()) {
    set_error("the handshake's output has not been sent yet");
    return false;
  }
  if (secrets_seen_ != 3 || !out.set_suite(cipher()) || secret_len_ != out.hash_len) {
    set_error("the traffic secrets were not seen");
    return false;
  }
  std::memcpy(out.read.secret, client_secret_, secret_len_);
  std::memcpy(out.write.secret, server_secret_, secret_len_);
  if (!out.derive(out.read) || !out.derive(out.write)) {
    set_error("cannot derive the traffic keys");
    out.wipe();
    return false;
  }
  out.write.seq = records_after_handshake_;
  // Whatever the peer sent after its Finished is still in the input BIO.
  const size_t pending = static_cast<size_t>(BIO_ctrl_pending(in_));
  if (pending > unread.size()) {
    set_error("too many bytes after the handshake");
    out.wipe();
    return false;
  }
  if (pending > 0) unread_len = static_cast<size_t>(BIO_read(in_, unread.data(), static_cast<int>(pending)));
  return true;
}

int session_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

bool TlsSession::resumed() const { return ssl_ != nullptr && SSL_session_reused(ssl_) == 1; }

bool TlsSession::sni_other() const {
  if (ssl_ == nullptr) return false;
  const char* name = SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name);
  X509* cert = SSL_get_certificate(ssl_);
  if (name == nullptr || cert == nullptr) return false;
  return X509_check_host(cert, name, std::strlen(name), 0, nullptr) != 1;
}

void TlsSession::release_buffers() {
  if (ssl_ != nullptr) SSL_free_buffers(ssl_);
}

}  // namespace hs::tls
