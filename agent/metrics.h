#pragma once
// The daemon's metrics: a small thread-safe registry of counter and gauge families with labels,
// rendered in the Prometheus text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/). No client library: the format
// is a few lines of text. agent/metrics_server.h serves it on GET /metrics.

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "agent/base/status.h"

namespace kb::agent {

/// The `# TYPE` of a metric family.
enum class MetricType { kCounter, kGauge };

/// The label values of one series, in the order of its family's label names.
using LabelValues = std::vector<std::string>;

class MetricsRegistry;
namespace internal {
struct MetricFamily;  // defined in metrics.cc
}  // namespace internal

/// A counter family (a value that only goes up), one series per distinct label values. A cheap
/// handle into its registry, which must outlive it. Thread-safe.
class Counter {
 public:
  /// Adds `by` (≥ 0, finite) to the series `labels`, creating it at 0 first. `labels` must have
  /// one value per label name of the family: a wrong count or a negative `by` is our bug (aborts).
  void Increment(LabelValues const& labels, double by = 1.0) const;
  /// The value of the series `labels`; 0 when it does not exist. For tests and the CLI.
  double Value(LabelValues const& labels) const;

 private:
  friend class MetricsRegistry;
  Counter(MetricsRegistry* registry, internal::MetricFamily* family)
      : registry_(registry), family_(family) {}
  MetricsRegistry* registry_;
  internal::MetricFamily* family_;
};

/// A gauge family (a value that goes up and down), one series per distinct label values. A cheap
/// handle into its registry, which must outlive it. Thread-safe.
class Gauge {
 public:
  /// Sets the series `labels` to `value` (any double: NaN and ±Inf render as such). `labels`
  /// must have one value per label name of the family (a wrong count is our bug: aborts).
  void Set(LabelValues const& labels, double value) const;
  /// Adds `delta` (may be negative) to the series `labels`, creating it at 0 first.
  void Add(LabelValues const& labels, double delta) const;
  /// Removes the series `labels` (e.g. a schedule taken out of the config); no-op when absent.
  void Remove(LabelValues const& labels) const;
  /// The value of the series `labels`; 0 when it does not exist.
  double Value(LabelValues const& labels) const;

 private:
  friend class MetricsRegistry;
  Gauge(MetricsRegistry* registry, internal::MetricFamily* family)
      : registry_(registry), family_(family) {}
  MetricsRegistry* registry_;
  internal::MetricFamily* family_;
};

/// Metric families by name. Register at start-up, update from any thread, Render() for each
/// scrape. Thread-safe: one mutex, never held across I/O. Not movable (handles point into it).
class MetricsRegistry {
 public:
  /// An empty registry.
  MetricsRegistry();
  /// Handles into it must not be used afterwards.
  ~MetricsRegistry();
  MetricsRegistry(MetricsRegistry const&) = delete;
  MetricsRegistry& operator=(MetricsRegistry const&) = delete;

  /// Registers a counter family. `name` matches [a-zA-Z_:][a-zA-Z0-9_:]*, each label name
  /// [a-zA-Z_][a-zA-Z0-9_]* and not "__"-prefixed, no label name twice; `help` is any UTF-8
  /// text (escaped on output). A family without labels has its one series (0) from the start;
  /// a labelled family shows a series once it is first updated.
  /// Errors: kInvalidArgument (bad name or label name), kAlreadyExists (name taken).
  StatusOr<Counter> RegisterCounter(std::string name, std::string help,
                                    std::vector<std::string> label_names = {});
  /// Registers a gauge family; as RegisterCounter.
  StatusOr<Gauge> RegisterGauge(std::string name, std::string help,
                                std::vector<std::string> label_names = {});

  /// Every family in the text exposition format 0.0.4: for each family by name, "# HELP",
  /// "# TYPE", then its series sorted by label values, one "name{l="v",...} value" line each;
  /// every line ends with '\n'. Families with no series yet are left out.
  std::string Render() const;

 private:
  friend class Counter;
  friend class Gauge;
  enum class Op { kAdd, kSet, kRemove };

  StatusOr<internal::MetricFamily*> Register(std::string name, std::string help, MetricType type,
                                             std::vector<std::string> label_names);
  void Update(internal::MetricFamily* family, LabelValues const& labels, Op op, double value);
  double Read(internal::MetricFamily const* family, LabelValues const& labels) const;

  mutable std::mutex mu_;
  // By name, so Render() is sorted; the families never move (handles point at them).
  std::map<std::string, std::unique_ptr<internal::MetricFamily>, std::less<>> families_;
};

/// Escapes a label value for the exposition format: backslash → \\, double quote → \",
/// line feed → \n. Other bytes (UTF-8 included) pass through.
std::string EscapeLabelValue(std::string_view value);
/// Escapes HELP text: backslash → \\, line feed → \n.
std::string EscapeHelp(std::string_view help);
/// Formats a sample value as Go's ParseFloat reads it: the shortest text that reads back as the
/// same double ("1", "0.25", "1.5e+21"), and "NaN", "+Inf", "-Inf".
std::string FormatMetricValue(double value);
/// Seconds since the Unix epoch of `t`, with fractions: the unit of *_timestamp_seconds.
double UnixSeconds(std::chrono::system_clock::time_point t);

/// The agent's metrics, registered together so that every part of the daemon uses the same
/// names and labels. `kind` is "snapshot" (etcd) or "backup" (resources); `schedule` is the
/// schedule's name ("etcd" for the snapshot schedule); `location` a config location name.
struct AgentMetrics {
  /// kbackup_last_success_timestamp_seconds{schedule,kind,location}: when the last successful
  /// run finished (UnixSeconds of Clock::Now()).
  Gauge last_success_timestamp_seconds;
  /// kbackup_run_duration_seconds{schedule,kind,location}: how long the last run took.
  Gauge run_duration_seconds;
  /// kbackup_run_bytes{schedule,kind,location}: bytes written by the last successful run.
  Gauge run_bytes;
  /// kbackup_run_failures_total{schedule,kind,location}: runs that ended in an error.
  Counter run_failures_total;
  /// kbackup_upload_retries_total{location}: retried object-store requests.
  Counter upload_retries_total;
  /// kbackup_leader{cluster}: 1 while this agent holds the cluster's leader lease, else 0.
  Gauge leader;
  /// kbackup_snapshot_dir_bytes: bytes in the local snapshot dir.
  Gauge snapshot_dir_bytes;
  /// kbackup_snapshot_dir_quota_bytes: the snapshot dir quota (max_local_bytes); 0 = none.
  Gauge snapshot_dir_quota_bytes;
  /// kbackup_runs_skipped_total{schedule,reason}: due runs not started (reason e.g.
  /// "not_leader", "quota", "still_running").
  Counter runs_skipped_total;

  /// Registers every family above in `registry`.
  /// Errors: kAlreadyExists when `registry` already holds one of the names.
  static StatusOr<AgentMetrics> Register(MetricsRegistry& registry);
};

}  // namespace kb::agent
