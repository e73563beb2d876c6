#include "http/accept_encoding.hpp"

#include <array>

#include "http/char_classes.hpp"
#include "http/media_type.hpp"

namespace hs::http {

namespace {

using chars::lower;
using chars::trim_ows;

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), as 0..1000; -1 when malformed.
int parse_q(std::string_view s) {
  if (s.empty() || (s[0] != '0' && s[0] != '1')) return -1;
  int v = (s[0] - '0') * 1000;
  if (s.size() == 1) return v;
  if (s[1] != '.' || s.size() > 5) return -1;
  int scale = 100;
  for (size_t i = 2; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v += (s[i] - '0') * scale;
    scale /= 10;
  }
  return v > 1000 ? -1 : v;
}

}  // namespace

std::string_view coding_token(Coding c) {
  switch (c) {
    case Coding::Br: return "br";
    case Coding::Zstd: return "zstd";
    case Coding::Gzip: return "gzip";
    default: return "";
  }
}

std::string_view coding_suffix(Coding c) {
  switch (c) {
    case Coding::Br: return ".br";
    case Coding::Zstd: return ".zst";
    case Coding::Gzip: return ".gz";
    default: return "";
  }
}

Coding choose_encoding(std::string_view value, uint8_t available) {
  // q per coding (index = Coding), -1: not listed.
  std::array<int, 4> q{-1, -1, -1, -1};
  int star = -1;
  // Bounded: each element is consumed once.
  while (!value.empty()) {
    const size_t comma = value.find(',');
    std::string_view element = value.substr(0, comma);
    value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
    const size_t semi = element.find(';');
    const std::string_view name = trim_ows(element.substr(0, semi));
    if (name.empty()) continue;
    int weight = 1000;
    std::string_view params = semi == std::string_view::npos ? std::string_view{} : element.substr(semi + 1);
    while (!params.empty()) {
      const size_t next = params.find(';');
      const std::string_view p = trim_ows(params.substr(0, next));
      params = next == std::string_view::npos ? std::string_view{} : params.substr(next + 1);
      if (p.size() >= 2 && lower(p[0]) == 'q') {
        std::string_view rest = trim_ows(p.substr(1));
        if (!rest.empty() && rest.front() == '=') {
          const int parsed = parse_q(trim_ows(rest.substr(1)));
          weight = parsed < 0 ? 0 : parsed;
        }
      }
    }
    int* slot = nullptr;
    if (media_iequals(name, "br")) slot = &q[static_cast<size_t>(Coding::Br)];
    else if (media_iequals(name, "zstd")) slot = &q[static_cast<size_t>(Coding::Zstd)];
    else if (media_iequals(name, "gzip") || media_iequals(name, "x-gzip")) slot = &q[static_cast<size_t>(Coding::Gzip)];
    else if (name == "*") slot = &star;
    if (slot != nullptr) *slot = *slot < 0 ? weight : (weight > *slot ? weight : *slot);
  }
  Coding best = Coding::Identity;
  int best_q = 0;
  for (Coding c : {Coding::Br, Coding::Zstd, Coding::Gzip}) {
    if ((available & coding_bit(c)) == 0) continue;
    int w = q[static_cast<size_t>(c)];
    if (w < 0) w = star < 0 ? 0 : star;
    if (w > best_q) {
      best_q = w;
      best = c;
    }
  }
  return best;
}

}  // namespace hs::http
