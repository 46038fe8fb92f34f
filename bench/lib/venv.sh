# Sourced by bench/ scripts and .ci/run: `python_env NAME` makes (once) a virtual environment
# .venvs/NAME at the repository's root (outside bench/, which holds only our own files), with the
# pinned packages of bench/requirements/NAME.txt,
# and prints the path of its python. It is rebuilt when the requirements change.
python_env() {
  local name=$1 root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  local requirements="$root/requirements/$name.txt" venv="$root/../.venvs/$name"
  if [ ! -x "$venv/bin/python" ] || ! cmp -s "$requirements" "$venv/requirements.txt"; then
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements" >&2
    cp "$requirements" "$venv/requirements.txt"
  fi
  echo "$venv/bin/python"
}
