/* A real's overload flag: IPVS's IP_VS_DEST_F_OVERLOAD over the program's
 * counts (abi.h, struct xvs_real_conns.overloaded, thresholds in xvs_real).
 *
 * IPVS sets the flag when binding a new entry (flow or template) brings
 * active + inactive to the upper threshold (ip_vs_bind_dest), and clears it
 * when unbinding an entry leaves them below the lower threshold, below 3/4 of
 * the upper one when no lower is set, or at once without thresholds
 * (ip_vs_unbind_dest). Entries of a real are deleted here by the program and
 * by user space's sweeper, which does not look at the flag; so the clearing
 * rule is applied whenever the program looks at the flag: a scheduler asking
 * whether the real is overloaded, or a new entry for the real before it is
 * counted. Counts only fall between two such looks (every new entry is one),
 * and a rule that held after any deletion since still holds after the last,
 * so the flag is what IPVS's would be at that moment.
 */
#ifndef XVS_BPF_OVERLOAD_H
#define XVS_BPF_OVERLOAD_H

#include "lib/maps.h"

/* Whether IPVS's unbind of an entry would clear the flag at these counts. */
static __always_inline int overload_ends(const struct xvs_real *r, const struct xvs_real_conns *n)
{
    __s64 total = n->active + n->inactive;
    if (r->lower_threshold)
        return total < (__s64)r->lower_threshold;
    if (r->upper_threshold)
        return total * 4 < (__s64)r->upper_threshold * 3;
    return 1;
}

/* Whether real r, with counts n, takes no new flows from a scheduler; a flag
 * whose clearing rule holds now is cleared first. */
static __always_inline int real_overloaded(const struct xvs_real *r, struct xvs_real_conns *n)
{
    if (!n->overloaded)
        return 0;
    if (!overload_ends(r, n))
        return 1;
    n->overloaded = 0;
    return 0;
}

/* After a new entry of real r was counted in n: overloaded once active +
 * inactive reach the upper threshold (templates count in neither, as in
 * IPVS, but their binding checks too). */
static __always_inline void overload_after_bind(const struct xvs_real *r, struct xvs_real_conns *n)
{
    __u32 upper = r->upper_threshold;
    if (upper && n->active + n->inactive >= (__s64)upper)
        n->overloaded = 1;
}

#endif
