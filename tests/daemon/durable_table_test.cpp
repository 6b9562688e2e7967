// xvsadm's table kept by the daemon across reloads, restarts and SIGKILL, as
// IPVS's table outlives ldirectord: the daemon runs in a child process with
// a fake data plane and is driven by xvsadm's own command code.
#include <catch2/catch.hpp>

#include <sstream>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "daemon_fixture.h"

using namespace xvs;
using namespace xvs::testing;

namespace {

struct Result {
    int rc = 0;
    std::string out, err;
};

// `xvsadm WORDS` against the fixture's daemon, with `input` as its stdin (-R).
Result xvsadm(DaemonFixture& f, const std::string& words, const std::string& input = "") {
    std::vector<std::string> args{"--instance", f.instance};
    std::istringstream split(words);
    for (std::string w; split >> w;) args.push_back(w);
    std::ostringstream out, err;
    std::istringstream in(input);
    Result r;
    try {
        r.rc = cli::run_command(cli::parse_arguments(args), out, err, f.run_root(), in);
    } catch (const cli::UsageError& e) {  // as xvsadm's main() reports it
        err << e.what() << "\n";
        r.rc = e.exit_code;
    }
    r.out = out.str();
    r.err = err.str();
    return r;
}

std::string listing(DaemonFixture& f) {
    Result r = xvsadm(f, "-Ln");
    REQUIRE(r.rc == 0);
    return r.out;
}

fs::path table_dir(const DaemonFixture& f) { return fs::path(f.state_root()) / f.instance; }

// The operator's changes this file's tests make: a service of their own with
// a real, a weight edit of a real the file has, a real of the file deleted.
void make_changes(DaemonFixture& f) {
    CHECK(xvsadm(f, "-A -t 10.9.0.1:80 -s rr").rc == 0);
    CHECK(xvsadm(f, "-a -t 10.9.0.1:80 -r 10.9.1.1:80 -g -w 3").rc == 0);
    CHECK(xvsadm(f, "-a -t 10.9.0.1:80 -r 10.9.1.2:80 -g -w 4").rc == 0);
    CHECK(xvsadm(f, "-e -f 100 -r 192.168.239.133 -m -w 5").rc == 0);
    CHECK(xvsadm(f, "-d -f 100 -r 192.168.239.129").rc == 0);
}

}  // namespace

TEST_CASE("xvsadm's changes outlive a reload and a restart, -C and a reload give the file back",
          "[daemon]") {
    DaemonFixture f;
    REQUIRE(f.start());
    std::string file_only = listing(f);
    CHECK_FALSE(fs::exists(table_dir(f)));  // nothing changed, nothing stored
    make_changes(f);
    std::string changed = listing(f);
    CHECK_THAT(changed, Catch::Contains("TCP  10.9.0.1:80 rr"));
    CHECK_THAT(changed, Catch::Matches("(.|\n)*-> 192\\.168\\.239\\.133:0 +Masq +5 (.|\n)*"));
    CHECK_THAT(changed, !Catch::Contains("192.168.239.129"));
    CHECK(fs::exists(table_dir(f) / "table"));

    REQUIRE(f.call(control::Verb::reload).ok);
    CHECK(listing(f) == changed);
    CHECK_THAT(f.log_text(),
               Catch::Contains("reload: xvsadm's changes are kept on top of the file"));
    ::kill(f.pid, SIGHUP);
    REQUIRE(eventually(
        [&] { return count_lines_with(f.log_text(), "reload: xvsadm's changes are kept") == 2; }));
    CHECK(listing(f) == changed);

    CHECK(f.stop() == 0);
    REQUIRE(f.start());
    CHECK(listing(f) == changed);
    CHECK_THAT(f.log_text(), Catch::Contains("xvsadm's table from " + table_dir(f).string()));

    // Removed only by xvsadm: -D of its own service lasts across a restart.
    CHECK(xvsadm(f, "-D -t 10.9.0.1:80").rc == 0);
    CHECK(f.stop() == 0);
    REQUIRE(f.start());
    CHECK_THAT(listing(f), !Catch::Contains("10.9.0.1"));
    CHECK_THAT(listing(f), Catch::Matches("(.|\n)*-> 192\\.168\\.239\\.133:0 +Masq +5 (.|\n)*"));

    // -C empties the table; the next read of the file brings the file's back,
    // without any of xvsadm's changes, and nothing is left stored.
    CHECK(xvsadm(f, "-C").rc == 0);
    CHECK(xvsadm(f, "-Ln").out.find("FWM") == std::string::npos);
    REQUIRE(f.call(control::Verb::reload).ok);
    CHECK(listing(f) == file_only);
    CHECK(f.stop() == 0);
    CHECK_FALSE(fs::exists(table_dir(f)));
    REQUIRE(f.start());
    CHECK(listing(f) == file_only);
    CHECK(f.stop() == 0);
}

