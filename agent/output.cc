#include "agent/output.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

namespace kb::agent {

std::string HumanBytes(std::uint64_t bytes) {
  static constexpr char const* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  if (u == 0) return fmt::format("{} B", bytes);
  return v >= 100 ? fmt::format("{:.0f} {}", v, kUnits[u]) : fmt::format("{:.1f} {}", v, kUnits[u]);
}

void PrintTable(std::vector<std::string> const& header,
                std::vector<std::vector<std::string>> const& rows) {
  std::vector<std::size_t> width(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (auto const& r : rows) {
    for (std::size_t i = 0; i < r.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], r[i].size());
    }
  }
  auto line = [&](std::vector<std::string> const& r) {
    std::string out;
    for (std::size_t i = 0; i < width.size(); ++i) {
      std::string cell = i < r.size() ? r[i] : "";
      out += cell;
      if (i + 1 < width.size()) out.append(width[i] - cell.size() + 2, ' ');
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    std::fputs((out + "\n").c_str(), stdout);
  };
  line(header);
  for (auto const& r : rows) line(r);
}

void PrintJson(json::value const& v) {
  std::string s = json::serialize(v);
  s += "\n";
  std::fputs(s.c_str(), stdout);
}

void PrintError(std::string const& message) {
  std::fputs(fmt::format("kbackup: {}\n", message).c_str(), stderr);
}

}  // namespace kb::agent
