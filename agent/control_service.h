#pragma once
// The agent's local control service: gRPC (agent/proto/control.proto) on a unix socket that only
// root may use (the socket 0600 in a 0700 directory). The CLI's `kbackup schedule list|run`
// talk to it. docs/agent.md.

#include <memory>
#include <string>

#include "agent/base/status.h"
#include "agent/proto/control.pb.h"

namespace grpc {
class Server;
}

namespace kb::agent {

namespace control = ::kbackup::agent::v1;

/// What the daemon answers. Implementations are thread-safe (gRPC threads call them).
class ControlTarget {
 public:
  virtual ~ControlTarget() = default;
  /// Starts a run of `schedule` now. Errors: kNotFound (no such schedule, listing them),
  /// kFailedPrecondition (a run of it is going).
  virtual Status RunNow(std::string const& schedule) = 0;
  /// The schedules with `next_count` next times each, and the recent runs.
  virtual control::StatusResponse Report(int next_count) = 0;
};

/// The running service; stops (and removes its socket) when destroyed.
class ControlServer {
 public:
  /// Listens on `socket_path` (its directory is created 0700; a stale socket, one nothing
  /// accepts connections on, is replaced; the socket is made 0600). Errors: kAlreadyExists
  /// naming the path when a live agent serves it (its socket is left alone); kUnavailable
  /// naming the path when it cannot listen; errno statuses for the directory.
  static StatusOr<std::unique_ptr<ControlServer>> Start(std::string const& socket_path,
                                                        ControlTarget& target);
  ~ControlServer();

 private:
  struct Impl;
  explicit ControlServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Client side, for the CLI: the agent's status. Errors: kUnavailable naming the socket when
/// no agent answers there (is `kbackup agent` running? the socket path of its config?).
StatusOr<control::StatusResponse> AgentStatus(std::string const& socket_path, int next_count);

/// Client side: asks the agent to run `schedule` now. Errors: the agent's (kNotFound,
/// kFailedPrecondition), kUnavailable as AgentStatus's.
Status AgentRunNow(std::string const& socket_path, std::string const& schedule);

}  // namespace kb::agent
