// libFuzzer target: any byte string fed to the ldirectord.cf parser either
// parses or raises ConfigError; never a crash, a hang, a sanitizer report or
// another exception. Accepted configs are also built into models, diffed
// and printed, so those paths see the strange configs the parser lets in.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string_view>

#include "config/check.h"
#include "config/config.h"
#include "model/build.h"
#include "model/diff.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    xvs::ParseOptions options;
    options.resolve_names = false;  // no DNS, no /etc/services: fast and deterministic
    xvs::Config config;
    try {
        config = xvs::parse_config_text(text, "fuzz.cf", options);
    } catch (const xvs::ConfigError& e) {
        if (e.errors().empty()) __builtin_trap();  // a rejection must say why
        return 0;
    }

    // Huge configs (ranges) only make the model paths slow, not different.
    size_t reals = 0;
    for (const auto& v : config.virtuals) reals += v.reals.size();
    if (reals > 20000) return 0;

    // Every other real down: exercises quiescent, removal and fallback.
    xvs::HealthView health;
    bool down = false;
    for (const auto& v : config.virtuals)
        for (const auto& r : v.reals) {
            health.set_down(v.key, xvs::effective_real_key(v, r), down);
            down = !down;
        }
    xvs::Model all_up = xvs::build_model(config);
    xvs::Model some_down = xvs::build_model(config, health);
    if (!xvs::diff(all_up, all_up).empty()) __builtin_trap();
    (void)xvs::diff(all_up, some_down);
    (void)xvs::diff(xvs::Model{}, all_up);
    std::ostringstream out;
    xvs::print_config_check(config, all_up, out);
    return 0;
}
