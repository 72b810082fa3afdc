#include "debugger/recorded_maps.h"

#include <charconv>

namespace rwd::debugger {
namespace {

// "start-end perms offset dev inode   path": the path starts after the
// fifth field and its padding.
size_t PathColumn(std::string_view line) {
  size_t at = 0;
  for (int field = 0; field < 5; ++field) {
    at = line.find_first_not_of(' ', at);
    if (at == std::string_view::npos) return line.size();
    at = line.find(' ', at);
    if (at == std::string_view::npos) return line.size();
  }
  at = line.find_first_not_of(' ', at);
  return at == std::string_view::npos ? line.size() : at;
}

bool ParseRange(std::string_view line, uint64_t* start, uint64_t* end) {
  size_t dash = line.find('-');
  size_t space = line.find(' ');
  if (dash == std::string_view::npos || space == std::string_view::npos || dash > space) {
    return false;
  }
  auto a = std::from_chars(line.data(), line.data() + dash, *start, 16);
  auto b = std::from_chars(line.data() + dash + 1, line.data() + space, *end, 16);
  return a.ec == std::errc() && b.ec == std::errc();
}

}  // namespace

std::string RecordedMaps(std::string_view live_maps, const MapsTranslation& translation) {
  std::string out;
  while (!live_maps.empty()) {
    size_t eol = live_maps.find('\n');
    std::string_view line = live_maps.substr(0, eol);
    live_maps = eol == std::string_view::npos ? std::string_view() : live_maps.substr(eol + 1);
    uint64_t start = 0;
    uint64_t end = 0;
    bool hidden = false;
    if (ParseRange(line, &start, &end)) {
      for (const auto& [lo, hi] : translation.hidden) hidden |= start < hi && lo < end;
    }
    size_t column = PathColumn(line);
    if (hidden || translation.hidden_paths.count(std::string(line.substr(column)))) continue;
    auto it = translation.recorded_path_of.find(std::string(line.substr(column)));
    if (it != translation.recorded_path_of.end()) {
      out.append(line.substr(0, column)).append(it->second);
    } else {
      out.append(line);
    }
    out.push_back('\n');
  }
  return out;
}

}  // namespace rwd::debugger
