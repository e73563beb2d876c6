// systemd socket activation, implemented from the documented protocol
// (sd_listen_fds(3)): when LISTEN_PID is this process, descriptors 3 ..
// 3+LISTEN_FDS-1 are listening sockets handed over by the service manager.
// No libsystemd: the protocol is a few environment variables, and the binary
// then runs the same with or without systemd.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "sockets/address.hpp"
#include "sockets/fd.hpp"
#include "sockets/listener.hpp"

namespace hs::net {

constexpr int kListenFdsStart = 3;  // SD_LISTEN_FDS_START

// Reads LISTEN_PID and LISTEN_FDS (either may be null). Returns the number of
// sockets passed to `self`: 0 when the variables are absent or name another
// process; -1 with `why` set when they are malformed.
int parse_listen_env(const char* listen_pid, const char* listen_fds, pid_t self, const char*& why);

// Checks that `fd` is a listening TCP socket (IPv4 or IPv6), makes it
// non-blocking and close-on-exec, and sets `bound` to its local address.
// Returns false with a one-line reason.
bool check_inherited_listener(int fd, Address& bound, std::string& why);

// The sockets systemd passed to this process, checked as above, in order. The
// LISTEN_* variables are removed (a child must not take them for its own).
// Returns false with a one-line reason; `fds` empty means no socket activation.
bool take_inherited_listeners(std::vector<Fd>& fds, std::vector<Address>& bound, std::string& error);

// A worker's own descriptor for an inherited listening socket (a duplicate:
// the workers' epolls all watch the one socket; closing it at shutdown does
// not close the socket systemd holds).
ListenResult adopt_listener(int inherited_fd);

}  // namespace hs::net
