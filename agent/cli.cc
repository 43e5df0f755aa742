#include "agent/cli.h"

namespace kb::agent {
int RunCli(int, char**) { return kExitUsage; }
}  // namespace kb::agent
