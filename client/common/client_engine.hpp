// The I/O engine of a client tool's loop (bench threads, flood): the server's
// engine (engine/engine.hpp) with the tool's channels, its arena and, under
// io_uring, the receive buffers lent to it. Members are declared so the
// engine goes first: its ring refers to both.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/startup_arena.hpp"
#include "engine/engine.hpp"

namespace hs::client {

// A tool's `--io` text into an engine, resolved as serve does (choose_io):
// 0, or 2 (with `error`) when it is not auto, epoll or uring, or 1 when
// uring was asked for where io_uring cannot run.
int resolve_io(std::string_view text, net::IoKind& kind, std::string& error);

struct ClientEngine {
  core::StartupArena arena;
  std::vector<char> lent;                 // io_uring: `buffers` x `buffer_size` bytes, all lent at init
  std::unique_ptr<net::Engine> engine;

  // Sets up an engine of `kind` for `channels` connections; under io_uring
  // it is lent `buffers` receive buffers of `buffer_size` bytes. False with
  // a one-line reason.
  bool init(net::IoKind kind, uint32_t channels, size_t buffers, size_t buffer_size, std::string& error);
  bool lends() const { return engine && engine->lends_buffers(); }
  // io_uring: (re-)arms channel's multishot receive into the lent buffers.
  void arm_receive(uint32_t channel);
};

}  // namespace hs::client
