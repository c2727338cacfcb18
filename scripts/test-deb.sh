#!/usr/bin/env bash
# Installs the .deb that scripts/build-deb.sh made on this machine (apt resolves its dependencies), checks it as a
# lab technician would use it, and removes it again: `emotrace --version`, `emotrace live --help`, `man emotrace`
# showing every subcommand, an analysis of a real photo from outside the checkout (so the models come from
# /usr/share/emotrace/models), and bash completing `emotrace an<TAB>` from the installed completion file. Root
# only (it installs a package). Exit 1 with the failed check named.
set -euo pipefail
cd "$(dirname "$0")/.."
deb=$(ls -t target/debian/emotrace_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || { echo "test-deb: no target/debian/emotrace_*.deb: run scripts/build-deb.sh" >&2; exit 1; }
fail() { echo "test-deb: $*" >&2; exit 1; }
photo="$PWD/recordings/single_face.jpg"
export DEBIAN_FRONTEND=noninteractive
command -v man >/dev/null 2>&1 || apt-get install -y -qq man-db >/dev/null
apt-get install -y -qq "./$deb" >/dev/null
trap 'apt-get remove -y -qq emotrace >/dev/null 2>&1 || true' EXIT
[ "$(command -v emotrace)" = /usr/bin/emotrace ] || fail "emotrace is not /usr/bin/emotrace after the install"
# Each output is taken whole before it is searched: under pipefail, `emotrace ... | grep -q` fails whenever grep
# has its match and exits while emotrace is still writing (SIGPIPE, 141), as CI saw with live --help.
version=$(emotrace --version) || fail "emotrace --version exited $?"
grep -q '^emotrace ' <<<"$version" || fail "emotrace --version printed '$version'"
live_help=$(emotrace live --help) || fail "emotrace live --help exited $?"
grep -q -- '--camera' <<<"$live_help" || fail "live --help lacks --camera"
# Camera support is built in: the camera listing runs (no camera here: it says so, it does not say 'rebuild').
devices=$(emotrace devices 2>&1 || true)
if grep -qi 'features camera' <<<"$devices"; then fail "the package was built without camera support"; fi
# The manual page, as man finds it; a machine whose dpkg excludes /usr/share/man (minimal containers) gets the
# page from the package itself.
page=$(man -w emotrace 2>/dev/null || true)
if [ -z "$page" ]; then
  dir=$(mktemp -d)
  dpkg-deb -x "$deb" "$dir"
  page=$(ls "$dir"/usr/share/man/man1/emotrace.1*)
  echo "test-deb: man does not find emotrace(1) (dpkg excludes /usr/share/man here?); reading $page"
fi
shown=$(MANPAGER=cat MANWIDTH=100 man -l "$page" 2>/dev/null)
subs=$(emotrace --help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\)  .*/\1/p' | grep -vx help)
[ -n "$subs" ] || fail "no subcommands in emotrace --help"
for sub in $subs; do
  grep -q "emotrace $sub" <<<"$shown" || fail "man emotrace does not show 'emotrace $sub'"
done
# A real analysis from a folder without models/: the installed models are found.
work=$(mktemp -d)
(cd "$work" && emotrace analyze "$photo" --store "$work/store" --json) > "$work/out.json" \
  || fail "emotrace analyze from $work"
grep -q '"status":"completed"' "$work/out.json" || fail "analyze printed no summary: $(head -c 300 "$work/out.json")"
# bash loads the installed completion file and completes `emotrace an` to analyze (asking /usr/bin/emotrace).
words=$(bash --norc -c 'source /usr/share/bash-completion/completions/emotrace
  COMP_WORDS=(emotrace an); COMP_CWORD=1; _clap_complete_emotrace emotrace an emotrace; echo "${COMPREPLY[@]}"')
grep -qw analyze <<<"$words" || fail "bash completion of 'emotrace an' gave '$words'"
for f in /usr/share/zsh/vendor-completions/_emotrace /usr/share/fish/vendor_completions.d/emotrace.fish; do
  [ -f "$f" ] || fail "$f not installed"
done
echo "test-deb: $(basename "$deb") installs; --version, live --help, man ($(wc -w <<<"$subs") subcommands), analyze and completion work"
