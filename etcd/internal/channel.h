#pragma once
// Endpoint parsing, TLS material and gRPC channels for EtcdClient. Private to etcd/.

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "agent/base/status.h"
#include "etcd/etcd_client.h"

namespace kb::etcd::internal {

/// A parsed client URL.
struct Endpoint {
  std::string url;     ///< as given, without a trailing '/', e.g. "https://127.0.0.1:2379"
  std::string target;  ///< gRPC target "host:port", e.g. "127.0.0.1:2379"
  bool tls = false;    ///< https://
};

/// Parses `urls` (`https://host:port` or `http://host:port`).
/// Errors: kInvalidArgument for an empty list, another scheme, or a missing host.
StatusOr<std::vector<Endpoint>> ParseEndpoints(std::vector<std::string> const& urls);

/// The PEM contents of the CA, client cert and key (each empty when not given).
struct TlsFiles {
  std::string ca_pem;
  std::string cert_pem;
  std::string key_pem;
};

/// Reads `options`' ca_file/cert_file/key_file when some endpoint uses TLS.
/// Errors: kInvalidArgument (cert without key or the reverse, not PEM), kNotFound,
///   kPermissionDenied (unreadable); every message names the file and its flag.
StatusOr<TlsFiles> LoadTlsFiles(EtcdConnectOptions const& options,
                                std::vector<Endpoint> const& endpoints);

/// A channel to `ep`: TLS with `tls` for https://, plaintext for http://. Unlimited receive
/// message size (Range answers may exceed gRPC's 4 MiB default: etcd-api.md §4), and a
/// subchannel pool of its own so that channels do not share connection state.
std::shared_ptr<grpc::Channel> MakeChannel(Endpoint const& ep, TlsFiles const& tls);

}  // namespace kb::etcd::internal
