#pragma once
// The kbackup command line (Velero-style verbs). Exit codes: 0 success, 1 the operation failed,
// 2 usage or configuration error.

namespace kb::agent {

/// Exit code: success.
inline constexpr int kExitOk = 0;
/// Exit code: the operation failed (unreachable endpoint, corrupt snapshot, ...).
inline constexpr int kExitFailed = 1;
/// Exit code: usage or configuration error.
inline constexpr int kExitUsage = 2;

/// Parses argv, runs the command, prints the result on stdout and errors on stderr.
/// Returns one of the exit codes above.
int RunCli(int argc, char** argv);

}  // namespace kb::agent
