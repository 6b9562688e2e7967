// OperatorHooks: what ldirectord does for the operator besides programming
// the table, driven by the daemon's events:
//   monitorfile=      a line per check result of the virtual's reals (monitor_file.h)
//   emailalert= ...   mails on real and fallback changes, repeats (email_alerts.h)
//   fallbackcommand=  `CMD start ADDR:PORT PROTO` when no real of a virtual is
//                     up any more, `CMD stop ...` when the first comes back;
//                     once per transition (ldirectord's do_fallback_command)
//   callback=         `CALLBACK CONFIGFILE` when the file changed on disk
//                     (its content, not only its time), if executable
//
// Contract:
//  - configure(desired) after every change of the configuration in force
//    (start, reload). A virtual that stays, with the same fallbackcommand,
//    keeps its fallback state (no command on reload); a new one is evaluated
//    at the next fallbacks() (ldirectord runs "start" at start-up while no
//    real is up yet, and "stop" when its first check finds one).
//  - fallbacks(view, services): evaluates the given virtuals, or every one
//    (null). "Up" is ldirectord's: checked up and not in maintenance;
//    checktype=on counts every real up, checktype=off none.
//  - For a firewall-mark virtual the second argument is the mark (ldirectord
//    passes an empty "ADDR:PORT" there).
//  - Commands run through CommandRunner (never blocking the loop); mails
//    through the Send given (MailSender on its thread).
//  - tick(): once a second: reaps commands, sends the repeats that are due.
//  - stopping(desired, programmed): before cleanstop removes what it
//    serves: "Purged real server (stop)" for each real being removed, as
//    ldirectord's ld_stop mails them.
#pragma once

#include <ctime>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "daemon/command_runner.h"
#include "daemon/desired_state.h"
#include "daemon/email_alerts.h"
#include "daemon/health_bridge.h"
#include "daemon/logger.h"
#include "daemon/monitor_file.h"
#include "model/diff.h"

namespace xvs {

class OperatorHooks {
   public:
    OperatorHooks(Logger& log, EmailAlerts::Send send, std::string host, std::string user,
                  std::string shell = "/bin/sh");

    void set_status(EmailAlertStatus status) { mail_.set_status(status); }
    EmailAlertStatus status() const { return mail_.status(); }

    void configure(const DesiredState& desired);
    void health(const DesiredState& desired, const HealthEvents& events, std::time_t now);
    void fallbacks(const DesiredState& desired, const HealthView& view, const std::set<ServiceKey>* services);
    // The fallback servers a change put in or took out of the data plane.
    void applied(const DesiredState& desired, const ModelDiff& change, std::time_t now);
    void config_file_changed(const DesiredState& desired, const std::string& path);
    void tick(const DesiredState& desired, std::time_t now);
    void stopping(const DesiredState& desired, const Model& removed, std::time_t now);
    // Waits up to `limit` for the commands still running or waiting.
    bool drain_commands(std::chrono::milliseconds limit) { return commands_.wait(limit); }

    const CommandRunner& commands() const { return commands_; }

   private:
    // Per (virtual, real) of a virtual with monitorfile= or emailalert=.
    struct Watched {
        std::string monitor_id;
        uint32_t weight = 0;
    };
    struct FallbackState {
        std::optional<std::string> command;
        std::optional<bool> started;  // unset: never evaluated
    };

    Logger& log_;
    MonitorFiles monitor_;
    EmailAlerts mail_;
    CommandRunner commands_;
    std::map<std::pair<ServiceKey, RealKey>, Watched> watched_;
    std::map<ServiceKey, FallbackState> fallback_;
    std::optional<size_t> config_digest_;
};

}  // namespace xvs
