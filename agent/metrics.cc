#include "agent/metrics.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <set>
#include <utility>

namespace kb::agent {

namespace internal {
struct MetricFamily {
  std::string name;
  std::string help;
  MetricType type = MetricType::kGauge;
  std::vector<std::string> label_names;
  std::map<LabelValues, double> series;  // sorted by label values: the output order is stable
};
}  // namespace internal

namespace {

using internal::MetricFamily;

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Metric names: [a-zA-Z_:][a-zA-Z0-9_:]*; label names: [a-zA-Z_][a-zA-Z0-9_]*.
bool IsValidName(std::string_view name, bool colon_allowed) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = IsNameStart(c) || (colon_allowed && c == ':') || (i > 0 && IsDigit(c));
    if (!ok) return false;
  }
  return true;
}

std::string_view TypeName(MetricType type) {
  return type == MetricType::kCounter ? "counter" : "gauge";
}

void AppendSeries(std::string& out, MetricFamily const& family, LabelValues const& values,
                  double value) {
  out += family.name;
  if (!values.empty()) {
    out += '{';
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i > 0) out += ',';
      out += family.label_names[i];
      out += "=\"";
      out += EscapeLabelValue(values[i]);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  out += FormatMetricValue(value);
  out += '\n';
}

}  // namespace

void Counter::Increment(LabelValues const& labels, double by) const {
  KB_CHECK(by >= 0 && std::isfinite(by));  // a counter never goes down
  registry_->Update(family_, labels, MetricsRegistry::Op::kAdd, by);
}

double Counter::Value(LabelValues const& labels) const { return registry_->Read(family_, labels); }

void Gauge::Set(LabelValues const& labels, double value) const {
  registry_->Update(family_, labels, MetricsRegistry::Op::kSet, value);
}

void Gauge::Add(LabelValues const& labels, double delta) const {
  registry_->Update(family_, labels, MetricsRegistry::Op::kAdd, delta);
}

void Gauge::Remove(LabelValues const& labels) const {
  registry_->Update(family_, labels, MetricsRegistry::Op::kRemove, 0);
}

double Gauge::Value(LabelValues const& labels) const { return registry_->Read(family_, labels); }

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

StatusOr<Counter> MetricsRegistry::RegisterCounter(std::string name, std::string help,
                                                   std::vector<std::string> label_names) {
  KB_ASSIGN_OR_RETURN(MetricFamily * family, Register(std::move(name), std::move(help),
                                                      MetricType::kCounter,
                                                      std::move(label_names)));
  return Counter(this, family);
}

StatusOr<Gauge> MetricsRegistry::RegisterGauge(std::string name, std::string help,
                                               std::vector<std::string> label_names) {
  KB_ASSIGN_OR_RETURN(MetricFamily * family, Register(std::move(name), std::move(help),
                                                      MetricType::kGauge,
                                                      std::move(label_names)));
  return Gauge(this, family);
}

StatusOr<MetricFamily*> MetricsRegistry::Register(std::string name, std::string help,
                                                  MetricType type,
                                                  std::vector<std::string> label_names) {
  if (!IsValidName(name, /*colon_allowed=*/true)) {
    return InvalidArgumentError(
        fmt::format("metric name \"{}\" is not [a-zA-Z_:][a-zA-Z0-9_:]*", name));
  }
  std::set<std::string_view> seen;
  for (std::string const& label : label_names) {
    if (!IsValidName(label, /*colon_allowed=*/false) || label.starts_with("__")) {
      return InvalidArgumentError(fmt::format(
          "metric {}: label name \"{}\" is not [a-zA-Z_][a-zA-Z0-9_]* or starts with __ "
          "(reserved)",
          name, label));
    }
    if (!seen.insert(label).second) {
      return InvalidArgumentError(fmt::format("metric {}: label \"{}\" named twice", name, label));
    }
  }
  auto family = std::make_unique<MetricFamily>();
  family->name = name;
  family->help = std::move(help);
  family->type = type;
  family->label_names = std::move(label_names);
  if (family->label_names.empty()) family->series.emplace(LabelValues{}, 0.0);

  std::lock_guard lock(mu_);
  auto [it, inserted] = families_.try_emplace(std::move(name), std::move(family));
  if (!inserted) {
    return AlreadyExistsError(fmt::format("metric {} is registered already", it->first));
  }
  return it->second.get();
}

