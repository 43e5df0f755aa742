#include "agent/scheduler.h"

#include <fmt/format.h>

#include "agent/base/clock.h"
#include "agent/base/json.h"

namespace kb::agent {

using TimePoint = std::chrono::system_clock::time_point;

Scheduler::Scheduler(std::map<std::string, Schedule> schedules,
                     std::map<std::string, TimePoint> last_ticks, TimePoint start) {
  for (auto& [name, schedule] : schedules) {
    auto it = last_ticks.find(name);
    // A persisted tick from the future (clock stepped back) counts as `start`.
    TimePoint last = it != last_ticks.end() && it->second <= start ? it->second : start;
    entries_.emplace(name, Entry{.schedule = std::move(schedule), .last = last, .running = false});
  }
}

std::vector<DueTick> Scheduler::Poll(TimePoint now, std::chrono::seconds late_after) {
  std::vector<DueTick> due;
  for (auto& [name, e] : entries_) {
    auto tick = e.schedule.LatestDue(e.last, now);
    if (!tick) continue;
    DueTick d{.name = name, .tick = *tick, .catch_up = now - *tick > late_after,
              .skipped_busy = e.running, .missed = 0};
    // Count the ticks in (last, tick) that are dropped (bounded: a report, not a loop guard).
    for (auto t = e.schedule.Next(e.last); t && *t < *tick && d.missed < 1000;
         t = e.schedule.Next(*t)) {
      ++d.missed;
    }
    e.last = *tick;
    due.push_back(std::move(d));
  }
  return due;
}

std::optional<TimePoint> Scheduler::NextWake(TimePoint now) const {
  std::optional<TimePoint> wake;
  for (auto const& [name, e] : entries_) {
    auto next = e.schedule.Next(std::max(now, e.last));
    if (next && (!wake || *next < *wake)) wake = next;
  }
  return wake;
}

std::optional<TimePoint> Scheduler::NextTick(std::string const& name, TimePoint now) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) return std::nullopt;
  return it->second.schedule.Next(std::max(now, it->second.last));
}

void Scheduler::SetRunning(std::string const& name, bool running) {
  auto it = entries_.find(name);
  if (it != entries_.end()) it->second.running = running;
}

bool Scheduler::running(std::string const& name) const {
  auto it = entries_.find(name);
  return it != entries_.end() && it->second.running;
}

std::map<std::string, TimePoint> Scheduler::LastTicks() const {
  std::map<std::string, TimePoint> out;
  for (auto const& [name, e] : entries_) out[name] = e.last;
  return out;
}

std::vector<std::string> Scheduler::Names() const {
  std::vector<std::string> out;
  for (auto const& [name, e] : entries_) out.push_back(name);
  return out;
}

std::string Scheduler::ToJson(std::map<std::string, TimePoint> const& ticks) {
  json::object o;
  for (auto const& [name, t] : ticks) o[name] = FormatRfc3339(t);
  return json::serialize(o) + "\n";
}

StatusOr<std::map<std::string, TimePoint>> Scheduler::FromJson(std::string const& text,
                                                               std::string const& what) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) {
    return InvalidArgumentError(fmt::format("{}: not a JSON object of schedule names to times; "
                                            "delete it to start the schedules afresh",
                                            what));
  }
  std::map<std::string, TimePoint> out;
  for (auto const& kv : v.get_object()) {
    TimePoint t;
    if (!kv.value().is_string() || !ParseRfc3339(std::string(kv.value().get_string()), t)) {
      return InvalidArgumentError(fmt::format("{}: {}: not an RFC 3339 time", what,
                                              std::string(kv.key())));
    }
    out[std::string(kv.key())] = t;
  }
  return out;
}

}  // namespace kb::agent
