#include "client/common/client_engine.hpp"

#include <span>

namespace hs::client {

int resolve_io(std::string_view text, net::IoKind& kind, std::string& error) {
  net::IoChoice choice;
  if (!net::parse_io_choice(text, choice)) {
    error = "--io must be auto, epoll or uring";
    return 2;
  }
  std::string fallback;  // auto fell back to epoll: the report names the engine used
  return net::choose_io(choice, kind, fallback, error) ? 0 : 1;
}

bool ClientEngine::init(net::IoKind kind, uint32_t channels, size_t buffers, size_t buffer_size, std::string& error) {
  engine = net::make_engine(kind);
  net::EngineConfig ec;
  ec.channels = channels;
  if (engine->lends_buffers()) {
    lent.assign(buffers * buffer_size, 0);
    ec.buffer_mem = lent;
    ec.buffer_size = buffer_size;
  }
  if (!arena.reserve(engine->arena_bytes(ec))) {
    error = "out of memory for the I/O engine's state";
    return false;
  }
  if (!engine->init(ec, arena, error)) return false;
  for (uint32_t b = 0; engine->lends_buffers() && b < buffers; ++b) engine->give_buffer(b);
  return true;
}

void ClientEngine::arm_receive(uint32_t channel) {
  std::span<char> none[2];
  engine->receive(channel, none, 0);
}

}  // namespace hs::client
