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

/// How a log line is written.
enum class LogFormat {
  /// `2026-11-24T02:00:04.123Z info agent run done schedule=x attempt=1` (the default).
  kText,
  /// One JSON object per line (JSON Lines): {"time":"2026-11-24T02:00:04.123Z","level":"info",
  /// "logger":"agent","event":"run done","schedule":"x","attempt":"1","msg":"run done ..."}.
  /// The line's key=value pairs become string members (a quoted value unquoted); "msg" is the
  /// whole text as in kText; a key that would clash with time, level, logger, event or msg is
  /// kept only in "msg".
  kJson,
};

/// Sets every module logger's line format. Default: kText.
void SetLogFormat(LogFormat format);

/// The JSON Lines object of one log line (LogFormat::kJson), without the newline. `time` is the
/// RFC 3339 UTC time with milliseconds. Never throws.
std::string JsonLogLine(std::string_view time, std::string_view level, std::string_view logger,
                        std::string_view message);

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
