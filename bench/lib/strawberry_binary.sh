# Sourced by the bench/speed scripts: `strawberry_binary` prints the strawberry to measure —
# $STRAWBERRY_BINARY when it is set (a release build made elsewhere, e.g. with --scratch-path, so
# that measuring does not rebuild .build over a test build), else .build/release/strawberry, built
# first.
strawberry_binary() {
  if [ -n "${STRAWBERRY_BINARY:-}" ]; then
    [ -x "$STRAWBERRY_BINARY" ] || { echo "STRAWBERRY_BINARY '$STRAWBERRY_BINARY' is not an executable file" >&2; return 1; }
    echo "$STRAWBERRY_BINARY"
    return
  fi
  swift build -c release --product strawberry >/dev/null 2>&1 || { echo "swift build -c release failed; run it to see why" >&2; return 1; }
  echo "$PWD/.build/release/strawberry"
}
