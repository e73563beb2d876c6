// Listen addresses: "127.0.0.1:8080", "[::1]:8080", port 0 for "any free
// port". Parsing and printing without allocation.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace hs::net {

struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;

  const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&storage); }
  sockaddr* sa() { return reinterpret_cast<sockaddr*>(&storage); }
  int family() const { return storage.ss_family; }
  uint16_t port() const;
  void set_port(uint16_t port);
};

// Parses "IPv4:PORT" or "[IPv6]:PORT" (numeric hosts only). On failure returns
// false and sets `why` to a static message.
bool parse_address(std::string_view text, Address& out, const char*& why);

// "127.0.0.1:8080" or "[::1]:8080" into `out` (NUL-terminated, truncated to
// fit); returns the length written.
size_t format_address(const Address& a, char* out, size_t cap);

// A peer's IP, compact enough to keep in every connection slot (20 bytes).
struct PeerIp {
  uint8_t family = 0;  // AF_INET, AF_INET6 or 0 (unknown)
  uint8_t bytes[16]{};
};
PeerIp peer_ip(const sockaddr_storage& ss);
// The IP alone ("127.0.0.1", "::1", "-"), NUL-terminated; returns the length.
size_t format_ip(const PeerIp& ip, char* out, size_t cap);

}  // namespace hs::net
