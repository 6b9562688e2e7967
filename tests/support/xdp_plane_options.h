// XdpDataplane options for tests that load the program without attaching
// it: an instance name no parallel run can share, small tables, and a guard
// that removes the instance's pins however the test ends.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "dataplane/xdp/xdp_dataplane.h"

namespace xvs::testing {

inline XdpOptions xdp_test_options(const std::string& prefix, uint32_t connections = 1024,
                                   uint32_t persistence = 512, uint32_t max_reals = 64) {
    static int counter = 0;
    XdpOptions o;
    o.instance = prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    o.connection_table_size = connections;
    o.persistence_table_size = persistence;
    o.max_reals = max_reals;
    return o;
}

// Removes an instance's pin directory when the test ends, however it ends.
struct PinCleanup {
    std::string dir;
    ~PinCleanup() {
        std::error_code ignored;  // nothing more to do about a pin that will not go
        if (!dir.empty()) std::filesystem::remove_all(dir, ignored);
    }
};

}  // namespace xvs::testing
