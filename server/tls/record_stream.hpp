// A TLS 1.3 connection's byte stream after the hand-off, sans-I/O: the
// ciphertext the engine received becomes plaintext for the HTTP connection
// (in place, in the caller's buffer), plaintext the connection wrote becomes
// records, and what the protocol itself must say (a KeyUpdate answer, an
// alert, close_notify) waits in a small control area to go first. About
// 280 bytes per connection; no allocation.
//
// Post-handshake messages from a client: KeyUpdate only (either kind,
// possibly fragmented across records, never spanning a key change);
// anything else is unexpected_message. A received alert ends the stream:
// close_notify as PeerClosed (the read side; what was asked is still
// answered, then our close_notify), any other as Failed. Every
// failure of ours sends one fatal alert, then the stream is Failed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "tls/record_layer.hpp"

namespace hs::tls {

class RecordStream {
public:
  // PeerClosed: the client's close_notify came (nothing more is read); we
  // may still answer, then send ours (close_notify()), which makes Closed.
  enum class State : uint8_t { Open, PeerClosed, Closed, Failed };

  void start(const RecordState& s);
  void wipe() { state_.wipe(); }

  struct In {
    size_t plaintext = 0;  // application bytes now at buf[0, plaintext)
    size_t partial = 0;    // bytes of an incomplete record now at buf[plaintext, plaintext + partial)
  };
  // Opens every whole record in buf[0, len). The caller keeps the partial
  // record and appends what arrives next after it.
  In decrypt(std::span<char> buf, size_t len);

  // Seals plaintext from `in` into `out` as records of at most `max_record`
  // plaintext bytes (1..16384), as many as fit. Returns bytes of `in` taken;
  // `written` gets the ciphertext bytes. Nothing while control() is not
  // empty (it must go first) or once the stream is not Open.
  size_t encrypt(std::span<const char> in, std::span<char> out, size_t& written, size_t max_record = kMaxPlaintext);

  // Records the protocol itself must send next (before any application
  // record): a KeyUpdate, an alert, close_notify.
  std::span<const char> control() const { return {control_, control_len_}; }
  void consume_control(size_t n);

  // Queues our close_notify (graceful close).
  void close_notify();

  State state() const { return stream_; }
  Alert alert_sent() const { return alert_sent_; }
  uint8_t alert_received() const { return alert_received_; }
  uint64_t key_updates() const { return key_updates_; }

private:
  void fail(Alert a);
  void queue_control(uint8_t type, const char* body, size_t len);
  bool on_handshake(const char* p, size_t n, bool record_ends);

  RecordState state_;
  State stream_ = State::Open;
  Alert alert_sent_ = Alert::None;
  uint8_t alert_received_ = 0;
  uint8_t hs_len_ = 0;                  // bytes of a fragmented handshake message so far
  char hs_buf_[5] = {};                 // a KeyUpdate is 5 bytes
  uint16_t control_len_ = 0;
  char control_[2 * sealed_size(5)] = {};  // a KeyUpdate answer and an alert, at most
  uint64_t key_updates_ = 0;
  bool close_sent_ = false;
};

}  // namespace hs::tls
