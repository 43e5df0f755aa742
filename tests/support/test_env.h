#pragma once
// Access to the real servers started by tests/env/up.sh (their addresses come from env.sh).
// A missing variable fails the test: a missing server never skips.

#include <string>
#include <vector>

namespace kb::testing {

/// Returns the environment variable `name`; records a test failure naming it when unset.
std::string RequireEnv(char const* name);

/// Result of running a command.
struct CommandResult {
  int exit_code = -1;
  std::string out;  ///< stdout
  std::string err;  ///< stderr
};

/// Runs `argv` (argv[0] looked up in PATH) with extra environment `env` ("K=V"), capturing
/// stdout and stderr. Blocks until it exits.
CommandResult RunCommand(std::vector<std::string> const& argv,
                         std::vector<std::string> const& env = {});

/// Runs the kbackup binary built with this test with `args`.
CommandResult RunKbackup(std::vector<std::string> const& args,
                         std::vector<std::string> const& env = {});

/// Runs the kbackup binary with stdin, stdout and stderr on a new pseudo-terminal, as a person
/// at a terminal would; `out` holds everything the terminal showed (stdout and stderr mixed),
/// `err` stays empty. Blocks until it exits.
CommandResult RunKbackupOnTty(std::vector<std::string> const& args,
                              std::vector<std::string> const& env = {});

/// A fresh empty directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(TempDir const&) = delete;
  TempDir& operator=(TempDir const&) = delete;
  std::string const& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace kb::testing
