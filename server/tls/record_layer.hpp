// The TLS 1.3 record layer after the handshake (RFC 8446 section 5), on
// OpenSSL's AEAD primitives: what a connection keeps once OpenSSL's
// handshake machinery is gone, the same state the kernel keeps with kTLS
// (traffic secrets, keys, IVs, sequence numbers): about 230 bytes instead of
// OpenSSL's ~19 KiB SSL object.
//
// Sans-I/O: seal() turns plaintext into one record; open() turns one whole
// record into plaintext in place. Post-handshake handshake messages are the
// caller's (see TlsSession), except the key schedule step for KeyUpdate,
// which is here. Security-critical: every failure is a value (an alert to
// send, then close), and sequence numbers never wrap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace hs::tls {

enum class Aead : uint8_t { Aes128Gcm, Aes256Gcm, ChaCha20Poly1305 };

// RFC 8446 alert descriptions the record layer can raise.
enum class Alert : uint8_t {
  None = 0,
  UnexpectedMessage = 10,
  BadRecordMac = 20,
  RecordOverflow = 22,
  IllegalParameter = 47,
  DecodeError = 50,
  InternalError = 80,
};

constexpr size_t kRecordHeader = 5;
constexpr size_t kMaxPlaintext = 16384;              // 2^14
constexpr size_t kMaxCiphertext = kMaxPlaintext + 256; // RFC 8446 5.2
constexpr size_t kTagBytes = 16;
// Room one sealed record needs: header, plaintext, the content type byte, tag.
constexpr size_t sealed_size(size_t plaintext) { return kRecordHeader + plaintext + 1 + kTagBytes; }

// One direction's keys.
struct TrafficKeys {
  uint8_t secret[48];  // the current application traffic secret (hash length)
  uint8_t key[32];
  uint8_t iv[12];
  uint64_t seq = 0;
};

struct RecordState {
  Aead aead = Aead::Aes128Gcm;
  uint8_t hash_len = 32;  // SHA-256 (32) or SHA-384 (48)
  TrafficKeys read;       // the peer's records
  TrafficKeys write;      // ours

  // Sets the AEAD from a TLS 1.3 suite name ("TLS_AES_128_GCM_SHA256", ...);
  // false for any other.
  bool set_suite(const char* suite_name);
  // Derives key and IV from `keys.secret` (HKDF-Expand-Label "key", "iv").
  bool derive(TrafficKeys& keys) const;
  // KeyUpdate: the next traffic secret ("traffic upd"), new key and IV,
  // sequence number back to 0.
  bool update(TrafficKeys& keys) const;
  // Zeroes every secret.
  void wipe();
};

struct OpenResult {
  Alert alert = Alert::None;  // not None: send it, then close
  uint8_t type = 0;           // inner content type: 21 alert, 22 handshake, 23 application data
  size_t length = 0;          // plaintext bytes (at the start of the record's body)
  size_t consumed = 0;        // record bytes used (0: not a whole record yet)
};

// Sets up the calling thread's cipher context (its first use allocates: a
// thread-exit hook). A worker calls it before serving.
void prepare_thread();

// Seals `plaintext` (at most kMaxPlaintext bytes) as one record of inner
// `type` (non-zero; 0 makes the body's trailing zeros padding and its last
// non-zero byte the type: only tests do that) into `out` (sealed_size(plaintext.size()) bytes). Returns the
// record's size, or 0 when it cannot (sequence exhausted, crypto failure).
size_t seal(RecordState& s, uint8_t type, std::span<const char> plaintext, std::span<char> out);

// Opens the record at the start of `in` (decrypted in place: the plaintext
// is then at in.data() + kRecordHeader). consumed == 0 when fewer bytes than
// one whole record are there (wait for more, unless the header is invalid:
// then alert is set).
OpenResult open(RecordState& s, std::span<char> in);

}  // namespace hs::tls
