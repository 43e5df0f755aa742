#include "agent/cli.h"

#include <CLI/CLI.hpp>

#include "agent/base/log.h"
#include "agent/cli_common.h"

namespace kb::agent {

int RunCli(int argc, char** argv) {
  CLI::App app{
      "kbackup: etcd snapshots and Velero-compatible Kubernetes backups for control-plane nodes"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(KB_VERSION));
  app.footer(
      "Exit codes: 0 success, 1 the operation failed, 2 usage or configuration error.\n"
      "Environment: KBACKUP_LOCATION (default location, else file:///var/lib/kbackup/backups),\n"
      "  KBACKUP_SNAPSHOT_DIR (local snapshots, else /var/lib/kbackup/snapshots),\n"
      "  KBACKUP_ETCD_PASSWORD (with --etcd-user), AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,\n"
      "  AWS_SESSION_TOKEN, AWS_PROFILE, AWS_SHARED_CREDENTIALS_FILE (s3:// locations),\n"
      "  KUBECONFIG (backup create).\n"
      "  KBACKUP_CONFIG (config file, else /etc/kbackup/config.yaml if it exists).\n"
      "Global flags (--config, --location, -o/--output, -v/--verbose) go before or after any verb.");
  GlobalFlags global;
  app.add_option("--location", global.location,
                 "Backup location: a name from the config, or a URL: file:///ABS/PATH or "
                 "s3://BUCKET[/PREFIX]?endpoint=URL&region=R&path_style=true&ca_file=PATH")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--config", global.config,
                 "Config file (default: KBACKUP_CONFIG, else /etc/kbackup/config.yaml if it exists); "
                 "--location may then name one of its locations")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("-o,--output", global.output, "Result format on stdout")
      ->check(CLI::IsMember({"table", "json"}))
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_flag("-v,--verbose", global.verbose, "More logs on stderr (-vv: debug)");
  // Global flags are accepted after the verb too (`kbackup etcd list --location ...`), as
  // kubectl and velero accept theirs: an option a subcommand does not know falls through to its
  // parent. Subcommands inherit this setting when created, so it is set before they are added;
  // a subcommand's own option of the same name would still win (none exists). Given twice (say
  // before and after the verb), the last one counts, as with kubectl's flags.
  app.fallthrough();
  int exit_code = kExitOk;
  AddEtcdCommands(app, global, exit_code);
  AddBackupCommands(app, global, exit_code);
  AddRestoreCommands(app, global, exit_code);
  AddConfigCommands(app, global, exit_code);
  AddGcCommands(app, global, exit_code);
  AddAgentCommand(app, global, exit_code);
  AddScheduleCommands(app, global, exit_code);
  app.parse_complete_callback([&] { SetVerbosity(global.verbose); });
  try {
    app.parse(argc, argv);
  } catch (CLI::CallForHelp const& e) {
    return app.exit(e);
  } catch (CLI::CallForAllHelp const& e) {
    return app.exit(e);
  } catch (CLI::CallForVersion const& e) {
    return app.exit(e);
  } catch (CLI::ParseError const& e) {
    // One line, as every other error: CLI11's default adds a second ("Run with --help ...").
    PrintError(std::string(e.what()) + " (see --help)");
    return kExitUsage;
  }
  return exit_code;
}

}  // namespace kb::agent
