# Sourced by the bench scripts (from the repository root).

# Builds kbackup for benchmarking (Release, no tests) into build-bench/; prints the binary.
build_bench_kbackup() {
  cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DKB_BUILD_TESTS=OFF \
    -DKB_BUILD_BENCH=OFF >/dev/null
  ninja -C build-bench -j2 kbackup >/dev/null
  echo "$PWD/build-bench/kbackup"
}
# The median of the numbers on stdin, one per line.
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# Seconds since the epoch, with nanoseconds.
now() { date +%s.%N; }
# The median of the arguments.
median_of() { printf '%s\n' "$@" | median; }
