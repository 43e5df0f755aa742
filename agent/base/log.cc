#include "agent/base/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <array>
#include <ctime>
#include <mutex>

#include "agent/base/json.h"

namespace kb {
namespace {

std::mutex g_mu;
spdlog::level::level_enum g_level = spdlog::level::warn;

constexpr char kTextPattern[] = "%Y-%m-%dT%H:%M:%S.%eZ %l %n %v";

/// LogFormat::kJson: JsonLogLine of each message.
class JsonLineFormatter final : public spdlog::formatter {
 public:
  void format(spdlog::details::log_msg const& msg, spdlog::memory_buf_t& dest) override {
    auto const t = msg.time.time_since_epoch();
    auto const ms = std::chrono::duration_cast<std::chrono::milliseconds>(t).count() % 1000;
    std::time_t const secs = std::chrono::duration_cast<std::chrono::seconds>(t).count();
    std::tm tm{};
    gmtime_r(&secs, &tm);
    std::string const time =
        fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:03d}Z", tm.tm_year + 1900,
                    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                    static_cast<int>(ms));
    auto level = spdlog::level::to_string_view(msg.level);
    std::string line =
        JsonLogLine(time, std::string_view(level.data(), level.size()),
                    std::string_view(msg.logger_name.data(), msg.logger_name.size()),
                    std::string_view(msg.payload.data(), msg.payload.size()));
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonLineFormatter>();
  }
};

LogFormat g_format = LogFormat::kText;

void ApplyFormat(spdlog::logger& logger) {
  if (g_format == LogFormat::kJson) {
    logger.set_formatter(std::make_unique<JsonLineFormatter>());
  } else {
    logger.set_pattern(kTextPattern, spdlog::pattern_time_type::utc);
  }
}

std::shared_ptr<spdlog::logger> Make(char const* name) {
  auto logger = spdlog::get(name);
  if (!logger) logger = spdlog::stderr_color_mt(name);
  ApplyFormat(*logger);
  logger->set_level(g_level);
  return logger;
}

/// Splits "event k=v k2=\"v 2\"" into the event and its pairs; false when the text after the
/// event is not all pairs (then only "msg" carries it).
bool SplitFields(std::string_view text, std::string& event,
                 std::vector<std::pair<std::string, std::string>>& fields) {
  // The event: the words before the first word holding '='.
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find(' ', pos);
    if (end == std::string_view::npos) end = text.size();
    if (text.substr(pos, end - pos).find('=') != std::string_view::npos) break;
    pos = end + 1;
  }
  event = std::string(text.substr(0, pos == 0 ? 0 : std::min(pos - 1, text.size())));
  while (pos < text.size()) {
    std::size_t eq = text.find('=', pos);
    if (eq == std::string_view::npos || eq == pos) return false;
    std::string key(text.substr(pos, eq - pos));
    if (key.find_first_of(" \"") != std::string::npos) return false;
    std::string value;
    std::size_t i = eq + 1;
    if (i < text.size() && text[i] == '"') {
      // A quoted value ends at the first '"' followed by a space or the end.
      std::size_t close = i + 1;
      for (;; ++close) {
        close = text.find('"', close);
        if (close == std::string_view::npos) return false;
        if (close + 1 == text.size() || text[close + 1] == ' ') break;
      }
      value = std::string(text.substr(i + 1, close - i - 1));
      i = close + 1;
    } else {
      std::size_t end = text.find(' ', i);
      if (end == std::string_view::npos) end = text.size();
      value = std::string(text.substr(i, end - i));
      i = end;
    }
    fields.emplace_back(std::move(key), std::move(value));
    if (i < text.size() && text[i] != ' ') return false;
    pos = i + 1;
  }
  return true;
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

std::string JsonLogLine(std::string_view time, std::string_view level, std::string_view logger,
                        std::string_view message) {
  json::object o;
  o["time"] = time;
  o["level"] = level;
  o["logger"] = logger;
  std::string event;
  std::vector<std::pair<std::string, std::string>> fields;
  if (SplitFields(message, event, fields)) {
    o["event"] = event;
    for (auto const& [k, v] : fields) {
      if (!o.contains(k) && k != "msg") o[k] = v;
    }
  }
  o["msg"] = message;
  return json::serialize(o);
}

void SetLogFormat(LogFormat format) {
  auto& loggers = Loggers();  // before the lock: their first creation takes it
  std::lock_guard lock(g_mu);
  g_format = format;
  for (auto& l : loggers) ApplyFormat(*l);
}

void SetVerbosity(int verbosity) {
  g_level = verbosity <= 0   ? spdlog::level::warn
            : verbosity == 1 ? spdlog::level::info
                             : spdlog::level::debug;
  for (auto& l : Loggers()) l->set_level(g_level);
}

}  // namespace kb
