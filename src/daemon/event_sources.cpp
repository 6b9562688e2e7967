#include "daemon/event_sources.h"

#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace xvs {
namespace {

[[noreturn]] void throw_errno(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

SignalFd::SignalFd(std::initializer_list<int> signals) {
    sigemptyset(&set_);
    for (int s : signals) sigaddset(&set_, s);
    if (int rc = ::pthread_sigmask(SIG_BLOCK, &set_, &previous_); rc != 0)
        throw std::system_error(rc, std::generic_category(), "pthread_sigmask");
    fd_.reset(::signalfd(-1, &set_, SFD_NONBLOCK | SFD_CLOEXEC));
    if (!fd_) {
        int e = errno;
        ::pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
        errno = e;
        throw_errno("signalfd");
    }
}

SignalFd::~SignalFd() { ::pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }

std::optional<int> SignalFd::read_signal() {
    signalfd_siginfo info{};
    for (;;) {
        ssize_t n = ::read(fd_.get(), &info, sizeof info);
        if (n == sizeof info) return static_cast<int>(info.ssi_signo);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return std::nullopt;
        throw_errno("reading the signalfd");
    }
}

PeriodicTimer::PeriodicTimer(std::chrono::milliseconds period) {
    fd_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
    if (!fd_) throw_errno("timerfd_create");
    itimerspec spec{};
    spec.it_interval.tv_sec = period.count() / 1000;
    spec.it_interval.tv_nsec = (period.count() % 1000) * 1000000;
    spec.it_value = spec.it_interval;
    if (::timerfd_settime(fd_.get(), 0, &spec, nullptr) != 0) throw_errno("timerfd_settime");
}

uint64_t PeriodicTimer::read_expirations() {
    uint64_t count = 0;
    ssize_t n = ::read(fd_.get(), &count, sizeof count);
    if (n == sizeof count) return count;
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
    throw_errno("reading the timerfd");
}

Epoll::Epoll() : fd_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (!fd_) throw_errno("epoll_create1");
}

void Epoll::add(int fd) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (::epoll_ctl(fd_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) throw_errno("epoll_ctl");
}

std::vector<int> Epoll::wait(int timeout_ms, int max) {
    std::vector<epoll_event> events(static_cast<size_t>(max));
    int n = ::epoll_wait(fd_.get(), events.data(), max, timeout_ms);
    if (n < 0) {
        if (errno == EINTR) return {};
        throw_errno("epoll_wait");
    }
    std::vector<int> ready;
    for (int i = 0; i < n; ++i) ready.push_back(events[static_cast<size_t>(i)].data.fd);
    return ready;
}

}  // namespace xvs
