#include "conn/exchange.hpp"

#include <charconv>
#include <cstring>

namespace hs::conn {

namespace {

// Room left at the start of the head area for the status line, which the
// connection writes last (right-aligned against the first field).
constexpr size_t kStatusLineGap = 64;

}  // namespace

Response::Response(Responder& r) : r_(r) {
  r_.reset();
  r_.head_start = kStatusLineGap;
}

void Response::header(std::string_view name, std::string_view value) {
  const size_t need = name.size() + 2 + value.size() + 2;
  const size_t at = kStatusLineGap + fields_len_;
  // Keep room for the fields the connection adds (Date, Content-Length, ...).
  constexpr size_t kReservedForConnection = 128;
  if (at + need + kReservedForConnection > r_.head_area.size()) {
    overflow_ = true;
    return;
  }
  char* p = r_.head_area.data() + at;
  std::memcpy(p, name.data(), name.size());
  p += name.size();
  *p++ = ':';
  *p++ = ' ';
  std::memcpy(p, value.data(), value.size());
  p += value.size();
  *p++ = '\r';
  *p++ = '\n';
  fields_len_ += need;
}

void Response::header(std::string_view name, uint64_t value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  (void)ec;
  header(name, std::string_view(digits, static_cast<size_t>(end - digits)));
}

void Response::body(std::string_view bytes) {
  if (r_.body_len + bytes.size() > r_.body_area.size()) {
    overflow_ = true;
    return;
  }
  std::memcpy(r_.body_area.data() + r_.body_len, bytes.data(), bytes.size());
  r_.body_len += static_cast<uint32_t>(bytes.size());
}

std::span<char> Response::body_space() { return r_.body_area.subspan(r_.body_len); }

void Response::commit_body(size_t n) {
  if (r_.body_len + n > r_.body_area.size()) {
    overflow_ = true;
    return;
  }
  r_.body_len += static_cast<uint32_t>(n);
}

void Response::file(int fd, bool owns, uint64_t offset, uint64_t length) {
  r_.file_fd = fd;
  r_.owns_fd = owns;
  r_.file_offset = offset;
  r_.file_remaining = length;
  r_.file_size_announced = length;
}

}  // namespace hs::conn
