// health suite: how many reals the checker thread checks per second, and the
// CPU it uses doing so, for 1,000 and 10,000 reals.
//
// The reals are local listeners in a throw-away namespace: 100 ports on
// 0.0.0.0, reached through 127.0.x.y addresses (10 or 100 of them), drained by
// one thread that accepts and closes. The checks are TCP connect checks with
// an interval far shorter than a round takes, so the checker always has work
// and its rate is its capacity. CPU is the process's CPU time minus the
// listener thread's and the main thread's own: what the checker thread costs
// in its own user and system time. The kernel's loopback TCP work runs in
// softirq context and is not charged to any thread, so the checker thread is
// also pinned to one CPU (the listeners to another) and that CPU's busy share
// in /proc/stat is reported: near 100% means the rate is the capacity of one
// CPU. From the CPU per check follows the share that the same reals take at
// ldirectord's default checkinterval of 10 s.
//
// The checker keeps its default max_in_flight (1,000), fewer slots than
// reals at 10,000: due checks then queue for a slot first come, first served.
// The listeners note which real (local address and port) each connection
// reached, so the suite also reports how many distinct reals were checked in
// the measured window and the fewest checks any real got: a rate made by a
// few reals checked over and over would show there.
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/errno_text.h"
#include "common/unique_fd.h"
#include "health/health_checker.h"
#include "netns.h"
#include "suites.h"

namespace xvs::bench {
namespace {

constexpr uint16_t first_port = 20000;
constexpr int port_count = 100;

double thread_cpu_s(clockid_t clock) {
    timespec ts{};
    if (clock_gettime(clock, &ts) != 0) throw std::runtime_error(std::string("clock_gettime: ") + errno_text(errno));
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

double process_cpu_s() {
    rusage ru{};
    if (getrusage(RUSAGE_SELF, &ru) != 0) throw std::runtime_error("getrusage failed");
    auto s = [](const timeval& tv) { return double(tv.tv_sec) + double(tv.tv_usec) / 1e6; };
    return s(ru.ru_utime) + s(ru.ru_stime);
}

// Busy and total jiffies of one CPU, from /proc/stat.
std::pair<double, double> cpu_jiffies(int cpu) {
    std::ifstream stat("/proc/stat");
    const std::string name = "cpu" + std::to_string(cpu) + " ";
    for (std::string line; std::getline(stat, line);) {
        if (line.rfind(name, 0) != 0) continue;
        std::istringstream fields(line.substr(name.size()));
        double v[8] = {};
        for (double& x : v) fields >> x;
        double total = 0;
        for (double x : v) total += x;
        return {total - v[3] - v[4], total};  // idle, iowait
    }
    throw std::runtime_error("no " + name + "line in /proc/stat");
}

void pin(pthread_t thread, int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (int err = pthread_setaffinity_np(thread, sizeof set, &set); err != 0)
        throw std::runtime_error("pinning a thread to CPU " + std::to_string(cpu) + ": " + errno_text(err));
}

// The real a check of index i reaches: 127.0.(host / 250).(host % 250 + 1),
// port first_port + i % port_count, with host = i / port_count.
uint32_t real_address(int i) {
    int host = i / port_count;
    return 0x7f000000u | uint32_t(host / 250) << 8 | uint32_t(host % 250 + 1);
}

// The inverse, from an accepted connection's local address; -1 if none.
int real_index(const sockaddr_in& local, int reals) {
    uint32_t addr = ntohl(local.sin_addr.s_addr);
    int port = ntohs(local.sin_port) - first_port;
    int high = int(addr >> 8 & 0xff), low = int(addr & 0xff);
    if ((addr >> 16) != 0x7f00 || low < 1 || low > 250 || port < 0 || port >= port_count) return -1;
    int i = (high * 250 + low - 1) * port_count + port;
    return i < reals ? i : -1;
}

// Listeners on first_port.. that accept and close, on one thread, counting
// the connections each real got.
class AcceptingListeners {
   public:
    AcceptingListeners(int cpu, int reals)
        : epoll_(epoll_create1(EPOLL_CLOEXEC)), stop_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)), per_real_(size_t(reals)) {
        if (!epoll_ || !stop_) throw std::runtime_error("epoll/eventfd failed");
        for (int i = 0; i < port_count; ++i) {
            UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
            int one = 1;
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_port = htons(uint16_t(first_port + i));
            if (!fd || setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
                bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd.get(), 4096) != 0)
                throw std::runtime_error("listener on port " + std::to_string(first_port + i) + ": " +
                                         errno_text(errno));
            add(fd.get());
            listeners_.push_back(std::move(fd));
        }
        add(stop_.get());
        thread_ = std::thread([this] { serve(); });
        cpu_clock_ready_.wait(false);
        pin(thread_.native_handle(), cpu);
    }
    ~AcceptingListeners() {
        uint64_t one = 1;
        if (write(stop_.get(), &one, sizeof one) != sizeof one) std::perror("xvs-bench: stopping listeners");
        thread_.join();
    }
    double cpu_s() const { return thread_cpu_s(cpu_clock_); }
    uint64_t accepted() const { return accepted_; }
    // Connections per real so far (index as real_address()).
    std::vector<uint32_t> per_real() const {
        std::vector<uint32_t> out(per_real_.size());
        for (size_t i = 0; i < out.size(); ++i) out[i] = per_real_[i].load(std::memory_order_relaxed);
        return out;
    }

