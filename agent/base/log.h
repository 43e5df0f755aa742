#pragma once
// Logging (STYLE.md §12): fixed spdlog loggers, level checked before formatting.
// A line is an event name then key=value pairs. Never log secrets (see secret.h).

#include <spdlog/spdlog.h>

#include <memory>
#include <string_view>

namespace kb {

/// The fixed loggers, one per module.
enum class LogModule { kAgent, kEtcd, kKube, kUploader, kRestore };

/// Returns the logger of `module` (created on first use, writing to stderr).
spdlog::logger& Logger(LogModule module);

/// Sets every module logger's level: 0 = warn (default), 1 = info, 2+ = debug.
void SetVerbosity(int verbosity);

}  // namespace kb

#define KB_LOG_MODULE_agent ::kb::LogModule::kAgent
#define KB_LOG_MODULE_etcd ::kb::LogModule::kEtcd
#define KB_LOG_MODULE_kube ::kb::LogModule::kKube
#define KB_LOG_MODULE_uploader ::kb::LogModule::kUploader
#define KB_LOG_MODULE_restore ::kb::LogModule::kRestore

/// KB_LOG(uploader, info, "upload done key={} parts={}", key, n);
/// (The level parameter is named `lvl`: a parameter named `level` would also replace the
/// namespace in `spdlog::level::`.)
#define KB_LOG(module, lvl, ...)                                            \
  do {                                                                      \
    auto& kb_logger_ = ::kb::Logger(KB_LOG_MODULE_##module);                \
    if (kb_logger_.should_log(spdlog::level::lvl)) {                        \
      kb_logger_.log(spdlog::level::lvl, __VA_ARGS__);                      \
    }                                                                       \
  } while (false)
