#include "xvs_xdp.skel.h"
