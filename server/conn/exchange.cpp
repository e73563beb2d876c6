#include "conn/exchange.hpp"

#include <cstring>

namespace hs::conn {

namespace {

// Room left at the start of the head area for the status line, which the
// connection writes last (right-aligned against the first field).
constexpr size_t kStatusLineGap = 64;
// Kept free behind a handler's fields for the ones the connection adds: Date
// (37 bytes), Content-Length (up to 38), Connection (up to 24), the blank line.
constexpr size_t kReservedForConnection = 128;

}  // namespace

Response::Response(Responder& r)
    : r_(r), head_(http::ResponseWriter::status_last(r.head_area, kStatusLineGap)) {
  r_.reset();
  r_.head_start = static_cast<uint32_t>(head_.start());
  head_.reserve(kReservedForConnection);
}

void Response::header(http::FieldName name, std::string_view value) { head_.header(name, value); }

void Response::header(http::FieldName name, uint64_t value) { head_.header(name, value); }

void Response::body(std::string_view bytes) {
  if (bytes.empty()) return;  // (memcpy from a null view is undefined, even of 0 bytes)
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
