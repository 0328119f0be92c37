package registry

import (
	"context"

	clientv3 "go.etcd.io/etcd/client/v3"
)

type session struct {
	cli   *clientv3.Client
	lease clientv3.LeaseID
}

// two owners renew the same lease: two streams race, a cancelled ctx kills one of them
func (s *session) renew(ctx context.Context) {
	ch, _ := s.cli.KeepAlive(ctx, s.lease)
	for range ch {
	}
}

func (s *session) heartbeat(ctx context.Context) {
	beats, _ := s.cli.KeepAlive(ctx, s.lease)
	<-beats
}
