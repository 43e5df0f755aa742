#include "agent/base/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <array>
#include <mutex>

namespace kb {
namespace {

std::mutex g_mu;
spdlog::level::level_enum g_level = spdlog::level::warn;

std::shared_ptr<spdlog::logger> Make(char const* name) {
  auto logger = spdlog::get(name);
  if (!logger) logger = spdlog::stderr_color_mt(name);
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %n %v", spdlog::pattern_time_type::utc);
  logger->set_level(g_level);
  return logger;
}

std::array<std::shared_ptr<spdlog::logger>, 5>& Loggers() {
  static std::array<std::shared_ptr<spdlog::logger>, 5> loggers = [] {
    std::lock_guard lock(g_mu);
    return std::array<std::shared_ptr<spdlog::logger>, 5>{
        Make("agent"), Make("etcd"), Make("kube"), Make("uploader"), Make("restore")};
  }();
  return loggers;
}

}  // namespace

spdlog::logger& Logger(LogModule module) { return *Loggers()[static_cast<int>(module)]; }

void SetVerbosity(int verbosity) {
  g_level = verbosity <= 0   ? spdlog::level::warn
            : verbosity == 1 ? spdlog::level::info
                             : spdlog::level::debug;
  for (auto& l : Loggers()) l->set_level(g_level);
}

}  // namespace kb
