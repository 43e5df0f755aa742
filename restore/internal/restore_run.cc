#include "restore/internal/restore_run.h"

namespace kb::restore::internal {

void RestoreRun::Record(RestoredItem item, std::string const& warning) {
  std::lock_guard lock(mu_);
  std::string const what = item.namespace_name.empty()
                               ? item.name : item.namespace_name + "/" + item.name;
  if (item.action == "created") {
    ++counts_.created;
  } else if (item.action == "updated") {
    ++counts_.updated;
  } else if (item.action == "failed") {
    ++counts_.failed;
    std::string message = fmt::format("error restoring {} {}: {}", item.type, what, item.message);
    results_.AddError(item.namespace_name, message);
    counts_.errors.push_back(message);
    log_.Error(message);
  } else {
    ++counts_.skipped;  // skipped, or a dry run's create/update/skip
  }
  if (item.action != "failed") {
    kube::BackupLog::Fields fields{{"action", item.action}};
    if (!item.message.empty()) fields.emplace_back("reason", item.message);
    log_.Info(fmt::format("Restore of {}, {}", item.type, what), fields);
  }
  if (!warning.empty()) {
    results_.AddWarning(item.namespace_name, warning);
    counts_.warnings.push_back(warning);
    log_.Warn(warning);
  }
  counts_.items.push_back(std::move(item));
  if (progress_) progress_(counts_.items.size(), total_);
}

void RestoreRun::Error(std::string const& message) {
  std::lock_guard lock(mu_);
  results_.AddError("", message);
  counts_.errors.push_back(message);
  log_.Error(message);
}

void RestoreRun::Warning(std::string const& message) {
  std::lock_guard lock(mu_);
  results_.AddWarning("", message);
  counts_.warnings.push_back(message);
  log_.Warn(message);
}

void RestoreRun::Info(std::string const& message, kube::BackupLog::Fields const& fields) {
  std::lock_guard lock(mu_);
  log_.Info(message, fields);
}

void RestoreRun::SetTotal(std::uint64_t total) {
  std::lock_guard lock(mu_);
  total_ = total;
}

std::vector<std::string> RestoreRun::Applied(std::string const& type_suffix) {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (auto const& i : counts_.items) {
    bool const applied = i.action == "created" || i.action == "updated";
    if (applied && i.type.size() >= type_suffix.size() &&
        i.type.compare(i.type.size() - type_suffix.size(), type_suffix.size(), type_suffix) == 0) {
      out.push_back(i.name);
    }
  }
  return out;
}

void RestoreRun::Finish(ResourceRestoreResult& result) {
  std::lock_guard lock(mu_);
  result.created = counts_.created;
  result.updated = counts_.updated;
  result.skipped = counts_.skipped;
  result.failed = counts_.failed;
  result.items = std::move(counts_.items);
  result.warnings = std::move(counts_.warnings);
  result.errors = std::move(counts_.errors);
}

}  // namespace kb::restore::internal
