//go:build tools

// Package envtest pins the kube-apiserver and etcd that the API-server tests run.
package envtest

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
