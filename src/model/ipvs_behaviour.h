// IpvsBehaviour: IPVS's behaviour switches (its sysctls of the same names,
// net/ipv4/vs/), at the kernel's defaults. xvs.cf sets them; every data
// plane serving gives them the same meaning.
#pragma once

namespace xvs {

struct IpvsBehaviour {
    // A persistence template to a quiescent (weight 0) real expires when its
    // client's next connection comes, which is then scheduled afresh.
    bool expire_quiescent_template = false;
    bool operator==(const IpvsBehaviour&) const = default;
};

}  // namespace xvs