   private:
    void add(int fd) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) throw std::runtime_error("epoll_ctl failed");
    }
    void serve() {
        pthread_getcpuclockid(pthread_self(), &cpu_clock_);
        cpu_clock_ready_ = true;
        cpu_clock_ready_.notify_all();
        epoll_event events[64];
        for (;;) {
            int n = epoll_wait(epoll_.get(), events, 64, -1);
            for (int i = 0; i < n; ++i) {
                if (events[i].data.fd == stop_.get()) return;
                for (int c; (c = accept4(events[i].data.fd, nullptr, nullptr, SOCK_CLOEXEC)) >= 0;) {
                    sockaddr_in local{};
                    socklen_t len = sizeof local;
                    if (getsockname(c, reinterpret_cast<sockaddr*>(&local), &len) == 0) {
                        int real = real_index(local, int(per_real_.size()));
                        if (real >= 0) per_real_[size_t(real)].fetch_add(1, std::memory_order_relaxed);
                    }
                    close(c);
                    ++accepted_;
                }
            }
        }
    }
    UniqueFd epoll_, stop_;
    std::vector<UniqueFd> listeners_;
    std::thread thread_;
    clockid_t cpu_clock_{};
    std::atomic<bool> cpu_clock_ready_{false};
    std::atomic<uint64_t> accepted_{0};
    std::vector<std::atomic<uint32_t>> per_real_;
};

Figure figure(const std::string& name, double value, const std::string& unit, std::string note = {}) {
    return make_figure("health", name, value, unit, std::move(note));
}

