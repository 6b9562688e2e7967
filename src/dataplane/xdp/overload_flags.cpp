#include "dataplane/xdp/overload_flags.h"

namespace xvs {

bool edit_clears_overload(uint32_t before, uint32_t after) { return after == 0 || after > before; }

}  // namespace xvs
