#include "tests/support/test_env.h"

#include <fcntl.h>
#include <pty.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

extern char** environ;

namespace kb::testing {

std::string RequireEnv(char const* name) {
  char const* v = std::getenv(name);
  if (v == nullptr || *v == '\0') {
    ADD_FAILURE() << name << " is not set: start the servers with tests/env/up.sh and source "
                  << "its env.sh (tests/run.sh does both)";
    return {};
  }
  return v;
}

namespace {
std::string Drain(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}
/// The test's environment plus `extra` ("K=V"), and the char* view of it for exec.
struct ChildEnv {
  explicit ChildEnv(std::vector<std::string> const& extra) {
    for (char** e = environ; *e != nullptr; ++e) vars.emplace_back(*e);
    vars.insert(vars.end(), extra.begin(), extra.end());
    for (auto const& v : vars) ptrs.push_back(const_cast<char*>(v.c_str()));
    ptrs.push_back(nullptr);
  }
  std::vector<std::string> vars;
  std::vector<char*> ptrs;
};
}  // namespace

CommandResult RunCommand(std::vector<std::string> const& argv,
                         std::vector<std::string> const& env) {
  CommandResult result;
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) return result;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  ChildEnv child_env(env);
  std::vector<char*> cargv;
  for (auto const& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, cargv[0], &actions, nullptr, cargv.data(), child_env.ptrs.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    result.err = "spawn failed: " + argv[0];
    return result;
  }
  std::string err_text;
  std::thread err_reader([&] { err_text = Drain(err_pipe[0]); });
  result.out = Drain(out_pipe[0]);
  err_reader.join();
  result.err = std::move(err_text);
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

CommandResult RunKbackup(std::vector<std::string> const& args,
                         std::vector<std::string> const& env) {
  std::vector<std::string> argv{KB_BINARY_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, env);
}

CommandResult RunKbackupOnTty(std::vector<std::string> const& args,
                              std::vector<std::string> const& env) {
  CommandResult result;
  std::vector<std::string> argv{KB_BINARY_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  for (auto const& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  ChildEnv child_env(env);
  int master = -1;
  pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  if (pid < 0) {
    result.err = "forkpty failed";
    return result;
  }
  if (pid == 0) {  // the child: only async-signal-safe calls until exec
    ::execve(cargv[0], cargv.data(), child_env.ptrs.data());
    ::_exit(127);
  }
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(master, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EIO once the child has exited and the terminal closed
    result.out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(master);
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "kbtest-XXXXXX").string();
  char* p = ::mkdtemp(tmpl.data());
  path_ = p != nullptr ? p : "";
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

}  // namespace kb::testing
