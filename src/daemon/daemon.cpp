#include "daemon/daemon.h"

#include <sys/stat.h>

#include <chrono>
#include <csignal>
#include <cstring>

#include "control/server.h"
#include "daemon/event_sources.h"
#include "daemon/run_dir.h"
#include "model/build.h"

namespace xvs {
namespace {

std::optional<std::chrono::system_clock::time_point> file_mtime(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return std::nullopt;
    return std::chrono::system_clock::time_point(
        std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec));
}

size_t count_reals(const Model& m) {
    size_t n = 0;
    for (const auto& [key, s] : m.services) n += s.reals.size();
    return n;
}

}  // namespace

Daemon::Daemon(DaemonOptions options, Logger& log, DataplaneMaker make)
    : options_(std::move(options)), log_(log), make_(std::move(make)) {}

Daemon::~Daemon() = default;

std::optional<Config> Daemon::load_config(const char* when) {
    auto mtime = file_mtime(options_.config_path);
    try {
        Config config = parse_config_file(options_.config_path);
        for (const auto& w : config.warnings) log_.info(w);
        config_mtime_ = mtime;
        return config;
    } catch (const ConfigError& e) {
        for (const auto& err : e.errors()) log_.error(err);
        log_.error(std::string(when) + ": " + options_.config_path + " has " +
                   std::to_string(e.errors().size()) + " error(s)");
    } catch (const std::exception& e) {
        log_.error(std::string(when) + ": " + options_.config_path + ": " + e.what());
    }
    config_mtime_ = mtime;  // do not retry the same broken file every second
    return std::nullopt;
}

int Daemon::run(const std::function<void()>& on_ready) {
    SignalFd signals({SIGTERM, SIGINT, SIGHUP});

    auto config = load_config("start");
    if (!config) return 1;
    config_ = std::move(*config);
    try {
        log_.set_logfile(config_.globals.logfile);
    } catch (const std::exception& e) {
        log_.error(std::string(e.what()) + "; logging to stderr only");
    }
    if (options_.metrics || config_.globals.metrics)
        log_.info("metrics endpoint requested but not served by this build");

    std::unique_ptr<RunDir> run_dir;
    std::unique_ptr<control::ControlServer> server;
    try {
        run_dir = std::make_unique<RunDir>(options_.instance, options_.run_root);

        Model model = build_model(config_);
        DataplaneRequest request;
        request.mode = options_.dataplane.value_or(config_.globals.dataplane);
        request.instance = options_.instance;
        request.interfaces = config_.globals.interfaces;
        request.xdp_mode = config_.globals.xdp_mode;
        request.keep_on_exit = !config_.globals.cleanstop;
        plane_ = make_(request, model, log_);
        reconciler_ = std::make_unique<Reconciler>(*plane_.plane);
        reconciler_->reconcile(model);
        log_.info("serving " + std::to_string(model.services.size()) + " services, " +
                  std::to_string(count_reals(model)) + " reals with the " +
                  plane_.plane->name() + " data plane (instance " + options_.instance + ")");

        server = std::make_unique<control::ControlServer>(
            run_dir->socket_path(), [this](const control::Request& r) { return handle(r); });
    } catch (const std::exception& e) {
        log_.error(std::string("cannot start: ") + e.what());
        reconciler_.reset();
        plane_ = {};
        return 1;
    }

    PeriodicTimer timer(std::chrono::milliseconds(1000));
    Epoll epoll;
    epoll.add(signals.fd());
    epoll.add(server->fd());
    epoll.add(timer.fd());
    if (on_ready) on_ready();

    bool running = true;
    while (running) {
        for (int fd : epoll.wait(-1)) {
            if (fd == signals.fd()) {
                while (auto signo = signals.read_signal()) {
                    if (*signo == SIGHUP) {
                        log_.info("SIGHUP: reloading " + options_.config_path);
                        reload();
                    } else {
                        log_.info(std::string("received ") + ::strsignal(*signo) +
                                  ", stopping");
                        running = false;
                    }
                }
            } else if (fd == server->fd()) {
                server->process();
            } else if (fd == timer.fd()) {
                if (timer.read_expirations() > 0) on_timer();
            }
        }
    }
    server.reset();
    shut_down();
    return 0;
}

