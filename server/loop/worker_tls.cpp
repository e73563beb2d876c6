// The worker's TLS path: a transport (tls/tls_transport.hpp) between the
// engine and the connection, under both engines, in the worker's fixed pools.
//
// In: ciphertext lands where plaintext would (the connection's receive
// buffer, after its unread plaintext and the incomplete record kept there)
// and is opened in place; the plaintext it yields is the connection's, as if
// it had been received. The buffers are limits.buffer_size + one record
// (kTlsReceiveExtra), so a whole record always fits behind a full buffer.
//
// Out: the connection's bytes (heads, bodies, file ranges read with pread)
// are staged in a seal area from a pool of their own and sealed in place,
// after what the transport itself must say first (handshake flights, a
// KeyUpdate answer, alerts, close_notify). The area is held only while
// sealed bytes wait for the engine, so an idle TLS connection holds none;
// a connection that finds the pool empty waits its turn (SealWait). The
// connection hears on_sent() as soon as its bytes are sealed: the area, not
// its responders, holds them from then on.
//
// Handshakes come from a fixed HandshakePool (--tls-handshakes): a
// connection accepted when none is free waits in line (HandshakeWait)
// holding only its slot, its ClientHello unread in the kernel, and starts
// when one comes back; only a failed start (the TLS arena is full) closes it
// at once. The handshake's deadline, waiting included, is the header
// timeout, counted from the accept like a plain connection's first request.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <openssl/ssl.h>

#include "loop/worker.hpp"

