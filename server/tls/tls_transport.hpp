// One TLS connection as the loop will see it, sans-I/O: ciphertext in (in
// the caller's receive buffer), plaintext out in place; plaintext in,
// records out; and what the protocol must send first. Inside, three phases:
//
//   Handshake  OpenSSL's session, from the HandshakePool (a fixed number:
//              handshakes are what costs memory, ~100 KiB at their peak).
//   Records    TLS 1.3 after the hand-off: RecordStream, ~300 bytes; the
//              session goes back to the pool and OpenSSL's SSL object is freed.
//   Session    TLS 1.2 stays on OpenSSL's session for the connection's life
//              (it keeps its pool slot: TLS 1.2 connections count as handshakes).
//
// The hand-off waits until OpenSSL's last handshake output (the session
// tickets) has been taken: whatever the client sent after its Finished waits
// in the session until then, and is decrypted by RecordStream after.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "core/fixed_pool.hpp"
#include "tls/record_stream.hpp"
#include "tls/tls_session.hpp"

namespace hs::tls {

// A fixed number of handshake sessions (core::FixedPool over storage made
// once); release() closes the session, which frees OpenSSL's SSL object.
class HandshakePool {
public:
  explicit HandshakePool(size_t sessions)
      : sessions_(new TlsSession[sessions]), next_(new uint32_t[sessions]) {
    pool_.init({sessions_.get(), sessions}, {next_.get(), sessions});
  }
  TlsSession* acquire() { return pool_.acquire(); }
  void release(TlsSession* s) {
    s->close();
    pool_.release(s);
  }
  size_t capacity() const { return pool_.capacity(); }
  size_t in_use() const { return pool_.in_use(); }

private:
  std::unique_ptr<TlsSession[]> sessions_;
  std::unique_ptr<uint32_t[]> next_;
  core::FixedPool<TlsSession> pool_;
};

class TlsTransport {
public:
  enum class Phase : uint8_t { Idle, Handshake, Records, Session, Closed, Failed };

  TlsTransport() = default;
  TlsTransport(const TlsTransport&) = delete;
  TlsTransport& operator=(const TlsTransport&) = delete;
  ~TlsTransport() { stop(); }

  // A new connection. False when no handshake slot is free (the caller
  // closes the connection or lets it wait) or the arena is full.
  bool start(HandshakePool& pool, SSL_CTX* ctx);
  // Frees what the connection holds (its pool slot, its keys).
  void stop();

  struct In {
    size_t plaintext = 0;  // application bytes now at buf[0, plaintext)
    size_t partial = 0;    // ciphertext kept at buf[plaintext, plaintext + partial)
  };
  // `buf[0, len)` holds ciphertext received (after what a previous call kept).
  // Call again with len 0 once output() has been drained: that is when a
  // TLS 1.3 connection hands off and what waited is decrypted. buf must have
  // room for the bytes that waited (at most a receive buffer's worth).
  // TLS 1.2 (Session): plaintext beyond buf.size() stays in OpenSSL; call
  // again with len 0 once the connection has consumed what it got.
  In on_received(std::span<char> buf, size_t len);

  // Bytes that must go out before anything else: the handshake's flight,
  // a KeyUpdate answer, an alert.
  std::span<const char> output() const;
  void consume_output(size_t n);

  // Seals plaintext into `out` (as much as fits); returns bytes taken.
  // Nothing while output() is not empty.
  size_t encrypt(std::span<const char> plaintext, std::span<char> out, size_t& written);

  // Graceful close: close_notify goes into output().
  void close_notify();

  Phase phase() const { return phase_; }
  // Handshake phase: OpenSSL finished the handshake (its last flight may
  // still be in output()); the next on_received(buf, 0) after output() was
  // drained hands off.
  bool handshake_done() const;
  bool resumed() const { return resumed_; }  // the handshake resumed a session (ticket)
  bool sni_other() const { return sni_other_; }  // SNI named a host the certificate does not cover
  // The client sent close_notify: nothing more is read; answers may still be
  // sealed, then close_notify() (ours) ends the stream.
  bool peer_closed() const { return peer_closed_; }
  bool failed() const { return phase_ == Phase::Failed; }
  const char* version() const { return version_; }
  uint64_t key_updates() const { return stream_.key_updates(); }  // received (TLS 1.3)

private:
  void try_hand_off(std::span<char> buf, size_t& len);
  void fail() { phase_ = Phase::Failed; }

  HandshakePool* pool_ = nullptr;
  TlsSession* session_ = nullptr;  // Handshake and Session phases
  RecordStream stream_;            // Records phase
  Phase phase_ = Phase::Idle;
  const char* version_ = "";
  bool resumed_ = false;
  bool sni_other_ = false;
  bool peer_closed_ = false;
};

}  // namespace hs::tls
