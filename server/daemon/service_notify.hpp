// systemd readiness (Type=notify), from the documented protocol
// (sd_notify(3)): one datagram "READY=1\nSTATUS=..." to the AF_UNIX socket
// named by NOTIFY_SOCKET (a path, or "@name" in the abstract namespace).
// Without NOTIFY_SOCKET it does nothing, so the same binary runs anywhere.
#pragma once

#include <string>
#include <string_view>

namespace hs::net {

// Sends `state` (newline-separated KEY=VALUE lines) to `socket_name`. Returns
// 0, or the errno of the failed step (EINVAL for a name that is not a path or
// an abstract name).
int notify_service_manager(std::string_view socket_name, std::string_view state);

// The same to $NOTIFY_SOCKET; 0 when it is unset.
int notify_service_manager(std::string_view state);

}  // namespace hs::net
