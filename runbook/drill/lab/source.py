"""Go source trees with the anti-patterns behind each lab scenario, for the source-scan check.

The lab's services are Python, but the incident was about Go code: each scenario writes the
Go that its fault stands for (from the incident review) into ``<lab>/<scenario>/src``, so a
responder can run the source scan and be pointed at ``file:line`` as in a real repository.
"""

from __future__ import annotations

from pathlib import Path

SOURCES: dict[str, dict[str, str]] = {
    "p0-1": {
        "resolver/etcd_resolver.go": """package resolver

import (
\t"context"

\tclientv3 "go.etcd.io/etcd/client/v3"
)

// Every watcher grants and keeps alive on its own: several KeepAlive streams per lease.
func (w *watcher) register(ctx context.Context, client *clientv3.Client, key, addr string) error {
\tleaseResp, err := client.Grant(ctx, 10)
\tif err != nil {
\t\treturn err
\t}
\tif _, err := client.Put(ctx, key, addr, clientv3.WithLease(leaseResp.ID)); err != nil {
\t\treturn err
\t}
\tch, err := client.KeepAlive(ctx, leaseResp.ID)
\tif err != nil {
\t\treturn err
\t}
\tgo func() {
\t\tfor range ch {
\t\t}
\t}()
\treturn nil
}

func (w *watcher) resume(ctx context.Context, client *clientv3.Client, id clientv3.LeaseID) {
\tch, _ := client.KeepAlive(ctx, id)
\t_ = ch
}
""",
        "client/pool.go": """package client

import (
\t"net"
\t"sync"
)

// Long-lived connections kept in a sync.Pool: never closed, CLOSE_WAIT piles up.
var connPool = sync.Pool{
\tNew: func() interface{} {
\t\tconn, _ := net.Dial("tcp", "backend:8080")
\t\treturn conn
\t},
}

func call(payload []byte) error {
\tconn := connPool.Get().(net.Conn)
\tdefer connPool.Put(conn)
\t_, err := conn.Write(payload)
\treturn err
}
""",
        "health/probe.go": """package health

import (
\t"context"
\t"net/http"
\t"time"
)

func probeHTTP(url string) error {
\tctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
\tdefer cancel()
\treq, _ := http.NewRequestWithContext(ctx, "GET", url+"/health", nil)
\tresp, err := http.DefaultClient.Do(req)
\tif err != nil {
\t\treturn err
\t}
\tdefer resp.Body.Close()
\treturn nil
}
""",
    },
    "p0-2": {
        "checkout/charge.go": """package checkout

import (
\t"context"
\t"errors"
\t"fmt"

\t"google.golang.org/grpc/codes"
\t"google.golang.org/grpc/status"
)

func (s *Service) Charge(ctx context.Context, req *ChargeRequest) (*ChargeReply, error) {
\treply, err := s.payments.Charge(ctx, req)
\tif err != nil {
\t\twrapped := fmt.Errorf("rpc call failed: %w", err)
\t\tif errors.Is(wrapped, status.Error(codes.Unavailable, "")) { // never true: %w hid the status
\t\t\treturn s.fallback(ctx, req)
\t\t}
\t\treturn nil, wrapped
\t}
\treturn reply, nil
}
""",
    },
    "p0-3": {
        "api/handler.go": """package api

import (
\t"context"
\t"net/http"

\t"go.opentelemetry.io/otel"
)

var tracer = otel.Tracer("orders-api")

func handleRequest(ctx context.Context) {
\tgo func() {
\t\t// ctx is not passed in: the span starts a new trace
\t\t_, child := tracer.Start(context.Background(), "background-task")
\t\tdefer child.End()
\t}()
}

func forward(in, out *http.Request) {
\t// raw map lookup: Go canonicalised the key to X-Trace-Id, this finds nothing
\tout.Header["X-Trace-ID"] = in.Header["X-Trace-ID"]
}
""",
        "api/metrics.go": """package api

import "github.com/prometheus/client_golang/prometheus"

var requests = prometheus.NewCounterVec(prometheus.CounterOpts{
\tName: "http_requests_total",
\tHelp: "Requests by handler, code and user.",
}, []string{"handler", "code", "user_id"})
""",
    },
}


def write_sources(scenario: str, directory: Path) -> Path:
    """Write the scenario's Go tree under ``directory`` and return it."""
    for rel, text in SOURCES.get(scenario, {}).items():
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    directory.mkdir(parents=True, exist_ok=True)
    return directory
