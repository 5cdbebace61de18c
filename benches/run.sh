#!/usr/bin/env bash
# Benchmark: whole-process time and peak memory of `mcpc build --target all`
# for one plugin and for generated units of 200 and 2,000 servers.
# Usage: benches/run.sh [RUNS]   (prints a table; asserts nothing)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
cargo build --release -q
bin=target/release/mcpc
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

generate() { # $1 = number of servers, $2 = file
  {
    local per=50 p=0 i=0
    while [ "$i" -lt "$1" ]; do
      echo "plugin \"gen-$p\" {"
      echo "  version = \"1.0.$p\""
      for _ in $(seq 1 $per); do
        [ "$i" -ge "$1" ] && break
        if [ $((i % 2)) -eq 0 ]; then
          echo "  server \"s$i\" { command = \"npx\" args = [\"-y\", \"@acme/s$i@1.0.$i\"] env { TOKEN_$i = secret.TOKEN_$i } tools { deny = [\"rm\"] } tool_timeout = 30s }"
        else
          echo "  server \"s$i\" { url = \"https://s$i.acme.dev/mcp\" headers { Authorization = \"Bearer \${secret.T_$i}\" } }"
        fi
        i=$((i + 1))
      done
      echo "}"
      p=$((p + 1))
    done
  } > "$2"
}

cp examples/hello/hello.mcpc "$work/one.mcpc"
generate 200 "$work/s200.mcpc"
generate 2000 "$work/s2000.mcpc"

printf '%-12s %10s %12s %12s\n' input servers "mean ms" "peak RSS MB"
for input in one s200 s2000; do
  file="$work/$input.mcpc"
  servers=$(grep -c 'server "' "$file")
  start=$(date +%s%N)
  for _ in $(seq 1 "$runs"); do
    "$bin" build "$file" --target all --out "$work/out" >/dev/null 2>&1
  done
  end=$(date +%s%N)
  mean=$(( (end - start) / runs / 1000 ))
  /usr/bin/time -f '%M' -o "$work/rss" "$bin" build "$file" --target all --out "$work/out" >/dev/null 2>&1
  rss=$(tail -1 "$work/rss")
  printf '%-12s %10s %12s %12s\n' "$input" "$servers" "$(printf '%d.%03d' $((mean / 1000)) $((mean % 1000)))" "$(( rss / 1024 )).$(( (rss % 1024) * 10 / 1024 ))"
done
