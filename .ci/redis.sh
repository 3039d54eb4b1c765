# Sourced by .ci/run: start a redis-server for the channels tests (tests/streaming/redis_server.py).
# Installs Debian's redis-server if it is missing (CI runs as root); without it
# the Redis tests fail under CI=true and skip by hand, saying why.
if ! command -v redis-server >/dev/null 2>&1; then
    { apt-get install -y -q redis-server >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q redis-server >/dev/null 2>&1; }; } \
      || echo "warning: could not install redis-server; the Redis tests will not run" >&2
fi
if command -v redis-server >/dev/null 2>&1; then
    redis_port="$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    redis_dir="$(mktemp -d)"
    redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$redis_dir" --save "" --appendonly no \
        --loglevel warning >/dev/null 2>&1 &
    redis_pid=$!
    trap 'kill "$redis_pid" 2>/dev/null || true; rm -rf "$redis_dir"' EXIT
    for _ in $(seq 100); do
        python -c "import socket; socket.create_connection(('127.0.0.1', $redis_port), 0.1).close()" 2>/dev/null && break
        sleep 0.1
    done
    export FERRULE_TEST_REDIS_URL="redis://127.0.0.1:$redis_port/0"
fi
