#pragma once
// The conformance suites every ObjectStore backend passes (STYLE.md §5):
//   ObjectStoreConformance   the store's own operations (object_store_conformance.cc)
//   UploadEngineConformance  UploadFile, resume, PipelinedUploadSink, downloads on the store
//                            (upload_engine_conformance.cc)
// Instantiate both per backend:
//   INSTANTIATE_TEST_SUITE_P(File, ObjectStoreConformance, Values(FileBackend()),
//                            ConformanceName);
//   INSTANTIATE_TEST_SUITE_P(File, UploadEngineConformance, Values(FileBackend()),
//                            UploadEngineConformanceName);

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <ostream>
#include <memory>
#include <string>

#include "agent/base/clock.h"
#include "tests/support/test_env.h"
#include "uploader/multipart_uploader.h"
#include "uploader/object_store.h"

namespace kb::testing {

/// One backend under test.
struct ConformanceBackend {
  std::string name;  ///< test name suffix, e.g. "File", "MinIO"
  /// Returns a store for one test: empty, private to it (a fresh directory, or a prefix unique
  /// to `test_id`), listing `list_page_size` entries per page.
  std::function<StatusOr<std::unique_ptr<uploader::ObjectStore>>(std::string const& test_id,
                                                                 int list_page_size)>
      make;
};

/// Prints the backend's name in gtest messages.
inline void PrintTo(ConformanceBackend const& backend, std::ostream* os) { *os << backend.name; }

/// Parameter name generators (they also make the linker keep the suites' object files).
std::string ConformanceName(::testing::TestParamInfo<ConformanceBackend> const& info);
std::string UploadEngineConformanceName(::testing::TestParamInfo<ConformanceBackend> const& info);

/// Shared fixture: a store per test (page size 2, so paging is exercised), a local temp dir,
/// helpers for files and objects. TearDown deletes what the test left in the store.
class ConformanceTestBase : public ::testing::TestWithParam<ConformanceBackend> {
 protected:
  /// Smallest part the stores accept (S3 rules): 5 MiB.
  static constexpr std::uint64_t kPart = 5ull << 20;

  void SetUp() override;
  void TearDown() override;

  /// Writes `size` pseudo-random bytes (from `seed`) to a new local file `name`; returns its path.
  std::filesystem::path MakeFile(std::string const& name, std::uint64_t size, std::uint64_t seed);
  /// The whole object, or an empty string after recording a failure.
  std::string ReadObject(std::string const& key);
  /// Options for the engine: part size kPart, a FakeClock (backoff sleeps take no time), a small
  /// retry budget.
  uploader::UploadOptions EngineOptions();

  std::unique_ptr<uploader::ObjectStore> store_;
  TempDir local_;
  FakeClock clock_;
};

/// Store operations.
class ObjectStoreConformance : public ConformanceTestBase {};
/// The upload engine on the store.
class UploadEngineConformance : public ConformanceTestBase {};

/// SHA-256 (hex) of a local file, or "" after recording a failure.
std::string FileSha256(std::filesystem::path const& path);

}  // namespace kb::testing
