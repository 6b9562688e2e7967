#include "daemon/config_loader.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <stdexcept>
#include <system_error>

namespace xvs {

ConfigLoader::ConfigLoader() : done_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (!done_) throw std::system_error(errno, std::generic_category(), "config loader: eventfd");
}

ConfigLoader::~ConfigLoader() {
    if (worker_.joinable()) worker_.join();
}

void ConfigLoader::start(Load load) {
    if (busy()) throw std::logic_error("config loader: a load is already running");
    result_.reset();
    error_ = nullptr;
    worker_ = std::thread([this, load = std::move(load)] {
        try {
            result_ = load();
        } catch (...) {
            error_ = std::current_exception();
        }
        uint64_t one = 1;
        // Cannot fail short of a counter overflow; the loop would then still
        // see the fd readable from the earlier write.
        [[maybe_unused]] ssize_t n = ::write(done_.get(), &one, sizeof one);
    });
}

bool ConfigLoader::ended() {
    uint64_t count = 0;
    return ::read(done_.get(), &count, sizeof count) == sizeof count && busy();
}

LoadedConfig ConfigLoader::finish() {
    if (!busy()) throw std::logic_error("config loader: no load to finish");
    worker_.join();
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
    LoadedConfig loaded = std::move(*result_);
    result_.reset();
    return loaded;
}

}  // namespace xvs
