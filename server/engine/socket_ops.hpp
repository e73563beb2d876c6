// Socket operations both engines perform the same way, synchronously on a
// non-blocking socket: a file range by sendfile, a fixed refusal, discarding
// a lingering peer's input, the spare-descriptor accept, and the outcome of a
// non-blocking connect.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <span>

#include "engine/engine.hpp"
#include "sockets/fd.hpp"

namespace hs::net {

// sendfile(2) of up to `len` bytes from `offset`. n == 0: the file ended
// early (it shrank); kPending: the socket is full.
IoResult sendfile_now(int sock, int file_fd, uint64_t offset, size_t len);

// Sends `answer` (best effort, never blocks), half-closes, discards what the
// client already sent (so the close does not reset the connection before it
// reads the answer) and closes `fd`.
void send_and_close(int fd, std::span<const iovec> answer);

// Reads and drops up to 64 KiB of input. True when the peer is done (EOF, an
// error, or still sending after 64 KiB: stop listening).
bool discard_now(int fd);

// Out of descriptors: closes the spare to accept one connection (to be
// refused), then reopens the spare. Returns the accepted fd or -1.
int accept_with_spare(int listener, Fd& spare);

// The pending error of a socket (SO_ERROR: a non-blocking connect's
// outcome): 0 or an errno.
int socket_error(int fd);

}  // namespace hs::net
