// make_probe(): the probe that runs one round of a check.
//
// `negotiate` selects the negotiate half of checktype=N (combined); for the
// other types it is ignored. connect on a UDP virtual is an ICMP echo, as in
// ldirectord. Types that never probe (on, off, negotiate with service=none)
// are not probes: the checker answers them itself (see static_result()).
#pragma once

#include <memory>
#include <optional>
#include "health/receive_pattern.h"

#include "health/check_spec.h"
#include "health/probe.h"
#include "health/tls.h"

namespace xvs {

// The fixed answer of a check that is never probed, or nullopt.
std::optional<CheckResult> static_result(const CheckSpec& spec);

// The compiled receive= of a spec (null when empty).
std::shared_ptr<const ReceivePattern> compile_receive(const CheckSpec& spec);

// tls: the checker's client context (used by https only).
std::unique_ptr<Probe> make_probe(const CheckSpec& spec, bool negotiate,
                                  const std::shared_ptr<const ReceivePattern>& receive, const TlsContext& tls);

// The timeout of that round.
double probe_timeout_s(const CheckSpec& spec, bool negotiate);

}  // namespace xvs
