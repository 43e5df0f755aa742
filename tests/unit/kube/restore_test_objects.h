#pragma once
// Helpers for the restore unit tests: JSON objects written as text, as an API server returns
// them.

#include <gtest/gtest.h>

#include <string_view>

#include "agent/base/json.h"

namespace kb::kube::testing {

/// `text` parsed as a JSON object; a test failure (and an empty object) when it is not one.
inline json::object Obj(std::string_view text) {
  auto parsed = ParseJson(text, "test object");
  EXPECT_TRUE(parsed.ok() && parsed->is_object()) << text;
  if (!parsed.ok() || !parsed->is_object()) return {};
  return std::move(parsed->get_object());
}

/// `text` parsed as any JSON value; a test failure (and null) when it does not parse.
inline json::value Val(std::string_view text) {
  auto parsed = ParseJson(text, "test value");
  EXPECT_TRUE(parsed.ok()) << text;
  return parsed.ok() ? std::move(*parsed) : json::value();
}

}  // namespace kb::kube::testing
