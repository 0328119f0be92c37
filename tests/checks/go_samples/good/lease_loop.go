// Package registry: a correct registrar. One lease at a time; KeepAlive is called again only
// after the previous channel closed (the stream died or the lease expired); every response drained.
package registry

import (
	"context"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

type registrar struct {
	cli *clientv3.Client
	key string
}

func (r *registrar) Run(ctx context.Context, addr string) {
	for ctx.Err() == nil {
		grant, err := r.cli.Grant(ctx, 10)
		if err != nil {
			time.Sleep(time.Second)
			continue
		}
		if _, err := r.cli.Put(ctx, r.key, addr, clientv3.WithLease(grant.ID)); err != nil {
			continue
		}
		alive, err := r.cli.KeepAlive(ctx, grant.ID)
		if err != nil {
			continue
		}
		for {
			resp, ok := <-alive
			if !ok {
				break // closed: re-grant and re-register
			}
			_ = resp.TTL
		}
	}
}
