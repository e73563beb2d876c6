#include "engine/engine.hpp"
#include "engine/epoll_engine.hpp"
#include "engine/uring_engine.hpp"

namespace hs::net {

const char* to_string(IoKind kind) { return kind == IoKind::Uring ? "io_uring" : "epoll"; }

bool parse_io_choice(std::string_view text, IoChoice& out) {
  if (text == "auto") {
    out = IoChoice::Auto;
  } else if (text == "epoll") {
    out = IoChoice::Epoll;
  } else if (text == "uring" || text == "io_uring") {
    out = IoChoice::Uring;
  } else {
    return false;
  }
  return true;
}

bool choose_io(IoChoice choice, IoKind& kind, std::string& why, std::string& error) {
  why.clear();
  if (choice == IoChoice::Epoll) {
    kind = IoKind::Epoll;
    return true;
  }
  std::string reason;
  if (uring_usable(reason)) {
    kind = IoKind::Uring;
    return true;
  }
  if (choice == IoChoice::Uring) {
    error = "--io uring: " + reason;
    return false;
  }
  kind = IoKind::Epoll;
  why = reason;
  return true;
}

std::unique_ptr<Engine> make_engine(IoKind kind) {
  if (kind == IoKind::Uring) return std::make_unique<UringEngine>();
  return std::make_unique<EpollEngine>();
}

size_t engine_arena_bytes(IoKind kind, const EngineConfig& config) {
  return kind == IoKind::Uring ? UringEngine().arena_bytes(config) : EpollEngine().arena_bytes(config);
}

}  // namespace hs::net
