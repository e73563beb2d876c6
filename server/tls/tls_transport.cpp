#include "tls/tls_transport.hpp"

#include <openssl/ssl.h>

#include <cstring>

namespace hs::tls {

bool TlsTransport::start(HandshakePool& pool, SSL_CTX* ctx) {
  stop();
  session_ = pool.acquire();
  if (session_ == nullptr) return false;
  pool_ = &pool;
  if (!session_->open(ctx)) {
    stop();
    return false;
  }
  phase_ = Phase::Handshake;
  return true;
}

void TlsTransport::stop() {
  if (session_ != nullptr && pool_ != nullptr) pool_->release(session_);
  session_ = nullptr;
  stream_.wipe();
  phase_ = Phase::Idle;
  resumed_ = false;
  sni_other_ = false;
  peer_closed_ = false;
}

bool TlsTransport::handshake_done() const {
  return phase_ == Phase::Handshake && session_ != nullptr && session_->state() == TlsState::Open;
}

void TlsTransport::try_hand_off(std::span<char> buf, size_t& len) {
  if (phase_ != Phase::Handshake || session_ == nullptr || session_->state() != TlsState::Open) return;
  resumed_ = session_->resumed();
  sni_other_ = session_->sni_other();
  if (std::strcmp(session_->version(), "TLSv1.3") != 0) {
    phase_ = Phase::Session;  // TLS 1.2: OpenSSL all the way
    version_ = "TLSv1.2";
    return;
  }
  if (!session_->output().empty()) return;  // the tickets go out first
  // Every received byte is in the session by now (len is 0): what the client
  // sent after its Finished comes back out to the front of the buffer.
  RecordState state;
  size_t unread_len = 0;
  if (!session_->hand_off(state, buf, unread_len)) {
    fail();
    return;
  }
  len = unread_len;
  stream_.start(state);
  state.wipe();
  pool_->release(session_);  // frees OpenSSL's SSL object: the handshake memory goes back
  session_ = nullptr;
  phase_ = Phase::Records;
  version_ = "TLSv1.3";
}

TlsTransport::In TlsTransport::on_received(std::span<char> buf, size_t len) {
  In in;
  switch (phase_) {
    case Phase::Handshake: {
      // feed() advances the handshake with the new bytes.
      if (len > 0 && !session_->feed(std::span<const char>(buf.data(), len))) {
        fail();
        return in;
      }
      if (session_->state() == TlsState::Failed) {
        fail();
        return in;
      }
      len = 0;  // every byte is in the session now
      try_hand_off(buf, len);
      if (phase_ == Phase::Records) return on_received(buf, len);
      if (phase_ == Phase::Session) return on_received(buf, 0);
      return in;
    }
    case Phase::Records: {
      const RecordStream::In r = stream_.decrypt(buf, len);
      in.plaintext = r.plaintext;
      in.partial = r.partial;
      if (stream_.state() == RecordStream::State::Failed) phase_ = Phase::Failed;
      else if (stream_.state() == RecordStream::State::PeerClosed) peer_closed_ = true;
      else if (stream_.state() == RecordStream::State::Closed) phase_ = Phase::Closed;
      return in;
    }
    case Phase::Session: {
      if (len > 0 && !session_->feed(std::span<const char>(buf.data(), len))) {
        fail();
        return in;
      }
      // Every ciphertext byte is in the session: the buffer takes plaintext.
      while (in.plaintext < buf.size()) {
        const size_t n = session_->read(buf.subspan(in.plaintext));
        if (n == 0) break;
        in.plaintext += n;
      }
      if (session_->state() == TlsState::Failed) phase_ = Phase::Failed;
      else if (session_->state() == TlsState::Closed) peer_closed_ = true;  // we may still answer
      return in;
    }
    default:
      return in;
  }
}

std::span<const char> TlsTransport::output() const {
  if (session_ != nullptr) return session_->output();
  if (phase_ == Phase::Records || phase_ == Phase::Closed || phase_ == Phase::Failed) return stream_.control();
  return {};
}

void TlsTransport::consume_output(size_t n) {
  if (session_ != nullptr) session_->consume(n);
  else stream_.consume_control(n);
}

size_t TlsTransport::encrypt(std::span<const char> plaintext, std::span<char> out, size_t& written) {
  written = 0;
  if (!output().empty()) return 0;
  if (phase_ == Phase::Records) return stream_.encrypt(plaintext, out, written);
  if (phase_ != Phase::Session) return 0;
  // TLS 1.2 on OpenSSL: what fits in `out` once sealed (records add 29 bytes
  // at most for AES-GCM, 16 for ChaCha20-Poly1305; a record of 16 KiB).
  size_t taken = 0;
  while (taken < plaintext.size()) {
    const size_t room = out.size() - written;
    if (room <= 64) break;
    size_t chunk = plaintext.size() - taken;
    if (chunk > kMaxPlaintext) chunk = kMaxPlaintext;
    if (chunk > room - 64) chunk = room - 64;
    const size_t k = session_->write(plaintext.subspan(taken, chunk));
    if (k == 0) break;
    const std::span<const char> sealed = session_->output();
    std::memcpy(out.data() + written, sealed.data(), sealed.size());
    written += sealed.size();
    session_->consume(sealed.size());
    taken += k;
  }
  return taken;
}

void TlsTransport::close_notify() {
  if (phase_ == Phase::Records) {
    stream_.close_notify();
    phase_ = Phase::Closed;
  } else if (session_ != nullptr) {
    session_->shutdown();
  }
}

}  // namespace hs::tls
