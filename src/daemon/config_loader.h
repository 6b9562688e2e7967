// ConfigLoader: reads and parses the configuration file off the daemon's
// event loop, so a reload of a large (or large and bad) file never stalls
// health reactions, xvsadm or /metrics.
//
// Contract:
// - start(load) runs `load` on a thread of its own; when it has returned or
//   thrown, fd() (an eventfd) becomes readable, ended() says so, and finish()
//   gives its result or rethrows its exception on the caller's thread. One
//   load at a time: start() while busy() throws std::logic_error.
// - `load` must not touch the daemon's state: it gets a path and returns
//   values (the parser and plan_health_checks are such functions).
// - The destructor waits for a running load; the size limit of the file
//   (read_config_source) bounds how long that takes.
#pragma once

#include <exception>
#include <functional>
#include <map>
#include <optional>
#include <thread>
#include <utility>

#include "common/unique_fd.h"
#include "config/config.h"
#include "health/check_spec.h"
#include "model/model.h"

namespace xvs {

// A configuration the daemon can take: parsed, and its health checks planned.
struct LoadedConfig {
    Config config;
    std::map<std::pair<ServiceKey, RealKey>, CheckSpec> checks;
};

class ConfigLoader {
   public:
    using Load = std::function<LoadedConfig()>;

    ConfigLoader();
    ~ConfigLoader();
    ConfigLoader(const ConfigLoader&) = delete;
    ConfigLoader& operator=(const ConfigLoader&) = delete;

    int fd() const { return done_.get(); }
    bool busy() const { return worker_.joinable(); }
    void start(Load load);
    // When fd() is readable: true once the running load has ended.
    bool ended();
    // After ended(): the load's result, or its exception rethrown.
    LoadedConfig finish();

   private:
    UniqueFd done_;
    std::thread worker_;
    // Written by the worker before it signals done_, read after the join.
    std::optional<LoadedConfig> result_;
    std::exception_ptr error_;
};

}  // namespace xvs
