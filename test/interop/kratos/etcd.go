package main

import (
	"strings"
	"time"

	kratosetcd "github.com/go-kratos/kratos/contrib/registry/etcd/v2"
	clientv3 "go.etcd.io/etcd/client/v3"
)

type etcdBackend struct {
	*kratosetcd.Registry
	client *clientv3.Client
}

// newEtcd is kratos's documented setup: clientv3.New, then etcd.New(client, options…).
func newEtcd(address, root string, ttl time.Duration) (backend, error) {
	client, err := clientv3.New(clientv3.Config{Endpoints: strings.Split(address, ","), DialTimeout: 5 * time.Second})
	if err != nil {
		return nil, err
	}
	var opts []kratosetcd.Option
	if root != "" {
		opts = append(opts, kratosetcd.Namespace(root))
	}
	if ttl > 0 {
		opts = append(opts, kratosetcd.RegisterTTL(ttl))
	}
	return &etcdBackend{Registry: kratosetcd.New(client, opts...), client: client}, nil
}

// close closes the client: the keepalives stop, and the keys live until their leases expire.
func (b *etcdBackend) close() error { return b.client.Close() }
