// xvsd: flags only; the work is in daemon.h.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <iostream>
#include <optional>

#include "config/check.h"
#include "control/paths.h"
#include "daemon/background.h"
#include "daemon/daemon.h"
#include "daemon/health_bridge.h"
#include "daemon/xdp_capacity.h"
#include "dataplane/xdp/xdp_dataplane.h"

int main(int argc, char** argv) {
    CLI::App app{"xvsd: the XDP Virtual Server daemon"};
    std::string config_path;
    std::string dataplane;
    bool foreground = false;
    bool check = false;
    std::string instance = xvs::control::default_instance;
    std::string metrics;
    uint32_t max_reals = 0;
    std::string sendmail = "/usr/sbin/sendmail";
    std::string state_dir = "/var/lib/xvs";
    app.add_option("-f,--config", config_path, "ldirectord.cf configuration file")->required();
    app.add_option("--dataplane", dataplane, "auto|xdp|ipvs (default: the file's dataplane=)")
        ->check(CLI::IsMember({"auto", "xdp", "ipvs"}));
    app.add_flag("--foreground", foreground, "stay in the foreground");
    app.add_flag("--check", check, "validate the file, print the model, exit 0 or 1");
    app.add_option("--instance", instance, "instance name (run dir /run/xvs/NAME)");
    app.add_option("--metrics", metrics, "metrics endpoint ADDR:PORT");
    auto* max_reals_option =
        app.add_option("--max-reals", max_reals,
                       "entries of the XDP real table: reals summed over all virtuals "
                       "(default " + std::to_string(XVS_MAX_REALS) + ", sized at start)")
            ->check(CLI::Range(1u, xvs::xdp_max_reals_limit));
    app.add_option("--sendmail", sendmail,
                   "the mailer emailalert= mails go through when no smtp= is set (default /usr/sbin/sendmail)");
    app.add_option("--state-dir", state_dir,
                   "where xvsadm's table is kept across restarts, in DIR/INSTANCE/ (default /var/lib/xvs)");
    CLI11_PARSE(app, argc, argv);

    // --check refuses what the daemon would refuse at start, checks included
    // (e.g. checktype=external-perl), not only what the parser rejects.
    // The XDP real table's size too, unless IPVS serves everything, and with
    // dataplane=xdp every service XDP could not serve.
    if (check)
        return xvs::run_config_check(config_path, std::cout, std::cerr, [&](const xvs::Config& c) {
            xvs::plan_health_checks(c);
            bool ipvs_only = dataplane.empty() ? c.globals.dataplane == xvs::DataplaneMode::ipvs
                                               : dataplane == "ipvs";
            bool xdp_only = dataplane.empty() ? c.globals.dataplane == xvs::DataplaneMode::xdp
                                              : dataplane == "xdp";
            if (!ipvs_only)
                xvs::check_xdp_real_capacity(
                    c, max_reals_option->count() > 0 ? max_reals : uint32_t{XVS_MAX_REALS});
            if (xdp_only) xvs::check_xdp_services(c);
        });
    if (!xvs::control::is_valid_instance_name(instance)) {
        std::cerr << "xvsd: invalid instance name '" << instance
                  << "' (letters, digits, '.', '_', '-')\n";
        return 2;
    }

    xvs::DaemonOptions options;
    options.config_path = config_path;
    options.instance = instance;
    if (!metrics.empty()) options.metrics = metrics;
    if (max_reals_option->count() > 0) options.max_reals = max_reals;
    if (dataplane == "auto") options.dataplane = xvs::DataplaneMode::automatic;
    if (dataplane == "xdp") options.dataplane = xvs::DataplaneMode::xdp;
    if (dataplane == "ipvs") options.dataplane = xvs::DataplaneMode::ipvs;
    options.sendmail = sendmail;
    options.state_root = state_dir;
    char self[4096];
    ssize_t self_length = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (self_length > 0) options.program = std::string(self, static_cast<size_t>(self_length));

    // supervised=yes (ldirectord's daemontools mode) must be known before
    // going to the background: the file is read here, once, and handed to
    // the daemon, which reads it again only on reload. A file that does not
    // parse is the daemon's to report.
    std::optional<xvs::Config> first_read;
    try {
        first_read = xvs::parse_config_file(config_path);
        options.supervised = first_read->globals.supervised;
    } catch (const std::exception&) {
    }
    xvs::ConfigReader reader = [first = std::move(first_read)](const std::string& path) mutable {
        if (first) {
            xvs::Config c = std::move(*first);
            first.reset();
            return c;
        }
        return xvs::parse_config_file(path);
    };

    // What ends the daemon unexpectedly goes to its log (the logfile too,
    // which the daemon opened), not only to a stderr nobody may read.
    auto serve = [&](const std::function<void()>& ready) {
        // supervised: every message on stdout, none in logfile= (ldirectord).
        xvs::Logger log(instance, options.supervised ? STDOUT_FILENO : STDERR_FILENO);
        try {
            xvs::Daemon daemon(options, log, xvs::make_dataplane, reader);
            return daemon.run(ready);
        } catch (const std::exception& e) {
            log.error(std::string("fatal: ") + e.what());
            return 1;
        }
    };
    try {
        if (foreground || options.supervised) return serve({});
        return xvs::run_in_background(serve);
    } catch (const std::exception& e) {
        std::cerr << "xvsd: " << e.what() << "\n";
        return 1;
    }
}
