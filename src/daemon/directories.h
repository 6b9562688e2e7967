// Creating the daemon's own directories (run dir, state dir) the way
// `mkdir -p` does, so a fresh system without /var/lib or /run/xvs works.
#pragma once

#include <sys/types.h>

#include <string>

namespace xvs {

// Creates path and any missing parent (parents 0755, path itself `mode`).
// An existing directory is fine; an existing non-directory or a failed
// mkdir throws std::system_error naming the path.
void make_directories(const std::string& path, mode_t mode);

}  // namespace xvs
