#!/usr/bin/env bash
# Builds kube-apiserver and etcd from the Go module proxy into a cache outside the repository,
# keyed by version, the way envtest expects them (one folder holding both binaries).
# Usage: test/envtest/build-assets.sh   -> prints the assets folder on its last line.
# A second run finds the binaries and returns in well under a second.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
k8s_version="$(awk '/^require k8s.io\/kubernetes /{print $3}' "$here/kube-apiserver/go.mod")"
etcd_version="$(awk '/^require go.etcd.io\/etcd\/server\/v3 /{print $3}' "$here/etcd/go.mod")"
cache_root="${WINPREFIX_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/winprefix}"
out="$cache_root/envtest/k8s-${k8s_version}-etcd-${etcd_version}-$(go env GOOS)-$(go env GOARCH)"

if [ -x "$out/kube-apiserver" ] && [ -x "$out/etcd" ]; then
  echo "$out"; exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "error: Go is not installed, so kube-apiserver and etcd cannot be built." >&2
  echo "Install Go >= 1.26, or set KUBEBUILDER_ASSETS to a folder holding kube-apiserver and etcd." >&2
  exit 3
fi
mkdir -p "$out.tmp"
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
    /usr/bin/time -f "%e %M" -o "$out.tmp/.time-$what" "$@"
    read -r secs kb < "$out.tmp/.time-$what"; rm -f "$out.tmp/.time-$what"
    step "$what built in ${secs} s, peak memory $((kb / 1024)) MiB"
  else
    "$@"
  fi
}

step "building etcd $etcd_version (first time only; about 1.5 minutes on 2 idle cores)"
(cd "$here/etcd" && go mod download && measure etcd go build -v -trimpath -ldflags "-s -w" -o "$out.tmp/etcd" go.etcd.io/etcd/server/v3 2>&1 | progress)
step "building kube-apiserver $k8s_version (first time only; about 6 minutes on 2 idle cores, 1.8 GiB of memory)"
(cd "$here/kube-apiserver" && go mod download && measure kube-apiserver go build -v -trimpath -ldflags "$ldflags" -o "$out.tmp/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver 2>&1 | progress)
"$out.tmp/kube-apiserver" --version >&2
"$out.tmp/etcd" --version | head -1 >&2
rm -rf "$out"; mv "$out.tmp" "$out"
step "binaries cached in $out"
echo "$out"
