#include "dataplane/ipvs/ipvs_error.h"

#include <cerrno>
#include <cstring>

#include "common/errno_text.h"

namespace xvs {

std::string ipvs_error_text(IpvsOperation op, int e) {
    using Op = IpvsOperation;
    // Operation-specific texts first, as libipvs's ipvs_strerror() table has them.
    switch (op) {
        case Op::add_service:
            if (e == EEXIST) return "Service already exists";
            if (e == ENOENT) return "Scheduler or persistence engine not found";
            break;
        case Op::edit_service:
            if (e == ESRCH) return "No such service";
            if (e == ENOENT) return "Scheduler or persistence engine not found";
            break;
        case Op::delete_service:
        case Op::zero:
        case Op::list_destinations:
            if (e == ESRCH) return "No such service";
            break;
        case Op::add_destination:
            if (e == ESRCH) return "Service not defined";
            if (e == EEXIST) return "Destination already exists";
            break;
        case Op::edit_destination:
        case Op::delete_destination:
            if (e == ESRCH) return "Service not defined";
            if (e == ENOENT) return "No such destination";
            break;
        case Op::list_services:
        case Op::get_info:
        case Op::flush:
        case Op::set_timeouts:
        case Op::get_timeouts:
            break;
    }
    switch (e) {
        case EPERM: return "Permission denied (you must be root)";
        case EINVAL: return "Invalid operation.  Possibly wrong module version, address not unicast, ...";
        case ENOPROTOOPT: return "Protocol not available";
        case ENOMEM: return "Memory allocation problem";
        case EOPNOTSUPP: return "Operation not supported with IPv6";
        case EAFNOSUPPORT: return "Operation not supported with specified address family";
        case EMSGSIZE: return "Module is wrong version";
        default: return errno_text(e);
    }
}

}  // namespace xvs
