#!/usr/bin/env bash
# Builds kube-apiserver, etcd and kubectl from the Go module proxy into a cache outside the repository,
# keyed by version, the way envtest expects them (one folder holding all three binaries).
# Only missing binaries are built, and each lands with its own rename, so a folder that running tests
# are using is never removed or half-written.
# Usage: test/envtest/build-assets.sh   -> prints the assets folder on its last line.
# A second run finds the binaries and returns in well under a second.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
k8s_version="$(awk '/^require k8s.io\/kubernetes /{print $3}' "$here/kubernetes/go.mod")"
etcd_version="$(awk '/^require go.etcd.io\/etcd\/server\/v3 /{print $3}' "$here/etcd/go.mod")"
cache_root="${WINPREFIX_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/winprefix}"
out="$cache_root/envtest/k8s-${k8s_version}-etcd-${etcd_version}-$(go env GOOS)-$(go env GOARCH)"

if [ -x "$out/kube-apiserver" ] && [ -x "$out/etcd" ] && [ -x "$out/kubectl" ]; then
  echo "$out"; exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "error: Go is not installed, so kube-apiserver, etcd and kubectl cannot be built." >&2
  echo "Install Go >= 1.26, or set KUBEBUILDER_ASSETS to a folder holding kube-apiserver, etcd and kubectl." >&2
  exit 3
fi
mkdir -p "$out"
# Test files started in parallel may all find a binary missing: one builds, the others wait, then find it.
exec 9>"$out.lock"
flock 9
if [ -x "$out/kube-apiserver" ] && [ -x "$out/etcd" ] && [ -x "$out/kubectl" ]; then
  echo "$out"; exit 0
fi
work="$(mktemp -d "$out.build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=mod
minor="${k8s_version#v1.}"; minor="${minor%%.*}"
date_now="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
ver_pkgs="k8s.io/component-base/version k8s.io/client-go/pkg/version"
ldflags="-s -w"
for p in $ver_pkgs; do
  ldflags="$ldflags -X $p.gitVersion=$k8s_version -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=$date_now"
done

step() { echo "[envtest] $(date -u +%H:%M:%S) $*" >&2; }
# `go build -v` prints each package as it compiles: counted, so the build visibly advances without flooding
# the log. Compiler and linker diagnostics ("# pkg" headers, "file.go:12: ..." lines, "go: ..." errors) are
# printed as they come, so a failing build says why.
progress() { awk 'BEGIN{n=0} /^\[envtest\]/ { print $0 > "/dev/stderr"; fflush("/dev/stderr"); next } /^#/ || /: / { print "[envtest]   " $0 > "/dev/stderr"; fflush("/dev/stderr"); next } {n++; if (n % 200 == 0) { printf "[envtest]   ... %d packages compiled (last: %s)\n", n, $0 > "/dev/stderr"; fflush("/dev/stderr") } } END { printf "[envtest]   %d packages compiled\n", n > "/dev/stderr" }'; }
# Wall time and peak memory of each build, when GNU time is installed (the numbers docs/testing.md quotes).
measure() {
  local what="$1"; shift
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "%e %M" -o "$work/.time-$what" "$@"
    read -r secs kb < "$work/.time-$what"; rm -f "$work/.time-$what"
    step "$what built in ${secs} s, peak memory $((kb / 1024)) MiB"
  else
    "$@"
  fi
}

# build NAME MODULE-DIR PACKAGE LDFLAGS HINT: builds one binary unless the cache already has it.
build() {
  local name="$1" dir="$2" pkg="$3" flags="$4" hint="$5"
  [ -x "$out/$name" ] && return 0
  step "building $name ($hint)"
  (cd "$here/$dir" && go mod download && measure "$name" go build -v -trimpath -ldflags "$flags" -o "$work/$name" "$pkg" 2>&1 | progress)
  mv -f "$work/$name" "$out/$name"
}
build etcd etcd go.etcd.io/etcd/server/v3 "-s -w" "etcd $etcd_version, first time only; about 1.5 minutes on 2 idle cores"
build kube-apiserver kubernetes k8s.io/kubernetes/cmd/kube-apiserver "$ldflags" "$k8s_version, first time only; about 6 minutes on 2 idle cores, 1.8 GiB of memory"
build kubectl kubernetes k8s.io/kubernetes/cmd/kubectl "$ldflags" "$k8s_version, first time only; about 2 minutes after kube-apiserver"
# sed reads to the end: `head -1` would exit first and the SIGPIPE (exit 141) fails the script under pipefail.
"$out/kube-apiserver" --version >&2
"$out/etcd" --version | sed -n 1p >&2
"$out/kubectl" version --client 2>/dev/null | sed -n 1p >&2
step "binaries cached in $out"
echo "$out"
