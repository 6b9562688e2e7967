#!/usr/bin/env bash
# Builds fuzz_config with clang (a separate CMake project, see CMakeLists.txt)
# and runs it for SECONDS on a seed corpus of real configurations. Fails on
# any crash, leak or sanitizer report; the reproducer is left in WORK_DIR.
# usage: run_fuzz.sh CLANGXX SOURCE_DIR WORK_DIR SECONDS
set -euo pipefail
clangxx=$1 source_dir=$2 work_dir=$3 seconds=$4
fuzz_dir=$source_dir/tests/fuzz
build_dir=$work_dir/fuzz-build
corpus=$work_dir/corpus-$$
trap 'rm -rf "$corpus"' EXIT

cmake -S "$fuzz_dir" -B "$build_dir" -DCMAKE_CXX_COMPILER="$clangxx" \
      -DXVS_SOURCE_DIR="$source_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build_dir" -j2 >/dev/null

mkdir -p "$corpus"
cp "$source_dir"/tests/config/data/*.cf "$corpus"/
if [ -r /usr/share/doc/ldirectord/examples/ldirectord.cf ]; then
    cp /usr/share/doc/ldirectord/examples/ldirectord.cf "$corpus"/ldirectord-example.cf
fi

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
"$build_dir/fuzz_config" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
     -max_len=16384 -print_final_stats=1 -dict="$fuzz_dir/config.dict" \
     -artifact_prefix="$work_dir/" "$corpus"
