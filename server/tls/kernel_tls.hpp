// Kernel TLS (kTLS): whether this kernel takes TCP_ULP "tls", for the
// start-up line. Where it does, the records could leave with sendfile after
// the hand-off (the state RecordLayer keeps is what the kernel needs); this
// version seals in user space on every kernel and says so.
#pragma once

#include <string>

namespace hs::tls {

// 0 when the kernel's TLS module answers (kTLS available), else the errno of
// TCP_ULP "tls" (ENOENT: no tls module in this kernel).
int probe_kernel_tls();

// "user-space TLS (kTLS unavailable: TCP_ULP tls: No such file or directory)"
std::string describe_tls_path();

}  // namespace hs::tls
