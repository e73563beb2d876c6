#include "loop/status_probe.hpp"

namespace hs::net {

namespace {

void fill(void* context, app::StatusSample& out) {
  const auto& src = *static_cast<const StatusSource*>(context);
  out.worker = src.index;
  out.workers = src.count;
  if (src.worker == nullptr) return;
  out.stats = src.worker->stats();
  const WorkerGauges g = src.worker->gauges();
  out.pools.connections = {g.connections_capacity, g.connections_in_use};
  out.pools.buffers = {g.buffers_capacity, g.buffers_in_use};
  out.pools.responders = {g.responders_capacity, g.responders_in_use};
  out.pools.tls_handshakes = {g.tls_handshakes_capacity, g.tls_handshakes_in_use};
  out.pools.tls_seal_areas = {g.seal_buffers_capacity, g.seal_buffers_in_use};
  out.pools.idle_releases = g.idle_releases;
}

}  // namespace

app::StatusProbe status_probe(const StatusSource& source) {
  app::StatusProbe p;
  p.fill = &fill;
  p.context = const_cast<StatusSource*>(&source);
  return p;
}

}  // namespace hs::net
