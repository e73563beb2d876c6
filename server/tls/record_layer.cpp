#include "tls/record_layer.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstring>
#include <string_view>

namespace hs::tls {

namespace {

constexpr uint8_t kApplicationData = 23;

const EVP_CIPHER* cipher_for(Aead a) {
  // Fetched once (OpenSSL 3: explicit fetches avoid a lookup per record).
  static EVP_CIPHER* const aes128 = EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr);
  static EVP_CIPHER* const aes256 = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  static EVP_CIPHER* const chacha = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
  switch (a) {
    case Aead::Aes128Gcm: return aes128;
    case Aead::Aes256Gcm: return aes256;
    case Aead::ChaCha20Poly1305: return chacha;
  }
  return nullptr;
}

size_t key_len(Aead a) { return a == Aead::Aes128Gcm ? 16 : 32; }

// One cipher context per thread, reused for every record (made on first use,
// from the TLS arena, never freed while the thread lives).
EVP_CIPHER_CTX* scratch() {
  struct Holder {
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    ~Holder() { EVP_CIPHER_CTX_free(ctx); }
  };
  thread_local Holder h;
  return h.ctx;
}

// HKDF-Expand-Label(secret, label, "", length) for length <= hash length:
// one HMAC block (RFC 8446 7.1, RFC 5869 2.3).
bool expand_label(const uint8_t* secret, size_t hash_len, std::string_view label, uint8_t* out, size_t length) {
  uint8_t info[2 + 1 + 255 + 1 + 1];
  size_t n = 0;
  info[n++] = static_cast<uint8_t>(length >> 8);
  info[n++] = static_cast<uint8_t>(length);
  const std::string_view prefix = "tls13 ";
  info[n++] = static_cast<uint8_t>(prefix.size() + label.size());
  std::memcpy(info + n, prefix.data(), prefix.size());
  n += prefix.size();
  std::memcpy(info + n, label.data(), label.size());
  n += label.size();
  info[n++] = 0;  // empty context
  info[n++] = 1;  // T(1) = HMAC(secret, info || 0x01)
  uint8_t block[EVP_MAX_MD_SIZE];
  unsigned block_len = 0;
  const EVP_MD* md = hash_len == 48 ? EVP_sha384() : EVP_sha256();
  if (length > hash_len || HMAC(md, secret, static_cast<int>(hash_len), info, n, block, &block_len) == nullptr)
    return false;
  std::memcpy(out, block, length);
  OPENSSL_cleanse(block, sizeof block);
  return true;
}

void nonce_for(const TrafficKeys& k, uint8_t nonce[12]) {
  std::memcpy(nonce, k.iv, 12);
  for (int i = 0; i < 8; ++i) nonce[11 - i] ^= static_cast<uint8_t>(k.seq >> (8 * i));
}

}  // namespace

bool RecordState::set_suite(const char* name) {
  const std::string_view n = name != nullptr ? name : "";
  if (n == "TLS_AES_128_GCM_SHA256") aead = Aead::Aes128Gcm, hash_len = 32;
  else if (n == "TLS_AES_256_GCM_SHA384") aead = Aead::Aes256Gcm, hash_len = 48;
  else if (n == "TLS_CHACHA20_POLY1305_SHA256") aead = Aead::ChaCha20Poly1305, hash_len = 32;
  else return false;
  return true;
}

bool RecordState::derive(TrafficKeys& k) const {
  k.seq = 0;
  return expand_label(k.secret, hash_len, "key", k.key, key_len(aead)) &&
         expand_label(k.secret, hash_len, "iv", k.iv, sizeof k.iv);
}

bool RecordState::update(TrafficKeys& k) const {
  uint8_t next[48];
  if (!expand_label(k.secret, hash_len, "traffic upd", next, hash_len)) return false;
  std::memcpy(k.secret, next, hash_len);
  OPENSSL_cleanse(next, sizeof next);
  return derive(k);
}

void RecordState::wipe() {
  OPENSSL_cleanse(&read, sizeof read);
  OPENSSL_cleanse(&write, sizeof write);
}

void prepare_thread() { (void)scratch(); }