namespace hs::net {

bool Worker::tls_init(std::span<BufferRef> seal_refs, std::span<uint32_t> seal_next, std::string& error) {
  if (!config_.tls.enabled()) return true;
  if (config_.tls.handshakes == 0 || config_.tls.seal_buffers == 0) {
    error = "--tls-handshakes and --tls-buffers must be at least 1";
    return false;
  }
  handshakes_ = std::make_unique<tls::HandshakePool>(config_.tls.handshakes);
  for (size_t i = 0; i < seal_refs.size(); ++i) seal_refs[i].mem = seal_mem_.subspan(i * kSealAreaBytes, kSealAreaBytes);
  seal_pool_.init(seal_refs, seal_next);
  return true;
}

bool Worker::tls_open(Slot& s, uint32_t listener) {
  s.tls = listener < 32 && (config_.tls.listener_mask >> listener & 1u) != 0 && config_.tls.enabled();
  if (!s.tls) return true;
  const uint32_t index = index_of(s);
  if ((built_[index] & 2) == 0) {  // first TLS use of this slot
    new (tls_[index].bytes) TlsSlot();
    built_[index] |= 2;
  }
  TlsSlot& t = tls_at(index);
  t.seal = kNil;
  t.sealed = t.sent = 0;
  t.close_queued = false;
  if (handshakes_->in_use() == handshakes_->capacity()) {
    t.transport.stop();  // Idle: waits its turn (tls_start_waiting), its bytes in the kernel
    ++stats_.tls_handshake_waits;
    return true;
  }
  return tls_start(s);
}

bool Worker::tls_start(Slot& s) {
  TlsSlot& t = tls_of(s);
  SSL_CTX* ctx = config_.tls.context->share();
  const bool ok = ctx != nullptr && t.transport.start(*handshakes_, ctx);
  pools_dirty_ = true;  // the handshake touches arena pages: the idle release gives them back
  if (ctx != nullptr) SSL_CTX_free(ctx);  // the session holds its own reference
  if (!ok) {
    t.transport.stop();
    ++stats_.tls_refused;
  }
  return ok;
}

bool Worker::tls_waiting(const Slot& s) const {
  return tls_of(s).transport.phase() == tls::TlsTransport::Phase::Idle;
}

// Connections accepted while every handshake slot was taken, oldest first,
// as slots come back (a hand-off, a close). One that cannot start (the
// arena is full) is closed.
void Worker::tls_start_waiting() {
  while (handshake_wait_.size > 0 && handshakes_->in_use() < handshakes_->capacity()) {
    Slot* s = list_pop(List::HandshakeWait);
    if (!tls_start(*s)) {
      close_slot(*s);
      continue;
    }
    if (lends_) s->can_read = true;  // io_uring: arm the receive now; epoll: an edge seen meanwhile stays
    drive(*s);
  }
}

void Worker::tls_close(Slot& s) {
  if (!s.tls) return;
  TlsSlot& t = tls_of(s);
  tls_release_seal(t);
  t.transport.stop();  // the handshake slot back, the keys wiped
  list_remove(s);      // off SealWait too
  s.tls = false;
}

bool Worker::tls_handshaking(const Slot& s) const {
  return tls_of(s).transport.phase() == tls::TlsTransport::Phase::Handshake;
}

bool Worker::tls_has_output(const Slot& s) const {
  const TlsSlot& t = tls_of(s);
  return t.sent < t.sealed || !t.transport.output().empty();
}

void Worker::tls_release_seal(TlsSlot& t) {
  if (t.seal == kNil) return;
  seal_pool_.release(&seal_pool_.at(t.seal));
  t.seal = kNil;
  t.sealed = t.sent = 0;
}

void Worker::attach(Slot& s, std::span<char> mem) {
  if (s.tls) {
    s.conn.attach_transport_buffer(mem);
  } else {
    s.conn.attach_buffer(mem);
  }
}

void Worker::deliver(Slot& s, size_t n) {
  if (s.tls) {
    tls_received(s, n);
    return;
  }
  enter(s);
  s.conn.on_received(n, now_);
  leave();
}

void Worker::tls_received(Slot& s, size_t n) {
  TlsSlot& t = tls_of(s);
  conn::Connection& c = s.conn;
  using Phase = tls::TlsTransport::Phase;
  const Phase before = t.transport.phase();
  const bool was_closed = t.transport.peer_closed();
  const tls::TlsTransport::In in = t.transport.on_received(c.after_unread(), c.transport_tail() + n);
  c.set_transport_tail(in.partial);
  const Phase now = t.transport.phase();
  if (before == Phase::Handshake && (now == Phase::Records || now == Phase::Session)) {
    ++stats_.tls_handshakes;
    if (t.transport.resumed()) ++stats_.tls_resumed;
    if (t.transport.sni_other()) ++stats_.tls_sni_other;
  }
  if (in.plaintext > 0) {
    enter(s);
    c.on_received(in.plaintext, now_);
    leave();
  }
  if (now == Phase::Failed) {
    // A bad record, a fatal alert, a failed handshake: the alert (if ours)
    // goes out, then the connection closes; nothing more is answered.
    ++stats_.tls_failures;
    c.close_at_once();
  } else if (t.transport.peer_closed() && !was_closed) {
    // close_notify: the client sends nothing more; what it asked is answered.
    enter(s);
    c.on_peer_closed(now_);
    leave();
  }
}

// Work the transport can do by itself once its output went out: the TLS 1.3
// hand-off (what the client sent after its Finished is decrypted then), and
// TLS 1.2 plaintext that OpenSSL still holds.
Worker::Io Worker::tls_step(Slot& s) {
  TlsSlot& t = tls_of(s);
  conn::Connection& c = s.conn;
  using Phase = tls::TlsTransport::Phase;
  const Phase phase = t.transport.phase();
  if (phase != Phase::Handshake && phase != Phase::Session) return Io::Stalled;
  if (!t.transport.output().empty() || !c.wants_read() || !c.has_buffer()) return Io::Stalled;
  if (phase == Phase::Handshake && !t.transport.handshake_done()) return Io::Stalled;
  const size_t before = c.transport_tail();
  const uint64_t seen = stats_.bytes_in;
  tls_received(s, 0);
  const bool moved = t.transport.phase() != phase || stats_.bytes_in != seen || c.transport_tail() != before;
  return moved ? Io::Progress : Io::Stalled;
}

// The connection is finished: close_notify (or the alert already queued)
// goes out before the socket closes. True once nothing is left to send (or
// sending failed); false while it waits for the engine, at most
// linger_timeout (the timer closes it then).
bool Worker::tls_flushed(Slot& s, bool& error) {
  TlsSlot& t = tls_of(s);
  using Phase = tls::TlsTransport::Phase;
  if (!t.close_queued) {
    t.close_queued = true;
    t.flush_until = now_ + config_.linger_timeout;
    const Phase p = t.transport.phase();
    if (p == Phase::Records || p == Phase::Session) t.transport.close_notify();
  }
  size_t turn = 0;
  while (tls_has_output(s) && s.can_write) {
    const Io w = tls_write(s, turn);
    if (w == Io::Error) {
      error = true;
      return true;
    }
    if (w != Io::Progress) break;
  }
  return !tls_has_output(s);
}

// Fills the seal area: the transport's own output first, then records of
// the connection's bytes (slices, or the pending file range read with
// pread), each staged where its record's body goes and sealed in place.
// Returns the bytes now in the area; `failed`: the connection must close.
size_t Worker::tls_fill(Slot& s, TlsSlot& t, size_t& file_turn_left, bool& failed) {
  conn::Connection& c = s.conn;
  std::span<char> area = seal_pool_.at(t.seal).mem;
  size_t w = 0;
  const std::span<const char> own = t.transport.output();
  if (!own.empty()) {
    const size_t k = std::min(own.size(), area.size());
    std::memcpy(area.data(), own.data(), k);
    t.transport.consume_output(k);
    w = k;
    if (!t.transport.output().empty()) return w;
  }
  using Phase = tls::TlsTransport::Phase;
  if (t.transport.phase() != Phase::Records && t.transport.phase() != Phase::Session) return w;
  // Room for one more record: its header, the bytes, and at most 64 of
  // content type, nonce and tag (TLS 1.2 AES-GCM needs 29).
  constexpr size_t kOverhead = 64;
  while (!t.close_queued && c.wants_write() && area.size() - w > kOverhead + 256) {
    char* body = area.data() + w + tls::kRecordHeader;
    const size_t room = std::min(tls::kMaxPlaintext, area.size() - w - kOverhead);
    size_t k = 0;
    if (conn::Responder* r = c.pending_file()) {
      const size_t want = static_cast<size_t>(std::min<uint64_t>({r->file_remaining, room, file_turn_left}));
      if (want == 0) break;
      const ssize_t got = ::pread(r->file_fd, body, want, static_cast<off_t>(r->file_offset));
      if (got < 0) {
        failed = true;
        break;
      }
      if (got == 0) {  // the file shrank: never send less than announced
        c.on_file_error();
        break;
      }
      k = static_cast<size_t>(got);
      file_turn_left -= k;
    } else {
      conn::Slice slices[16];
      const size_t n = c.gather(slices);
      for (size_t i = 0; i < n && k < room; ++i) {
        const size_t take = std::min(slices[i].len, room - k);
        std::memcpy(body + k, slices[i].data, take);
        k += take;
      }
      if (k == 0) break;
    }
    size_t written = 0;
    const size_t taken = t.transport.encrypt(std::span<const char>(body, k), area.subspan(w), written);
    if (taken != k) {  // the stream failed (its alert is in output()) or the sequence ran out
      failed = true;
      break;
    }
    w += written;
    enter(s);
    c.on_sent(k, now_);
    leave();
  }
  return w;
}

Worker::Io Worker::tls_write(Slot& s, size_t& file_turn_left) {
  TlsSlot& t = tls_of(s);
  if (t.sent == t.sealed) {
    t.sealed = t.sent = 0;
    const bool app = s.conn.wants_write() && !t.transport.failed() && !t.close_queued;
    if (t.transport.output().empty() && !app) {
      tls_release_seal(t);
      return Io::Stalled;
    }
    if (t.seal == kNil) {
      BufferRef* b = seal_pool_.acquire();
      if (b == nullptr) {
        if (s.list != List::SealWait) {
          list_remove(s);
          list_push(List::SealWait, s);
        }
        return Io::Stalled;
      }
      t.seal = seal_pool_.index_of(b);
      pools_dirty_ = true;
    }
    bool failed = false;
    t.sealed = static_cast<uint32_t>(tls_fill(s, t, file_turn_left, failed));
    if (failed) {
      ++stats_.tls_failures;
      s.conn.close_at_once();
    }
    if (t.sealed == 0) {
      tls_release_seal(t);
      return failed ? Io::Error : Io::Stalled;
    }
  }
  const std::span<char> area = seal_pool_.at(t.seal).mem;
  const iovec iov{area.data() + t.sent, size_t{t.sealed} - t.sent};
  const IoResult r = engine_->send(index_of(s), std::span<const iovec>(&iov, 1), false);
  if (r.pending()) {
    s.can_write = false;  // epoll: no room; io_uring: submitted, on_sent follows
    return Io::Blocked;
  }
  if (r.n > 0) {
    if (r.drained) s.can_write = false;
    t.sent += static_cast<uint32_t>(r.n);
    if (t.sent == t.sealed && !s.conn.wants_write() && t.transport.output().empty()) tls_release_seal(t);
    return Io::Progress;
  }
  return Io::Error;
}

}  // namespace hs::net
