// in_maintenance(): ldirectord's maintenancedir. A real is forced down,
// without being checked, while one of these files exists in `dir`
// (real 172.16.1.2 port 4444, reverse name realserver2.example.com):
//   172.16.1.2:4444  172.16.1.2
//   realserver2.example.com:4444  realserver2.example.com
//   realserver2:4444  realserver2
// IPv6 addresses are spelled as in ldirectord.cf, in brackets:
// "[2001:db8::2]:4444", "[2001:db8::2]". hostname is the reverse name the
// caller resolved (empty = none; resolving is the caller's job, it blocks).
// The short name is the first label of hostname when it starts with a letter
// and has only letters, digits and '-' (as ldirectord's pattern). An empty
// dir means maintenancedir is not set: false.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "model/address.h"

namespace xvs {

bool in_maintenance(const std::string& dir, const IpAddress& address, uint16_t port,
                    const std::string& hostname_if_any);

// The names of the files in `dir` now (empty when `dir` is empty or cannot
// be read, as in_maintenance() then finds nothing): one directory read for
// every real, instead of a stat() per real and name.
std::set<std::string> maintenance_files(const std::string& dir);

// The file names looked for, in ldirectord's order.
std::vector<std::string> maintenance_file_names(const IpAddress& address, uint16_t port,
                                                const std::string& hostname_if_any);

}  // namespace xvs
