// The BPF filesystem where the data plane's maps are pinned.
//
// ensure_bpffs_mounted() mounts bpffs at /sys/fs/bpf when nothing of type bpf
// is mounted there (the case on these machines after boot);
// make_pin_directory() creates a directory below it, parents included.
// Both throw DataplaneError with the path and the reason.
#pragma once

#include <string>

namespace xvs {

void ensure_bpffs_mounted(const std::string& mount_point = "/sys/fs/bpf");
void make_pin_directory(const std::string& path);

}  // namespace xvs
