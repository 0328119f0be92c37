package registry

import (
	"context"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// retries KeepAlive on a timer without waiting for the stream to end: a new stream every tick
func renewForever(ctx context.Context, cli *clientv3.Client, id clientv3.LeaseID) {
	for ctx.Err() == nil {
		ch, err := cli.KeepAlive(ctx, id)
		if err != nil {
			continue
		}
		<-ch
	}
}
