"""Parsers of outside formats (Prometheus exposition, pprof goroutine dumps, SSE, etcd JSON).

Each is its own small module, pure (no I/O), property-tested, and fast on big inputs.
"""
