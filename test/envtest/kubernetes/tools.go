//go:build tools

// Package tools pins the commands built from this module (kube-apiserver, and kubectl at the same version so
// the plugin tests run inside kubectl's supported version skew) into its graph so `go mod tidy` keeps them.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
