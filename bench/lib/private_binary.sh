# Sourced by the experiment scripts: `private_binary OUT` builds strawberry and puts a copy in
# OUT/strawberry, so rebuilding during the hours an experiment takes cannot change it midway. The
# copy is replaced by rename, so a second experiment started beside a running one neither fails
# with "Text file busy" nor changes the running copy's file.
private_binary() {
  mkdir -p "$1"
  swift build -c release --product strawberry >/dev/null
  cp .build/release/strawberry "$1/strawberry.$$" && mv -f "$1/strawberry.$$" "$1/strawberry"
}
