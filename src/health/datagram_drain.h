// drain_datagrams(): the receive loop of the datagram probes (DNS over UDP,
// ping). A readable socket may hold several datagrams, most of them not the
// answer (a late reply to an earlier query, someone else's echo reply), so
// each is handed to `judge` in turn until one settles the check.
//
// Returns judge's verdict for the first datagram it settles; nullopt when the
// socket is drained (EAGAIN) without one, so the probe keeps waiting; a down
// result naming the error when recv() fails otherwise. EINTR is retried.
// Datagrams longer than max_datagram_bytes reach `judge` truncated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>

#include "health/check_spec.h"

namespace xvs {

inline constexpr size_t max_datagram_bytes = 4096;

using DatagramJudge = std::function<std::optional<CheckResult>(std::span<const uint8_t>)>;

std::optional<CheckResult> drain_datagrams(int socket_fd, const DatagramJudge& judge);

}  // namespace xvs
