#include "sockets/address.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstdio>
#include <cstring>

namespace hs::net {

uint16_t Address::port() const {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
  if (family() == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
  return 0;
}

void Address::set_port(uint16_t port) {
  if (family() == AF_INET) reinterpret_cast<sockaddr_in*>(&storage)->sin_port = htons(port);
  if (family() == AF_INET6) reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port = htons(port);
}

bool parse_address(std::string_view text, Address& out, const char*& why) {
  out = Address{};
  std::string_view host;
  std::string_view port;
  bool v6 = false;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      why = "expected [IPv6]:PORT";
      return false;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    v6 = true;
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      why = "expected ADDRESS:PORT";
      return false;
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      why = "an IPv6 address must be written in brackets, e.g. [::1]:8080";
      return false;
    }
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value > 65535) {
    why = "the port must be a number from 0 to 65535";
    return false;
  }
  char host_z[INET6_ADDRSTRLEN + 1];
  if (host.empty() || host.size() >= sizeof host_z) {
    why = "expected a numeric IP address";
    return false;
  }
  std::memcpy(host_z, host.data(), host.size());
  host_z[host.size()] = '\0';
  if (v6) {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(static_cast<uint16_t>(value));
    if (inet_pton(AF_INET6, host_z, &sin6->sin6_addr) != 1) {
      why = "not a numeric IPv6 address";
      return false;
    }
    out.length = sizeof(sockaddr_in6);
  } else {
    auto* sin = reinterpret_cast<sockaddr_in*>(&out.storage);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(static_cast<uint16_t>(value));
    if (inet_pton(AF_INET, host_z, &sin->sin_addr) != 1) {
      why = "not a numeric IPv4 address";
      return false;
    }
    out.length = sizeof(sockaddr_in);
  }
  return true;
}

size_t format_address(const Address& a, char* out, size_t cap) {
  char ip[INET6_ADDRSTRLEN] = "?";
  int n = 0;
  if (a.family() == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&a.storage)->sin6_addr, ip, sizeof ip);
    n = std::snprintf(out, cap, "[%s]:%u", ip, a.port());
  } else {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&a.storage)->sin_addr, ip, sizeof ip);
    n = std::snprintf(out, cap, "%s:%u", ip, a.port());
  }
  if (n < 0) return 0;
  return static_cast<size_t>(n) < cap ? static_cast<size_t>(n) : cap - 1;
}

PeerIp peer_ip(const sockaddr_storage& ss) {
  PeerIp ip;
  if (ss.ss_family == AF_INET) {
    ip.family = AF_INET;
    std::memcpy(ip.bytes, &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, 4);
  } else if (ss.ss_family == AF_INET6) {
    ip.family = AF_INET6;
    std::memcpy(ip.bytes, &reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr, 16);
  }
  return ip;
}

size_t format_ip(const PeerIp& ip, char* out, size_t cap) {
  if (cap == 0) return 0;
  if ((ip.family == AF_INET || ip.family == AF_INET6) && inet_ntop(ip.family, ip.bytes, out, static_cast<socklen_t>(cap)))
    return std::strlen(out);
  if (cap >= 2) {
    out[0] = '-';
    out[1] = '\0';
    return 1;
  }
  out[0] = '\0';
  return 0;
}

}  // namespace hs::net
