// Counters of one worker, read by the status endpoint. Plain integers: each
// worker owns its own and nothing is shared between threads.
#pragma once

#include <array>
#include <cstdint>

namespace hs::conn {

struct Stats {
  uint64_t connections_accepted = 0;
  uint64_t connections_rejected = 0;  // 429 at the connection limit (a clean close on a TLS listener)
  uint64_t requests = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint64_t timeouts = 0;
  uint64_t buffer_waits = 0;          // readable connections that waited for a buffer
  uint64_t tls_handshakes = 0;        // completed (full or resumed)
  uint64_t tls_resumed = 0;           // of which resumed a session (ticket)
  uint64_t tls_sni_other = 0;         // of which named (SNI) a host the certificate does not cover
  uint64_t tls_handshake_waits = 0;   // accepted while every handshake slot was taken: waited
  uint64_t tls_refused = 0;           // closed: the handshake could not start (TLS arena full)
  uint64_t tls_failures = 0;          // handshakes or record streams that failed (alert, garbage)
  std::array<uint64_t, 6> by_class{}; // index = status / 100 (1xx..5xx)
  std::array<uint64_t, 16> by_code{}; // the codes in kTrackedCodes, same order

  static constexpr std::array<uint16_t, 16> kTrackedCodes{200, 204, 206, 301, 304, 400, 404, 405,
                                                          408, 413, 414, 415, 429, 431, 500, 505};
  void count_status(uint16_t code) {
    if (code / 100 < by_class.size()) ++by_class[code / 100];
    for (size_t i = 0; i < kTrackedCodes.size(); ++i)
      if (kTrackedCodes[i] == code) ++by_code[i];
  }
};

}  // namespace hs::conn
