// `xvsd --check -f FILE`: parse, validate and resolve the file, build the
// model it gives with every real up, and print it readably.
//
// Output on `out` (stable; the tests hold golden copies):
//   config FILE: N virtual services, M real servers
//   global: ...settings...
//   TCP  10.0.0.1:80 wrr persistent 300 mask 255.255.255.0  (line 8)
//     match tcp 192.168.0.105:80  (line 9)          fwmark services only
//     check negotiate service=http ...              resolved check settings
//     fallback 127.0.0.1:80 Route  (line 10)        when one applies
//     -> 10.0.0.2:80  Route  1  (line 11)           one line per real
// Warnings and errors go to `err` as "FILE:LINE: ...".
#pragma once

#include <functional>
#include <iosfwd>
#include <string>

#include "config/config.h"
#include "model/model.h"

namespace xvs {

// What --check says of a file without virtual services and without
// allow-empty=yes: fine at start, refused on reload while services run.
inline constexpr const char* empty_reload_note =
    "no virtual services: xvsd starts with this file, but refuses to reload to it while it serves "
    "services of the file it replaces (allow-empty=yes permits that)";

// 0: the file is valid (warnings may have been printed); 1: errors printed.
// `validate` lets a caller add the checks of a later stage (the daemon's:
// health checks it cannot run); it throws ConfigError like the parser.
int run_config_check(const std::string& path, std::ostream& out, std::ostream& err,
                     const std::function<void(const Config&)>& validate = {});

// The text run_config_check prints for a parsed config and its model.
void print_config_check(const Config& config, const Model& model, std::ostream& out);

}  // namespace xvs
