#include "agent/cli.h"

int main(int argc, char** argv) { return kb::agent::RunCli(argc, argv); }