TEST_CASE("an acknowledged change survives a SIGKILL of the daemon right after it", "[daemon]") {
    DaemonFixture f;
    REQUIRE(f.start());
    make_changes(f);
    std::string changed = listing(f);
    CHECK(f.stop(SIGKILL) == 128 + SIGKILL);
    REQUIRE(f.start());
    CHECK(listing(f) == changed);
    CHECK(f.stop() == 0);
}

TEST_CASE("xvsadm -S, -C and -R round-trip the table, and the restored table is kept", "[daemon]") {
    DaemonFixture f;
    REQUIRE(f.start());
    make_changes(f);
    std::string changed = listing(f);
    Result saved = xvsadm(f, "-S -n");
    REQUIRE(saved.rc == 0);
    CHECK_THAT(saved.out, Catch::Contains("-A -t 10.9.0.1:80 -s rr"));
    CHECK(xvsadm(f, "-C").rc == 0);
    Result restored = xvsadm(f, "-R", saved.out);
    CHECK(restored.rc == 0);
    CHECK(restored.err.empty());
    CHECK(listing(f) == changed);
    CHECK(xvsadm(f, "-S -n").out == saved.out);
    // Now xvsadm's: a reload keeps it and so does a restart.
    REQUIRE(f.call(control::Verb::reload).ok);
    CHECK(listing(f) == changed);
    CHECK(f.stop() == 0);
    REQUIRE(f.start());
    CHECK(listing(f) == changed);
    CHECK(f.stop() == 0);
}

TEST_CASE(
    "a damaged stored table stops the start with its file and line, and is left for the operator",
    "[daemon]") {
    DaemonFixture f;
    fs::create_directories(table_dir(f));
    std::ofstream(table_dir(f) / "table")
        << "xvs-table/1 4\nservice deleted tcp 4 10.0.0.1 80\nend 1\n";
    CHECK_FALSE(f.start());
    std::string path = (table_dir(f) / "table").string();
    CHECK_THAT(f.stderr_text(),
               Catch::Contains("cannot start: " + path +
                               ":2: 'service deleted tcp 4 10.0.0.1 80' is not a table record"));
    CHECK(fs::exists(path));
}

TEST_CASE("a change the state directory cannot store is refused and undone", "[daemon]") {
    DaemonFixture f;
    // The snapshot's temporary name taken by a directory: its open() fails.
    fs::create_directories(table_dir(f) / "table.tmp");
    REQUIRE(f.start());
    std::string before = listing(f);
    Result added = xvsadm(f, "-A -t 10.9.0.1:80 -s rr");
    CHECK(added.rc == 255);
    CHECK(added.err == "cannot store xvsadm's table: cannot create " +
                           (table_dir(f) / "table.tmp").string() +
                           ": Is a directory; the change is undone\n");
    CHECK(listing(f) == before);
    CHECK(xvsadm(f, "-e -f 100 -r 192.168.239.133 -m -w 5").rc == 255);
    CHECK(listing(f) == before);
    CHECK(xvsadm(f, "-C").rc == 255);
    CHECK(listing(f) == before);
    CHECK_THAT(f.log_text(), Catch::Contains("xvsadm add-service: cannot store xvsadm's table"));

    // Once the disk takes it again, so does the daemon.
    fs::remove(table_dir(f) / "table.tmp");
    CHECK(xvsadm(f, "-A -t 10.9.0.1:80 -s rr").rc == 0);
    CHECK(f.stop() == 0);
    REQUIRE(f.start());
    CHECK_THAT(listing(f), Catch::Contains("TCP  10.9.0.1:80 rr"));
    CHECK(f.stop() == 0);
}

