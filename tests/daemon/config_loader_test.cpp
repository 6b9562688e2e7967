// ConfigLoader: a load runs on its own thread, its end wakes the loop's fd,
// and its result or exception is taken on the loop's thread.
#include <catch2/catch.hpp>

#include <poll.h>

#include <stdexcept>

#include "daemon/config_loader.h"

using namespace xvs;

namespace {

// Waits (up to 20 s, a bound against hanging) until the loader's fd is readable.
bool wakes(const ConfigLoader& loader) {
    pollfd p{loader.fd(), POLLIN, 0};
    return ::poll(&p, 1, 20000) == 1;
}

}  // namespace

TEST_CASE("a load's result is taken after its end wakes the fd", "[config_loader]") {
    ConfigLoader loader;
    CHECK_FALSE(loader.busy());
    CHECK_FALSE(loader.ended());  // nothing ran: no wake-up to take
    loader.start([] {
        LoadedConfig loaded;
        loaded.config.source = "x.cf";
        return loaded;
    });
    CHECK(loader.busy());
    CHECK_THROWS_AS(loader.start([] { return LoadedConfig{}; }), std::logic_error);
    REQUIRE(wakes(loader));
    REQUIRE(loader.ended());
    CHECK(loader.finish().config.source == "x.cf");
    CHECK_FALSE(loader.busy());
}

TEST_CASE("a load's exception is rethrown by finish, and the loader takes the next load", "[config_loader]") {
    ConfigLoader loader;
    loader.start([]() -> LoadedConfig { throw ConfigError({"x.cf:1: bad"}); });
    REQUIRE(wakes(loader));
    REQUIRE(loader.ended());
    CHECK_THROWS_WITH(loader.finish(), "x.cf:1: bad");
    loader.start([] { return LoadedConfig{}; });
    REQUIRE(wakes(loader));
    REQUIRE(loader.ended());
    CHECK(loader.finish().checks.empty());
}
