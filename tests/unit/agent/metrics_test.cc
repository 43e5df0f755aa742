// The metrics registry and the text exposition format 0.0.4: HELP/TYPE lines, escaping, value
// formatting, stable order, registration errors, concurrent updates.
#include "agent/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include "agent/base/clock.h"

namespace kb::testing {
namespace {

using agent::AgentMetrics;
using agent::Counter;
using agent::Gauge;
using agent::MetricsRegistry;

TEST(Metrics, RendersFamiliesByNameAndSeriesByLabelValues) {
  MetricsRegistry registry;
  Gauge temp = registry.RegisterGauge("zz_temperature", "Temperature.", {"room"}).value();
  Counter runs = registry.RegisterCounter("aa_runs_total", "Runs.", {"schedule", "kind"}).value();
  temp.Set({"kitchen"}, 21.5);
  temp.Set({"attic"}, -3);
  runs.Increment({"nightly", "snapshot"});
  runs.Increment({"hourly", "backup"}, 2);
  runs.Increment({"nightly", "snapshot"});
  EXPECT_EQ(registry.Render(),
            "# HELP aa_runs_total Runs.\n"
            "# TYPE aa_runs_total counter\n"
            "aa_runs_total{schedule=\"hourly\",kind=\"backup\"} 2\n"
            "aa_runs_total{schedule=\"nightly\",kind=\"snapshot\"} 2\n"
            "# HELP zz_temperature Temperature.\n"
            "# TYPE zz_temperature gauge\n"
            "zz_temperature{room=\"attic\"} -3\n"
            "zz_temperature{room=\"kitchen\"} 21.5\n");
}

TEST(Metrics, UnlabelledFamilyStartsAtZeroLabelledOneIsLeftOutUntilUsed) {
  MetricsRegistry registry;
  ASSERT_TRUE(registry.RegisterGauge("dir_bytes", "Bytes.").ok());
  Counter skipped = registry.RegisterCounter("skipped_total", "Skipped.", {"reason"}).value();
  EXPECT_EQ(registry.Render(), "# HELP dir_bytes Bytes.\n# TYPE dir_bytes gauge\ndir_bytes 0\n");
  skipped.Increment({"quota"}, 0);
  EXPECT_NE(registry.Render().find("skipped_total{reason=\"quota\"} 0\n"), std::string::npos);
}

TEST(Metrics, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(agent::EscapeLabelValue("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  EXPECT_EQ(agent::EscapeLabelValue("s3://bücket/ok"), "s3://bücket/ok");
  EXPECT_EQ(agent::EscapeHelp("two\nlines \\ and \"quotes\""),
            "two\\nlines \\\\ and \"quotes\"");

  MetricsRegistry registry;
  Gauge g = registry.RegisterGauge("g", "Line one\nline \\two", {"location"}).value();
  g.Set({"C:\\bak \"x\"\n"}, 1);
  EXPECT_EQ(registry.Render(),
            "# HELP g Line one\\nline \\\\two\n"
            "# TYPE g gauge\n"
            "g{location=\"C:\\\\bak \\\"x\\\"\\n\"} 1\n");
}

TEST(Metrics, FormatsValuesAsGoParsesThem) {
  EXPECT_EQ(agent::FormatMetricValue(0), "0");
  EXPECT_EQ(agent::FormatMetricValue(1), "1");
  EXPECT_EQ(agent::FormatMetricValue(-1), "-1");
  EXPECT_EQ(agent::FormatMetricValue(0.25), "0.25");
  EXPECT_EQ(agent::FormatMetricValue(0.1), "0.1");  // shortest round trip, not 0.10000000000000001
  EXPECT_EQ(agent::FormatMetricValue(1732413604.5), "1732413604.5");
  EXPECT_EQ(agent::FormatMetricValue(412.0 * 1024 * 1024), "432013312");
  EXPECT_EQ(agent::FormatMetricValue(1.5e21), "1.5e+21");
  EXPECT_EQ(agent::FormatMetricValue(1e-7), "1e-07");
  EXPECT_EQ(agent::FormatMetricValue(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(agent::FormatMetricValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(agent::FormatMetricValue(-std::numeric_limits<double>::infinity()), "-Inf");
  double const x = 0.1 + 0.2;  // reads back as the same double
  EXPECT_EQ(std::stod(agent::FormatMetricValue(x)), x);
}

TEST(Metrics, GaugeSetAddRemove) {
  MetricsRegistry registry;
  Gauge leader = registry.RegisterGauge("leader", "Leader.", {"cluster"}).value();
  leader.Set({"prod"}, 1);
  leader.Add({"prod"}, -1);
  leader.Add({"dev"}, 2.5);
  EXPECT_EQ(leader.Value({"prod"}), 0);
  EXPECT_EQ(leader.Value({"dev"}), 2.5);
  leader.Remove({"dev"});
  leader.Remove({"never-set"});
  EXPECT_EQ(leader.Value({"dev"}), 0);
  EXPECT_EQ(registry.Render(),
            "# HELP leader Leader.\n# TYPE leader gauge\nleader{cluster=\"prod\"} 0\n");
}

TEST(Metrics, RegistrationRefusesBadAndDuplicateNames) {
  MetricsRegistry registry;
  ASSERT_TRUE(registry.RegisterCounter("ns:ok_total", "ok", {"a_1"}).ok());
  auto code = [](auto const& r) { return r.status().code(); };
  EXPECT_EQ(code(registry.RegisterGauge("1bad", "x")), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(registry.RegisterGauge("bad-name", "x")), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(registry.RegisterGauge("", "x")), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(registry.RegisterGauge("g", "x", {"a:b"})), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(registry.RegisterGauge("g", "x", {"__name"})), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(registry.RegisterGauge("g", "x", {"0a"})), StatusCode::kInvalidArgument);
  auto twice = registry.RegisterGauge("g", "x", {"a", "a"});
  EXPECT_EQ(code(twice), StatusCode::kInvalidArgument);
  EXPECT_NE(twice.status().message().find("\"a\" named twice"), std::string::npos);
  auto taken = registry.RegisterGauge("ns:ok_total", "x");
  EXPECT_EQ(code(taken), StatusCode::kAlreadyExists);
  EXPECT_NE(taken.status().message().find("ns:ok_total"), std::string::npos);
  EXPECT_EQ(registry.Render(), "");  // the labelled counter has no series yet
}

TEST(Metrics, AgentMetricsRegisterEveryFamilyOnce) {
  MetricsRegistry registry;
  auto m = AgentMetrics::Register(registry);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  m->last_success_timestamp_seconds.Set({"nightly", "backup", "primary"}, 1732413604);
  m->run_duration_seconds.Set({"nightly", "backup", "primary"}, 12.5);
  m->run_bytes.Set({"nightly", "backup", "primary"}, 4096);
  m->run_failures_total.Increment({"etcd", "snapshot", "primary"});
  m->upload_retries_total.Increment({"primary"}, 3);
  m->leader.Set({"prod"}, 1);
  m->snapshot_dir_bytes.Set({}, 1 << 20);
  m->runs_skipped_total.Increment({"etcd", "not_leader"});
  std::string text = registry.Render();
  for (char const* line : {
           "# TYPE kbackup_last_success_timestamp_seconds gauge\n",
           "kbackup_last_success_timestamp_seconds{schedule=\"nightly\",kind=\"backup\","
           "location=\"primary\"} 1732413604\n",
           "kbackup_run_duration_seconds{schedule=\"nightly\",kind=\"backup\",location=\"primary\"}"
           " 12.5\n",
           "kbackup_run_bytes{schedule=\"nightly\",kind=\"backup\",location=\"primary\"} 4096\n",
           "# TYPE kbackup_run_failures_total counter\n",
           "kbackup_run_failures_total{schedule=\"etcd\",kind=\"snapshot\","
           "location=\"primary\"} 1\n",
           "kbackup_upload_retries_total{location=\"primary\"} 3\n",
           "kbackup_leader{cluster=\"prod\"} 1\n",
           "kbackup_snapshot_dir_bytes 1048576\n",
           "kbackup_snapshot_dir_quota_bytes 0\n",
           "kbackup_runs_skipped_total{schedule=\"etcd\",reason=\"not_leader\"} 1\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\nin:\n" << text;
  }
  EXPECT_EQ(AgentMetrics::Register(registry).status().code(), StatusCode::kAlreadyExists);
}

TEST(Metrics, UnixSecondsKeepsFractions) {
  std::chrono::system_clock::time_point t;
  ASSERT_TRUE(ParseRfc3339("2024-11-24T02:00:04Z", t));
  EXPECT_EQ(agent::UnixSeconds(t), 1732413604.0);
  EXPECT_EQ(agent::UnixSeconds(t + std::chrono::milliseconds(500)), 1732413604.5);
}

TEST(Metrics, ConcurrentUpdatesAreAllCounted) {
  MetricsRegistry registry;
  Counter c = registry.RegisterCounter("c_total", "c", {"worker"}).value();
  Gauge g = registry.RegisterGauge("g", "g").value();
  {
    std::vector<std::jthread> workers;
    for (int w = 0; w < 4; ++w) {
      workers.emplace_back([&, w] {
        for (int i = 0; i < 10'000; ++i) {
          c.Increment({w % 2 == 0 ? "even" : "odd"});
          g.Add({}, 1);
          if (i % 1000 == 0) (void)registry.Render();
        }
      });
    }
  }
  EXPECT_EQ(c.Value({"even"}), 20'000);
  EXPECT_EQ(c.Value({"odd"}), 20'000);
  EXPECT_EQ(g.Value({}), 40'000);
}

TEST(MetricsDeathTest, WrongLabelCountOrNegativeIncrementIsOurBug) {
  MetricsRegistry registry;
  Counter c = registry.RegisterCounter("c_total", "c", {"a"}).value();
  EXPECT_DEATH(c.Increment({"x", "y"}), "internal check failed");
  EXPECT_DEATH(c.Increment({"x"}, -1), "internal check failed");
}

}  // namespace
}  // namespace kb::testing
