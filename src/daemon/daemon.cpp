#include "daemon/daemon.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <utility>

#include "control/server.h"
#include "common/throttle.h"
#include "daemon/event_sources.h"
#include "daemon/fd_budget.h"
#include "daemon/health_batch.h"
#include "daemon/link_watch.h"
#include "daemon/metrics_collect.h"
#include "daemon/run_dir.h"
#include "model/build.h"

namespace xvs {
namespace {

size_t count_reals(const Model& m) {
    size_t n = 0;
    for (const auto& [key, s] : m.services) n += s.reals.size();
    return n;
}

std::string reload_not_started(const std::exception& e) {
    return std::string("reload failed, the running configuration is kept: cannot start reading the file: ") +
           e.what();
}

// Pure: it runs on the loader's thread on reload.
LoadedConfig load_file(const ConfigReader& read, const std::string& path, const std::string& instance) {
    LoadedConfig loaded;
    loaded.config = read(path);
    loaded.checks = plan_health_checks(loaded.config);
    check_execute(loaded.config, instance);
    // As ldirectord when it reads the file: a monitorfile= it cannot append
    // to is an error of the file.
    std::vector<std::string> errors;
    for (const auto& virt : loaded.config.virtuals)
        if (virt.monitorfile)
            if (auto why = monitor_file_unusable(*virt.monitorfile))
                errors.push_back(loaded.config.source + ":" + std::to_string(virt.line) + ": " + *why);
    if (!errors.empty()) throw ConfigError(std::move(errors), loaded.config.source);
    return loaded;
}

std::string user_name() {
    if (const passwd* pw = ::getpwuid(::getuid())) return pw->pw_name;
    return std::to_string(::getuid());
}

}  // namespace

Daemon::Daemon(DaemonOptions options, Logger& log, DataplaneMaker make, ConfigReader read)
    : options_(std::move(options)), log_(log), make_(std::move(make)), read_(std::move(read)) {
    if (!read_) read_ = [](const std::string& path) { return parse_config_file(path); };
}

Daemon::~Daemon() = default;

std::optional<LoadedConfig> Daemon::checked(const char* when, const std::function<LoadedConfig()>& load) {
    try {
        LoadedConfig loaded = load();
        for (const auto& w : loaded.config.warnings) log_.info(w);
        return loaded;
    } catch (const ConfigError& e) {
        for (const auto& err : e.errors()) log_.error(err);
        log_.error(std::string(when) + ": " + options_.config_path + " has " + std::to_string(e.count()) +
                   " error(s)");
    } catch (const std::exception& e) {
        log_.error(std::string(when) + ": " + options_.config_path + ": " + e.what());
    }
    return std::nullopt;
}

int Daemon::run(const std::function<void()>& on_ready) {
    // A write to a closed stderr pipe, control client, metrics client or
    // checked real fails with EPIPE where it happens instead of ending xvsd.
    std::signal(SIGPIPE, SIG_IGN);
    SignalFd signals({SIGTERM, SIGINT, SIGHUP});

    auto loaded = checked("start", [this] { return load_file(read_, options_.config_path, options_.instance); });
    if (!loaded) return 1;
    desired_ = DesiredState(std::move(loaded->config));
    const GlobalConfig& globals = desired_.config().globals;
    if (options_.supervised) {
        log_.info("supervised=yes: in the foreground, logging to stdout only (logfile= is not used)");
    } else {
        try {
            log_.set_logfile(globals.logfile);
        } catch (const std::exception& e) {
            log_.error(std::string(e.what()) + "; logging to stderr only");
        }
    }
    MailSender::Options mail_options;
    mail_options.sendmail = options_.sendmail;
    mail_ = std::make_unique<MailSender>(mail_options, [this](const std::string& line) { log_.error(line); });
    hooks_ = std::make_unique<OperatorHooks>(
        log_, [this](MailMessage m) { mail_->send(std::move(m)); }, local_host_name(), user_name());
    hooks_->set_status(email_status_starting);
    status_since_ = std::chrono::steady_clock::now();
    hooks_->configure(desired_);

    std::unique_ptr<RunDir> run_dir;
    std::unique_ptr<MetricsServer> metrics;
    try {
        run_dir = std::make_unique<RunDir>(options_.instance, options_.run_root);
        // The run directory's lock makes this daemon the only one of its
        // instance, so the only user of the instance's stored table.
        load_table();

        FdBudget fds = raise_fd_limit();
        log_.info("fd limit " + std::to_string(fds.limit) + ": up to " +
                  std::to_string(fds.checks_in_flight) + " health checks in flight");
        HealthChecker::Options checker_options;
        checker_options.max_in_flight = fds.checks_in_flight;
        checker_ = std::make_unique<HealthChecker>(checker_options);
        auto checks = health_.set_plan(loaded->checks);
        health_.poll_maintenance(globals.maintenancedir.value_or(""));
        Model model = desired_.model(health_.view());
        DataplaneRequest request;
        request.mode = options_.dataplane.value_or(globals.dataplane);
        request.instance = options_.instance;
        request.interfaces = globals.interfaces;
        request.xdp_mode = globals.xdp_mode;
        request.keep_on_exit = !globals.cleanstop;
        request.max_reals = options_.max_reals;
        plane_ = make_(request, model, log_);
        // The file's IPVS switches, also at their defaults: the planes agree.
        plane_.plane->set_behaviour(globals.ipvs_behaviour);
        // xvsadm --set as stored: in force before the first packet is judged.
        if (const auto& timeouts = desired_.edits().timeouts()) {
            plane_.plane->set_timeouts(*timeouts);
            log_.info("timeouts (tcp tcpfin udp) " + std::to_string(timeouts->tcp) + " " +
                      std::to_string(timeouts->tcp_fin) + " " + std::to_string(timeouts->udp) +
                      ", as xvsadm --set left them");
        }
        // The checker learns its checks once it is known which reals the
        // plane already serves: those start up there too.
        checker_->set_checks(std::move(checks), seed_health_from_plane(model));
        reconciler_ = std::make_unique<Reconciler>(*plane_.plane);
        hooks_->applied(desired_, reconciler_->reconcile(model), std::time(nullptr));
        hooks_->fallbacks(desired_, health_.view(), nullptr);
        if (!globals.execute.empty()) {
            children_ = std::make_unique<ChildInstances>(log_, options_.program, options_.state_root);
            children_->apply(globals.execute, false);
        }
        log_.info("serving " + std::to_string(model.services.size()) + " services, " +
                  std::to_string(count_reals(model)) + " reals with the " +
                  plane_.plane->name() + " data plane (instance " + options_.instance + ")");

        control::ControlServer::Limits limits;
        limits.notice = [this](const std::string& message) { log_.error(message); };
        server_ = std::make_unique<control::ControlServer>(
            run_dir->socket_path(), [this](const control::Request& r) { return handle(r); },
            std::move(limits));
        checker_->start();
        metrics = open_metrics();
    } catch (const std::exception& e) {
        log_.error(std::string("cannot start: ") + e.what());
        checker_.reset();
        reconciler_.reset();
        plane_ = {};
        return 1;
    }

    // The watch exists whatever autoreload= says now: a reload may turn it on.
    std::optional<ConfigWatch> watch;
    try {
        watch.emplace(options_.config_path);
    } catch (const std::exception& e) {
        log_.error(std::string("autoreload unavailable: ") + e.what());
    }

    // Link events matter only to a plane that attaches to interfaces.
    std::optional<LinkWatch> links;
    if (plane_.sync_interfaces) {
        try {
            links.emplace();
        } catch (const std::exception& e) {
            log_.error(std::string("watching interfaces: ") + e.what() +
                       "; a re-created interface= is noticed within a second instead");
        }
    }

    PeriodicTimer timer(std::chrono::milliseconds(1000));
    Epoll epoll;
    epoll.add(signals.fd());
    epoll.add(server_->fd());
    epoll.add(loader_.fd());
    epoll.add(timer.fd());
    epoll.add(checker_->changes_fd());
    if (watch) epoll.add(watch->fd());
    if (metrics) epoll.add(metrics->fd());
    if (links) epoll.add(links->fd());
    if (on_ready) on_ready();

    // An error serving the control socket is logged (rate-limited) and the
    // loop goes on: one failed accept or client must not end the daemon.
    Throttle control_errors(std::chrono::seconds(10));
    bool running = true;
    while (running) {
        // A batch of health results waits at most its window (health_batch.h).
        for (int fd : epoll.wait(health_batch_.timeout_ms(HealthBatch::Clock::now()))) {
            if (fd == signals.fd()) {
                while (auto signo = signals.read_signal()) {
                    if (*signo == SIGHUP) {
                        log_.info("SIGHUP: reloading " + options_.config_path);
                        reload_unawaited();
                    } else {
                        log_.info(std::string("received ") + ::strsignal(*signo) +
                                  ", stopping");
                        running = false;
                    }
                }
            } else if (fd == server_->fd()) {
                try {
                    server_->process();
                } catch (const std::exception& e) {
                    if (auto message = control_errors.report(std::string("control socket: ") +
                                                             e.what()))
                        log_.error(*message);
                }
            } else if (fd == loader_.fd()) {
                on_config_loaded();
            } else if (fd == timer.fd()) {
                if (timer.read_expirations() > 0) on_timer();
            } else if (fd == checker_->changes_fd()) {
                on_health_changes();
            } else if (metrics && fd == metrics->fd()) {
                try {
                    metrics->process();
                } catch (const std::exception& e) {
                    log_.error(std::string("metrics: ") + e.what());
                }
            } else if (links && fd == links->fd()) {
                try {
                    auto batch = links->read();
                    bool relevant = batch.overflowed;
                    for (const auto& e : batch.events)
                        relevant = relevant || plane_.interface_concerns(e.name, e.ifindex);
                    if (relevant) sync_interfaces();
                } catch (const std::exception& e) {
                    // A message we cannot read: check every interface instead.
                    log_.error(std::string("link events: ") + e.what());
                    sync_interfaces();
                }
            } else if (watch && fd == watch->fd()) {
                if (watch->changed()) {
                    hooks_->config_file_changed(desired_, options_.config_path);
                    if (desired_.config().globals.autoreload) {
                        log_.info("autoreload: " + options_.config_path + " changed");
                        reload_unawaited();
                    }
                }
            }
        }
        if (health_batch_.due(HealthBatch::Clock::now())) apply_health();
    }
    server_.reset();
    checker_->stop();
    shut_down();
    return 0;
}

std::unique_ptr<MetricsServer> Daemon::open_metrics() {
    // The flag wins over the file's metrics=; neither means no endpoint.
    std::optional<Endpoint> endpoint = desired_.config().globals.metrics;
    if (options_.metrics) endpoint = parse_metrics_endpoint(*options_.metrics);
    if (!endpoint) return nullptr;
    // The loop only snapshots (with the rate sampler's status: reading 100,000
    // reals' counters again per scrape would double the loop's work) and the
    // plane's XDP facts, whose table fill is the census thread's; the worker
    // formats.
    auto server = std::make_unique<MetricsServer>(*endpoint, [this]() -> MetricsServer::Render {
        auto snapshot = std::make_shared<MetricsSnapshot>(
            take_metrics_snapshot(*plane_.plane, health_.view(), interface_states(),
                                  sampled_status_));
        return [snapshot] { return format_metrics(*snapshot); };
    });
    log_.info("metrics: serving GET /metrics on " + endpoint->to_string());
    return server;
}

void Daemon::shut_down() {
    hooks_->set_status(email_status_stopping);
    if (children_) children_->stop(std::chrono::seconds(10));
    // cleanstop= per virtual (the global one for xvsadm's services): those
    // with cleanstop=no stay served after xvsd ends.
    const GlobalConfig& globals = desired_.config().globals;
    Model kept, removed;
    for (const auto& [key, service] : reconciler_->current().services) {
        const VirtualConfig* virt = desired_.virtual_config(key);
        bool clean = virt ? virt->cleanstop : globals.cleanstop;
        (clean ? removed : kept).services.emplace(key, service);
    }
    if (!removed.services.empty()) {
        hooks_->stopping(desired_, removed, std::time(nullptr));
        try {
            ModelDiff change = reconciler_->reconcile(kept);
            log_.info("cleanstop: " + summarize(change));
        } catch (const std::exception& e) {
            log_.error(std::string("cleanstop failed: ") + e.what());
        }
    }
    bool keep_plane = !globals.cleanstop || !kept.services.empty();
    if (!kept.services.empty())
        log_.info("cleanstop=no: leaving " + std::to_string(kept.services.size()) + " service(s) on the " +
                  plane_.plane->name() + " data plane forwarding");
    else if (keep_plane)
        log_.info("cleanstop=no: leaving the " + plane_.plane->name() + " data plane in place");
    if (plane_.keep_on_exit) plane_.keep_on_exit(keep_plane);
    // xvsadm's table stays stored for the next start, unless it is empty.
    if (table_ && desired_.edits().empty()) {
        try {
            table_->remove_files();
        } catch (const std::exception& e) {
            log_.error(e.what());
        }
    }
    // The alerts of the stop go out before xvsd ends, within bounds.
    if (!mail_->flush(std::chrono::seconds(10))) log_.error("emailalert: mails still unsent at exit are lost");
    if (!hooks_->drain_commands(std::chrono::seconds(5)))
        log_.error("fallbackcommand/callback: commands still running at exit are left running");
    reconciler_.reset();
    plane_ = {};
}

std::vector<InterfaceState> Daemon::interface_states() const {
    return plane_.interfaces ? plane_.interfaces() : std::vector<InterfaceState>{};
}

void Daemon::sync_interfaces() {
    if (!plane_.sync_interfaces) return;
    for (const auto& note : plane_.sync_interfaces()) {
        if (note.error)
            log_.error(note.text);
        else
            log_.info(note.text);
    }
}

void Daemon::on_timer() {
    ++ticks_;
    sync_interfaces();
    if (plane_.periodic) {
        try {
            plane_.periodic();
        } catch (const std::exception& e) {
            log_.error(std::string("data plane housekeeping: ") + e.what());
        }
    }
    if (ticks_ % 2 == 0) {
        try {
            sampled_status_ =
                std::make_shared<const std::vector<ServiceStatus>>(plane_.plane->status());
            rates_.sample(*sampled_status_, RateEstimator::Clock::now());
        } catch (const std::exception& e) {
            log_.error(std::string("reading counters: ") + e.what());
        }
    }
    std::set<ServiceKey> touched;
    HealthEvents events;
    for (const auto& line :
         health_.poll_maintenance(desired_.config().globals.maintenancedir.value_or(""), &touched, &events))
        log_.info(line);
    note_health(events);
    health_batch_.add(touched, HealthBatch::Clock::now());
    hooks_->tick(desired_, std::time(nullptr));
    if (children_) children_->poll();
    settle_status();
    if (!checker_error_logged_ && !checker_->error().empty()) {
        checker_error_logged_ = true;
        log_.error("health checker stopped: " + checker_->error() +
                   "; health states are frozen until restart");
    }
}

std::set<SubscriberId> Daemon::seed_health_from_plane(Model& model) {
    if (!plane_.serving_at_open) return {};
    try {
        auto kept = health_.seed_serving(plane_.serving_at_open());
        if (kept.empty()) return {};
        log_.info(std::to_string(kept.size()) + " checked real(s) found serving in the " +
                  plane_.plane->name() + " data plane stay in, as up, until their checks fail");
        model = desired_.model(health_.view());
        return kept;
    } catch (const std::exception& e) {
        log_.error(std::string("reading what the data plane already serves: ") + e.what() +
                   "; checked reals start down until their first check");
        return {};
    }
}

void Daemon::on_health_changes() {
    std::set<ServiceKey> touched;
    HealthEvents events;
    for (const auto& line : health_.apply(checker_->take_changes(), &touched, &events)) log_.info(line);
    note_health(events);
    health_batch_.add(touched, HealthBatch::Clock::now());
}

void Daemon::load_table() {
    table_ = std::make_unique<TableStore>(options_.state_root + "/" + options_.instance);
    TableStore::Loaded stored = table_->load();
    for (const auto& note : stored.notes) log_.info(note);
    if (stored.records.empty()) return;
    for (const auto& record : stored.records) desired_.edits().replay(record);
    log_.info("xvsadm's table from " + table_->dir() + " (" + std::to_string(stored.records.size()) +
              " stored records) is served with the file's");
    for (const auto& line : prune_edits(desired_, "start")) log_.info(line);
    desired_.edits().drop_journal();
    // A fresh snapshot: the journal starts empty and the pruning is stored.
    table_->compact(desired_.edits().snapshot());
}

std::optional<std::string> Daemon::store_edits() {
    std::vector<EditRecord> records = desired_.edits().take_journal();
    if (records.empty() && !table_needs_snapshot_) return std::nullopt;
    try {
        if (table_needs_snapshot_ || !table_->is_open() || table_->wants_compaction())
            table_->compact(desired_.edits().snapshot());
        else
            table_->append(records);
        table_needs_snapshot_ = false;
        return std::nullopt;
    } catch (const std::exception& e) {
        table_needs_snapshot_ = true;
        return std::string("cannot store xvsadm's table: ") + e.what();
    }
}

std::vector<std::string> Daemon::prune_edits(DesiredState& desired, const char* when) {
    auto dropped =
        desired.edits().prune([&](const ServiceKey& key) { return desired.virtual_config(key) != nullptr; });
    std::vector<std::string> lines;
    for (const auto& key : dropped)
        lines.push_back(std::string(when) + ": " + describe_virtual(key) +
                        " is not in the file any more: xvsadm's edits of it are dropped");
    return lines;
}

void Daemon::note_health(const HealthEvents& events) {
    // ldirectord re-adds a real removed by hand (ipvsadm -d) when its state
    // changes: coming up always, going down (at weight 0) with quiescent=yes
    // and readdquiescent=yes. Otherwise the removal stands.
    bool readd_down = desired_.config().globals.readdquiescent;
    for (const auto& t : events.transitions) {
        const VirtualConfig* virt = desired_.virtual_config(t.service);
        if (!virt || (t.down && !(readd_down && virt->check.quiescent))) continue;
        if (desired_.edits().readd(t.service, t.real))
            log_.info(describe_virtual(t.service) + ": real " + t.real.to_string() +
                      " removed by xvsadm -d is served again: it went " + (t.down ? "down" : "up") +
                      (t.down ? " (readdquiescent=yes)" : ""));
    }
    if (auto error = store_edits()) log_.error(*error);
    hooks_->health(desired_, events, std::time(nullptr));
}

void Daemon::settle_status() {
    EmailAlertStatus status = hooks_->status();
    if (status != email_status_starting && status != email_status_reloading) return;
    if (health_.unknown_count() == 0 || std::chrono::steady_clock::now() - status_since_ > settle_limit)
        hooks_->set_status(email_status_running);
}

void Daemon::apply_health() {
    std::set<ServiceKey> services = health_batch_.take();
    try {
        ModelDiff change = desired_.change_for(services, health_.view(), *reconciler_);
        reconciler_->apply(change);
        for (const auto& line : fallback_transitions(change)) log_.info(line);
        if (!change.empty()) log_.info("health: " + summarize(change));
        hooks_->applied(desired_, change, std::time(nullptr));
    } catch (const std::exception& e) {
        // The reconciler keeps what is programmed; the services are tried
        // again with the next result or reload (a refused change is no
        // reason to retry in a loop).
        log_.error(std::string("applying health changes failed: ") + e.what());
    }
    // ldirectord's fallbackcommand follows its own bookkeeping of which reals
    // are up, whatever the table could take.
    hooks_->fallbacks(desired_, health_.view(), &services);
    settle_status();
}

void Daemon::request_reload(std::optional<uint64_t> waiter) {
    // Whatever the file turns out to say, an interface that came back gets
    // the program.
    sync_interfaces();
    if (loader_.busy()) {
        // The file may have changed after the running parse read it.
        reload_queued_ = true;
        if (waiter) queued_waiters_.push_back(*waiter);
        return;
    }
    loader_.start([read = read_, path = options_.config_path, instance = options_.instance] {
        return load_file(read, path, instance);
    });
    if (waiter) reload_waiters_.push_back(*waiter);
}

void Daemon::reload_unawaited() {
    try {
        request_reload(std::nullopt);
    } catch (const std::exception& e) {
        log_.error(reload_not_started(e));
    }
}

void Daemon::on_config_loaded() {
    if (!loader_.ended()) return;
    auto loaded = checked("reload", [this] { return loader_.finish(); });
    control::Reply reply =
        loaded ? apply_reload(std::move(*loaded))
               : control::Reply::failure("reload: " + options_.config_path +
                                         " has errors (see the log); the running configuration is kept");
    for (uint64_t waiter : std::exchange(reload_waiters_, {})) server_->complete(waiter, reply);
    if (std::exchange(reload_queued_, false)) {
        auto waiters = std::exchange(queued_waiters_, {});
        try {
            request_reload(std::nullopt);
            reload_waiters_ = std::move(waiters);
        } catch (const std::exception& e) {
            control::Reply failed = control::Reply::failure(reload_not_started(e));
            log_.error(failed.error);
            for (uint64_t waiter : waiters) server_->complete(waiter, failed);
        }
    }
}

control::Reply Daemon::apply_reload(LoadedConfig loaded) {
    if (loaded.config.virtuals.empty() && !loaded.config.globals.allow_empty) {
        // The file's services only: xvsadm's stay whatever the file says.
        size_t running = 0;
        for (const auto& [key, service] : reconciler_->current().services)
            running += desired_.virtual_config(key) != nullptr;
        if (running > 0) {
            std::string message = "reload refused: " + options_.config_path +
                                  " has no virtual service and would remove the " + std::to_string(running) +
                                  " running service(s); the running configuration is kept (allow-empty=yes in "
                                  "the file permits this)";
            log_.error(message);
            return control::Reply::failure(message);
        }
    }
    // A new desired state: the new file, and xvsadm's changes kept on top of
    // it (they last until xvsadm undoes them, as IPVS's table lasts across
    // ldirectord's reloads), but for the edits of services the file dropped.
    DesiredState next_desired(std::move(loaded.config));
    next_desired.edits() = desired_.edits();
    next_desired.edits().file_reread();
    // Logged once the reload is applied: a refused one keeps them.
    std::vector<std::string> pruned = prune_edits(next_desired, "reload");
    const GlobalConfig& g = next_desired.config().globals;
    const GlobalConfig& running_globals = desired_.config().globals;
    if (g.interfaces != running_globals.interfaces || g.dataplane != running_globals.dataplane ||
        g.xdp_mode != running_globals.xdp_mode)
        log_.info("reload: interface=, dataplane= and xdp-mode= changes take effect at restart");
    if (g.supervised != options_.supervised)
        log_.info("reload: supervised= changes take effect at restart");
    if (!options_.supervised) {
        try {
            log_.set_logfile(g.logfile);
        } catch (const std::exception& e) {
            log_.error(e.what());
        }
    }
    try {
        // The checker only learns the new checks once the data plane took the
        // new model: a refused apply leaves config, checks and plane as they were.
        HealthBridge next_health = health_;
        auto checks = next_health.set_plan(loaded.checks);
        next_health.poll_maintenance(g.maintenancedir.value_or(""));
        bool behaviour_changed = g.ipvs_behaviour != running_globals.ipvs_behaviour;
        if (behaviour_changed) plane_.plane->set_behaviour(g.ipvs_behaviour);
        ModelDiff change;
        try {
            change = reconciler_->reconcile(next_desired.model(next_health.view()));
        } catch (...) {
            if (behaviour_changed) plane_.plane->set_behaviour(running_globals.ipvs_behaviour);
            throw;
        }
        checker_->set_checks(std::move(checks));
        health_ = std::move(next_health);
        desired_ = std::move(next_desired);
        for (const auto& line : pruned) log_.info(line);
        if (!desired_.edits().empty()) log_.info("reload: xvsadm's changes are kept on top of the file");
        if (auto error = store_edits()) log_.error(*error);
        hooks_->set_status(email_status_reloading);
        status_since_ = std::chrono::steady_clock::now();
        hooks_->configure(desired_);
        hooks_->applied(desired_, change, std::time(nullptr));
        hooks_->fallbacks(desired_, health_.view(), nullptr);
        settle_status();
        if (!desired_.config().globals.execute.empty() && !children_)
            children_ = std::make_unique<ChildInstances>(log_, options_.program, options_.state_root);
        if (children_) children_->apply(desired_.config().globals.execute, true);
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
    reply.interfaces = interface_states();
    return reply;
}

control::Reply Daemon::dataplane_status_reply() {
    control::Reply reply;
    reply.dataplane = plane_.plane->name();
    reply.interfaces = interface_states();
    for (const auto& [key, service] : reconciler_->current().services)
        reply.placements.push_back({key, plane_.plane->plane_of(key)});
    return reply;
}

control::Reply Daemon::zero(const control::Request& request) {
    try {
        if (!request.service) {
            plane_.plane->zero_counters();
            rates_.forget();
            return {};
        }
        const ServiceKey& service = *request.service;
        if (!reconciler_->current().services.count(service))
            return control::Reply::failure("No such service");
        plane_.plane->zero_service_counters(service);
        rates_.forget(service);
        return {};
    } catch (const DataplaneError& e) {
        std::string message = std::string("zeroing counters failed: ") + e.what();
        log_.error(message);
        return control::Reply::failure(message);
    }
}

control::Reply Daemon::list_connections() {
    // The cursor is made here, on the loop, where the plane's names are; the
    // walk runs on the stream's thread.
    auto cursor = plane_.plane->connection_cursor();
    connection_streams_.start(server_->hand_over(), plane_.plane->name(), std::move(cursor));
    return {};
}

control::Reply Daemon::handle(const control::Request& request) {
    using control::Verb;
    switch (request.verb) {
        case Verb::status: return status_reply();
        case Verb::list_connections: return list_connections();
        case Verb::zero: return zero(request);
        case Verb::reload:
            request_reload(server_->defer());
            return {};
        case Verb::dataplane_status: return dataplane_status_reply();
        case Verb::timeouts: {
            control::Reply reply;
            reply.timeouts = plane_.plane->timeouts();
            return reply;
        }
        default: return edit(request);
    }
}

}  // namespace xvs
