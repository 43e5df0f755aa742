#pragma once
// When each of the agent's schedules runs: the tick due now (at most one per schedule, however
// many were missed while the node was down), never two runs of one schedule at once (a tick
// that comes while the previous run is still going is skipped and reported, not queued), and
// how long the daemon may sleep. Pure logic over times given by the caller: no clock, no
// threads; agent/daemon.cc drives it. The last tick of each schedule is persisted by the
// caller (ToJson/FromJson) so that a tick missed while the agent was down runs once at start.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/base/status.h"
#include "agent/schedule.h"

namespace kb::agent {

/// What Poll decided for one schedule.
struct DueTick {
  std::string name;                                  ///< the schedule's name
  std::chrono::system_clock::time_point tick;        ///< the tick (UTC)
  /// The tick was missed (it lies before the previous Poll, or before the agent started, e.g.
  /// while the node was down) and runs once now.
  bool catch_up = false;
  /// The previous run of this schedule is still going: the tick is skipped (report it).
  bool skipped_busy = false;
  /// Ticks between the last handled one and this one that are not run at all (0 normally).
  int missed = 0;
};

/// The schedules of one agent. Not thread-safe: one thread (the daemon's loop) calls it.
class Scheduler {
 public:
  /// `schedules`: name → schedule. `last_ticks`: the last tick handled per schedule, as
  /// persisted by a previous run of the agent (names not in `schedules` are dropped). A
  /// schedule without a last tick starts at `start` (its first run is its next tick after it).
  Scheduler(std::map<std::string, Schedule> schedules,
            std::map<std::string, std::chrono::system_clock::time_point> last_ticks,
            std::chrono::system_clock::time_point start);

  /// The ticks due at `now`: for each schedule, the latest tick in (last handled, now], once.
  /// A schedule marked running gets its tick back with skipped_busy (and the tick counts as
  /// handled). Ticks at most `late_after` late are on time; later ones are marked catch_up.
  std::vector<DueTick> Poll(std::chrono::system_clock::time_point now,
                            std::chrono::seconds late_after = std::chrono::seconds(60));

  /// The earliest tick of any schedule after `now`; nullopt when nothing will ever run.
  std::optional<std::chrono::system_clock::time_point> NextWake(
      std::chrono::system_clock::time_point now) const;

  /// The next tick of schedule `name` after `now`, nullopt for never or an unknown name.
  std::optional<std::chrono::system_clock::time_point> NextTick(
      std::string const& name, std::chrono::system_clock::time_point now) const;

  /// Marks a run of `name` as going (true) or finished (false).
  void SetRunning(std::string const& name, bool running);
  bool running(std::string const& name) const;

  /// The last tick handled per schedule, to persist.
  std::map<std::string, std::chrono::system_clock::time_point> LastTicks() const;
  /// The schedules' names.
  std::vector<std::string> Names() const;

  /// JSON of LastTicks(): {"<name>": "<RFC 3339>", ...}.
  static std::string ToJson(std::map<std::string, std::chrono::system_clock::time_point> const&);
  /// Parses ToJson's output. Errors: kInvalidArgument naming `what` (the file).
  static StatusOr<std::map<std::string, std::chrono::system_clock::time_point>> FromJson(
      std::string const& text, std::string const& what);

 private:
  struct Entry {
    Schedule schedule;
    std::chrono::system_clock::time_point last;
    bool running = false;
  };
  std::map<std::string, Entry> entries_;
};

}  // namespace kb::agent
