// Session-ticket keys in fixed memory, rotated: tickets are sealed with the
// newest key (AES-256-CBC + HMAC-SHA256, OpenSSL's ticket format), a ticket
// sealed with the previous key still resumes and is renewed, an older one
// gets a full handshake. The keys never leave this object (no file, no
// cache that grows); a certificate reload keeps them, so tickets survive a
// renewal. Shared by every worker: one lock, taken once per ticket.
#pragma once

#include <cstdint>
#include <mutex>

typedef struct ssl_ctx_st SSL_CTX;

namespace hs::tls {

class TicketKeys {
public:
  using Clock = int64_t (*)();  // wall seconds
  static constexpr int64_t kDefaultPeriod = 12 * 3600;

  explicit TicketKeys(int64_t period_seconds = kDefaultPeriod, Clock clock = nullptr);
  ~TicketKeys();
  TicketKeys(const TicketKeys&) = delete;
  TicketKeys& operator=(const TicketKeys&) = delete;

  // Makes `ctx` seal and open its tickets with these keys. False when the
  // first key cannot be made (no randomness).
  bool attach(SSL_CTX* ctx);

  uint64_t rotations() const;

  // The OpenSSL callback's work (public for the callback only).
  int on_ticket(unsigned char name[16], unsigned char* iv, void* cipher_ctx, void* mac_ctx, int enc);

private:
  struct Key {
    unsigned char name[16];
    unsigned char aes[32];
    unsigned char hmac[32];
    int64_t created = 0;
    bool valid = false;
  };
  bool make(Key& k, int64_t now);
  int64_t now() const;

  static constexpr int kKeys = 3;  // newest, previous, and one being retired
  Key keys_[kKeys];
  int current_ = 0;
  int64_t period_;
  Clock clock_;
  uint64_t rotations_ = 0;
  mutable std::mutex lock_;
};

}  // namespace hs::tls