size_t seal(RecordState& s, uint8_t type, std::span<const char> plaintext, std::span<char> out) {
  const size_t body = plaintext.size() + 1 + kTagBytes;
  if (plaintext.size() > kMaxPlaintext || out.size() < kRecordHeader + body) return 0;
  if (s.write.seq == UINT64_MAX) return 0;  // never reuse a nonce: the connection must close
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  o[0] = kApplicationData;
  o[1] = 0x03;
  o[2] = 0x03;
  o[3] = static_cast<unsigned char>(body >> 8);
  o[4] = static_cast<unsigned char>(body);
  // The inner plaintext: the bytes, then the real content type (no padding).
  std::memmove(o + kRecordHeader, plaintext.data(), plaintext.size());
  o[kRecordHeader + plaintext.size()] = type;
  uint8_t nonce[12];
  nonce_for(s.write, nonce);
  EVP_CIPHER_CTX* c = scratch();
  int len = 0, fin = 0;
  const int inner = static_cast<int>(plaintext.size() + 1);
  bool ok = c != nullptr && EVP_EncryptInit_ex(c, cipher_for(s.aead), nullptr, s.write.key, nonce) == 1 &&
            EVP_EncryptUpdate(c, nullptr, &len, o, kRecordHeader) == 1 &&
            EVP_EncryptUpdate(c, o + kRecordHeader, &len, o + kRecordHeader, inner) == 1 &&
            EVP_EncryptFinal_ex(c, o + kRecordHeader + len, &fin) == 1 &&
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, kTagBytes, o + kRecordHeader + inner) == 1;
  if (!ok) return 0;
  ++s.write.seq;
  return kRecordHeader + body;
}

OpenResult open(RecordState& s, std::span<char> in) {
  OpenResult r;
  if (in.size() < kRecordHeader) return r;
  auto* p = reinterpret_cast<unsigned char*>(in.data());
  const size_t body = (size_t{p[3]} << 8) | p[4];
  // After the handshake every record is application_data on the outside
  // (a stray change_cipher_spec is not allowed any more), version 0x0303.
  if (p[0] != kApplicationData) {
    r.alert = Alert::UnexpectedMessage;
    return r;
  }
  if (p[1] != 0x03 || p[2] != 0x03) {
    r.alert = Alert::DecodeError;
    return r;
  }
  if (body > kMaxCiphertext) {
    r.alert = Alert::RecordOverflow;
    return r;
  }
  if (body < 1 + kTagBytes) {
    r.alert = Alert::BadRecordMac;  // too short to hold a type byte and a tag
    return r;
  }
  if (in.size() < kRecordHeader + body) return r;  // wait for the rest
  if (s.read.seq == UINT64_MAX) {
    r.alert = Alert::InternalError;
    return r;
  }
  uint8_t nonce[12];
  nonce_for(s.read, nonce);
  const int cipher_len = static_cast<int>(body - kTagBytes);
  unsigned char* text = p + kRecordHeader;
  EVP_CIPHER_CTX* c = scratch();
  int len = 0, fin = 0;
  bool ok = c != nullptr && EVP_DecryptInit_ex(c, cipher_for(s.aead), nullptr, s.read.key, nonce) == 1 &&
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, kTagBytes, text + cipher_len) == 1 &&
            EVP_DecryptUpdate(c, nullptr, &len, p, kRecordHeader) == 1 &&
            EVP_DecryptUpdate(c, text, &len, text, cipher_len) == 1 && EVP_DecryptFinal_ex(c, text + len, &fin) == 1;
  if (!ok) {
    r.alert = Alert::BadRecordMac;  // a bad tag, or bytes changed on the way
    return r;
  }
  ++s.read.seq;
  // The inner plaintext ends with the content type, then zero padding.
  size_t n = static_cast<size_t>(cipher_len);
  while (n > 0 && text[n - 1] == 0) --n;
  if (n == 0) {
    r.alert = Alert::UnexpectedMessage;  // all padding: no content type
    return r;
  }
  r.type = text[n - 1];
  r.length = n - 1;
  if (r.length > kMaxPlaintext) {
    r.alert = Alert::RecordOverflow;
    return r;
  }
  r.consumed = kRecordHeader + body;
  return r;
}

}  // namespace hs::tls
