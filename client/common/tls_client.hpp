// The companion tools' TLS, sans-I/O: an OpenSSL client session over two
// memory BIOs. Ciphertext the socket received goes in (feed), plaintext for
// the HTTP framing comes out (read); plaintext requests go in (write),
// ciphertext for the socket comes out (output/take_output). No descriptor,
// no engine: the same object runs under the sequential socket helpers
// (stream.hpp), the epoll and the io_uring loops (bench, flood), and tests.
//
// Allocation: OpenSSL allocates per connection (the SSL object, its BIOs,
// record buffers) in its own way, through malloc. That is accepted for the
// client tools: a plain-http load loop still allocates nothing, and with
// TLS the per-request path only reuses what the handshake allocated.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;
typedef struct bio_st BIO;

namespace hs::client {

// What the command line says about TLS (every tool takes the same two flags).
struct TlsOptions {
  bool insecure = false;  // --insecure: skip certificate verification
  std::string cacert;     // --cacert FILE: PEM CA certificates (empty: the system store)
};

// Protocol versions a context may offer. The tools use TLS 1.2 and up; the
// probe offers the old ones on purpose, to see the server refuse them.
enum class TlsVersion : unsigned char { v1_0, v1_1, v1_2, v1_3 };
const char* to_string(TlsVersion v);

// One SSL_CTX per target: verification settings, ALPN http/1.1, and the peer
// name (SNI when the host is a name; the name or IP the certificate must
// match). Shared by every connection to that target (OpenSSL allows SSL_new
// from many threads on one context).
class TlsClientContext {
public:
  TlsClientContext() = default;
  TlsClientContext(const TlsClientContext&) = delete;
  TlsClientContext& operator=(const TlsClientContext&) = delete;
  ~TlsClientContext();

  // `host`: the URL's host without brackets or port ("localhost", "127.0.0.1",
  // "::1"). min/max bound the versions offered. False with a one-line reason
  // (a missing or empty --cacert file, OpenSSL refusing a setting).
  bool init(const TlsOptions& options, std::string_view host, std::string& why,
            TlsVersion min = TlsVersion::v1_2, TlsVersion max = TlsVersion::v1_3);

  SSL_CTX* get() const { return ctx_; }
  const std::string& server_name() const { return sni_; }  // empty for an IP address
  const std::string& host() const { return host_; }
  bool verifies() const { return verify_; }

private:
  SSL_CTX* ctx_ = nullptr;
  std::string sni_;
  std::string host_;
  bool verify_ = true;
};

enum class TlsState : unsigned char {
  idle,         // not opened
  handshaking,
  open,         // application data flows
  closed,       // the server sent close_notify
  failed,       // a fatal alert was sent or received, or verification failed: error() says why
};

class TlsClient {
public:
  TlsClient() = default;
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;
  TlsClient(TlsClient&& other) noexcept;
  TlsClient& operator=(TlsClient&& other) noexcept;
  ~TlsClient() { close(); }

  // Starts a session and writes the ClientHello into output(). False (with
  // error()) when OpenSSL cannot make the session.
  bool open(const TlsClientContext& context);
  // Frees the session; the object can be opened again (a new connection).
  void close();
  bool is_open() const { return ssl_ != nullptr; }

  // Ciphertext from the server; every byte is taken. Progresses the
  // handshake (its answer lands in output()).
  void feed(std::span<const char> ciphertext);
  // Decrypted application bytes into `out`: how many (0: none yet; see state()).
  size_t read(std::span<char> out);
  // Plaintext to encrypt, taken whole while open (0 otherwise).
  size_t write(std::span<const char> plaintext);
  // Ciphertext waiting for the socket: look at it, then consume() what was sent ...
  std::span<const char> output() const;
  void consume(size_t n);
  // ... or copy up to dst.size() bytes of it out (for a send that completes
  // later, io_uring: the memory BIO may move its buffer meanwhile).
  size_t take_output(std::span<char> dst);
  // Queues close_notify (best effort).
  void shutdown();
  // TLS 1.2 only: asks the server for a renegotiation (its ClientHello goes
  // to output()). False when the session cannot ask (TLS 1.3, not open).
  bool request_renegotiation();
  // True once a renegotiation asked for above completed (the server agreed).
  bool renegotiated() const;

  TlsState state() const { return state_; }
  bool handshaking() const { return state_ == TlsState::handshaking; }
  const std::string& error() const { return error_; }
  // After the handshake: "TLSv1.3", the cipher suite, the ALPN protocol ("" when none).
  const char* version() const;
  const char* cipher() const;
  std::string alpn() const;

private:
  void advance();
  void fail(int ssl_error);

  SSL* ssl_ = nullptr;
  BIO* in_ = nullptr;   // ciphertext from the server (owned by ssl_)
  BIO* out_ = nullptr;  // ciphertext to the server (owned by ssl_)
  TlsState state_ = TlsState::idle;
  bool reneg_asked_ = false;
  bool verify_ = true;  // the context verifies: a verification result names the failure
  std::string error_;
};

}  // namespace hs::client
