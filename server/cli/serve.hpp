// `homeserve serve`: the plain options the command line fills, and the code
// that turns them into the app and the server (no CLI11 here).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hs::cli {

struct ServeOptions {
  std::string dir = ".";
  std::vector<std::string> listen{"127.0.0.1:8080"};
  bool listen_given = false;  // false with --tls-listen: HTTPS only
  uint64_t max_connections = 1024;
  uint64_t buffers = 64;
  bool buffers_given = false;  // false: at most max_connections (a connection holds one buffer)
  uint64_t buffer_size = 16 * 1024;
  uint64_t responders = 256;
  uint64_t max_pipeline = 16;
  uint64_t workers = 1;
  std::string compaction = "memmove";
  std::string io = "auto";       // auto | epoll | uring
  double header_timeout = 10;    // seconds
  double body_timeout = 10;
  double keepalive_timeout = 5;
  double send_timeout = 10;
  double shutdown_timeout = 5;
  std::string access_log = "off";
  std::string status_path;
  bool example_api = false;
  // Static files (issue 5).
  bool follow_symlinks = false;
  bool dotfiles = false;
  bool listing = false;
  std::string cache_control;
  uint64_t file_cache = 256;
  uint64_t inline_max = 4 * 1024;
  uint64_t content_cache = 64;
  // Running as a service (issue 7).
  std::string user;   // drop to this user after binding (root only)
  std::string group;  // and this group (default: the user's primary group)
  bool allow_root = false;
  // HTTPS (issue 12).
  std::vector<std::string> tls_listen;
  std::string tls_cert;   // PEM chain, leaf first
  std::string tls_key;    // PEM private key (ECDSA or RSA)
  uint64_t tls_handshakes = 16;  // per worker
  uint64_t tls_buffers = 16;     // seal areas per worker
  bool redirect_https = false;   // plain listeners answer 308 to https://
  uint64_t hsts = 0;             // Strict-Transport-Security max-age on TLS responses (0: none)
};

// Runs the server until SIGTERM/SIGINT. Prints the start-up line on stdout, a
// one-line "homeserve: ..." error on stderr. Returns the exit status.
int serve(const ServeOptions& options);

}  // namespace hs::cli
