#include "cli/serve.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include <sys/resource.h>
#include <unistd.h>

#include <cstring>

#include "app/app.hpp"
#include "daemon/privileges.hpp"
#include "loop/server.hpp"
#include "daemon/service_notify.hpp"
#include "sockets/socket_activation.hpp"
#include "daemon/startup_trim.hpp"
#include "loop/status_probe.hpp"
#include "tls/kernel_tls.hpp"
#include "tls/tls_memory.hpp"

namespace hs::cli {

namespace {

constexpr int kUsageError = 2;
constexpr int kStartError = 1;

int fail(int status, const std::string& message) {
  std::fprintf(stderr, "homeserve: %s\n", message.c_str());
  return status;
}

bool to_millis(double seconds, core::Millis& out) {
  if (!(seconds > 0) || seconds > 86400) return false;
  out = static_cast<core::Millis>(std::llround(seconds * 1000));
  if (out == 0) out = 1;
  return true;
}

bool fits_u32(uint64_t v) { return v <= 0xffffffffu; }

// OpenSSL's arena: the certificate's context twice (a reload builds the new
// one beside the old), and each handshake slot's peak (measured 124 KiB for
// a full TLS 1.3 handshake with an ECDSA or RSA-2048 key; a TLS 1.2
// connection keeps ~18 KiB of it for its life).
constexpr size_t kTlsContextBudget = 512u << 10;
constexpr size_t kTlsHandshakeBudget = 192u << 10;

size_t tls_arena_bytes(uint64_t workers, uint64_t handshakes) {
  return 2 * kTlsContextBudget + static_cast<size_t>(workers * handshakes) * kTlsHandshakeBudget;
}

}  // namespace

int serve(const ServeOptions& o) {
  net::ServerConfig config;
  for (const std::string& text : o.listen) {
    net::Address a;
    const char* why = "";
    if (!net::parse_address(text, a, why)) return fail(kUsageError, "--listen " + text + ": " + why);
    config.listen.push_back(a);
  }
  if (!fits_u32(o.max_connections) || !fits_u32(o.buffers) || !fits_u32(o.responders) || !fits_u32(o.workers) ||
      !fits_u32(o.max_pipeline))
    return fail(kStartError, "a pool size is out of range");
  config.workers = static_cast<uint32_t>(o.workers);
  net::WorkerConfig& w = config.worker;
  w.max_connections = static_cast<uint32_t>(o.max_connections);
  w.buffers = static_cast<uint32_t>(o.buffers_given ? o.buffers : std::min(o.buffers, o.max_connections));
  w.responders = static_cast<uint32_t>(o.responders);
  w.limits.buffer_size = o.buffer_size;
  w.limits.max_pipeline = static_cast<uint32_t>(o.max_pipeline);
  w.limits.compaction = o.compaction == "readv" ? conn::Compaction::Readv : conn::Compaction::Memmove;
  if (!to_millis(o.header_timeout, w.limits.header_timeout) || !to_millis(o.body_timeout, w.limits.body_timeout) ||
      !to_millis(o.keepalive_timeout, w.limits.keepalive_timeout) ||
      !to_millis(o.send_timeout, w.limits.send_timeout))
    return fail(kUsageError, "timeouts must be more than 0 and at most 86400 seconds");
  if (!(o.shutdown_timeout >= 0) || o.shutdown_timeout > 86400)
    return fail(kUsageError, "--shutdown-timeout must be from 0 to 86400 seconds");
  w.shutdown_timeout = static_cast<core::Millis>(std::llround(o.shutdown_timeout * 1000));
  config.access_log = o.access_log;
  if (!net::parse_io_choice(o.io, config.io)) return fail(kUsageError, "--io must be auto, epoll or uring");

  // HTTPS: OpenSSL's memory is fixed before OpenSSL allocates anything.
  for (const std::string& text : o.tls_listen) {
    if (text.empty()) continue;  // `tls-listen = ""` in a config file: none
    net::Address a;
    const char* why = "";
    if (!net::parse_address(text, a, why)) return fail(kUsageError, "--tls-listen " + text + ": " + why);
    config.tls_listen.push_back(a);
  }
  if (!o.listen_given && !config.tls_listen.empty()) config.listen.clear();  // HTTPS only, unless --listen is given
  const bool tls_wanted = !config.tls_listen.empty() || !o.tls_cert.empty() || !o.tls_key.empty();
  if (tls_wanted && (config.tls_listen.empty() || o.tls_cert.empty() || o.tls_key.empty()))
    return fail(kUsageError, "HTTPS needs all of --tls-listen, --tls-cert and --tls-key");
  if (o.redirect_https && config.tls_listen.empty()) return fail(kUsageError, "--redirect-https needs --tls-listen");
  if (o.hsts > 0 && config.tls_listen.empty()) return fail(kUsageError, "--hsts needs --tls-listen");
  if (o.hsts > 1000000000) return fail(kUsageError, "--hsts: at most 1000000000 seconds");
  if (tls_wanted && (o.tls_handshakes == 0 || o.tls_handshakes > 65535 || o.tls_buffers == 0 || o.tls_buffers > 65535))
    return fail(kUsageError, "--tls-handshakes and --tls-buffers must be from 1 to 65535");
  static tls::TicketKeys* ticket_keys = nullptr;  // live as long as the process: OpenSSL may call back at exit
  static tls::TlsContext* tls_context = nullptr;
  if (tls_wanted) {
    config.tls_memory = tls_arena_bytes(o.workers, o.tls_handshakes);
    std::string why;
    if (!tls::install_tls_memory(config.tls_memory, why)) return fail(kStartError, why);
    ticket_keys = new tls::TicketKeys();
    tls_context = new tls::TlsContext(ticket_keys);
    if (!tls_context->load(o.tls_cert, o.tls_key, why)) return fail(kStartError, why);
    config.tls_context = tls_context;
    config.tls_path = tls::describe_tls_path();
    w.tls.context = tls_context;
    w.tls.handshakes = static_cast<uint32_t>(o.tls_handshakes);
    w.tls.seal_buffers = static_cast<uint32_t>(o.tls_buffers);
    for (size_t i = config.listen.size(); i < config.listen.size() + config.tls_listen.size(); ++i)
      w.tls.listener_mask |= 1u << i;
    w.https.redirect = o.redirect_https;
    w.https.hsts = o.hsts;
  }

  std::string error = net::validate(config);
  if (!error.empty()) return fail(kStartError, error);

  // Started by systemd with its sockets (LISTEN_FDS): they replace --listen.
  std::vector<net::Fd> inherited;
  std::vector<net::Address> inherited_at;
  if (!net::take_inherited_listeners(inherited, inherited_at, error)) return fail(kStartError, error);
  if (!inherited.empty()) {
    // The sockets systemd passed replace every address; those named by
    // --tls-listen speak TLS (socket activation of port 443).
    const auto text = [](const net::Address& a) {
      char t[80];
      net::format_address(a, t, sizeof t);
      return std::string(t);
    };
    w.tls.listener_mask = 0;
    for (const net::Address& want : config.tls_listen) {
      size_t i = 0;
      while (i < inherited_at.size() && text(inherited_at[i]) != text(want)) ++i;
      if (i == inherited_at.size())
        return fail(kStartError, "--tls-listen " + text(want) + " is not among the sockets from systemd (LISTEN_FDS)");
      if (i < 32) w.tls.listener_mask |= 1u << i;
    }
    config.tls_listen.clear();
    config.listen = inherited_at;
    for (const net::Fd& fd : inherited) config.inherited.push_back(fd.get());
  }
  // Root: only to bind and then leave (--user), or when asked for.
  net::Identity identity;
  if (!o.group.empty() && o.user.empty()) return fail(kUsageError, "--group needs --user");
  if (!o.user.empty() && !net::resolve_identity(o.user, o.group, identity, error)) return fail(kUsageError, error);
  if (net::running_as_root()) {
    if (o.user.empty() && !o.allow_root)
      return fail(kUsageError,
                  "refusing to serve as root: give --user NAME to drop privileges after binding "
                  "(or --allow-root to serve as root anyway)");
    if (!o.user.empty() && identity.uid == 0 && !o.allow_root)
      return fail(kUsageError, "--user " + o.user + " is root: give an unprivileged user (or --allow-root)");
  } else if (!o.user.empty() && (identity.uid != ::getuid() || identity.gid != ::getgid())) {
    return fail(kUsageError, "--user needs root to change identity (running as uid " + std::to_string(::getuid()) + ")");
  }

  // One App per worker: shared nothing, and each status probe reports its own worker.
  app::Config app_config;
  app_config.docroot = o.dir;
  app_config.status_path = o.status_path;
  app_config.example_api = o.example_api;
  app_config.follow_symlinks = o.follow_symlinks;
  app_config.dotfiles = o.dotfiles;
  app_config.listing = o.listing;
  app_config.cache_control = o.cache_control;
  app_config.file_cache = static_cast<size_t>(std::min<uint64_t>(o.file_cache, 1u << 20));
  app_config.inline_max = static_cast<size_t>(o.inline_max);
  app_config.content_cache = static_cast<size_t>(std::min<uint64_t>(o.content_cache, 1u << 20));
  for (char c : o.cache_control)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return fail(kUsageError, "--cache-control: control characters");
  std::vector<std::unique_ptr<app::App>> apps;
  std::vector<net::StatusSource> sources(config.workers);
  for (uint32_t i = 0; i < config.workers; ++i) {
    apps.push_back(std::make_unique<app::App>(app_config));
    if (!apps.back()->ok()) return fail(kStartError, std::string(apps.back()->error()));
  }

  net::Server server;
  const auto factory = [&](uint32_t index, net::Worker& worker) -> conn::Service& {
    sources[index] = {&worker, index, config.workers};
    apps[index]->set_status_probe(net::status_probe(sources[index]));
    return *apps[index];
  };
  if (!server.start(config, factory, error)) return fail(kStartError, error);
  // The file cache keeps descriptors open: room for them on top of the
  // server's own budget (start() raised the limit to that).
  if (app_config.file_cache > 0) {
    rlimit lim{};
    const uint64_t extra = uint64_t{config.workers} * app_config.file_cache;
    if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY) {
      const uint64_t want = std::min<uint64_t>(lim.rlim_cur + extra, lim.rlim_max);
      if (want > lim.rlim_cur) {
        lim.rlim_cur = want;
        ::setrlimit(RLIMIT_NOFILE, &lim);
      }
    }
  }
  // Sockets bound and the access log open: leave root before any thread starts.
  if (!o.user.empty() && net::running_as_root() && !net::drop_privileges(identity, error))
    return fail(kStartError, "cannot drop privileges to " + o.user + ": " + error);
  const std::string line = server.startup_line();
  // Before the start-up line: whoever reads RSS once the line is out (a
  // test, a service manager) sees the trimmed figure, not a race with it.
  net::trim_startup_memory();
  std::fprintf(stdout, "%s\n", line.c_str());
  std::fflush(stdout);
  // Type=notify: ready once the pools are reserved and the sockets listen.
  if (const int e = net::notify_service_manager("READY=1\nSTATUS=" + line))
    std::fprintf(stderr, "homeserve: cannot notify the service manager (NOTIFY_SOCKET): %s\n", std::strerror(e));
  // SIGHUP: a renewed certificate (certbot's deploy hook) replaces the old
  // one for new connections; a broken pair keeps the old one.
  const auto reload = [&] {
    if (tls_context == nullptr) return;
    std::string why;
    if (tls_context->load(o.tls_cert, o.tls_key, why)) {
      std::fprintf(stderr, "homeserve: SIGHUP: reloaded %s\n", o.tls_cert.c_str());
    } else {
      std::fprintf(stderr, "homeserve: SIGHUP: keeping the old certificate: %s\n", why.c_str());
    }
  };
  return server.run(reload);
}

}  // namespace hs::cli
