#include "loop/server.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "sockets/listener.hpp"
#include "daemon/log_reopen.hpp"
#include "sockets/socket_activation.hpp"

namespace hs::net {

namespace {

constexpr uint32_t kMaxWorkers = 256;
constexpr uint64_t kMaxConnections = 1u << 20;
constexpr uint64_t kMinBufferSize = 1024;
constexpr uint64_t kMaxBufferSize = 64u << 20;
constexpr uint64_t kMaxPipeline = 1024;
constexpr uint64_t kFdsPerWorker = 4;  // epoll, listeners aside
constexpr uint64_t kFdsSpare = 32;     // stdio, log, stop event, files being sent

std::string number(uint64_t v) { return std::to_string(v); }

}  // namespace

std::string format_size(uint64_t bytes, bool fractional) {
  char out[32];
  if (fractional && bytes >= (1u << 20)) {
    std::snprintf(out, sizeof out, "%.1f MiB", static_cast<double>(bytes) / (1u << 20));
  } else if (fractional && bytes >= 1024) {
    std::snprintf(out, sizeof out, "%.1f KiB", static_cast<double>(bytes) / 1024);
  } else if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) {
    std::snprintf(out, sizeof out, "%llu MiB", static_cast<unsigned long long>(bytes >> 20));
  } else if (bytes >= 1024 && bytes % 1024 == 0) {
    std::snprintf(out, sizeof out, "%llu KiB", static_cast<unsigned long long>(bytes >> 10));
  } else {
    std::snprintf(out, sizeof out, "%llu B", static_cast<unsigned long long>(bytes));
  }
  return out;
}

std::string validate(const ServerConfig& c) {
  const WorkerConfig& w = c.worker;
  if (c.listen.empty() && c.tls_listen.empty()) return "no listen address";
  if (c.listen.size() + c.tls_listen.size() > Worker::kMaxListeners) return "at most 16 listen addresses";
  if (!c.tls_listen.empty() && c.tls_context == nullptr) return "--tls-listen needs --tls-cert and --tls-key";
  if (c.workers == 0 || c.workers > kMaxWorkers) return "--workers must be from 1 to " + number(kMaxWorkers);
  if (w.max_connections == 0 || w.max_connections > kMaxConnections)
    return "--max-connections must be from 1 to " + number(kMaxConnections);
  if (w.limits.buffer_size < kMinBufferSize || w.limits.buffer_size > kMaxBufferSize)
    return "--buffer-size must be from 1 KiB to 64 MiB (got " + number(w.limits.buffer_size) + " bytes)";
  if (w.buffers == 0) return "--buffers must be at least 1";
  if (w.buffers > w.max_connections)
    return "--buffers (" + number(w.buffers) + ") is more than --max-connections (" + number(w.max_connections) +
           "): a connection holds at most one buffer";
  if (w.responders == 0 || w.responders > conn::kMaxResponders)
    return "--responders must be from 1 to " + number(conn::kMaxResponders);
  if (w.limits.max_pipeline == 0 || w.limits.max_pipeline > kMaxPipeline)
    return "--max-pipeline must be from 1 to " + number(kMaxPipeline);
  if (w.limits.responder_size <= w.limits.responder_head + 64 || w.limits.responder_head < 256)
    return "responder size too small for a response head";
  const auto positive = [](core::Millis ms) { return ms > 0 && ms <= 24 * 3600 * 1000; };
  if (!positive(w.limits.header_timeout) || !positive(w.limits.body_timeout) ||
      !positive(w.limits.keepalive_timeout) || !positive(w.limits.send_timeout))
    return "timeouts must be more than 0 and at most a day";
  if (w.shutdown_timeout < 0) return "--shutdown-timeout must not be negative";
  // The pools must fit in the machine: under full load every page is in use.
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page = ::sysconf(_SC_PAGESIZE);
  const uint64_t total = uint64_t{c.workers} * Worker::arena_bytes(w);
  if (pages > 0 && page > 0 && total > uint64_t(pages) * uint64_t(page) / 2)
    return "the pools need " + format_size(total, true) + ", more than half of this machine's memory (" +
           format_size(uint64_t(pages) * uint64_t(page), true) + ")";
  return {};
}

