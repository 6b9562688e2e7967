// ConfigWatch: autoreload=yes without polling. An inotify watch on the
// directory of the configuration file (not on the file itself: editors and
// config management replace the file by renaming a new one over it, which a
// watch on the old inode would never see).
//
// Contract: fd() becomes readable on any event in the directory;
// changed() drains the events and says whether one of them finished a write
// to the file, moved a file onto its name, removed it or changed its attributes. Throws
// std::system_error when inotify cannot be set up.
#pragma once

#include <string>

#include "common/unique_fd.h"

namespace xvs {

class ConfigWatch {
   public:
    explicit ConfigWatch(const std::string& config_path);
    int fd() const { return fd_.get(); }
    bool changed();

   private:
    UniqueFd fd_;
    std::string file_name_;
};

}  // namespace xvs
