#pragma once
// State shared by the steps of one resource restore: the outcome of every item, the results
// (errors and warnings by namespace) and the log Velero keeps, behind one mutex.

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "agent/base/clock.h"
#include "kube/velero_files.h"
#include "restore/resource_restore.h"

namespace kb::restore::internal {

/// Collects outcomes. Thread-safe.
class RestoreRun {
 public:
  RestoreRun(Clock& clock, ResourceRestoreOptions const& options)
      : log_(clock, options.name, "velero", "restore"), progress_(options.progress) {}

  /// Records what happened to one item (and `warning`, if not empty).
  void Record(RestoredItem item, std::string const& warning);
  /// Records a failure of the restore as a whole (not of one item).
  void Error(std::string const& message);
  /// Records a warning of the restore as a whole.
  void Warning(std::string const& message);
  /// Logs a line.
  void Info(std::string const& message, kube::BackupLog::Fields const& fields = {});
  /// Sets the number of items the restore will consider (for progress).
  void SetTotal(std::uint64_t total);

  /// Names of the items created or updated so far whose type ends with `type_suffix`
  /// ("/CustomResourceDefinition").
  std::vector<std::string> Applied(std::string const& type_suffix);
  /// Moves the outcomes into `result`; the log and results stay here for the files.
  void Finish(ResourceRestoreResult& result);
  kube::BackupLog const& log() const { return log_; }
  kube::BackupResults const& results() const { return results_; }

 private:
  std::mutex mu_;
  kube::BackupLog log_;
  kube::BackupResults results_;
  ResourceRestoreResult counts_;
  std::uint64_t total_ = 0;
  std::function<void(std::uint64_t, std::uint64_t)> progress_;
};

}  // namespace kb::restore::internal
