#pragma once
// Helpers shared by the etcd client integration tests: connect options for the test members
// of tests/env/up.sh, and their own etcdctl/etcdutl snapshot tools.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "etcd/etcd_client.h"
#include "tests/support/etcd_env.h"
#include "tests/support/test_env.h"

namespace kb::etcd::testing {

/// The two member versions every client test runs against.
inline std::vector<std::string> const kEtcdVersions = {"ETCD34", "ETCD36"};

/// Kubeadm-style TLS options (CA + healthcheck client cert) for member `s`.
inline EtcdConnectOptions TlsOptions(kb::testing::EtcdServer const& s) {
  EtcdConnectOptions o;
  o.endpoints = {s.endpoint};
  o.ca_file = s.cacert;
  o.cert_file = s.cert;
  o.key_file = s.key;
  o.dial_timeout = std::chrono::seconds(5);
  return o;
}

/// Options for the auth-enabled member (plain http), as user KB_TEST_ETCDAUTH_USER.
inline EtcdConnectOptions AuthOptions(std::string const& password) {
  EtcdConnectOptions o;
  o.endpoints = {kb::testing::RequireEnv("KB_TEST_ETCDAUTH_ENDPOINT")};
  o.user = kb::testing::RequireEnv("KB_TEST_ETCDAUTH_USER");
  o.password = Secret<>(password);
  return o;
}

/// An http:// URL on a loopback port where nothing listens.
inline std::string DeadEndpoint(char const* scheme = "https") {
  return std::string(scheme) + "://127.0.0.1:" + std::to_string(kb::testing::FreePort());
}

/// `snapshot status -w json` of `file` with the member's own tool (etcdutl on 3.6, etcdctl on
/// 3.4); returns the parsed object, or an empty one after recording a failure.
inline boost::json::object ToolSnapshotStatus(kb::testing::EtcdServer const& s,
                                              std::string const& file) {
  auto r = kb::testing::RunCommand({s.restore_tool, "snapshot", "status", file, "-w", "json"},
                                   {"ETCDCTL_API=3"});
  if (r.exit_code != 0) {
    ADD_FAILURE() << s.restore_tool << " snapshot status failed: " << r.err;
    return {};
  }
  boost::system::error_code ec;
  auto v = boost::json::parse(r.out, ec);
  if (ec || !v.is_object()) {
    ADD_FAILURE() << "snapshot status printed no JSON object: " << r.out;
    return {};
  }
  return v.as_object();
}

/// Restores `file` into `data_dir` with the member's own tool, WITHOUT --skip-hash-check, as
/// member `name` with peer URL `peer_url`.
inline kb::testing::CommandResult ToolRestore(kb::testing::EtcdServer const& s,
                                              std::string const& file,
                                              std::string const& data_dir,
                                              std::string const& name,
                                              std::string const& peer_url) {
  return kb::testing::RunCommand(
      {s.restore_tool, "snapshot", "restore", file, "--data-dir", data_dir, "--name", name,
       "--initial-cluster", name + "=" + peer_url, "--initial-advertise-peer-urls", peer_url},
      {"ETCDCTL_API=3"});
}

}  // namespace kb::etcd::testing