TEST_CASE(
    "xvsadm --set changes the timeouts in force, -L --timeout shows them, and they outlive a "
    "restart and -C",
    "[daemon]") {
    DaemonFixture f;
    REQUIRE(f.start());
    CHECK(xvsadm(f, "-L --timeout").out == "Timeout (tcp tcpfin udp): 900 120 300\n");
    Result set = xvsadm(f, "--set 100 0 30");
    CHECK(set.rc == 0);
    CHECK(set.err.empty());
    CHECK(xvsadm(f, "-L --timeout").out == "Timeout (tcp tcpfin udp): 100 120 30\n");
    CHECK_THAT(f.log_text(), Catch::Contains("xvsadm --set: timeouts (tcp tcpfin udp) 100 120 30"));
    CHECK(xvsadm(f, "-C").rc == 0);  // ipvsadm -C leaves the timeouts alone
    CHECK(xvsadm(f, "-L --timeout").out == "Timeout (tcp tcpfin udp): 100 120 30\n");
    REQUIRE(f.call(control::Verb::reload).ok);
    CHECK(f.stop() == 0);
    REQUIRE(f.start());
    CHECK(xvsadm(f, "-L --timeout").out == "Timeout (tcp tcpfin udp): 100 120 30\n");
    CHECK_THAT(f.log_text(),
               Catch::Contains("timeouts (tcp tcpfin udp) 100 120 30, as xvsadm --set left them"));

    // Refused by xvsadm as by ipvsadm, before anything is sent.
    Result few = xvsadm(f, "--set 100 50");
    CHECK(few.rc == 2);
    CHECK(few.err == "--set option requires 3 timeout values\n");
    CHECK(f.stop() == 0);
}

TEST_CASE("a reload drops the edits of a service the new file no longer has, and says so", "[daemon]") {
    DaemonFixture f;
    REQUIRE(f.start());
    std::string file_only = listing(f);
    CHECK(xvsadm(f, "-e -f 100 -r 192.168.239.133 -m -w 5").rc == 0);
    CHECK(xvsadm(f, "-A -t 10.9.0.1:80 -s rr").rc == 0);
    std::string seed = file_text(f.config_path());
    std::ofstream(f.config_path()) << "logfile=\"" << f.log_path() << "\"\nvirtual=10.9.0.7:80\n"
                                   << "    real=10.9.1.7:80 masq\n    checktype=on\n";
    REQUIRE(f.call(control::Verb::reload).ok);
    CHECK_THAT(f.log_text(), Catch::Contains("reload: FWM 100 is not in the file any more: xvsadm's edits of it "
                                             "are dropped"));
    CHECK_THAT(listing(f), Catch::Contains("TCP  10.9.0.1:80 rr"));  // xvsadm's own stays
    std::ofstream(f.config_path()) << seed;
    REQUIRE(f.call(control::Verb::reload).ok);
    std::string back = listing(f);
    CHECK_THAT(back, Catch::Matches("(.|\n)*-> 192\\.168\\.239\\.133:0 +Masq +2 (.|\n)*"));  // the file's weight
    CHECK_THAT(back, Catch::Contains("TCP  10.9.0.1:80 rr"));
    CHECK(f.stop() == 0);
}