void measure(int reals, double seconds, int checker_cpu, std::vector<Figure>& out) {
    std::vector<std::pair<SubscriberId, CheckSpec>> checks;
    for (int i = 0; i < reals; ++i) {
        CheckSpec spec;
        spec.type = CheckSpec::Type::connect;
        spec.address = IpAddress::v4(real_address(i));
        spec.port = uint16_t(first_port + i % port_count);
        spec.interval_s = 0.001;  // always due: the rate is the checker's capacity
        spec.timeout_s = 5;
        checks.emplace_back(SubscriberId(i), spec);
    }
    const int cpus = int(sysconf(_SC_NPROCESSORS_ONLN));
    AcceptingListeners listeners(cpus > 1 ? (checker_cpu + 1) % cpus : checker_cpu, reals);
    pin(pthread_self(), checker_cpu);  // the checker thread inherits it
    HealthChecker checker;  // the daemon's options: max_in_flight 1,000
    checker.set_checks(std::move(checks));
    const clockid_t main_clock = CLOCK_THREAD_CPUTIME_ID;
    checker.start();
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds / 4));  // first rounds, warm caches

    auto stats0 = checker.stats();
    auto per_real0 = listeners.per_real();
    double cpu0 = process_cpu_s() - listeners.cpu_s() - thread_cpu_s(main_clock);
    auto core0 = cpu_jiffies(checker_cpu);
    auto t0 = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    auto stats1 = checker.stats();
    auto per_real1 = listeners.per_real();
    double cpu1 = process_cpu_s() - listeners.cpu_s() - thread_cpu_s(main_clock);
    auto core1 = cpu_jiffies(checker_cpu);
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    checker.stop();
    if (!checker.error().empty()) throw std::runtime_error("health checker: " + checker.error());

    // Every real must be up at the end: a check that fails measures nothing.
    std::map<SubscriberId, const StateChange*> last;
    auto changes = checker.take_changes();
    for (const auto& c : changes) last[c.subscriber] = &c;
    size_t up = 0;
    std::string a_reason;
    for (const auto& [_, c] : last) {
        up += c->up;
        if (!c->up) a_reason = c->reason;
    }
    if (up != size_t(reals))
        throw std::runtime_error(std::to_string(up) + " of " + std::to_string(reals) + " reals up (" +
                                 a_reason + ")");

    double probes = double(stats1.probes_finished - stats0.probes_finished);
    if (probes <= 0) throw std::runtime_error("no check finished in the measured window");
    double cpu = cpu1 - cpu0;
    std::string n = std::to_string(reals);
    out.push_back(figure("checks_per_s_" + n, probes / wall, "checks/s", "TCP connect, one checker thread"));
    size_t checked = 0;
    uint32_t fewest = UINT32_MAX;
    for (size_t i = 0; i < per_real1.size(); ++i) {
        uint32_t got = per_real1[i] - per_real0[i];
        checked += got > 0;
        fewest = std::min(fewest, got);
    }
    out.push_back(figure("reals_checked_" + n, double(checked), "reals",
                         "distinct reals the listeners saw checked in the window"));
    out.push_back(figure("fewest_checks_per_real_" + n, double(fewest), "checks",
                         "the least checked real's connections in the window"));
    double core_share = (core1.first - core0.first) / std::max(1.0, core1.second - core0.second);
    out.push_back(figure("thread_cpu_" + n, cpu / wall * 100, "%CPU",
                         "checker thread's own user + system time"));
    out.push_back(figure("core_busy_" + n, core_share * 100, "%CPU",
                         "its pinned CPU, softirq (loopback TCP) included"));
    double per_check = core_share * wall / probes;
    out.push_back(figure("cpu_per_check_" + n, per_check * 1e6, "us", "pinned CPU busy time / checks"));
    out.push_back(figure("cpu_at_interval_10s_" + n, reals / 10.0 * per_check * 100, "%CPU",
                         "derived: reals / 10 s x CPU per check"));
}

}  // namespace

void run_health_suite(const SuiteOptions& options, std::vector<Figure>& out) {
    Netns ns("xvs-bench-health");
    NetnsEntry inside(ns);
    // Up to max_in_flight checker sockets plus the listeners; raise the limit.
    rlimit nofile{};
    if (getrlimit(RLIMIT_NOFILE, &nofile) != 0) throw std::runtime_error("getrlimit(RLIMIT_NOFILE) failed");
    nofile.rlim_cur = nofile.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &nofile) != 0 || nofile.rlim_cur < 4096)
        throw std::runtime_error("RLIMIT_NOFILE cannot be raised to 4096 (ulimit -n)");
    if (options.smoke) {
        measure(200, 0.3, options.cpu, out);
        return;
    }
    measure(1000, 4, options.cpu, out);
    measure(10000, 4, options.cpu, out);
}

}  // namespace xvs::bench
