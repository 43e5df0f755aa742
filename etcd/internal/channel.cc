#include "etcd/internal/channel.h"


#include <fmt/format.h>

#include <limits>

#include "agent/base/file_util.h"

namespace kb::etcd::internal {

StatusOr<std::vector<Endpoint>> ParseEndpoints(std::vector<std::string> const& urls) {
  if (urls.empty()) {
    return InvalidArgumentError("no etcd endpoint given: set --etcd-endpoints");
  }
  std::vector<Endpoint> out;
  for (auto const& url : urls) {
    Endpoint ep;
    ep.url = url;
    while (ep.url.ends_with('/')) ep.url.pop_back();
    std::string_view rest = ep.url;
    if (rest.starts_with("https://")) {
      ep.tls = true;
      rest.remove_prefix(8);
    } else if (rest.starts_with("http://")) {
      rest.remove_prefix(7);
    } else {
      return InvalidArgumentError(fmt::format(
          "etcd endpoint \"{}\" must start with https:// or http:// (check --etcd-endpoints)",
          url));
    }
    if (rest.empty() || rest.find('/') != std::string_view::npos) {
      return InvalidArgumentError(fmt::format(
          "etcd endpoint \"{}\" must be scheme://host:port (check --etcd-endpoints)", url));
    }
    ep.target = std::string(rest);
    out.push_back(std::move(ep));
  }
  return out;
}

namespace {

StatusOr<std::string> ReadPem(std::string const& path, char const* what, char const* flag) {
  auto text = ReadFileToString(path);
  if (!text.ok()) {
    return text.status().WithPrefix(fmt::format("etcd {} (check {})", what, flag));
  }
  if (text->find("-----BEGIN") == std::string::npos) {
    return InvalidArgumentError(
        fmt::format("etcd {} {}: not a PEM file (check {})", what, path, flag));
  }
  return text;
}

}  // namespace

StatusOr<TlsFiles> LoadTlsFiles(EtcdConnectOptions const& options,
                                std::vector<Endpoint> const& endpoints) {
  TlsFiles tls;
  bool any_tls = false;
  for (auto const& ep : endpoints) any_tls = any_tls || ep.tls;
  if (!any_tls) return tls;
  if (options.cert_file.empty() != options.key_file.empty()) {
    return InvalidArgumentError(
        "etcd client cert and key go together: give both --etcd-cert and --etcd-key, or neither");
  }
  if (!options.ca_file.empty()) {
    KB_ASSIGN_OR_RETURN(tls.ca_pem, ReadPem(options.ca_file, "CA file", "--etcd-cacert"));
  }
  if (!options.cert_file.empty()) {
    KB_ASSIGN_OR_RETURN(tls.cert_pem,
                        ReadPem(options.cert_file, "client cert file", "--etcd-cert"));
    KB_ASSIGN_OR_RETURN(tls.key_pem, ReadPem(options.key_file, "client key file", "--etcd-key"));
  }
  return tls;
}

std::shared_ptr<grpc::Channel> MakeChannel(Endpoint const& ep, TlsFiles const& tls) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(std::numeric_limits<int>::max());
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  // Bounded receive buffering. A snapshot arrives faster than it is compressed and uploaded;
  // gRPC's BDP probing would grow the HTTP/2 window, and the data buffered in this process,
  // with the db size. A fixed 8 MiB stream window with frames of up to 4 MiB keeps loopback
  // and LAN throughput (docs/benchmarks.md) with memory that does not depend on the db size.
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 8 << 20);
  args.SetInt(GRPC_ARG_HTTP2_MAX_FRAME_SIZE, 4 << 20);
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (ep.tls) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = tls.ca_pem;
    ssl.pem_cert_chain = tls.cert_pem;
    ssl.pem_private_key = tls.key_pem;
    creds = grpc::SslCredentials(ssl);
  } else {
    creds = grpc::InsecureChannelCredentials();
  }
  return grpc::CreateCustomChannel(ep.target, creds, args);
}

}  // namespace kb::etcd::internal
