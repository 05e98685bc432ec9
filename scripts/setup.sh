#!/usr/bin/env bash
# jmnode setup: installs Debian 12 packages, builds, and either runs the node or the tests.
#   scripts/setup.sh run [CONFIG]   build (Release) and run `jmnode demo` (a whole market on a
#                                   simulated chain: makers, a taker, CoinJoins), or with CONFIG
#                                   `jmnode run --config CONFIG`
#   scripts/setup.sh test           build and pass every test suite: the full tree under ctest,
#                                   the unit suites again under ASan+UBSan, and each libFuzzer
#                                   target for a bounded time (JM_FUZZ_SECONDS, default 10)
# Idempotent: packages already installed and up-to-date build trees are reused.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(build-essential cmake ninja-build pkg-config ccache clang libclang-rt-14-dev
  libboost1.81-dev libboost-json1.81-dev libboost-log1.81-dev libboost-test1.81-dev
  libboost-filesystem1.81-dev libboost-thread1.81-dev libboost-program-options1.81-dev
  libsodium-dev libsecp256k1-dev librocksdb-dev libicu-dev libssl-dev
  # chromium: headless, for the orderbook page's browser test (test_orderbook_browser);
  # tor: tests start their own tor with DisableNetwork 1 (label tor); the system service is stopped
  chromium tor)
JOBS=${JOBS:-$(nproc)}

install_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  echo "Installing: ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
  # Debian starts tor as a networked service on install; tests need only the binary.
  if command -v systemctl >/dev/null && systemctl is-enabled tor >/dev/null 2>&1; then
    $sudo systemctl disable --now tor || true
  fi
}

configure_build() { # dir, extra cmake args...
  local dir=$1
  shift
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  cmake --build "$dir" -j "$JOBS"
}

mode=${1:-}
case "$mode" in
run)
  install_packages
  configure_build build-release -DCMAKE_BUILD_TYPE=Release -DJM_BUILD_TESTS=OFF -DJM_BUILD_BENCH=OFF
  if [ $# -ge 2 ]; then
    exec build-release/bin/jmnode run --config "$2"
  fi
  exec build-release/bin/jmnode demo
  ;;
test)
  install_packages
  start=$(date +%s)
  echo "== build and test (RelWithDebInfo)"
  # -g1 (line tables, function names: backtraces still work) compiles a third faster than -g; the
  # test sources, which mostly wait on sockets and processes, compile at -O0 (JM_TEST_CXX_FLAGS)
  # with precompiled headers (JM_TEST_PCH): the code under test keeps -O2.
  configure_build build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
    -DJM_TEST_CXX_FLAGS=-O0
  ctest --test-dir build --output-on-failure -j "$JOBS" --timeout 600

  # Debug (-O0): under ASan, -O1 compiled this tree half as slow again (Beast-heavy sources
  # most) for a few minutes less of tests. The test sources use the precompiled headers here too.
  echo "== unit suites under AddressSanitizer + UndefinedBehaviorSanitizer"
  configure_build build-asan -DCMAKE_BUILD_TYPE=Debug -DJM_SANITIZE=address,undefined -DJM_BUILD_BENCH=OFF \
    -DJM_TESTS_UNIT_ONLY=ON
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j "$JOBS" -L "unit|loader" --timeout 900

  echo "== libFuzzer targets (clang), ${JM_FUZZ_SECONDS:-10}s each"
  CC=clang CXX=clang++ configure_build build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DJM_BUILD_FUZZ=ON \
    -DJM_BUILD_TESTS=ON -DJM_BUILD_BENCH=OFF -DJM_SANITIZE=address,undefined -DJM_FUZZ_ONLY=ON \
    -DJM_FUZZ_SECONDS="${JM_FUZZ_SECONDS:-10}"
  ctest --test-dir build-fuzz --output-on-failure -j "$JOBS" -L fuzz
  echo "== all suites passed in $(($(date +%s) - start)) s"
  ;;
*)
  echo "usage: $0 run [CONFIG] | test" >&2
  exit 2
  ;;
esac
