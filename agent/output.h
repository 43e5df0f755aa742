#pragma once
// CLI output (STYLE.md §13): a table on stdout by default, or exactly one JSON document with
// --output json. Logs, errors and progress go to stderr.

#include <cstdint>
#include <string>
#include <vector>

#include "agent/base/json.h"

namespace kb::agent {

/// The result format chosen with --output.
enum class OutputFormat { kTable, kJson };

/// Formats a byte count for people: "412 MiB", "1.5 GiB", "900 B".
std::string HumanBytes(std::uint64_t bytes);

/// Prints rows as an aligned table with a header line.
void PrintTable(std::vector<std::string> const& header,
                std::vector<std::vector<std::string>> const& rows);

/// Prints `v` as one JSON document followed by a newline.
void PrintJson(json::value const& v);

/// Prints "kbackup: <message>" on stderr: the one clear line a user sees on failure.
void PrintError(std::string const& message);

}  // namespace kb::agent
