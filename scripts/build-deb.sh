#!/usr/bin/env bash
# The Debian package for lab machines: emotrace with camera support (V4L2 through nokhwa; libclang-dev is needed
# to build it, not to run it), the models, the manual pages (emotrace(1) and one per subcommand) and the bash, zsh
# and fish completions where the system finds them. Needs cargo-deb (`cargo install cargo-deb --locked`) and
# dpkg-dev. Writes target/debian/emotrace_VERSION-1_ARCH.deb and prints its path.
#   install: sudo apt install ./target/debian/emotrace_*.deb    remove: sudo apt remove emotrace
set -euo pipefail
cd "$(dirname "$0")/.."
if ! cargo deb --version >/dev/null 2>&1; then
  echo "build-deb: cargo-deb is not installed: cargo install cargo-deb --locked" >&2
  exit 1
fi
cargo build --release --locked --features camera
assets=target/deb-assets
rm -rf "$assets"
mkdir -p "$assets/man" "$assets/completions"
target/release/emotrace man --dir "$assets/man"
# The package's completions run `emotrace` from PATH (the build's own path would be written otherwise).
target/release/emotrace completions bash --program emotrace > "$assets/completions/emotrace"
target/release/emotrace completions zsh --program emotrace > "$assets/completions/_emotrace"
target/release/emotrace completions fish --program emotrace > "$assets/completions/emotrace.fish"
cargo deb --no-build | tail -n 1