Server::~Server() {
  // Workers hold no threads once run() returned; nothing else to stop.
}

bool Server::start(const ServerConfig& config, const ServiceFactory& services, std::string& error) {
  config_ = config;
  error = validate(config);
  if (!error.empty()) return false;

  // Descriptors: every connection slot, the listeners and epoll of every worker.
  // A responder may hold an open file while its range is sent.
  uint64_t need = uint64_t{config.workers} * (uint64_t{config.worker.max_connections} +
                                                   config.worker.responders + config.listen.size() +
                                                   kFdsPerWorker) + kFdsSpare;
  rlimit lim{};
  need += uint64_t{config.workers} * config.tls_listen.size();
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < need) {
    if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < need) {
      error = number(config.workers) + " worker(s) x (" + number(config.worker.max_connections) + " connections + " +
              number(config.worker.responders) + " responders) need " + number(need) +
              " file descriptors; the hard limit is " + number(lim.rlim_max);
      return false;
    }
    lim.rlim_cur = need;
    if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) {
      error = std::string("cannot raise the file descriptor limit: ") + std::strerror(errno);
      return false;
    }
  }

  // SIGPIPE ignored, stop signals blocked before any thread starts.
  block_stop_signals();
  if (int e = stop_.open()) {
    error = std::string("eventfd: ") + std::strerror(e);
    return false;
  }

  int log_fd = -1;
  if (config.access_log == "-") {
    log_fd = STDOUT_FILENO;
  } else if (!config.access_log.empty() && config.access_log != "off") {
    log_fd_.reset(::open(config.access_log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (!log_fd_) {
      error = "cannot open access log " + config.access_log + ": " + std::strerror(errno);
      return false;
    }
    log_fd = log_fd_.get();
  }
  WorkerConfig wc = config.worker;
  wc.log_batch = log_fd >= 0 ? 64 * 1024 : 0;
  // Every worker's listeners: the plain ones, then the TLS ones.
  const size_t plain = config.listen.size();
  // (With sockets from systemd, the caller marked which are TLS.)
  config_.listen.insert(config_.listen.end(), config.tls_listen.begin(), config.tls_listen.end());
  if (!config.tls_listen.empty()) {
    wc.tls.listener_mask = 0;
    for (size_t i = plain; i < config_.listen.size(); ++i) wc.tls.listener_mask |= 1u << i;
  }
  if (wc.tls.listener_mask == 0) wc.tls.context = nullptr;
  if (wc.tls.context == nullptr) wc.tls.listener_mask = 0;
  if (!choose_io(config.io, wc.io, io_fallback_, error)) return false;
  config_.worker = wc;

  // SO_REUSEPORT lets every worker bind its own listener, but it would also
  // let a second, unrelated server join the port and split the clients. A
  // plain bind first (no SO_REUSEPORT) fails with EADDRINUSE while anything
  // listens there, as nginx and lighttpd do.
  if (config.inherited.empty()) {
    bound_ = config_.listen;
    for (Address& a : bound_) {
      if (int e = claim_address(a)) {
        char text[80];
        format_address(a, text, sizeof text);
        error = std::string("cannot listen on ") + text + ": " + std::strerror(e);
        return false;
      }
    }
  }

  if (!config.inherited.empty()) bound_ = config_.listen;
  for (size_t i = 0; i < bound_.size(); ++i) {  // the first TLS listener's port (0 resolved) for redirects
    if (wc.tls.listener_mask >> i & 1u) {
      wc.https.https_port = bound_[i].port();
      break;
    }
  }
  config_.worker = wc;
  for (uint32_t w = 0; w < config.workers; ++w) {
    std::vector<Fd> fds;
    for (Address& a : bound_) {
      // port 0 resolved by the first worker; inherited sockets are shared by all
      ListenResult r = config.inherited.empty()
                           ? open_listener(a, config.backlog)
                           : adopt_listener(config.inherited[static_cast<size_t>(&a - bound_.data())]);
      if (!r.fd) {
        char text[80];
        format_address(a, text, sizeof text);
        error = std::string("cannot listen on ") + text + ": " + std::strerror(r.error);
        return false;
      }
      fds.push_back(std::move(r.fd));
    }
    auto worker = std::make_unique<Worker>();
    if (!worker->init(wc, services(w, *worker), fds, stop_.fd(), log_fd, error)) {
      // --io auto: a ring the probe could make but the worker cannot (memory
      // limits, a filter on a later call) means epoll, not a failed start.
      if (config.io != IoChoice::Auto || wc.io != IoKind::Uring || w != 0) return false;
      io_fallback_ = error;
      error.clear();
      wc.io = IoKind::Epoll;
      config_.worker = wc;
      worker = std::make_unique<Worker>();
      if (!worker->init(wc, services(w, *worker), fds, stop_.fd(), log_fd, error)) return false;
    }
    workers_.push_back(std::move(worker));
  }
  return true;
}

size_t Server::reserved_bytes() const {
  size_t total = 0;
  for (const auto& w : workers_) total += w->reserved() + w->engine().ring_bytes();
  return total;
}

std::string Server::startup_line() const {
  std::string line = "listening on ";
  const uint32_t tls_mask = config_.worker.tls.listener_mask;
  for (size_t i = 0; i < bound_.size(); ++i) {
    char text[80];
    format_address(bound_[i], text, sizeof text);
    if (i > 0) line += ", ";
    if (tls_mask >> i & 1u) line += "https://";
    line += text;
  }
  const WorkerConfig& w = config_.worker;
  line += "; reserved " + format_size(reserved_bytes(), true) + ": ";
  std::string pools = number(w.max_connections) + " connections, " + number(w.buffers) + " buffers x " +
                      format_size(w.buffer_stride(), w.buffer_stride() % 1024 != 0) + ", " + number(w.responders) + " responders";
  if (w.tls.enabled())
    pools += ", " + number(w.tls.handshakes) + " TLS handshakes, " + number(w.tls.seal_buffers) +
             " TLS seal areas x " + format_size(kSealAreaBytes, true);
  if (config_.workers > 1) {
    line += number(config_.workers) + " workers x (" + pools + ")";
  } else {
    line += pools;
  }
  if (w.tls.enabled()) line += "; TLS memory " + format_size(config_.tls_memory, true) + ", " + config_.tls_path;
  if (!workers_.empty()) {
    const Engine& engine = workers_.front()->engine();
    if (const size_t ring = engine.ring_bytes(); ring > 0)
      line += "; io_uring rings " + format_size(uint64_t{ring} * workers_.size(), true);
    line += "; " + engine.describe();
    if (!io_fallback_.empty()) line += " (io_uring unavailable: " + io_fallback_ + ")";
  }
  return line;
}

int Server::run(const std::function<void()>& on_hangup) {
  std::atomic<bool> failed{false};
  std::atomic<size_t> done{0};
  std::vector<std::thread> threads;
  threads.reserve(workers_.size());
  for (auto& w : workers_) {
    Worker* worker = w.get();
    threads.emplace_back([worker, &failed, &done] {
      if (!worker->run()) {
        failed = true;
        report_worker_failure();
      }
      ++done;
    });
  }
  // SIGHUP (logrotate) reopens the access log; the other signals stop.
  for (int sig = wait_for_stop_signal(); sig == SIGHUP; sig = wait_for_stop_signal()) {
    reopen_access_log(log_fd_, config_.access_log);
    if (on_hangup) on_hangup();
  }
  stop_.raise();
  // The workers drain (bounded by --shutdown-timeout); a second signal ends
  // the process at once.
  const core::Millis limit = config_.worker.shutdown_timeout + config_.worker.linger_timeout + 10'000;
  for (core::Millis waited = 0; done < threads.size() && waited < limit; waited += 100) {
    const int sig = wait_for_stop_signal(100);
    if (sig == SIGTERM || sig == SIGINT) std::_Exit(1);
  }
  if (done < threads.size()) std::_Exit(1);  // a worker is stuck: do not hang
  for (std::thread& t : threads) t.join();
  return failed ? 1 : 0;
}

}  // namespace hs::net
