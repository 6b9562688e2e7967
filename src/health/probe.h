// Probe: one check in flight, driven by the checker's epoll loop.
//
// Contract:
//  - The loop calls start() once, then on_io() whenever a fd the probe
//    watches is ready, until one of them returns a verdict. A probe never
//    blocks and never sleeps; it only watches fds through its ProbeIo.
//  - When the deadline passes first, the loop calls abandon() and builds the
//    verdict itself from phase(): "timeout after 2.0s while connecting".
//  - Destroying a probe closes everything it owns. A child process still
//    running must have been handed to ProbeIo::adopt_child() by abandon().
//  - A start() that finds no fd left for its socket, pipe or pidfd (EMFILE,
//    ENFILE) throws OutOfFds instead of a verdict: that says nothing about
//    the real, so the loop runs the round again later (back-pressure).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "common/unique_fd.h"
#include "health/check_spec.h"

namespace xvs {

class OutOfFds : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Throws OutOfFds (with `what` and the error) when `err` says the process or
// the system has no fd left; returns otherwise.
void throw_if_out_of_fds(int err, const std::string& what);

// The loop's side, one per probe in flight.
class ProbeIo {
public:
    virtual ~ProbeIo() = default;
    // Watch fd for these epoll events (replaces earlier interest in it).
    virtual void watch(int fd, uint32_t events) = 0;
    // A child that must still be reaped after the probe is gone.
    virtual void adopt_child(pid_t pid, UniqueFd pidfd) = 0;
};

class Probe {
public:
    virtual ~Probe() = default;
    virtual std::optional<CheckResult> start(ProbeIo& io) = 0;
    virtual std::optional<CheckResult> on_io(ProbeIo& io, uint32_t events) = 0;
    // What the probe was waiting for: "connecting", "waiting for the reply", ...
    virtual std::string phase() const = 0;
    // The deadline passed or the check was removed: stop what is running.
    virtual void abandon(ProbeIo&) {}
};

// The service-level half of a TCP check: what to say once connected and how
// to judge what comes back. Used by StreamProbe, with or without TLS.
class StreamDialogue {
public:
    virtual ~StreamDialogue() = default;
    // Once connected, before request(): the socket, for dialogues that name
    // their own address in the request (SIP's Via).
    virtual void on_connected(int /*fd*/) {}
    virtual std::string request() const = 0;
    // simpletcp shuts down its sending side after the request (ldirectord).
    virtual bool half_close_after_request() const { return false; }
    // Everything received so far; eof when the peer closed (or the size cap
    // was reached). Must return a verdict when eof is true.
    virtual std::optional<CheckResult> judge(std::string_view received, bool eof) = 0;
    // A dialogue of several turns (SMTP, POP, IMAP): what to send next, asked
    // after every judge() without a verdict; empty: nothing, read on.
    virtual std::string next_request() { return {}; }
    // Sent without waiting when the verdict is up (QUIT, LOGOUT), so that
    // the server sees a polite end; empty: nothing.
    virtual std::string farewell() const { return {}; }
    // What the dialogue waits for, for "timeout ... while waiting for X".
    virtual std::string awaited() const { return "the reply"; }
};

}  // namespace xvs
