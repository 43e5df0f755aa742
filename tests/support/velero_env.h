#pragma once
// Helpers for tests on MinIO and the kube-apiserver: a MinIO location under a fresh prefix,
// kubectl against the real test clusters, and the entries of a backup tarball read back.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/base/json.h"
#include "tests/support/test_env.h"
#include "uploader/object_store.h"

namespace kb::testing {

/// The MinIO bucket as a kbackup location under a fresh prefix "<what>-<pid>-<n>".
struct MinioLocation {
  explicit MinioLocation(std::string const& what);
  std::string url;                    ///< s3://…?endpoint=…
  std::vector<std::string> env;       ///< AWS_* variables for kbackup
  std::unique_ptr<uploader::ObjectStore> store;
  /// The object `key` (relative to the prefix); fails the test when missing.
  std::string Read(std::string const& key) const;
  /// Every key under `prefix`.
  std::vector<std::string> Keys(std::string const& prefix = "") const;
};

/// The kbackup location `url` on the test MinIO, opened with the test env's keys; null (and a
/// test failure) when it does not open.
std::unique_ptr<uploader::ObjectStore> OpenMinioLocation(std::string const& url);

/// The object `key` of `store`; "" and a test failure when it cannot be read.
std::string ReadObjectForTest(uploader::ObjectStore& store, std::string const& key);

/// Runs kubectl of the test env against cluster "A" or "B".
CommandResult Kubectl(std::string const& cluster, std::vector<std::string> const& args);

/// Every regular-file entry of a gzip'd tar: path → content. Also checks what Velero needs of
/// each entry (regular file, mode 0755) and records a test failure otherwise.
std::map<std::string, std::string> ReadTarball(std::string const& tar_gz);

/// gunzip of one member; fails the test on bad input.
std::string GunzipForTest(std::string const& gz);

}  // namespace kb::testing
