# Sourced by the experiment scripts: `private_binary OUT` builds strawberry and puts a copy in
# OUT/strawberry, so rebuilding during the hours an experiment takes cannot change it midway. An
# OUT that already has its copy keeps it (an experiment resumed, or one script calling another on
# the same OUT, runs the binary it started with); REBUILD=1 replaces it. The copy is replaced by
# rename, so a second experiment started beside a running one neither fails with "Text file busy"
# nor changes the running copy's file.
private_binary() {
  mkdir -p "$1"
  if [ -x "$1/strawberry" ] && [ "${REBUILD:-0}" != 1 ]; then
    echo "using $1/strawberry as built when this experiment started (REBUILD=1 replaces it)" >&2
    return
  fi
  swift build -c release --product strawberry >/dev/null
  cp .build/release/strawberry "$1/strawberry.$$" && mv -f "$1/strawberry.$$" "$1/strawberry"
}
