// Package registry registers the service in etcd (article 2.1, the broken version).
package registry

import (
	"context"

	clientv3 "go.etcd.io/etcd/client/v3"
)

type resolverWatcher struct {
	client *clientv3.Client
	target string
}

// ❌ every Watcher starts its own KeepAlive: no lease sharing, no state coordination
func (w *resolverWatcher) Watch(ctx context.Context) error {
	leaseResp, _ := w.client.Grant(ctx, 10)
	ch := w.client.KeepAlive(ctx, leaseResp.ID) // several ch consume the same lease
	for resp := range ch {
		_ = resp
	}
	return nil
}

func register(ctx context.Context, cli *clientv3.Client, leaseID clientv3.LeaseID, targets []string) {
	for range targets {
		go func() {
			_, _ = cli.KeepAlive(ctx, leaseID)
		}()
	}
}
