"""Benchmark: parse + validate a generated library of 5,000 nodes, against markdown-it-py's
bare parse of the same text (our overhead over parsing alone; aim: at most 2x).

Both are measured in the same run, alternating, best of several rounds (the machines are
noisy). Run: python bench/validate.py [--nodes 5000] [--files 100] [--rounds 5]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from markdown_it import MarkdownIt

from runbook.playbook.library import load_library
from runbook.playbook.validate import registry_param_validator, validate_library

CHECK_EVERY = 3


def generate(nodes_per_file: int, index: int, files: int) -> str:
    pid = f"pb-{index:04d}"
    out = [
        "---",
        f"id: {pid}",
        f"title: Generated playbook {index}",
        "summary: Generated for the validation benchmark.",
        "symptoms: [requests time out]",
        "rules: [R1, R2]",
        "start: n0",
        "variables:",
        "  - name: url",
        "    description: base URL of the service",
        "    example: http://127.0.0.1:8080",
        "---",
        f"# Generated playbook {index}",
        "",
    ]
    last = nodes_per_file - 1
    for n in range(nodes_per_file):
        out.append(f"## Step {n} of playbook {index}: is the service healthy? {{#n{n}}}")
        out.append("")
        out.append("Some prose for the responder, with **emphasis**, `code` and a [link](https://example.com).")
        out.append("")
        if n == last:
            out += [
                "```conclusion",
                "rules: [R1]",
                "fix: Do the right thing.",
                "actions:",
                "  - text: Fix it",
                "    type: prevent",
                "    owner: service owner",
                "```",
                "",
            ]
            continue
        nxt, alt = f"n{n + 1}", f"n{min(n + 2, last)}"
        if n % CHECK_EVERY == 0:
            out += [
                "```check",
                "type: http_probe_flapping",
                "params:",
                '  url: "{{ url }}/health"',
                "  probe_timeout_s: 1",
                "timeout: 10",
                "verdicts:",
                f"  ok: {nxt}",
                f"  fail: {alt}",
                "```",
                "",
            ]
        out.append(f"- [Yes]({'#' + nxt})")
        out.append(f"- [No]({'#' + alt})")
        if n == 0 and index + 1 < files:
            out.append(f"- [Elsewhere](pb-{index + 1:04d}#n0)")
        out.append("")
    return "\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--nodes", type=int, default=5000)
    ap.add_argument("--files", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    per_file = args.nodes // args.files
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        texts = []
        for i in range(args.files):
            text = generate(per_file, i, args.files)
            (root / f"pb-{i:04d}.md").write_text(text)
            texts.append(text)
        total_bytes = sum(len(t) for t in texts)
        bare = MarkdownIt("commonmark")
        # check params are validated against the real registry, as `runbook validate` does
        # (the catalog is imported here, once, outside the timing)
        params = registry_param_validator()
        ours, base = [], []
        errors = None
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            for t in texts:
                bare.parse(t)
            base.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            lib = load_library([root])
            errors = validate_library(lib, known_rules={"R1", "R2"}, param_validator=params)
            ours.append(time.perf_counter() - t0)
        n_nodes = sum(len(p.nodes) for p in lib.playbooks.values())
        assert not errors, errors[:3]
        print(f"library: {args.files} files, {n_nodes} nodes, {total_bytes / 1e6:.2f} MB")
        print(f"markdown-it bare parse:   best {min(base) * 1000:8.1f} ms")
        print(f"runbook parse + validate: best {min(ours) * 1000:8.1f} ms")
        print(f"ratio (ours / bare parse): {min(ours) / min(base):.2f}x  (aim: <= 2x)")


if __name__ == "__main__":
    main()
