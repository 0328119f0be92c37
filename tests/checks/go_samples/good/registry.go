// Package registry: one LeaseManager owns the lease and the single KeepAlive stream (the fix).
package registry

import (
	"context"
	"sync"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// LeaseManager: globally unique lease ID, one KeepAlive stream, responses always drained.
// (The broken version called w.client.KeepAlive(ctx, leaseResp.ID) in every watcher.)
type LeaseManager struct {
	mu     sync.Mutex
	client *clientv3.Client
	id     clientv3.LeaseID
}

func (m *LeaseManager) Start(ctx context.Context, ttl int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	lease, err := m.client.Grant(ctx, ttl)
	if err != nil {
		return err
	}
	m.id = lease.ID
	ch, err := m.client.KeepAlive(ctx, lease.ID)
	if err != nil {
		return err
	}
	go func() {
		for range ch { // drain every response so the queue never fills
		}
	}()
	return nil
}
