#pragma once
// JSON through Boost.JSON (compiled header-only in json.cc). Helpers that never throw.

#include <boost/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agent/base/status.h"

namespace kb {

namespace json = boost::json;

/// Parses `text`; errors name `what` (a file or URL) and the parser's message.
StatusOr<json::value> ParseJson(std::string_view text, std::string_view what);

/// Returns obj[key] as string, or `fallback` when missing or not a string.
std::string JsonString(json::object const& obj, std::string_view key,
                       std::string_view fallback = "");
/// A JSON array of the strings in `items`, in order.
json::array JsonStringArray(std::vector<std::string> const& items);

/// Returns obj[key] as int64 (from any JSON number or a decimal string), or `fallback`.
std::int64_t JsonInt(json::object const& obj, std::string_view key, std::int64_t fallback = 0);

}  // namespace kb
