// TableStore: xvsadm's changes to the table, kept on disk under the instance's
// state directory (/var/lib/xvs/INSTANCE/), so that they outlive reloads and
// restarts of xvsd as IPVS's table outlives restarts of ldirectord.
//
// What is stored is ImperativeChanges' records (daemon/imperative.h): the
// cost of a change on disk is the change, not the table.
//  - DIR/table: a snapshot. "xvs-table/1 GEN", one record per line, then
//    "end COUNT". Written to table.tmp, fsync()ed and renamed over the old
//    one, so a reader sees the old or the new snapshot, never a part.
//  - DIR/journal: "xvs-journal/1 GEN", then each change since that snapshot:
//    its records and a line "done", appended with one write() before xvsadm
//    gets its answer. A write() is in the kernel once it returns: a SIGKILL of
//    xvsd right after loses nothing; one during it leaves a change without
//    its "done", which load() drops whole (that change was never answered).
//    Against a power cut the table is as durable as the last snapshot's
//    fsync(), more than IPVS's table, which a reboot empties.
//  - compact() (when the journal has outgrown the snapshot, and at start)
//    writes snapshot GEN+1 and then a new empty journal GEN+1 the same way;
//    a journal whose GEN is not the snapshot's is left over from a compaction
//    that stopped between the two renames, and is ignored (the snapshot
//    already holds it).
// Record lines (fields as in control/record_fields.h; KEY = PROTO FAMILY ADDR
// PORT FWMARK, SETTINGS = SCHED FLAGS TIMEOUT PREFIX OPS, DEST = ADDR PORT
// METHOD WEIGHT LTHR UTHR):
//   service defined|edited KEY SETTINGS     service deleted|unset KEY
//   reals unset KEY                         real set KEY DEST FOLLOWS
//   real deleted|unset KEY ADDR PORT        clear
//   timeouts TCP TCPFIN UDP                 (ipvsadm --set, the values in force)
// A malformed line is a TableError "FILE:LINE: what"; nothing is half-loaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/unique_fd.h"
#include "daemon/imperative.h"

namespace xvs {

class TableError : public std::runtime_error {
   public:
    using std::runtime_error::runtime_error;
};

// One record as a line (no newline) and back; `where` is "FILE:".
std::string encode_record(const EditRecord& record);
EditRecord decode_record(std::string_view line, size_t line_no, const std::string& where);

class TableStore {
   public:
    struct Loaded {
        std::vector<EditRecord> records;  // snapshot, then journal, in order
        std::vector<std::string> notes;   // a dropped torn line, a stale journal
    };

    // Nothing is created before the first compact(): an instance xvsadm
    // never changed leaves no files.
    explicit TableStore(std::string dir);

    const std::string& dir() const { return dir_; }
    std::string table_path() const { return dir_ + "/table"; }
    std::string journal_path() const { return dir_ + "/journal"; }

    // Reads the snapshot and its journal; throws TableError on a malformed
    // file, naming it and the line.
    Loaded load() const;
    // Writes `snapshot` (the records of the whole table) as the new snapshot
    // and starts an empty journal, creating DIR (mode 0700, and its parent)
    // when missing; throws TableError.
    void compact(const std::vector<EditRecord>& snapshot);
    // Appends one change's records to the journal; throws TableError (the
    // caller undoes the change, and compacts before the next append: the
    // journal may end in a part of this one). Only after a compact().
    void append(const std::vector<EditRecord>& records);
    bool is_open() const { return journal_.valid(); }
    // Removes the files and DIR (when empty): xvsadm's table is empty.
    void remove_files();
    // Whether the journal has outgrown the snapshot (time to compact()).
    bool wants_compaction() const;

    uint64_t generation() const { return generation_; }
    size_t journal_records() const { return journal_records_; }

   private:
    Loaded read_both() const;

    std::string dir_;
    uint64_t generation_ = 0;
    size_t snapshot_records_ = 0;
    size_t journal_records_ = 0;
    UniqueFd journal_;
};

}  // namespace xvs
