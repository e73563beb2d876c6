// The probe's TLS checks (an https URL): each is one ProbeLine, written and
// judged like the HTTP checks in probe.cpp. They speak raw TCP or drive a
// TLS client session by hand (client/common/stream.hpp, tls_client.hpp),
// one connection at a time, every wait bounded.
#pragma once

#include "client/common/url.hpp"
#include "client/probe/probe.hpp"

namespace hs::client {

// ClientHellos offering only TLS 1.0, then only TLS 1.1: both refused.
ProbeLine tls_versions(const Url& url, const ProbeOptions& o);
// A plain HTTP request to the TLS port: the connection closes (or a TLS
// alert comes back), and an HTTPS request is answered afterwards.
ProbeLine tls_plaintext(const Url& url, const ProbeOptions& o);
// A TLS 1.2 session asks for a renegotiation: refused (an alert, a close)
// or ignored; never completed.
ProbeLine tls_renegotiation(const Url& url, const ProbeOptions& o);
// Two connections at once: one silent, one with half a ClientHello. Both
// closed within --handshake-timeout x 1.5 + 1 s.
ProbeLine tls_handshake_timeout(const Url& url, const ProbeOptions& o);

}  // namespace hs::client
