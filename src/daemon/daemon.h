// Daemon: xvsd's control loop.
//
// run() loads the configuration, claims the run directory, opens the data
// plane, programs the model, opens the control socket, then serves one epoll
// loop on one thread:
//   signalfd   SIGTERM/SIGINT -> clean exit; SIGHUP -> reload
//   control    status, list-connections, zero, reload, and xvsadm's editing
//              verbs: changes kept on top of the file until the next reload
//   health     the HealthChecker's changes_fd: results update the HealthView
//              and are gathered for health_batch_window (health_batch.h);
//              then only the services they touched are rebuilt and their
//              change applied, as one (DesiredState::change_for())
//   inotify    the configuration's directory (ConfigWatch): with
//              autoreload=yes a finished write or a rename onto the file reloads
//   metrics    GET /metrics (metrics_server.h), when --metrics or metrics= is set;
//              its bodies are formatted on a thread of its own
//   links      rtnetlink link events (link_watch.h), when an XDP plane serves:
//              an interface= that disappears is logged as an error and shown
//              missing (status, dataplane-status, /metrics); when a device of
//              that name comes back the program is attached to it again
//   timer (1s) the data plane's periodic work, rate samples (every 2s, also
//              the status /metrics serves), maintenancedir (polled once a
//              second), the interface= check (catches a program removed
//              without a link event, retries a failed re-attachment); a
//              reload (SIGHUP) checks them too
// Reals start unknown, which counts as down, until their first check (as
// ldirectord at start-up); checktype=on reals serve at once. A real the data
// plane already serves when xvsd starts (pinned XDP maps after cleanstop=no)
// starts up instead, unless it was quiescent (weight 0), so a restart does not
// take it out; its first check decides (as ldirectord with its IPVS table).
// A reload reads and parses the file on a thread of its own (ConfigLoader)
// while the loop goes on serving; a control `reload` is answered when it is
// done, and reload requests that come meanwhile are served by one more
// parse afterwards. A reload that finds a bad file (including a check the
// checker cannot run, e.g. checktype=external-perl) logs its errors (FILE:LINE,
// the first max_reported_errors of them) and keeps the running state; so does
// one whose file has no virtual service while the old file's services run,
// unless the file says allow-empty=yes; xvsadm's changes stay (a reload
// drops only the edits of services the new file no longer has); a good one applies only the difference and logs a
// summary; checks whose settings did not change keep their state.
// On exit, cleanstop=yes removes every service first; cleanstop=no leaves the
// data plane as it is (the XDP plane then stays pinned and forwarding).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "control/paths.h"
#include "control/protocol.h"
#include "control/server.h"
#include "daemon/child_instances.h"
#include "daemon/config_loader.h"
#include "daemon/config_watch.h"
#include "daemon/connection_streams.h"
#include "daemon/dataplane_factory.h"
#include "daemon/desired_state.h"
#include "daemon/health_batch.h"
#include "daemon/health_bridge.h"
#include "daemon/imperative.h"
#include "daemon/logger.h"
#include "daemon/mail_sender.h"
#include "daemon/metrics_server.h"
#include "daemon/operator_hooks.h"
#include "daemon/rate_estimator.h"
#include "daemon/table_store.h"
#include "daemon/reconciler.h"
#include "health/health_checker.h"

namespace xvs {

struct DaemonOptions {
    std::string config_path;
    std::optional<DataplaneMode> dataplane;  // --dataplane; unset: the file's
    std::string instance = control::default_instance;
    std::optional<std::string> metrics;      // --metrics ADDR:PORT
    std::optional<uint32_t> max_reals;       // --max-reals N: size of the XDP real table
    std::string run_root = control::default_run_root;
    // xvsadm's table lives in STATE_ROOT/INSTANCE/ (daemon/table_store.h).
    std::string state_root = "/var/lib/xvs";
    // supervised=yes, read before the daemon started: log to the Logger's
    // stream only (no logfile=); the caller stayed in the foreground.
    bool supervised = false;
    // The mailer of emailalert= mails without smtp= (xvsd --sendmail).
    std::string sendmail = "/usr/sbin/sendmail";
    // This program, for execute='s other instances (xvsd's /proc/self/exe).
    std::string program;
};

using DataplaneMaker =
    std::function<DataplaneHandle(const DataplaneRequest&, const Model&, Logger&)>;
// Reads and parses the configuration file; runs on the loader's thread on
// reload. Unset: parse_config_file.
using ConfigReader = std::function<Config(const std::string& path)>;

class Daemon {
   public:
    Daemon(DaemonOptions options, Logger& log, DataplaneMaker make = make_dataplane,
           ConfigReader read = {});
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    // Runs until SIGTERM/SIGINT; returns the exit code (0 clean, 1 failed to
    // start). `on_ready` runs once the control socket accepts requests.
    // The caller's thread must be the only one (signals are blocked in it).
    int run(const std::function<void()>& on_ready = {});

