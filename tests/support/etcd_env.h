#pragma once
// The real etcd members started by tests/env/up.sh, as test parameters, and helpers to drive
// them with their own etcdctl.

#include <cstdint>
#include <string>
#include <vector>

#include "tests/support/test_env.h"

namespace kb::testing {

/// One etcd member of the test environment: "ETCD34" (Debian 3.4) or "ETCD36" (Go-built 3.6).
struct EtcdServer {
  std::string id;  ///< "ETCD34" or "ETCD36"
  std::string endpoint, cacert, cert, key, bin;
  /// The tool that restores snapshots on this version: etcdutl (3.5+) or etcdctl (3.4).
  std::string restore_tool;
  /// kbackup flags that connect to this member.
  std::vector<std::string> KbackupFlags() const;
  /// Runs etcdctl against this member with `args`.
  CommandResult Etcdctl(std::vector<std::string> const& args) const;
};

/// Reads the member `id` ("ETCD34", "ETCD36") from the environment (fails the test if unset).
EtcdServer GetEtcdServer(std::string const& id);

/// Puts `count` keys "<prefix><i>" of `value_bytes` random printable bytes each, in batches.
void PutKeys(EtcdServer const& s, std::string const& prefix, int count, int value_bytes);

/// Key count under `prefix` and the store revision, as etcdctl reports them.
struct KeysAndRevision {
  std::int64_t count = -1;
  std::int64_t revision = -1;
};
/// Reads them from the member at `endpoint` with the tools in `bin` (no TLS when cacert empty).
KeysAndRevision ReadKeysAndRevision(std::string const& bin, std::string const& endpoint,
                                    std::string const& prefix, std::string const& cacert = "",
                                    std::string const& cert = "", std::string const& key = "");

/// An etcd started on a restored data dir, on free loopback ports; stopped on destruction.
class ScratchEtcd {
 public:
  ScratchEtcd(std::string const& bin, std::string const& data_dir, std::string const& name,
              std::string const& peer_url_hint);
  ~ScratchEtcd();
  std::string const& endpoint() const { return endpoint_; }
  bool ready() const { return ready_; }
  std::string const& log() const { return log_; }

 private:
  int pid_ = -1;
  std::string endpoint_;
  std::string log_;
  bool ready_ = false;
};

/// A free TCP port on 127.0.0.1.
int FreePort();

/// Puts `mib` MiB of random base64-alphabet values (4 keys of 256 KiB per MiB, one Txn each MiB)
/// under `prefix` into the plain-http etcd at `endpoint`, with etcdctl from `bin`; `work_dir`
/// holds the Txn scripts. Deterministic for a given `seed`. Fails the test on an etcdctl error.
void PutRandomMiB(std::string const& bin, std::string const& endpoint,
                  std::string const& work_dir, std::string const& prefix, int mib,
                  unsigned seed);

/// Parts recorded in the upload journal at `path` (0 when it is missing or unreadable).
int UploadJournalParts(std::string const& path);

}  // namespace kb::testing
