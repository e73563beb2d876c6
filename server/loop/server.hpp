// The server: binds the listeners (one per address per worker, SO_REUSEPORT),
// sizes and reserves every worker's pools, prints the start-up line, runs the
// workers on their threads and stops them on SIGTERM/SIGINT.
//
// Sizes are per worker: `--workers 2 --max-connections 1024` holds up to 2048
// connections in two shared-nothing loops.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "conn/exchange.hpp"
#include "sockets/address.hpp"
#include "daemon/signals.hpp"
#include "loop/worker.hpp"

namespace hs::net {

struct ServerConfig {
  std::vector<Address> listen;      // at least one
  uint32_t workers = 1;
  WorkerConfig worker;              // per worker
  std::string access_log = "off";   // "off", "-" (stdout) or a file path (appended)
  // Socket activation: listening sockets from systemd (not owned) used instead
  // of binding; `listen` then holds their addresses, in the same order.
  std::vector<int> inherited;
  int backlog = 1024;
  IoChoice io = IoChoice::Auto;     // --io
  // HTTPS listeners (after `listen` in each worker's listener list) and the
  // certificate they use; worker.tls carries the pool sizes.
  std::vector<Address> tls_listen;
  tls::TlsContext* tls_context = nullptr;
  std::string tls_path;             // for the start-up line: "user-space TLS (kTLS: ...)"
  size_t tls_memory = 0;            // the TLS arena (for the start-up line)
};

// Checks the sizes; returns an empty string or a one-line reason.
std::string validate(const ServerConfig& config);

class Server {
public:
  // The Service of worker `index` (called once per worker, at start-up, on the
  // main thread). The worker keeps a reference: it must outlive run().
  using ServiceFactory = std::function<conn::Service&(uint32_t index, Worker& worker)>;

  Server() = default;
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Validates, raises the descriptor limit if needed, binds, reserves. On
  // failure returns false and a one-line reason (no "homeserve:" prefix).
  bool start(const ServerConfig& config, const ServiceFactory& services, std::string& error);

  // "listening on 127.0.0.1:8080; reserved 1.4 MiB: 1024 connections, 64 buffers x 16 KiB, 256 responders;
  //  io_uring rings 148 KiB; io_uring (single issuer, deferred task work)", or "...; epoll (io_uring: why)"
  std::string startup_line() const;
  const std::vector<Address>& bound() const { return bound_; }  // ports resolved when 0 was asked
  size_t reserved_bytes() const;

  // Runs the workers until SIGTERM/SIGINT, then drains them. Returns the exit
  // status: 0 after a clean drain, 1 when a worker failed. SIGHUP reopens
  // the access log and calls `on_hangup` (the certificate's reload).
  int run(const std::function<void()>& on_hangup = {});

private:
  ServerConfig config_;
  std::vector<Address> bound_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::string io_fallback_;   // why auto chose epoll
  StopEvent stop_;
  Fd log_fd_;
};

// "1.4 MiB", "16 KiB", "900 B".
std::string format_size(uint64_t bytes, bool fractional);

}  // namespace hs::net
