//go:build tools

// Package tools pins the Consul agent for the tests. Consul's own go.mod points its submodules
// (api, sdk, proto-public, envoyextensions, troubleshoot) at local folders, so `go install
// github.com/hashicorp/consul@v1.16.3` refuses it; this module requires the release and the
// published versions of those submodules instead, and the launcher runs
// `go build github.com/hashicorp/consul` here. v1.16.3 is the newest release under the
// MPL-2.0 (later ones are under the BUSL).
package tools

import _ "github.com/hashicorp/consul"
