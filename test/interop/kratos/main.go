// Command kratos-registry drives go-kratos's own registry code (contrib/registry/etcd,
// zookeeper, consul) for plugboard's interop tests. It reads one JSON command per line on
// stdin and writes one JSON line per reply or watcher event on stdout, so a test can drive it
// step by step and wait on what it prints. Instances travel as kratos's
// registry.ServiceInstance, marshalled by encoding/json exactly as kratos marshals them.
//
//	{"seq":1,"op":"register","instance":{…}}   → {"seq":1,"ok":true} or {"seq":1,"error":"…"}
//	{"seq":2,"op":"deregister","instance":{…}}
//	{"seq":3,"op":"get","name":"greeter"}       → {"seq":3,"ok":true,"instances":[…]}
//	{"seq":4,"op":"watch","name":"greeter","watch":"w1"}
//	                                            → {"seq":4,"ok":true}, then per Next():
//	                                              {"watch":"w1","instances":[…]} or {"watch":"w1","error":"…"}
//	{"seq":5,"op":"stop","watch":"w1"}          → Watcher.Stop()
//	{"seq":6,"op":"close"}                      → closes the backend's client (etcd client, ZooKeeper session)
//
// The first line is {"ready":true} once the client is connected. Errors go to stderr too.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/go-kratos/kratos/v2/registry"
)

// backend is one kratos registry and the client under it.
type backend interface {
	registry.Registrar
	registry.Discovery
	// close ends the client's connection or session, as a process exiting cleanly would.
	close() error
}

type command struct {
	Seq      int                       `json:"seq"`
	Op       string                    `json:"op"`
	Name     string                    `json:"name,omitempty"`
	Watch    string                    `json:"watch,omitempty"`
	Instance *registry.ServiceInstance `json:"instance,omitempty"`
}

type reply struct {
	Seq   int    `json:"seq,omitempty"`
	Ready bool   `json:"ready,omitempty"`
	OK    bool   `json:"ok,omitempty"`
	Error string `json:"error,omitempty"`
	Watch string `json:"watch,omitempty"`
	// A pointer, so that an empty list is written as [] and no list is left out.
	Instances *[]*registry.ServiceInstance `json:"instances,omitempty"`
}

var (
	outMu sync.Mutex
	out   = json.NewEncoder(os.Stdout)
)

func emit(r reply) {
	outMu.Lock()
	defer outMu.Unlock()
	if err := out.Encode(r); err != nil {
		fmt.Fprintln(os.Stderr, "write:", err)
		os.Exit(1)
	}
}

func list(seq int, watch string, ins []*registry.ServiceInstance, err error) reply {
	if err != nil {
		return reply{Seq: seq, Watch: watch, Error: err.Error()}
	}
	if ins == nil {
		ins = []*registry.ServiceInstance{}
	}
	return reply{Seq: seq, Watch: watch, OK: true, Instances: &ins}
}

func main() {
	kind := flag.String("backend", "", "etcd, zookeeper or consul")
	address := flag.String("address", "", "the server: etcd and ZooKeeper host:port, comma-separated; Consul host:port")
	root := flag.String("root", "", "etcd Namespace / ZooKeeper WithRootPath (kratos's default if empty)")
	ttl := flag.Duration("ttl", 0, "etcd RegisterTTL, ZooKeeper session timeout (kratos's default if 0)")
	auth := flag.String("auth", "", "ZooKeeper: user:password added to the session (conn.AddAuth(\"digest\", …))")
	acl := flag.String("acl", "", "ZooKeeper: user:password for kratos's WithDigestACL")
	token := flag.String("token", "", "Consul ACL token")
	interval := flag.Int("interval", 0, "Consul WithHealthCheckInterval in seconds (kratos's default if 0)")
	healthCheck := flag.Bool("health-check", false, "Consul WithHealthCheck (TCP checks of the endpoints)")
	flag.Parse()

	var (
		b   backend
		err error
	)
	switch *kind {
	case "etcd":
		b, err = newEtcd(*address, *root, *ttl)
	case "zookeeper":
		b, err = newZooKeeper(*address, *root, *ttl, *auth, *acl)
	case "consul":
		b, err = newConsul(*address, *token, *interval, *healthCheck)
	default:
		err = fmt.Errorf("unknown -backend %q", *kind)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "start:", err)
		os.Exit(2)
	}
	emit(reply{Ready: true})
	serve(b)
}

func serve(b backend) {
	watchers := map[string]registry.Watcher{}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 0, 1<<20), 4<<20)
	for in.Scan() {
		var c command
		if err := json.Unmarshal(in.Bytes(), &c); err != nil {
			emit(reply{Error: "bad command: " + err.Error()})
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		switch c.Op {
		case "register", "deregister":
			if c.Instance == nil {
				emit(reply{Seq: c.Seq, Error: "no instance"})
				break
			}
			var err error
			if c.Op == "register" {
				err = b.Register(ctx, c.Instance)
			} else {
				err = b.Deregister(ctx, c.Instance)
			}
			emit(done(c.Seq, err))
		case "get":
			ins, err := b.GetService(ctx, c.Name)
			emit(list(c.Seq, "", ins, err))
		case "watch":
			// The watcher lives past this command: its context is not the command's.
			w, err := b.Watch(context.Background(), c.Name)
			if err == nil {
				watchers[c.Watch] = w
				go pump(c.Watch, w)
			}
			emit(done(c.Seq, err))
		case "stop":
			w, ok := watchers[c.Watch]
			if !ok {
				emit(reply{Seq: c.Seq, Error: "no watcher " + c.Watch})
				break
			}
			delete(watchers, c.Watch)
			emit(done(c.Seq, w.Stop()))
		case "close":
			emit(done(c.Seq, b.close()))
		default:
			emit(reply{Seq: c.Seq, Error: "unknown op " + c.Op})
		}
		cancel()
	}
}

func done(seq int, err error) reply {
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		return reply{Seq: seq, Error: err.Error()}
	}
	return reply{Seq: seq, OK: true}
}

// pump prints every Next() of w, as kratos's gRPC resolver consumes a watcher
// (transport/grpc/resolver/discovery): it returns on context.Canceled (the watcher was
// stopped); on another error it waits a second and calls Next again.
func pump(id string, w registry.Watcher) {
	for {
		ins, err := w.Next()
		if errors.Is(err, context.Canceled) {
			return
		}
		emit(list(0, id, ins, err))
		if err != nil {
			time.Sleep(time.Second)
		}
	}
}
