// Reading the configuration file itself, before any parsing.
//
// Contract:
// - read_config_source(path) returns the whole content of a regular file no
//   larger than max_config_bytes, or throws ConfigError with one
//   "PATH: what is wrong" message. A symbolic link is followed, but only to a
//   regular file.
// - A FIFO, a device (/dev/zero), a socket or a directory is refused before it
//   is opened for reading, so nothing blocks and nothing grows without bound;
//   a file that grows past the limit while it is read is refused too.
// - The limit is far above any real director: 1,000 virtual services of 100
//   real servers each, with comments, take about 5 MB.
#pragma once

#include <cstddef>
#include <string>

namespace xvs {

inline constexpr size_t max_config_bytes = 32u * 1024 * 1024;

std::string read_config_source(const std::string& path, size_t max_bytes = max_config_bytes);

}  // namespace xvs
