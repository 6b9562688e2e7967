// conn suite: a real xvsd (XDP plane, generic mode on a veth of a namespace)
// whose connection table holds 1,000,000 flows, measured from outside as an
// operator would see it:
//
//  - how long until xvsadm -Ln shows counts equal to what the table holds
//    (the flows are written into the pinned map by this suite, not made by
//    the program, so only the census's correction can count them: the same
//    path as entries the program never saw end);
//  - xvsd's CPU at steady state (event loop, census sweeping within its
//    budget, everything), as a share of one core;
//  - xvsadm -Ln time, median of 10;
//  - xvsadm -Lnc time for the whole table (median of 3), the lines it prints
//    against the table, and xvsd's peak RSS growth while listing.
#include <bpf/bpf.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <arpa/inet.h>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/errno_text.h"
#include "dataplane/xdp/xdp_maps_io.h"
#include "netns.h"
#include "suites.h"
#include "xvs/abi.h"

namespace xvs::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// A directory of this run's files, removed at the end.
struct RunDir {
    fs::path path = fs::temp_directory_path() / ("xvs-bench-conn-" + std::to_string(::getpid()));
    RunDir() {
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~RunDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

// xvsd in the namespace's network (nsenter, so that its bpffs pins live in
// this mount namespace and the suite can open them), killed by PID at the end.
class Daemon {
   public:
    Daemon(const Netns& ns, const std::string& config, const std::string& instance) : instance_(instance) {
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork: " + errno_text(errno));
        if (pid_ == 0) {
            // Its own log file has everything; the table stays readable.
            int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
            if (devnull >= 0) ::dup2(devnull, STDERR_FILENO);
            const std::string net = "--net=/run/netns/" + ns.name();
            ::execlp("nsenter", "nsenter", net.c_str(), "--", XVSD_PATH, "-f", config.c_str(), "--foreground",
                     "--instance", instance.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
    }
    ~Daemon() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        for (int i = 0; i < 100; ++i) {
            if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    pid_t pid() const { return pid_; }
    // `xvsadm --instance I ARGS`, its stdout; throws on failure.
    std::string xvsadm(const std::string& args) const {
        return capture_command(std::string(XVSADM_PATH) + " --instance " + instance_ + " " + args);
    }
    // CPU time the process has used (user + system), in seconds.
    double cpu_seconds() const {
        std::ifstream stat("/proc/" + std::to_string(pid_) + "/stat");
        std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
        auto fields = text.substr(text.rfind(')') + 2);
        std::istringstream in(fields);
        std::string skip;
        for (int i = 0; i < 11; ++i) in >> skip;  // fields 3..13
        double utime = 0, stime = 0;
        in >> utime >> stime;
        return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
    }
    // A field of /proc/PID/status in MiB (VmRSS, VmHWM).
    double memory_mib(const std::string& field) const {
        std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
        for (std::string line; std::getline(status, line);)
            if (line.rfind(field + ":", 0) == 0) return std::stod(line.substr(field.size() + 1)) / 1024.0;
        throw std::runtime_error("no " + field + " for xvsd");
    }
    // Resets the peak RSS (VmHWM) to the current RSS.
    void reset_peak() const {
        std::ofstream("/proc/" + std::to_string(pid_) + "/clear_refs") << "5";
    }

   private:
    std::string instance_;
    pid_t pid_ = -1;
};

// Sum of ActiveConn + InActConn over every real of `xvsadm -Ln`.
uint64_t listed_connections(const std::string& listing) {
    uint64_t total = 0;
    std::istringstream in(listing);
    for (std::string line; std::getline(in, line);) {
        std::istringstream words(line);
        std::string arrow, address, method;
        uint64_t weight = 0, active = 0, inactive = 0;
        if (words >> arrow >> address >> method >> weight >> active >> inactive && arrow == "->") total += active + inactive;
    }
    return total;
}

// Runs `command`, counting the lines it prints; returns (ms, lines).
std::pair<double, uint64_t> timed_lines(const std::string& command) {
    auto start = Clock::now();
    FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe) throw std::runtime_error("cannot run " + command);
    uint64_t lines = 0;
    std::vector<char> buf(1 << 20);
    for (size_t n; (n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0;)
        lines += static_cast<uint64_t>(std::count(buf.begin(), buf.begin() + static_cast<long>(n), '\n'));
    if (::pclose(pipe) != 0) throw std::runtime_error(command + " failed");
    return {ms_since(start), lines};
}

struct PinnedReal {
    uint32_t id, generation, service_id;
};

std::vector<PinnedReal> pinned_reals(int reals_fd) {
    bpf_map_info info{};
    uint32_t len = sizeof info;
    if (bpf_obj_get_info_by_fd(reals_fd, &info, &len) != 0) throw std::runtime_error("xvs_reals: no map info");
    std::vector<PinnedReal> out;
    for (uint32_t id = 0; id < info.max_entries; ++id) {
        xvs_real r{};
        if (bpf_map_lookup_elem(reals_fd, &id, &r) == 0 && (r.flags & XVS_REAL_F_IN_USE))
            out.push_back({id, r.generation, r.service_id});
    }
    return out;
}

// Writes `flows` flows from distinct clients to the VIP, spread over the
// reals, 70 % established; returns the entries the table then holds.
uint64_t fill(int conns_fd, const std::vector<PinnedReal>& reals, uint32_t flows) {
    constexpr uint32_t batch = 65536;
    std::vector<xvs_conn_key> keys(batch);
    std::vector<xvs_conn> values(batch);
    const uint64_t now = monotonic_ns();
    for (uint32_t done = 0; done < flows;) {
        uint32_t n = std::min(batch, flows - done);
        for (uint32_t i = 0; i < n; ++i) {
            const uint32_t flow = done + i;
            xvs_conn_key k{};
            k.src[0] = htonl(0x0ac80000u + (flow >> 8));  // 10.200.0.0/16 and up
            k.dst[0] = htonl(0x0a630001u);                // 10.99.0.1
            k.sport = htons(static_cast<uint16_t>(1024 + (flow & 0xff)));
            k.dport = htons(80);
            k.proto = IPPROTO_TCP;
            k.family = XVS_FAMILY_V4;
            const PinnedReal& r = reals[flow % reals.size()];
            xvs_conn c{};
            c.last_seen_ns = now;
            c.real_id = r.id;
            c.real_generation = r.generation;
            c.service_id = r.service_id;
            c.state = flow % 10 < 7 ? XVS_CONN_TCP_ESTABLISHED : XVS_CONN_TCP_SYN;
            keys[i] = k;
            values[i] = c;
        }
        uint32_t count = n;
        LIBBPF_OPTS(bpf_map_batch_opts, opts);
        if (bpf_map_update_batch(conns_fd, keys.data(), values.data(), &count, &opts) != 0)
            throw std::runtime_error("filling xvs_conns: " + errno_text(errno));
        done += n;
    }
    uint64_t entries = 0;
    xvs_conn_key key{}, next{};
    for (const void* prev = nullptr; bpf_map_get_next_key(conns_fd, prev, &next) == 0; prev = &key) {
        key = next;
        ++entries;
    }
    return entries;
}

UniqueFd open_pinned(const std::string& path) {
    UniqueFd fd(bpf_obj_get(path.c_str()));
    if (!fd) throw std::runtime_error("opening " + path + ": " + errno_text(errno));
    return fd;
}

}  // namespace

void run_conn_suite(const SuiteOptions& options, std::vector<Figure>& out) {
    const uint32_t flows = options.smoke ? 20000 : 1000000;
    const auto steady_window = std::chrono::seconds(options.smoke ? 1 : 20);
    const int ln_runs = options.smoke ? 2 : 10, lnc_runs = options.smoke ? 1 : 3;
    auto figure = [&](std::string name, double value, std::string unit, std::string note = {}) {
        out.push_back(make_figure("conn", std::move(name), value, std::move(unit), std::move(note)));
    };

    Netns ns("xvsbc");
    ns.ip("link add d0 type veth peer name d1");
    ns.ip("link set d0 up");
    ns.ip("link set d1 up");
    RunDir dir;
    const std::string instance = "xvsbench-conn-" + std::to_string(::getpid());
    const std::string config = (dir.path / "xvs.cf").string();
    std::ofstream(config) << "interface=d0\ndataplane=xdp\nxdp-mode=generic\n"
                          << "logfile=\"" << (dir.path / "xvsd.log").string() << "\"\n"
                          << "virtual=10.99.0.1:80\n\tscheduler=rr\n\tchecktype=on\n"
                          << "\treal=10.99.1.1:80 gate 1\n\treal=10.99.1.2:80 gate 1\n";
    Daemon daemon(ns, config, instance);
    auto deadline = Clock::now() + std::chrono::seconds(60);
    for (;;) {
        try {
            if (daemon.xvsadm("-Ln 2>/dev/null").find("10.99.1.2:80") != std::string::npos) break;
        } catch (const std::exception&) {
        }
        if (Clock::now() > deadline) throw std::runtime_error("xvsd did not start (see its log)");
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }

    const std::string pins = "/sys/fs/bpf/xvs/" + instance + "/";
    UniqueFd conns = open_pinned(pins + "xvs_conns"), reals_map = open_pinned(pins + "xvs_reals");
    auto reals = pinned_reals(reals_map.get());
    if (reals.size() != 2) throw std::runtime_error("xvsd serves " + std::to_string(reals.size()) + " reals, not 2");
    const double idle_rss = daemon.memory_mib("VmRSS");
    const uint64_t entries = fill(conns.get(), reals, flows);
    figure("table_entries", double(entries), "entries", std::to_string(flows) + " written");

    // The census counts what the program never saw.
    auto filled = Clock::now();
    uint64_t listed = 0;
    deadline = filled + std::chrono::seconds(600);
    while ((listed = listed_connections(daemon.xvsadm("-Ln"))) != entries) {
        if (Clock::now() > deadline)
            throw std::runtime_error("-Ln still shows " + std::to_string(listed) + " of " + std::to_string(entries));
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    figure("counts_exact_after", ms_since(filled) / 1000.0, "s", "-Ln sums to the table's entries");

    const double cpu_before = daemon.cpu_seconds();
    auto window_start = Clock::now();
    std::this_thread::sleep_for(steady_window);
    const double window = ms_since(window_start) / 1000.0;
    figure("xvsd_cpu_steady", 100.0 * (daemon.cpu_seconds() - cpu_before) / window, "% core",
           "goal <= 5 (loop + census)");

    std::vector<double> ln;
    for (int i = 0; i < ln_runs; ++i) {
        auto start = Clock::now();
        daemon.xvsadm("-Ln >/dev/null");
        ln.push_back(ms_since(start));
    }
    figure("xvsadm_Ln", median(ln), "ms", "goal <= 100");

    daemon.reset_peak();
    const double before_listing = daemon.memory_mib("VmRSS");
    std::vector<double> lnc;
    uint64_t lines = 0;
    for (int i = 0; i < lnc_runs; ++i) {
        auto [ms, n] = timed_lines(std::string(XVSADM_PATH) + " --instance " + instance + " -Lnc");
        lnc.push_back(ms);
        lines = n;
    }
    // A listing that loses or repeats entries fails the suite, smoke runs too.
    if (lines != entries + 2)
        throw std::runtime_error("-Lnc printed " + std::to_string(lines) + " lines for " + std::to_string(entries) +
                                 " entries and 2 title lines");
    figure("xvsadm_Lnc", median(lnc), "ms", "goal <= 2000 at 1M");
    figure("Lnc_lines", double(lines - 2), "entries", "two title lines not counted");
    figure("xvsd_rss_idle", idle_rss, "MiB");
    figure("xvsd_rss_listing_growth", daemon.memory_mib("VmHWM") - before_listing, "MiB",
           "peak while listing, over the RSS before");
}

}  // namespace xvs::bench
