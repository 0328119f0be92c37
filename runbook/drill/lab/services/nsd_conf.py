"""Configuration for a real NSD serving ``orders.svc.test`` in fixed (zone) order (R3).

NSD answers with the records in zone order every time, which is exactly what defeats DNS
round-robin for Go clients: they dial the first IPv4 address they are given.
"""

from __future__ import annotations

from pathlib import Path

ADDRESSES = ("10.0.0.1", "10.0.0.2", "10.0.0.3")


def write_nsd_config(directory: Path, port: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    zone = directory / "svc.test.zone"
    zone.write_text(
        "$ORIGIN svc.test.\n$TTL 5\n"
        "@ IN SOA ns.svc.test. admin.svc.test. 1 3600 600 86400 5\n"
        "@ IN NS ns.svc.test.\nns IN A 127.0.0.1\n" + "".join(f"orders IN A {ip}\n" for ip in ADDRESSES)
    )
    conf = directory / "nsd.conf"
    d = str(directory)
    conf.write_text(f"""server:
  ip-address: 127.0.0.1
  port: {port}
  username: ""
  chroot: ""
  database: ""
  zonesdir: "{d}"
  zonelistfile: "{d}/zone.list"
  pidfile: "{d}/nsd.pid"
  xfrdfile: "{d}/xfrd.state"
  xfrdir: "{d}"
  logfile: "{d}/nsd-server.log"
  verbosity: 0
remote-control:
  control-enable: no
zone:
  name: svc.test
  zonefile: "{zone}"
""")
    return conf
