package main

import (
	kratosconsul "github.com/go-kratos/kratos/contrib/registry/consul/v2"
	"github.com/hashicorp/consul/api"
)

type consulBackend struct {
	*kratosconsul.Registry
}

// newConsul is kratos's documented setup: api.NewClient, then consul.New(client, options…).
// Health checks (a TCP check of every endpoint) are off unless asked for: the tests' endpoints
// do not listen, and nothing may dial them. The heartbeat (the TTL check "service:<id>", of
// twice the interval) stays on, as kratos's default.
func newConsul(address, token string, interval int, healthCheck bool) (backend, error) {
	cfg := api.DefaultConfig()
	cfg.Address = address
	cfg.Token = token
	client, err := api.NewClient(cfg)
	if err != nil {
		return nil, err
	}
	opts := []kratosconsul.Option{kratosconsul.WithHealthCheck(healthCheck)}
	if interval > 0 {
		opts = append(opts, kratosconsul.WithHealthCheckInterval(interval))
	}
	return &consulBackend{Registry: kratosconsul.New(client, opts...)}, nil
}

// close: kratos's Consul registry has no client to close; a stopping kratos app deregisters.
func (b *consulBackend) close() error { return nil }
