#pragma once
// A diagnostic TLS handshake with OpenSSL, run only after gRPC failed to reach a https://
// endpoint. With TLS 1.3 the server checks the client certificate after the client's side of
// the handshake is done, so gRPC reports a bare "Endpoint read failed" and the server's alert
// ("unknown ca", "certificate required") only reaches gRPC's log. The probe reads that alert
// and names it. Private to etcd/.

#include <chrono>

#include "agent/base/status.h"
#include "etcd/internal/channel.h"

namespace kb::etcd::internal {

/// Connects to `ep` (https), does a TLS handshake with `tls` (CA, client cert and key, ALPN h2,
/// host name checked), then waits up to `timeout` for the server to accept or reject the
/// client certificate.
/// Returns OK when TLS works or cannot be judged (e.g. nothing listens: the caller keeps its
/// own error); kUnauthenticated "TLS to ENDPOINT failed: REASON; check
/// --etcd-cacert/--etcd-cert/--etcd-key" when the handshake or the server's alert says why.
Status ProbeTls(Endpoint const& ep, TlsFiles const& tls, std::chrono::seconds timeout);

}  // namespace kb::etcd::internal
