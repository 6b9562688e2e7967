#include "daemon/child_instances.h"

#include <signal.h>
#include <sys/wait.h>

#include <cstring>
#include <filesystem>
#include <set>
#include <thread>

#include "common/child_process.h"
#include "control/paths.h"

namespace xvs {

std::string execute_instance_name(const std::string& file) {
    std::string name = std::filesystem::path(file).filename().string();
    if (name.size() > 3 && name.ends_with(".cf")) name.resize(name.size() - 3);
    for (char& ch : name)
        if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '-')) ch = '_';
    if (!name.empty() && name.front() == '.') name.front() = '_';
    if (name.size() > 64) name.resize(64);
    return name;
}

void check_execute(const Config& config, const std::string& own_instance) {
    std::vector<std::string> errors;
    std::map<std::string, int> seen;
    for (const auto& e : config.globals.execute) {
        std::string name = execute_instance_name(e.file);
        std::string where = config.source + ":" + std::to_string(e.line) + ": execute=" + e.file;
        if (!control::is_valid_instance_name(name))
            errors.push_back(where + ": no instance name can be made of this file name");
        else if (name == own_instance)
            errors.push_back(where + " would run as instance " + name +
                             ", which is this daemon's own: rename the file");
        else if (auto [it, added] = seen.emplace(name, e.line); !added)
            errors.push_back(where + " would run as instance " + name + ", as the file of line " +
                             std::to_string(it->second) + " does: rename one of them");
    }
    if (!errors.empty()) throw ConfigError(std::move(errors), config.source);
}

ChildInstances::ChildInstances(Logger& log, std::string program, std::string state_root)
    : log_(log), program_(std::move(program)), state_root_(std::move(state_root)) {}

ChildInstances::~ChildInstances() { stop(std::chrono::seconds(10)); }

void ChildInstances::start(const std::string& instance, const std::string& file) {
    pid_t pid = -1;
    int err = spawn_child({program_, "-f", file, "--instance", instance, "--foreground", "--state-dir", state_root_},
                          ChildSettings{}, &pid);
    if (err != 0) {
        log_.error("execute=" + file + ": cannot start " + program_ + ": " + std::strerror(err));
        return;
    }
    children_[instance] = Child{pid, file};
    log_.info("execute=" + file + ": started instance " + instance + " (pid " + std::to_string(pid) + ")");
}

void ChildInstances::apply(const std::vector<GlobalConfig::Execute>& files, bool reload) {
    poll();
    std::set<std::string> named;
    for (const auto& e : files) {
        std::string instance = execute_instance_name(e.file);
        named.insert(instance);
        auto it = children_.find(instance);
        if (it == children_.end()) {
            start(instance, e.file);
        } else if (it->second.file != e.file) {
            // Another file under the same name: the old one goes.
            ::kill(it->second.pid, SIGTERM);
            leaving_.push_back(it->second);
            children_.erase(it);
            start(instance, e.file);
        } else if (reload) {
            ::kill(it->second.pid, SIGHUP);
        }
    }
    for (auto it = children_.begin(); it != children_.end();) {
        if (named.count(it->first)) {
            ++it;
            continue;
        }
        log_.info("execute=" + it->second.file + ": no longer configured, stopping instance " + it->first);
        ::kill(it->second.pid, SIGTERM);
        leaving_.push_back(it->second);
        it = children_.erase(it);
    }
}

void ChildInstances::poll() {
    auto ended = [this](const Child& c, const std::string& instance) {
        int status = 0;
        pid_t done = ::waitpid(c.pid, &status, WNOHANG);
        if (done == 0) return false;
        if (!instance.empty())
            log_.error("execute=" + c.file + ": instance " + instance + " ended (" +
                       (done == c.pid ? describe_wait_status(status) : std::string("reaped elsewhere")) +
                       "); the next reload starts it again");
        return true;
    };
    for (auto it = children_.begin(); it != children_.end();)
        it = ended(it->second, it->first) ? children_.erase(it) : std::next(it);
    std::erase_if(leaving_, [&](const Child& c) { return ended(c, ""); });
}

void ChildInstances::stop(std::chrono::milliseconds limit) {
    for (auto& [instance, c] : children_) {
        ::kill(c.pid, SIGTERM);
        leaving_.push_back(c);
    }
    children_.clear();
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!leaving_.empty() && std::chrono::steady_clock::now() < deadline) {
        poll();
        if (!leaving_.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    for (const auto& c : leaving_) {
        log_.error("execute=" + c.file + ": instance did not stop within " +
                   std::to_string(limit.count()) + " ms; killed");
        ::kill(c.pid, SIGKILL);
        ::waitpid(c.pid, nullptr, 0);
    }
    leaving_.clear();
}

}  // namespace xvs
