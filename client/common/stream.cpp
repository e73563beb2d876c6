#include "client/common/stream.hpp"

#include <poll.h>

#include <algorithm>

namespace hs::client {

namespace {

constexpr size_t kWire = 16 * 1024;     // ciphertext read per recv (a TLS record and then some)
constexpr size_t kRecord = 16 * 1024;   // plaintext encrypted per write: one full record
constexpr int kRounds = 64;             // bounded work per call; the caller calls again

}  // namespace

Io Stream::connect_tcp(const Url& url, Deadline deadline) {
  close();
  Io io = Io::error;
  fd_ = connect_to(url.address, deadline, io);
  return io;
}

Io Stream::connect(const Url& url, Deadline deadline) {
  const Io io = connect_tcp(url, deadline);
  if (io != Io::ok || !url.https) return io;
  if (!url.tls) {
    error_ = "https URL without TLS settings";
    return Io::tls;
  }
  if (!tls_.open(*url.tls)) {
    error_ = tls_.error();
    return Io::tls;
  }
  // The handshake: send what the session wrote, feed what the server
  // answers, until it is open or has failed.
  for (int round = 0; round < 10'000; ++round) {
    const Io sent = flush();
    if (tls_.state() == TlsState::open && !pending_output()) return Io::ok;
    if (tls_.state() == TlsState::failed) {
      error_ = tls_.error();
      return Io::tls;
    }
    if (sent != Io::ok && sent != Io::again) return sent;
    if (wait(POLLIN, deadline) != Io::ok) return Io::timeout;
    char wire[kWire];
    size_t n = 0;
    const Io got = client::recv_some(fd_.get(), wire, sizeof wire, n);
    if (got == Io::ok) {
      tls_.feed({wire, n});
      continue;
    }
    if (got == Io::again) continue;
    if (tls_.state() == TlsState::failed) {
      error_ = tls_.error();
      return Io::tls;
    }
    error_ = std::string("the server ") + (got == Io::eof ? "closed the connection" : to_string(got)) +
             " during the TLS handshake";
    closed_in_handshake_ = got == Io::eof || got == Io::reset;
    return Io::tls;
  }
  return Io::timeout;
}

bool Stream::pending_output() const { return tls_.is_open() && !tls_.output().empty(); }

Io Stream::flush() {
  if (!tls_.is_open()) return Io::ok;
  const std::span<const char> out = tls_.output();
  if (out.empty()) return Io::ok;
  size_t n = 0;
  const Io io = client::send_some(fd_.get(), std::string_view(out.data(), out.size()), n);
  tls_.consume(n);
  if (io != Io::ok) return io;
  return pending_output() ? Io::again : Io::ok;
}

Io Stream::send_some(std::string_view bytes, size_t& sent) {
  if (!tls_.is_open()) return client::send_some(fd_.get(), bytes, sent);
  sent = 0;
  for (int round = 0; round < kRounds; ++round) {
    const Io io = flush();
    if (io != Io::ok) return io;  // again: ciphertext waits; or the socket's error
    if (sent == bytes.size()) return Io::ok;
    const size_t k = tls_.write({bytes.data() + sent, std::min(kRecord, bytes.size() - sent)});
    if (k == 0) {
      error_ = tls_.error();
      return Io::tls;
    }
    sent += k;
  }
  return Io::again;
}

Io Stream::send_all(std::string_view bytes, Deadline deadline) {
  for (int round = 0; round < 1'000'000; ++round) {
    size_t sent = 0;
    const Io io = send_some(bytes, sent);
    bytes.remove_prefix(sent);
    if (bytes.empty() && !pending_output()) return Io::ok;
    if (io != Io::ok && io != Io::again) return io;
    if (io == Io::again && wait_for(fd_.get(), POLLOUT, deadline) != Io::ok) return Io::timeout;
  }
  return Io::timeout;
}

Io Stream::recv_some(char* buf, size_t cap, size_t& n) {
  if (!tls_.is_open()) return client::recv_some(fd_.get(), buf, cap, n);
  n = 0;
  for (int round = 0; round < kRounds; ++round) {
    n = tls_.read({buf, cap});
    if (n > 0) return Io::ok;
    if (tls_.state() == TlsState::closed) return Io::eof;  // close_notify
    if (tls_.state() == TlsState::failed) {
      error_ = tls_.error();
      flush();  // the alert, if any, best effort
      return Io::tls;
    }
    if (pending_output()) flush();  // e.g. a KeyUpdate answer
    char wire[kWire];
    size_t k = 0;
    const Io io = client::recv_some(fd_.get(), wire, sizeof wire, k);
    if (io != Io::ok) return io;  // again, eof, reset, error
    tls_.feed({wire, k});
  }
  return Io::ok;  // n == 0: more may be buffered; call again
}

Io Stream::wait(short events, Deadline deadline) {
  if (pending_output()) events = static_cast<short>(events | POLLOUT);
  const Io io = wait_for(fd_.get(), events, deadline);
  if (io == Io::ok && pending_output()) flush();
  return io;
}

void Stream::close() {
  tls_.close();
  fd_ = net::Fd();
  error_.clear();
}

}  // namespace hs::client
