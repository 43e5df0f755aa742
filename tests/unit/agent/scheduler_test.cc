// The agent's scheduler: one tick per schedule however many were missed, busy schedules skip,
// the wake-up time, and the persisted last ticks.
#include "agent/scheduler.h"

#include <gtest/gtest.h>

#include "agent/base/clock.h"

namespace kb::agent {
namespace {

using TimePoint = std::chrono::system_clock::time_point;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

TimePoint At(std::string const& rfc3339) {
  TimePoint t;
  EXPECT_TRUE(ParseRfc3339(rfc3339, t)) << rfc3339;
  return t;
}

Schedule Cron(std::string const& text) {
  auto s = Schedule::Parse(text);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return *s;
}

TEST(Scheduler, RunsEachTickOnceOnTime) {
  Scheduler s({{"hourly", Cron("0 * * * *")}}, {}, At("2027-01-10T09:30:00Z"));
  EXPECT_TRUE(s.Poll(At("2027-01-10T09:59:59Z")).empty());
  EXPECT_EQ(s.NextWake(At("2027-01-10T09:59:59Z")), At("2027-01-10T10:00:00Z"));
  auto due = s.Poll(At("2027-01-10T10:00:01Z"));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].tick, At("2027-01-10T10:00:00Z"));
  EXPECT_FALSE(due[0].catch_up);
  EXPECT_FALSE(due[0].skipped_busy);
  EXPECT_TRUE(s.Poll(At("2027-01-10T10:00:30Z")).empty()) << "a tick runs once";
  EXPECT_EQ(s.NextWake(At("2027-01-10T10:00:30Z")), At("2027-01-10T11:00:00Z"));
}

TEST(Scheduler, AMissedRunRunsOnceAtStartNotOncePerMissedTick) {
  // The agent last handled the 02:00 tick, then the node was down for 26 hours.
  Scheduler s({{"daily", Cron("0 2 * * *")}, {"hourly", Cron("0 * * * *")}},
              {{"daily", At("2027-03-01T02:00:00Z")}, {"hourly", At("2027-03-01T02:00:00Z")}},
              At("2027-03-02T04:30:00Z"));
  auto due = s.Poll(At("2027-03-02T04:30:00Z"));
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].name, "daily");
  EXPECT_EQ(due[0].tick, At("2027-03-02T02:00:00Z"));
  EXPECT_TRUE(due[0].catch_up);
  EXPECT_EQ(due[0].missed, 0);
  EXPECT_EQ(due[1].name, "hourly");
  EXPECT_EQ(due[1].tick, At("2027-03-02T04:00:00Z"));
  EXPECT_EQ(due[1].missed, 25) << "03:00 on the 1st to 03:00 on the 2nd are dropped";
  EXPECT_TRUE(s.Poll(At("2027-03-02T04:31:00Z")).empty());
}

TEST(Scheduler, NoPersistedTickWaitsForTheNextOne) {
  Scheduler s({{"daily", Cron("0 2 * * *")}}, {}, At("2027-03-02T04:30:00Z"));
  EXPECT_TRUE(s.Poll(At("2027-03-02T04:30:00Z")).empty());
  EXPECT_EQ(s.NextWake(At("2027-03-02T04:30:00Z")), At("2027-03-03T02:00:00Z"));
}

TEST(Scheduler, ABusyScheduleSkipsItsTickAndDoesNotQueueIt) {
  Scheduler s({{"every", *Schedule::Parse("@every 1m")}}, {}, At("2027-01-10T10:00:00Z"));
  auto first = s.Poll(At("2027-01-10T10:01:00Z"));
  ASSERT_EQ(first.size(), 1u);
  s.SetRunning("every", true);
  auto busy = s.Poll(At("2027-01-10T10:02:00Z"));
  ASSERT_EQ(busy.size(), 1u);
  EXPECT_TRUE(busy[0].skipped_busy);
  EXPECT_EQ(busy[0].tick, At("2027-01-10T10:02:00Z"));
  auto busy_again = s.Poll(At("2027-01-10T10:05:30Z"));
  ASSERT_EQ(busy_again.size(), 1u);
  EXPECT_TRUE(busy_again[0].skipped_busy);
  EXPECT_EQ(busy_again[0].missed, 2);
  s.SetRunning("every", false);
  EXPECT_TRUE(s.Poll(At("2027-01-10T10:05:40Z")).empty()) << "skipped ticks are not queued";
  auto next = s.Poll(At("2027-01-10T10:06:00Z"));
  ASSERT_EQ(next.size(), 1u);
  EXPECT_FALSE(next[0].skipped_busy);
}

TEST(Scheduler, NeverSchedulesNeverWake) {
  Scheduler s({{"off", *Schedule::Parse("never")}}, {}, At("2027-01-10T10:00:00Z"));
  EXPECT_TRUE(s.Poll(At("2030-01-10T10:00:00Z")).empty());
  EXPECT_FALSE(s.NextWake(At("2027-01-10T10:00:00Z")).has_value());
  EXPECT_FALSE(s.NextTick("off", At("2027-01-10T10:00:00Z")).has_value());
}

TEST(Scheduler, ATickPersistedInTheFutureCountsAsNow) {
  // The clock was stepped back: the schedule is not frozen until the future tick.
  Scheduler s({{"hourly", Cron("0 * * * *")}}, {{"hourly", At("2027-05-01T00:00:00Z")}},
              At("2027-01-10T09:30:00Z"));
  EXPECT_EQ(s.NextWake(At("2027-01-10T09:30:00Z")), At("2027-01-10T10:00:00Z"));
}

TEST(Scheduler, LastTicksRoundTripThroughJson) {
  std::map<std::string, TimePoint> ticks{{"a", At("2027-01-10T10:00:00Z")},
                                         {"etcd-snapshots", At("2027-01-10T11:00:00Z")}};
  auto back = Scheduler::FromJson(Scheduler::ToJson(ticks), "state.json");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, ticks);
  auto bad = Scheduler::FromJson("{\"a\": 5}", "/var/lib/kbackup/agent-state.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("/var/lib/kbackup/agent-state.json: a:"),
            std::string::npos);
  EXPECT_FALSE(Scheduler::FromJson("not json", "f").ok());
}

}  // namespace
}  // namespace kb::agent
