// kbackup config validate FILE, kbackup location check NAME.
#include <fmt/format.h>

#include <unistd.h>

#include "agent/base/clock.h"
#include "agent/base/file_util.h"
#include "agent/cli.h"
#include "agent/cli_common.h"
#include "agent/config.h"
#include "agent/location_ref.h"
#include "agent/output.h"
#include "uploader/download.h"

namespace kb::agent {
namespace {

int RunValidate(GlobalFlags const& g, std::string const& file) {
  auto text = ReadFileToString(file);
  if (!text.ok()) return Fail(text.status(), true);
  ConfigParseResult r = ParseAgentConfig(*text, file);
  if (g.format() == OutputFormat::kJson) {
    json::array errors;
    for (auto const& e : r.errors) errors.emplace_back(e);
    PrintJson(json::object{{"file", file}, {"valid", r.errors.empty()}, {"errors", errors}});
  } else if (r.errors.empty()) {
    auto const& c = r.config;
    fmt::print("{}: valid: cluster {}, {} location(s), {} etcd snapshot schedule, {} resource "
               "backup schedule(s)\n",
               file, c.cluster, c.locations.size(), c.etcd_snapshots ? 1 : 0,
               c.resource_backups.size());
  } else {
    for (auto const& e : r.errors) fmt::print(stderr, "{}\n", e);
    fmt::print(stderr, "{}: {} problem(s)\n", file, r.errors.size());
  }
  return r.errors.empty() ? kExitOk : kExitUsage;
}

/// What the failure of a step says about the location, by status code.
std::string Diagnosis(StatusCode code) {
  switch (code) {
    case StatusCode::kUnavailable:
    case StatusCode::kDeadlineExceeded:
      return "unreachable (DNS, connection or timeout)";
    case StatusCode::kUnauthenticated:
      return "TLS or credentials refused";
    case StatusCode::kPermissionDenied:
      return "permission denied";
    case StatusCode::kNotFound:
      return "bucket or path not found";
    case StatusCode::kInvalidArgument:
      return "bad location or credentials setting";
    default:
      return "failed";
  }
}

struct Step {
  std::string name, result, detail;
};

int RunCheck(GlobalFlags const& g, std::string const& name_or_url) {
  auto config = g.Config();
  if (!config.ok()) return Fail(config.status(), true);
  auto loc = ResolveLocation(name_or_url, *config, uploader::ProcessEnv());
  if (!loc.ok()) return Fail(loc.status(), true);
  std::vector<Step> steps;
  auto store = loc->Open();
  bool ok = store.ok();
  steps.push_back({"open", ok ? "ok" : Diagnosis(store.status().code()),
                   ok ? (*store)->Describe() : std::string(store.status().message())});
  std::string const key = fmt::format(
      "kbackup-probe/{}-{}-{}", HostName(), ::getpid(),
      SystemClock::Instance().Now().time_since_epoch().count());
  std::string const body = "kbackup location check " + key + "\n";
  auto run = [&](std::string const& step, auto&& fn) {
    if (!ok) return;
    Status st = fn();
    ok = st.ok();
    steps.push_back({step, ok ? "ok" : Diagnosis(st.code()),
                     ok ? key : std::string(st.message())});
  };
  run("write", [&] { return (*store)->Put(key, body, {}); });
  run("read", [&]() -> Status {
    auto got = uploader::ReadObjectToString(**store, key);
    if (!got.ok()) return got.status();
    if (*got != body) return DataLossError("read back " + key + ": the bytes differ from those written");
    return OkStatus();
  });
  run("list", [&]() -> Status {
    auto page = (*store)->List("kbackup-probe/", "", "");
    if (!page.ok()) return page.status();
    for (auto const& o : page->objects) {
      if (o.key == key) return OkStatus();
    }
    return DataLossError("list kbackup-probe/: the probe object " + key + " is not listed");
  });
  run("delete", [&] { return (*store)->Delete(key); });
  if (g.format() == OutputFormat::kJson) {
    json::array out;
    for (auto const& s : steps) {
      out.push_back(json::object{{"step", s.name}, {"result", s.result}, {"detail", s.detail}});
    }
    PrintJson(json::object{{"location", loc->Describe()}, {"ok", ok}, {"steps", out}});
  } else {
    std::vector<std::vector<std::string>> rows;
    for (auto const& s : steps) rows.push_back({s.name, s.result, s.detail});
    PrintTable({"STEP", "RESULT", "DETAIL"}, rows);
    if (!ok) fmt::print(stderr, "{}: {} failed: {}\n", loc->Describe(), steps.back().name, steps.back().detail);
  }
  return ok ? kExitOk : kExitFailed;
}

}  // namespace

void AddConfigCommands(CLI::App& app, GlobalFlags& g, int& exit_code) {
  auto* config = app.add_subcommand("config", "Check the agent's config file");
  config->require_subcommand(1);
  auto* validate = config->add_subcommand(
      "validate", "Check a config file; every problem is listed with its line and field");
  auto file = std::make_shared<std::string>();
  validate->add_option("FILE", *file, "The config file")->required();
  validate->callback([&g, &exit_code, file] { exit_code = RunValidate(g, *file); });

  auto* location = app.add_subcommand("location", "Backup locations");
  location->require_subcommand(1);
  auto* check = location->add_subcommand(
      "check", "Write, read, list and delete a probe object; say exactly what failed");
  auto name = std::make_shared<std::string>();
  check->add_option("NAME", *name, "A location name from the config, or a location URL")
      ->required();
  check->callback([&g, &exit_code, name] { exit_code = RunCheck(g, *name); });
}

}  // namespace kb::agent
