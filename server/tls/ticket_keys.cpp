#include "tls/ticket_keys.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <cstring>
#include <ctime>

namespace hs::tls {

namespace {

int ctx_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

int ticket_callback(SSL* ssl, unsigned char key_name[16], unsigned char iv[EVP_MAX_IV_LENGTH], EVP_CIPHER_CTX* cipher,
                    EVP_MAC_CTX* mac, int enc) {
  auto* keys = static_cast<TicketKeys*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ctx_index()));
  return keys != nullptr ? keys->on_ticket(key_name, iv, cipher, mac, enc) : -1;
}

int64_t wall_seconds() { return static_cast<int64_t>(std::time(nullptr)); }

}  // namespace

TicketKeys::TicketKeys(int64_t period_seconds, Clock clock)
    : period_(period_seconds > 0 ? period_seconds : kDefaultPeriod), clock_(clock != nullptr ? clock : wall_seconds) {}

TicketKeys::~TicketKeys() { OPENSSL_cleanse(keys_, sizeof keys_); }

int64_t TicketKeys::now() const { return clock_(); }

bool TicketKeys::make(Key& k, int64_t at) {
  k.valid = RAND_bytes(k.name, sizeof k.name) == 1 && RAND_bytes(k.aes, sizeof k.aes) == 1 &&
            RAND_bytes(k.hmac, sizeof k.hmac) == 1;
  k.created = at;
  return k.valid;
}

bool TicketKeys::attach(SSL_CTX* ctx) {
  std::lock_guard<std::mutex> g(lock_);
  if (!keys_[current_].valid && !make(keys_[current_], now())) return false;
  return SSL_CTX_set_ex_data(ctx, ctx_index(), this) == 1 &&
         SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_callback) == 1;
}

uint64_t TicketKeys::rotations() const {
  std::lock_guard<std::mutex> g(lock_);
  return rotations_;
}

int TicketKeys::on_ticket(unsigned char name[16], unsigned char* iv, void* cipher_ctx, void* mac_ctx, int enc) {
  auto* cipher = static_cast<EVP_CIPHER_CTX*>(cipher_ctx);
  auto* mac = static_cast<EVP_MAC_CTX*>(mac_ctx);
  std::lock_guard<std::mutex> g(lock_);
  const int64_t t = now();
  const Key* use = nullptr;
  int result = 1;
  if (enc == 1) {
    if (t - keys_[current_].created >= period_) {  // rotate: a new newest key
      const int next = (current_ + 1) % kKeys;
      if (make(keys_[next], t)) {
        current_ = next;
        ++rotations_;
      }
    }
    use = &keys_[current_];
    std::memcpy(name, use->name, sizeof use->name);
    if (RAND_bytes(iv, 16) != 1) return -1;
  } else {
    for (const Key& k : keys_) {
      if (k.valid && std::memcmp(k.name, name, sizeof k.name) == 0) use = &k;
    }
    // Unknown, or older than the previous key's lifetime: a full handshake.
    if (use == nullptr || t - use->created >= 2 * period_) return 0;
    // 2: valid, and a new ticket is issued, whichever key sealed it: TLS 1.3
    // clients should use a ticket once (RFC 8446 C.4), and a fresh one keeps
    // them resuming instead of falling back to full handshakes.
    result = 2;
  }
  OSSL_PARAM params[3];
  params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, const_cast<unsigned char*>(use->hmac),
                                                sizeof use->hmac);
  params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA256"), 0);
  params[2] = OSSL_PARAM_construct_end();
  const bool ok = EVP_MAC_CTX_set_params(mac, params) == 1 &&
                  (enc == 1 ? EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, use->aes, iv)
                            : EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, use->aes, iv)) == 1;
  return ok ? result : -1;
}

}  // namespace hs::tls
