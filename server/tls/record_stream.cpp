#include "tls/record_stream.hpp"

#include <cstring>

namespace hs::tls {

namespace {
constexpr uint8_t kAlert = 21, kHandshake = 22, kApplicationData = 23;
constexpr uint8_t kKeyUpdate = 24;
constexpr uint8_t kCloseNotify = 0, kUserCanceled = 90;
}  // namespace

void RecordStream::start(const RecordState& s) {
  state_ = s;
  stream_ = State::Open;
  alert_sent_ = Alert::None;
  alert_received_ = 0;
  hs_len_ = 0;
  control_len_ = 0;
  key_updates_ = 0;
  close_sent_ = false;
}

void RecordStream::queue_control(uint8_t type, const char* body, size_t len) {
  const size_t room = sizeof control_ - control_len_;
  if (sealed_size(len) > room) return;  // only when a fatal alert follows a pending answer: it is dropped
  const size_t n = seal(state_, type, std::span<const char>(body, len), std::span<char>(control_ + control_len_, room));
  control_len_ = static_cast<uint16_t>(control_len_ + n);
}

void RecordStream::fail(Alert a) {
  if (stream_ == State::Open && alert_sent_ == Alert::None) {
    const char alert[2] = {2, static_cast<char>(a)};  // fatal
    queue_control(kAlert, alert, sizeof alert);
    alert_sent_ = a;
  }
  stream_ = State::Failed;
}

void RecordStream::close_notify() {
  if (stream_ == State::Failed) return;
  if (!close_sent_ && alert_sent_ == Alert::None) {
    const char alert[2] = {1, static_cast<char>(kCloseNotify)};
    queue_control(kAlert, alert, sizeof alert);
    close_sent_ = true;
  }
  stream_ = State::Closed;
}

void RecordStream::consume_control(size_t n) {
  if (n >= control_len_) {
    control_len_ = 0;
    return;
  }
  std::memmove(control_, control_ + n, control_len_ - n);
  control_len_ = static_cast<uint16_t>(control_len_ - n);
}

// Bytes of handshake messages from one record. Only KeyUpdate is allowed
// after the handshake; it may arrive in pieces, and must end its record
// (a key change is never in the middle of a record).
bool RecordStream::on_handshake(const char* p, size_t n, bool) {
  while (n > 0) {
    hs_buf_[hs_len_++] = *p++;
    --n;
    if (hs_len_ == 1 && static_cast<uint8_t>(hs_buf_[0]) != kKeyUpdate) {
      fail(Alert::UnexpectedMessage);
      return false;
    }
    if (hs_len_ == 4 && (hs_buf_[1] != 0 || hs_buf_[2] != 0 || hs_buf_[3] != 1)) {
      fail(Alert::DecodeError);  // a KeyUpdate's body is one byte
      return false;
    }
    if (hs_len_ < 5) continue;
    const uint8_t request = static_cast<uint8_t>(hs_buf_[4]);
    hs_len_ = 0;
    if (request > 1) {
      fail(Alert::IllegalParameter);
      return false;
    }
    if (n > 0) {  // more after a key change, in the same record
      fail(Alert::UnexpectedMessage);
      return false;
    }
    if (!state_.update(state_.read)) {
      fail(Alert::InternalError);
      return false;
    }
    ++key_updates_;
    // update_requested: ours goes out under the old keys before any more
    // application data; several requests before we speak need one answer.
    if (request == 1 && control_len_ == 0) {
      const char ku[5] = {static_cast<char>(kKeyUpdate), 0, 0, 1, 0};
      queue_control(kHandshake, ku, sizeof ku);
      if (!state_.update(state_.write)) {
        fail(Alert::InternalError);
        return false;
      }
    }
  }
  return true;
}

RecordStream::In RecordStream::decrypt(std::span<char> buf, size_t len) {
  In result;
  size_t at = 0, out = 0;
  while (stream_ == State::Open && at < len) {
    const OpenResult r = open(state_, buf.subspan(at, len - at));
    if (r.alert != Alert::None) {
      fail(r.alert);
      break;
    }
    if (r.consumed == 0) break;  // an incomplete record: wait for the rest
    const char* text = buf.data() + at + kRecordHeader;
    switch (r.type) {
      case kApplicationData:
        if (hs_len_ > 0) {  // a handshake message cut by another record type
          fail(Alert::UnexpectedMessage);
          break;
        }
        std::memmove(buf.data() + out, text, r.length);
        out += r.length;
        break;
      case kHandshake:
        if (r.length == 0) fail(Alert::UnexpectedMessage);
        else on_handshake(text, r.length, true);
        break;
      case kAlert:
        if (r.length != 2 || hs_len_ > 0) {
          fail(Alert::DecodeError);
          break;
        }
        alert_received_ = static_cast<uint8_t>(text[1]);
        if (alert_received_ == kUserCanceled) break;  // a close_notify should follow
        if (alert_received_ == kCloseNotify) {
          stream_ = State::PeerClosed;  // ours follows once the answers are out
        } else {
          stream_ = State::Failed;  // a fatal alert: close without another
        }
        break;
      default:
        fail(Alert::UnexpectedMessage);
        break;
    }
    at += r.consumed;
  }
  if (stream_ == State::Open) {
    result.partial = len - at;
    std::memmove(buf.data() + out, buf.data() + at, result.partial);
  }
  result.plaintext = out;
  return result;
}

size_t RecordStream::encrypt(std::span<const char> in, std::span<char> out, size_t& written, size_t max_record) {
  written = 0;
  if ((stream_ != State::Open && stream_ != State::PeerClosed) || control_len_ > 0) return 0;
  if (max_record == 0 || max_record > kMaxPlaintext) max_record = kMaxPlaintext;
  size_t taken = 0;
  while (taken < in.size()) {
    const size_t space = out.size() - written;
    if (space < sealed_size(1)) break;
    size_t chunk = in.size() - taken;
    if (chunk > max_record) chunk = max_record;
    if (sealed_size(chunk) > space) chunk = space - sealed_size(0);
    const size_t n = seal(state_, kApplicationData, in.subspan(taken, chunk), out.subspan(written));
    if (n == 0) {
      fail(Alert::InternalError);
      break;
    }
    taken += chunk;
    written += n;
  }
  return taken;
}

}  // namespace hs::tls
