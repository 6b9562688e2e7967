// Daemon: xvsd's control loop.
//
// run() loads the configuration, claims the run directory, opens the data
// plane, programs the model, opens the control socket, then serves one epoll
// loop on one thread:
//   signalfd   SIGTERM/SIGINT -> clean exit; SIGHUP -> reload
//   control    status, list-connections, zero, reload (control/protocol.h)
//   timer (1s) the data plane's periodic work, rate samples (every 2s),
//              autoreload=yes file checks
// A reload that finds a bad file logs every error (FILE:LINE) and keeps the
// running state; a good one applies only the difference and logs a summary.
// On exit, cleanstop=yes removes every service first; cleanstop=no leaves the
// data plane as it is (the XDP plane then stays pinned and forwarding).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "config/config.h"
#include "control/paths.h"
#include "control/protocol.h"
#include "daemon/dataplane_factory.h"
#include "daemon/logger.h"
#include "daemon/rate_estimator.h"
#include "daemon/reconciler.h"

namespace xvs {

struct DaemonOptions {
    std::string config_path;
    std::optional<DataplaneMode> dataplane;  // --dataplane; unset: the file's
    std::string instance = control::default_instance;
    std::optional<std::string> metrics;      // --metrics ADDR:PORT
    std::string run_root = control::default_run_root;
};

using DataplaneMaker =
    std::function<DataplaneHandle(const DataplaneRequest&, const Model&, Logger&)>;

class Daemon {
   public:
    Daemon(DaemonOptions options, Logger& log, DataplaneMaker make = make_dataplane);
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    // Runs until SIGTERM/SIGINT; returns the exit code (0 clean, 1 failed to
    // start). `on_ready` runs once the control socket accepts requests.
    // The caller's thread must be the only one (signals are blocked in it).
    int run(const std::function<void()>& on_ready = {});

   private:
    control::Reply handle(const control::Request& request);
    control::Reply reload();
    control::Reply status_reply();
    void on_timer();
    std::optional<Config> load_config(const char* when);
    void shut_down();

    DaemonOptions options_;
    Logger& log_;
    DataplaneMaker make_;
    Config config_;
    DataplaneHandle plane_;
    std::unique_ptr<Reconciler> reconciler_;
    RateEstimator rates_;
    uint64_t ticks_ = 0;
    std::optional<std::chrono::system_clock::time_point> config_mtime_;
};

}  // namespace xvs
