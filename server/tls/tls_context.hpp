// The server's TLS policy in one SSL_CTX: TLS 1.2 and 1.3 only, forward-
// secret AEAD suites only, the server's order with ChaCha20-Poly1305 first
// for clients that put it first (CPUs without AES instructions), ALPN
// http/1.1, no renegotiation, stateless session tickets (no server-side
// session cache: nothing grows with clients), one certificate chain (SNI is
// read, not required). Start-up only (and SIGHUP reload, later).
#pragma once

#include <mutex>
#include <string>

#include "tls/ticket_keys.hpp"

typedef struct ssl_ctx_st SSL_CTX;

namespace hs::tls {

class TlsContext {
public:
  TlsContext() = default;
  // Tickets sealed with `keys` (which must outlive this context).
  explicit TlsContext(TicketKeys* keys) : tickets_(keys) {}
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;
  ~TlsContext();

  // Loads a PEM certificate chain (leaf first) and its private key (ECDSA or
  // RSA). False with a one-line reason naming the file and OpenSSL's error.
  // Called again (SIGHUP), it replaces the pair only when the new one loads:
  // a broken renewal keeps the old certificate. Connections keep the context
  // they started with (OpenSSL counts its references).
  bool load(const std::string& cert_chain, const std::string& key, std::string& why);

  SSL_CTX* get() const { return ctx_; }
  // The current context with a reference of the caller's (SSL_CTX_free it
  // once SSL_new took its own): safe against a reload on another thread.
  SSL_CTX* share() const;

private:
  mutable std::mutex swap_;
  SSL_CTX* ctx_ = nullptr;
  TicketKeys* tickets_ = nullptr;  // null: OpenSSL's own ticket key, never rotated
};

// OpenSSL's most recent error as one line (and the queue cleared).
std::string last_error();

}  // namespace hs::tls
