package trace

import (
	"context"
	"net/http"

	clientv3 "go.etcd.io/etcd/client/v3"
)

func forward(in, out *http.Request) {
	out.Header["X-Trace-ID"] = in.Header["X-Trace-ID"] // one place, reported once
}

func resume(ctx context.Context, client *clientv3.Client, id clientv3.LeaseID) {
	ch, _ := client.KeepAlive(ctx, id)
	_ = ch // discarded: the keepalive queue fills up
}
