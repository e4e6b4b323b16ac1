package main

import (
	"errors"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	kratoszk "github.com/go-kratos/kratos/contrib/registry/zookeeper/v2"
	"github.com/go-zookeeper/zk"
)

type zkBackend struct {
	*kratoszk.Registry
	conn *zk.Conn
}

// newZooKeeper is kratos's documented setup: zk.Connect, then zookeeper.New(conn, options…);
// with credentials, conn.AddAuth("digest", "user:password") and WithDigestACL, as kratos's
// own test does. auth and acl are separate so that a test can give a reader one without the
// other.
func newZooKeeper(address, root string, session time.Duration, auth, acl string) (backend, error) {
	if session <= 0 {
		session = 15 * time.Second
	}
	conn, events, err := zk.Connect(strings.Split(address, ","), session, zk.WithLogger(log.New(os.Stderr, "zk ", log.LstdFlags)))
	if err != nil {
		return nil, err
	}
	if err := awaitSession(events, 20*time.Second); err != nil {
		conn.Close()
		return nil, err
	}
	go func() {
		for range events { //nolint:revive // drained, so that the client never blocks on it
		}
	}()
	if auth != "" {
		if err := conn.AddAuth("digest", []byte(auth)); err != nil {
			conn.Close()
			return nil, err
		}
	}
	var opts []kratoszk.Option
	if root != "" {
		opts = append(opts, kratoszk.WithRootPath(root))
	}
	if acl != "" {
		user, password, ok := strings.Cut(acl, ":")
		if !ok {
			return nil, errors.New("-acl wants user:password")
		}
		opts = append(opts, kratoszk.WithDigestACL(user, password))
	}
	return &zkBackend{Registry: kratoszk.New(conn, opts...), conn: conn}, nil
}

func awaitSession(events <-chan zk.Event, within time.Duration) error {
	deadline := time.After(within)
	for {
		select {
		case ev := <-events:
			if ev.State == zk.StateHasSession {
				return nil
			}
			if ev.State == zk.StateAuthFailed {
				return errors.New("zookeeper: authentication failed")
			}
		case <-deadline:
			return fmt.Errorf("zookeeper: no session within %s", within)
		}
	}
}

// close ends the session: ZooKeeper deletes its ephemeral leaves at once.
func (b *zkBackend) close() error {
	b.conn.Close()
	return nil
}
