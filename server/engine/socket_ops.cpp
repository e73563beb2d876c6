#include "engine/socket_ops.hpp"

#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace hs::net {

namespace {
constexpr int kDiscardReads = 16;  // 16 x 4 KiB per call
}

IoResult sendfile_now(int sock, int file_fd, uint64_t offset, size_t len) {
  off_t off = static_cast<off_t>(offset);
  ssize_t n;
  do {
    n = ::sendfile(sock, file_fd, &off, len);
  } while (n < 0 && errno == EINTR);
  IoResult r;
  if (n >= 0) {
    // A short count may mean the file ended early, not that the socket is
    // full: the loop writes on until kPending or 0 says which.
    r.n = n;
    return r;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK) {
    r.drained = true;
    return r;
  }
  r.n = -errno;
  return r;
}

void send_and_close(int fd, std::span<const iovec> answer) {
  msghdr msg{};
  msg.msg_iov = const_cast<iovec*>(answer.data());
  msg.msg_iovlen = answer.size();
  [[maybe_unused]] ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
  ::shutdown(fd, SHUT_WR);
  char discard[2048];
  for (int i = 0; i < 4 && ::recv(fd, discard, sizeof discard, MSG_DONTWAIT) > 0; ++i) {
  }
  ::close(fd);
}

bool discard_now(int fd) {
  char discard[4096];
  for (int i = 0; i < kDiscardReads; ++i) {
    const ssize_t n = ::recv(fd, discard, sizeof discard, MSG_DONTWAIT);
    if (n > 0) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
    if (n < 0 && errno == EINTR) continue;
    return true;  // EOF or an error: the client has what it needs
  }
  return true;
}

int accept_with_spare(int listener, Fd& spare) {
  if (!spare) return -1;
  spare.reset();
  const int fd = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  spare.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  return fd;
}

int socket_error(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

}  // namespace hs::net