void Daemon::shut_down() {
    if (config_.globals.cleanstop) {
        try {
            ModelDiff removed = reconciler_->reconcile(Model{});
            log_.info("cleanstop: " + summarize(removed));
        } catch (const std::exception& e) {
            log_.error(std::string("cleanstop failed: ") + e.what());
        }
    } else {
        log_.info("cleanstop=no: leaving the " + plane_.plane->name() +
                  " data plane forwarding");
    }
    reconciler_.reset();
    plane_ = {};
}

void Daemon::on_timer() {
    ++ticks_;
    if (plane_.periodic) {
        try {
            plane_.periodic();
        } catch (const std::exception& e) {
            log_.error(std::string("data plane housekeeping: ") + e.what());
        }
    }
    if (ticks_ % 2 == 0) {
        try {
            rates_.sample(plane_.plane->status(), RateEstimator::Clock::now());
        } catch (const std::exception& e) {
            log_.error(std::string("reading counters: ") + e.what());
        }
    }
    if (config_.globals.autoreload && file_mtime(options_.config_path) != config_mtime_) {
        log_.info("autoreload: " + options_.config_path + " changed");
        reload();
    }
}

control::Reply Daemon::reload() {
    auto config = load_config("reload");
    if (!config)
        return control::Reply::failure("reload: " + options_.config_path +
                                       " has errors (see the log); the running configuration "
                                       "is kept");
    const GlobalConfig& g = config->globals;
    if (g.interfaces != config_.globals.interfaces || g.dataplane != config_.globals.dataplane ||
        g.xdp_mode != config_.globals.xdp_mode)
        log_.info("reload: interface=, dataplane= and xdp-mode= changes take effect at restart");
    try {
        log_.set_logfile(g.logfile);
    } catch (const std::exception& e) {
        log_.error(e.what());
    }
    try {
        Model next = build_model(*config);
        ModelDiff change = reconciler_->reconcile(next);
        config_ = std::move(*config);
        control::Reply reply;
        reply.message = "reload: " + summarize(change);
        log_.info(reply.message);
        return reply;
    } catch (const std::exception& e) {
        std::string message =
            std::string("reload failed, the running configuration is kept: ") + e.what();
        log_.error(message);
        return control::Reply::failure(message);
    }
}

control::Reply Daemon::status_reply() {
    control::Reply reply;
    reply.dataplane = plane_.plane->name();
    for (auto& s : plane_.plane->status()) {
        control::ServiceReport report;
        report.rates = rates_.service_rates(s.key);
        for (const auto& r : s.reals) {
            auto rate = rates_.real_rates(s.key, r.key);
            if (rate != control::Rates{}) report.real_rates[r.key] = rate;
        }
        report.status = std::move(s);
        reply.services.push_back(std::move(report));
    }
    return reply;
}

control::Reply Daemon::handle(const control::Request& request) {
    using control::Verb;
    switch (request.verb) {
        case Verb::status: return status_reply();
        case Verb::list_connections: {
            control::Reply reply;
            reply.dataplane = plane_.plane->name();
            reply.connections = plane_.plane->connections();
            return reply;
        }
        case Verb::zero:
            if (request.service) {
                if (!reconciler_->current().services.count(*request.service))
                    return control::Reply::failure("No such service");
                return control::Reply::failure(
                    "zeroing one service is not supported yet; xvsadm -Z zeroes all");
            }
            plane_.plane->zero_counters();
            rates_.forget();
            return {};
        case Verb::reload: return reload();
        default:
            return control::Reply::failure(std::string("'") + control::to_string(request.verb) +
                                           "' is not supported yet: edit " +
                                           options_.config_path + " and reload");
    }
}

}  // namespace xvs
