// ChildInstances: execute=. ldirectord starts another ldirectord for each
// named configuration (`ldirectord FILE start`), reloads them when it
// reloads (reload, else start) and stops them when it stops. xvsd does the
// same with another xvsd instance per file:
//
//   XVSD -f FILE --instance NAME --foreground --state-dir STATE_ROOT
//
// NAME is the file's base name with a trailing ".cf" dropped and every
// character an instance name cannot hold turned into '_'
// (execute_instance_name()); two execute= lines naming the same instance, or
// one naming this daemon's own, are refused with their line.
//
// Contract:
//  - apply(files): starts what is not running; on a reload SIGHUPs what runs
//    and still is named; SIGTERMs what is no longer named (reaped by poll()).
//  - poll() (the 1 s timer) reaps children that ended and logs how; a child
//    that ended is started again only by the next reload, as ldirectord's
//    "reload or start" does, never in a loop.
//  - stop(limit): SIGTERM to all, waits up to `limit`, then SIGKILL.
//  - Each child is another daemon with its own run directory, log and data
//    plane; its errors are in its own log.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "config/config.h"
#include "daemon/logger.h"

namespace xvs {

std::string execute_instance_name(const std::string& file);

// Throws ConfigError ("FILE:LINE: ...") for execute= lines that cannot run
// beside `own_instance`.
void check_execute(const Config& config, const std::string& own_instance);

class ChildInstances {
   public:
    ChildInstances(Logger& log, std::string program, std::string state_root);
    ~ChildInstances();
    ChildInstances(const ChildInstances&) = delete;
    ChildInstances& operator=(const ChildInstances&) = delete;

    void apply(const std::vector<GlobalConfig::Execute>& files, bool reload);
    void poll();
    void stop(std::chrono::milliseconds limit);
    size_t running() const { return children_.size(); }

   private:
    void start(const std::string& instance, const std::string& file);

    Logger& log_;
    std::string program_;
    std::string state_root_;  // this daemon's --state-dir, for theirs
    struct Child {
        pid_t pid = -1;
        std::string file;
    };
    std::map<std::string, Child> children_;  // instance -> its process
    std::vector<Child> leaving_;             // told to stop, not reaped yet
};

}  // namespace xvs
