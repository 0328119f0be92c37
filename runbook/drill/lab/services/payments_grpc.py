"""The payments gRPC backend in the P0-2 outage: overloaded, answering UNAVAILABLE (R7).

It serves the standard health service (``payments.v1.Payments`` and the server as a whole
report NOT_SERVING) and ``/payments.v1.Payments/Charge``, which aborts every call with
``UNAVAILABLE``, as a backend does while its own upstream is down. Requests and responses are
raw bytes, so no generated stubs are needed.
"""

from __future__ import annotations

from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

SERVICE = "payments.v1.Payments"


def _charge(request: bytes, context: grpc.ServicerContext) -> bytes:
    context.abort(grpc.StatusCode.UNAVAILABLE, "ledger: connection refused (upstream overloaded)")
    return b""  # unreachable: abort raises


def main(name: str, directory: Path, opts: dict[str, Any]) -> None:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    status = health.HealthServicer()
    status.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
    status.set(SERVICE, health_pb2.HealthCheckResponse.NOT_SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(status, server)
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(SERVICE, {"Charge": grpc.unary_unary_rpc_method_handler(_charge)}),)
    )
    server.add_insecure_port(f"127.0.0.1:{int(opts['port'])}")
    server.start()
    server.wait_for_termination()