void MetricsRegistry::Update(MetricFamily* family, LabelValues const& labels, Op op,
                             double value) {
  KB_CHECK(labels.size() == family->label_names.size());  // one value per label name
  std::lock_guard lock(mu_);
  switch (op) {
    case Op::kAdd:
      family->series[labels] += value;
      break;
    case Op::kSet:
      family->series[labels] = value;
      break;
    case Op::kRemove:
      family->series.erase(labels);
      break;
  }
}

double MetricsRegistry::Read(MetricFamily const* family, LabelValues const& labels) const {
  std::lock_guard lock(mu_);
  auto it = family->series.find(labels);
  return it == family->series.end() ? 0.0 : it->second;
}

std::string MetricsRegistry::Render() const {
  std::string out;
  std::lock_guard lock(mu_);
  for (auto const& [name, family] : families_) {
    if (family->series.empty()) continue;
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, EscapeHelp(family->help), name,
                       TypeName(family->type));
    for (auto const& [values, value] : family->series) AppendSeries(out, *family, values, value);
  }
  return out;
}

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string EscapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string FormatMetricValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  // Shortest round-trip form, locale-independent: "1", "0.25", "1.5e+21".
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  KB_CHECK(ec == std::errc());
  return std::string(buf, end);
}

double UnixSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

StatusOr<AgentMetrics> AgentMetrics::Register(MetricsRegistry& r) {
  std::vector<std::string> const run{"schedule", "kind", "location"};
  KB_ASSIGN_OR_RETURN(
      Gauge last_success,
      r.RegisterGauge("kbackup_last_success_timestamp_seconds",
                      "Unix time the last successful run of a schedule finished.", run));
  KB_ASSIGN_OR_RETURN(
      Gauge duration,
      r.RegisterGauge("kbackup_run_duration_seconds",
                      "Seconds the last run of a schedule took, successful or not.", run));
  KB_ASSIGN_OR_RETURN(Gauge bytes,
                      r.RegisterGauge("kbackup_run_bytes",
                                      "Bytes written by the last successful run of a schedule.",
                                      run));
  KB_ASSIGN_OR_RETURN(Counter failures,
                      r.RegisterCounter("kbackup_run_failures_total",
                                        "Runs of a schedule that ended in an error.", run));
  KB_ASSIGN_OR_RETURN(Counter retries,
                      r.RegisterCounter("kbackup_upload_retries_total",
                                        "Object-store requests retried, by location.",
                                        {"location"}));
  KB_ASSIGN_OR_RETURN(
      Gauge leader,
      r.RegisterGauge("kbackup_leader",
                      "1 while this agent holds the cluster's leader lease, else 0.", {"cluster"}));
  KB_ASSIGN_OR_RETURN(Gauge dir_bytes, r.RegisterGauge("kbackup_snapshot_dir_bytes",
                                                       "Bytes in the local snapshot dir."));
  KB_ASSIGN_OR_RETURN(Gauge dir_quota,
                      r.RegisterGauge("kbackup_snapshot_dir_quota_bytes",
                                      "Quota of the local snapshot dir in bytes; 0 = none."));
  KB_ASSIGN_OR_RETURN(Counter skipped,
                      r.RegisterCounter("kbackup_runs_skipped_total",
                                        "Due runs of a schedule that were not started, by reason.",
                                        {"schedule", "reason"}));
  return AgentMetrics{last_success, duration, bytes,     failures, retries,
                      leader,       dir_bytes, dir_quota, skipped};
}

}  // namespace kb::agent
