# Sourced by the benchmark scripts: the CPU seconds (user + sys) of each PostgreSQL backend
# serving database $1 while process $2 runs, on one line ("12.16 6.88"). Each backend's
# counters in /proc/PID/stat are read every 0.2 s and the last reading of each is kept.
backends_cpu_while() {
    local db=$1 pid=$2
    declare -A ticks
    while kill -0 "$pid" 2>/dev/null; do
        for p in $(pgrep -f "postgres: .* $db " || true); do
            t=$(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null) && ticks[$p]=$t
        done
        sleep 0.2
    done
    for t in "${ticks[@]}"; do echo "$t"; done |
        awk -v hz="$(getconf CLK_TCK)" '$1 > 0 { printf "%s%.2f", (n++ ? " " : ""), $1 / hz } END { print "" }'
}