   private:
    control::Reply handle(const control::Request& request);
    // SIGHUP, autoreload, control `reload` (`waiter`: its deferred reply).
    // Throws when the loader cannot start (the control server then answers).
    void request_reload(std::optional<uint64_t> waiter);
    // SIGHUP, autoreload: nobody waits for the result; a failure is logged.
    void reload_unawaited();
    // The loader's fd is readable: take the parsed file, answer the waiters,
    // start the queued reload if one was asked for meanwhile.
    void on_config_loaded();
    control::Reply apply_reload(LoadedConfig loaded);
    control::Reply status_reply();
    // xvsadm -Lnc: hands the client to connection_streams_ (nothing is
    // walked on the loop).
    control::Reply list_connections();
    // xvsadm --status: interfaces and the plane of every service.
    control::Reply dataplane_status_reply();
    // Compares the XDP plane's interfaces with the kernel's links, re-attaches
    // what came back, logs every change (no-op without an XDP plane).
    void sync_interfaces();
    std::vector<InterfaceState> interface_states() const;
    // xvsadm -Z: every counter, or those of request.service and its reals
    // (ipvsadm's "No such service" when the daemon does not serve it).
    control::Reply zero(const control::Request& request);
    // xvsadm's -A/-E/-D/-a/-e/-d/-C (daemon_edit.cpp): checked, kept in
    // desired_.edits() and applied; a refused apply undoes the edit.
    control::Reply edit(const control::Request& request);
    void on_timer();
    // Runs `load`, logs the file's warnings, or its errors and "WHEN: FILE
    // has N error(s)"; nullopt after errors.
    std::optional<LoadedConfig> checked(const char* when, const std::function<LoadedConfig()>& load);
    void on_health_changes();
    // Right after the data plane opened: reals it already serves start up
    // (HealthBridge::seed_serving) and `model` is rebuilt accordingly.
    // Returns their subscriber ids, for the checker.
    std::set<SubscriberId> seed_health_from_plane(Model& model);
    // Applies the health batch (health_batch.h): rebuilds the services its
    // results touched, nothing else, and applies their change at once.
    void apply_health();
    // Health events: xvsadm -d's undone by a state change (readdquiescent=),
    // then monitorfile=, emailalert= (operator_hooks.h).
    void note_health(const HealthEvents& events);
    // The alert status (emailalertstatus=): starting or reloading until every
    // checked real has its first result (at most settle_limit), then running.
    void settle_status();
    // xvsadm's table from the state directory into desired_'s edits, before
    // the first model is built; throws TableError.
    void load_table();
    // Stores the edits' journal (daemon/table_store.h): the error text when
    // the disk refused (the caller undoes an xvsadm change, or logs).
    std::optional<std::string> store_edits();
    // Drops the edits of services the file no longer has; returns the log
    // lines saying so (`when`: "start", "reload").
    std::vector<std::string> prune_edits(DesiredState& desired, const char* when);
    void shut_down();
    // The metrics endpoint (--metrics, else metrics=), or null when off.
    std::unique_ptr<MetricsServer> open_metrics();

    DaemonOptions options_;
    Logger& log_;
    DataplaneMaker make_;
    ConfigReader read_;
    DesiredState desired_;  // the file, the health view's input, xvsadm's edits
    DataplaneHandle plane_;
    std::unique_ptr<Reconciler> reconciler_;
    RateEstimator rates_;
    // The status the rate sampler read last (every 2 s), which /metrics serves.
    std::shared_ptr<const std::vector<ServiceStatus>> sampled_status_;
    uint64_t ticks_ = 0;
    HealthBridge health_;
    HealthBatch health_batch_;
    std::unique_ptr<HealthChecker> checker_;
    bool checker_error_logged_ = false;
    std::unique_ptr<MailSender> mail_;
    std::unique_ptr<OperatorHooks> hooks_;
    std::unique_ptr<ChildInstances> children_;
    std::unique_ptr<TableStore> table_;
    bool table_needs_snapshot_ = false;  // a failed write may have left a part
    std::chrono::steady_clock::time_point status_since_{};
    static constexpr std::chrono::seconds settle_limit{120};
    std::unique_ptr<control::ControlServer> server_;
    ConfigLoader loader_;
    std::vector<uint64_t> reload_waiters_;  // control replies the running load answers
    bool reload_queued_ = false;            // asked for while a load was running
    std::vector<uint64_t> queued_waiters_;
    // Last: its threads stop before anything they were handed could go.
    ConnectionStreams connection_streams_;
};

}  // namespace xvs
