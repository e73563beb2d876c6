// One TLS connection, sans-I/O: ciphertext in from the peer, plaintext out
// to the connection; plaintext in from the connection, ciphertext out for
// the engine to send. No socket, no engine type: the same object runs under
// epoll and io_uring, in tests and in the fuzzer. Its memory (the SSL
// object, two memory BIOs, OpenSSL's record buffers) comes from the TLS
// arena (tls_memory.hpp).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "tls/record_layer.hpp"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;
typedef struct bio_st BIO;

namespace hs::tls {

enum class TlsState : unsigned char {
  Handshaking,
  Open,      // application data flows
  Closed,    // the peer sent close_notify (we may still write, then send ours)
  Failed,    // a fatal alert was sent or received; the connection must close
};

// The SSL ex_data slot that points back at a session (for the key log).
int session_index();

class TlsSession {
public:
  TlsSession() = default;
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;
  ~TlsSession() { close(); }

  // Starts a server-side session. False when the arena cannot hold it.
  bool open(SSL_CTX* ctx);
  void close();
  bool is_open() const { return ssl_ != nullptr; }

  // Ciphertext from the peer; every byte is taken (false: no memory).
  bool feed(std::span<const char> ciphertext);
  // Decrypted application bytes into `out`: how many (0: none yet, or the
  // handshake still runs; see state()). Progresses the handshake.
  size_t read(std::span<char> out);
  // Application bytes to encrypt: how many were taken (all of them while
  // Open, unless memory runs out).
  size_t write(std::span<const char> plaintext);
  // Ciphertext waiting for the engine: what is there, then consume() it.
  std::span<const char> output() const;
  void consume(size_t n);
  // Queues close_notify.
  void shutdown();

  TlsState state() const { return state_; }
  // Why it failed (one line, in the session: recording it allocates nothing).
  std::string_view error() const { return error_; }
  // After the handshake: "TLSv1.3", the cipher suite's name, the ALPN
  // protocol ("" when none was agreed).
  const char* version() const;
  const char* cipher() const;
  std::string alpn() const;
  bool resumed() const;  // the handshake resumed a session (a ticket)
  // The client named a server (SNI) that the certificate does not cover.
  // SNI is read, never required: such a client is served and counted.
  bool sni_other() const;
  // Hands OpenSSL's record buffers back while the connection is idle.
  void release_buffers();

  // TLS 1.3, once Open and the handshake's output has been consumed: the
  // record state that carries the connection on without OpenSSL's SSL
  // object (record_layer.hpp). `unread` gets the ciphertext the peer sent
  // after its Finished (records for the new state; at most unread.size()
  // bytes: false if more). The session should be closed afterwards. False
  // with error() for TLS 1.2 or when the secrets were not seen.
  bool hand_off(RecordState& out, std::span<char> unread, size_t& unread_len);

  // OpenSSL's key log, for this session's secrets (tls_context.cpp).
  void on_key_log(const char* line);

private:
  void advance();
  void fail(int ssl_error);

  SSL* ssl_ = nullptr;
  BIO* in_ = nullptr;   // ciphertext from the peer (owned by ssl_)
  BIO* out_ = nullptr;  // ciphertext to the peer (owned by ssl_)
  TlsState state_ = TlsState::Handshaking;
  void set_error(const char* why);
  char error_[128] = {};
  // TLS 1.3 application traffic secrets from the key log, and how many
  // records OpenSSL sealed with ours after the handshake (its tickets).
  uint8_t client_secret_[48] = {};
  uint8_t server_secret_[48] = {};
  uint8_t secret_len_ = 0;
  uint8_t secrets_seen_ = 0;  // bit 0 client, bit 1 server
  uint64_t records_after_handshake_ = 0;
};

}  // namespace hs::tls
