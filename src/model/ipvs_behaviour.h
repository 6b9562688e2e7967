// IpvsBehaviour: IPVS's behaviour switches (its sysctls of the same names,
// net/ipv4/vs/), at the kernel's defaults. xvs.cf sets them; every data
// plane serving gives them the same meaning.
#pragma once

namespace xvs {

struct IpvsBehaviour {
    // A flow whose real was removed is deleted at its next packet (which is
    // dropped either way), and a new connection (SYN) to a flow of a
    // quiescent real is scheduled afresh. Off, such flows wait (dropped)
    // until they time out or their real is added back.
    bool expire_nodest_conn = false;
    // A persistence template to a quiescent (weight 0) real expires when its
    // client's next connection comes, which is then scheduled afresh.
    bool expire_quiescent_template = false;
    // Any TCP segment (but RST) without a flow may start one, not only a SYN.
    bool sloppy_tcp = false;
    // Port reuse: bit 1, a SYN to a flow in CLOSE/TIME_WAIT is a new
    // connection; bit 2, also in FIN_WAIT (flows seen from the client side
    // only, as every flow on XDP and DR/TUN flows on IPVS). 0 to 3.
    int conn_reuse_mode = 1;
    bool operator==(const IpvsBehaviour&) const = default;
};

}  // namespace xvs
