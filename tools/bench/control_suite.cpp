// control suite: loading 1,000 virtuals x 100 reals from a config file, and
// applying one weight change, one real removal and an unchanged reload.
//
// Each step is timed on its own (parse, build_model, diff, apply) because
// diff() compares whole models and so is proportional to the config by
// design, while apply() must be proportional to the change: the map writes
// it reports are the figure that says so. An unchanged reload that writes
// any map entry fails the suite.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "config/config.h"
#include "dataplane/dataplane.h"
#include "dataplane/xdp/xdp_dataplane.h"
#include "model/build.h"
#include "model/diff.h"
#include "suites.h"

namespace xvs::bench {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Resident set of this process (MiB), from /proc/self/status.
double rss_mib() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
    throw std::runtime_error("no VmRSS in /proc/self/status");
}

// Kernel memory charged to a BPF map (fdinfo "memlock"), in bytes.
double map_memlock(int fd) {
    std::ifstream info("/proc/self/fdinfo/" + std::to_string(fd));
    for (std::string line; std::getline(info, line);)
        if (line.rfind("memlock:", 0) == 0) return std::stod(line.substr(8));
    return 0;
}

std::string config_text(int virtuals, int reals) {
    std::ostringstream out;
    out << "quiescent=no\n";
    for (int v = 0; v < virtuals; ++v) {
        out << "virtual=10.10." << v / 250 << "." << v % 250 + 1 << ":80\n"
            << "\tprotocol=tcp\n\tscheduler=wrr\n\tchecktype=on\n";
        for (int r = 0; r < reals; ++r)
            out << "\treal=10.20." << r / 250 << "." << r % 250 + 1 << ":80 gate " << r % 5 + 1 << "\n";
    }
    return out.str();
}

// A file removed on destruction.
struct TempFile {
    explicit TempFile(const std::string& text)
        : path("/tmp/xvs-bench-control-" + std::to_string(getpid()) + ".cf") {
        std::ofstream f(path);
        f << text;
        if (!f) throw std::runtime_error("cannot write " + path);
    }
    ~TempFile() { std::remove(path.c_str()); }
    std::string path;
};

Figure figure(const std::string& name, double value, const std::string& unit, std::string note = {}) {
    return make_figure("control", name, value, unit, std::move(note));
}

const char* map_names[] = {"xvs_services", "xvs_matches", "xvs_service_info", "xvs_reals",
                           "xvs_sched_tables", "xvs_rr_position", "xvs_conns", "xvs_nat_reverse",
                           "xvs_persist", "xvs_frags", "xvs_pending_neigh", "xvs_config",
                           "xvs_iface_addrs", "xvs_stats", "xvs_service_stats", "xvs_real_stats"};

}  // namespace

void run_control_suite(const SuiteOptions& options, std::vector<Figure>& out) {
    const int virtuals = options.smoke ? 20 : 1000;
    const int reals = options.smoke ? 10 : 100;
    const std::string size = std::to_string(virtuals) + "x" + std::to_string(reals);
    TempFile file(config_text(virtuals, reals));
    ParseOptions parse_options;
    parse_options.resolve_names = false;

    double rss_start = rss_mib();
    auto t = Clock::now();
    Config config = parse_config_file(file.path, parse_options);
    out.push_back(figure("parse_" + size, ms_since(t), "ms"));
    t = Clock::now();
    Model model = build_model(config);
    out.push_back(figure("build_model_" + size, ms_since(t), "ms"));
    size_t real_count = 0;
    for (const auto& [_, s] : model.services) real_count += s.reals.size();
    if (model.services.size() != size_t(virtuals) || real_count != size_t(virtuals) * reals)
        throw std::runtime_error("control suite: the model has " + std::to_string(model.services.size()) +
                                 " services and " + std::to_string(real_count) + " reals, expected " + size);

    XdpOptions xo;
    xo.instance = "bench-control-" + std::to_string(getpid());
    // The default LRU tables (preallocated) dominate the load time and the
    // memory; the smoke run keeps them small.
    if (options.smoke) xo.connection_table_size = xo.persistence_table_size = 4096;
    // The real table is sized for the config, as an operator does with --max-reals.
    xo.max_reals = std::max<uint32_t>(XVS_MAX_REALS, uint32_t(real_count));
    t = Clock::now();
    XdpDataplane dp(xo);
    out.push_back(figure("xdp_load_program", ms_since(t), "ms", "load, verify, pin (no interface)"));

    t = Clock::now();
    ModelDiff initial = diff(Model{}, model);
    out.push_back(figure("diff_initial_" + size, ms_since(t), "ms"));
    t = Clock::now();
    dp.apply(initial);
    out.push_back(figure("apply_initial_" + size, ms_since(t), "ms"));
    out.push_back(figure("apply_initial_writes", double(dp.last_apply_writes()), "writes"));
    out.push_back(figure("memory_rss_growth", rss_mib() - rss_start, "MiB",
                         "parse + model + data plane, this process"));
    double kernel = 0;
    for (const char* name : map_names) kernel += map_memlock(dp.map_fd(name));
    out.push_back(figure("memory_bpf_maps", kernel / (1024.0 * 1024.0), "MiB",
                         "memlock of the maps (inner wrr tables not counted)"));

    // Reload of the unchanged file: parse, build, diff and apply, end to end.
    t = Clock::now();
    Model reloaded = build_model(parse_config_file(file.path, parse_options));
    ModelDiff nothing = diff(model, reloaded);
    dp.apply(nothing);
    out.push_back(figure("reload_unchanged", ms_since(t), "ms", "parse + build + diff + apply"));
    out.push_back(figure("reload_unchanged_writes", double(dp.last_apply_writes()), "writes"));
    if (dp.last_apply_writes() != 0 || !nothing.empty())
        throw std::runtime_error("control suite: an unchanged reload wrote " +
                                 std::to_string(dp.last_apply_writes()) + " map entries");

    // One weight change in the middle of the config.
    Model changed = model;
    auto& target = std::next(changed.services.begin(), changed.services.size() / 2)->second;
    auto& real = target.reals.begin()->second;
    real.weight = real.configured_weight = real.weight + 7;
    t = Clock::now();
    ModelDiff weight_diff = diff(model, changed);
    double diff_ms = ms_since(t);
    t = Clock::now();
    dp.apply(weight_diff);
    out.push_back(figure("apply_weight_change", ms_since(t), "ms",
                         "diff() of the whole model took " + std::to_string(diff_ms) + " ms"));
    out.push_back(figure("apply_weight_change_writes", double(dp.last_apply_writes()), "writes"));
    if (weight_diff.size() != 1 || dp.last_apply_writes() == 0)
        throw std::runtime_error("control suite: a weight change gave a diff of " +
                                 std::to_string(weight_diff.size()) + " and " +
                                 std::to_string(dp.last_apply_writes()) + " map writes");

    // One real removed.
    Model removed = changed;
    auto& from = std::next(removed.services.begin(), removed.services.size() / 3)->second;
    from.reals.erase(std::prev(from.reals.end()));
    ModelDiff removal = diff(changed, removed);
    t = Clock::now();
    dp.apply(removal);
    out.push_back(figure("apply_real_removal", ms_since(t), "ms"));
    out.push_back(figure("apply_real_removal_writes", double(dp.last_apply_writes()), "writes"));
    if (removal.size() != 1 || dp.last_apply_writes() == 0)
        throw std::runtime_error("control suite: a real removal gave a diff of " +
                                 std::to_string(removal.size()) + " and " +
                                 std::to_string(dp.last_apply_writes()) + " map writes");


    run_control_change_path(options, out);
}

}  // namespace xvs::bench
