#!/usr/bin/env python3
"""Renders the helm commands `chainsnap fleet deploy` ran (or printed) with Helm's real engine.

Input: the stand-in helm's calls.jsonl (--calls; the -f files as they were at call time) or a
dry run's output (--dry-run-output; its `helm upgrade` lines, the -f files read from disk).
For every `helm upgrade --install RELEASE CHART -n NS … -f …` it merges the chart's values.yaml
and the -f files in order (as helm does), renders the chart with helm-python-sdk in namespace NS,
runs Helm's lint, validates every object against the Kubernetes 1.30 schemas (strict), and applies
check_chart.py's assertions (check_rendered: OnDelete, TCP probes, the init container's and the
supervisor's chainsnap arguments accepted by the real binary, no Secret values, …).
It also asserts the release lands in lux-{network} or lux-{tenant}-{network} as the fleet file says.

Usage: check_fleet_values.py --root ROOT --chainsnap BIN (--calls FILE | --dry-run-output FILE)
       [--expect NS=KEY=VALUE …]   (a rendered value to assert, e.g. lux-mainnet=replicas=5)
Prints one `done` line per release and `PASSED: 0 failures` at the end; exit 1 on any failure.
"""
import argparse
import json
import os
import shlex
import sys
import time

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_chart as cc  # noqa: E402
import helm_python  # noqa: E402


def calls_from_jsonl(path):
    with open(path) as fh:
        for line in fh:
            c = json.loads(line)
            yield c["args"], c["files"]


def calls_from_dry_run(path):
    with open(path) as fh:
        for line in fh:
            if line.startswith("helm upgrade"):
                args = shlex.split(line)[1:]
                files = {}
                for i, a in enumerate(args):
                    if a == "-f":
                        with open(args[i + 1]) as f:
                            files[args[i + 1]] = f.read()
                yield args, files


def parse(args):
    pos, flags, i = [], {"-f": [], "--set": []}, 0
    while i < len(args):
        a = args[i]
        if a in ("-f", "--set", "-n", "--namespace", "--kubeconfig", "--kube-context"):
            flags.setdefault(a, []).append(args[i + 1])
            i += 2
            continue
        if not a.startswith("-"):
            pos.append(a)
        else:
            flags.setdefault(a, []).append(True)
        i += 1
    return pos, flags


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", required=True)
    ap.add_argument("--chainsnap", required=True)
    ap.add_argument("--calls")
    ap.add_argument("--dry-run-output")
    ap.add_argument("--expect", action="append", default=[])
    a = ap.parse_args()
    t0 = time.time()
    out = cc.Failures(False)
    warnings = []
    crds = cc.load_crds(os.path.join(os.path.dirname(os.path.abspath(__file__)), "crds"))
    binary = cc.Binary(a.chainsnap)
    calls = calls_from_jsonl(a.calls) if a.calls else calls_from_dry_run(a.dry_run_output)
    rendered_values = {}
    count = 0
    for args, files in calls:
        pos, flags = parse(args)
        if pos[:1] != ["upgrade"] or "--install" not in flags:
            continue
        count += 1
        release, chart = pos[1], pos[2]
        ns = (flags.get("-n") or flags.get("--namespace") or ["default"])[0]
        name = "%s (%s)" % (release, ns)
        out.check("--create-namespace" in flags, name, "helm creates the namespace")
        vals = {}
        with open(os.path.join(chart, "values.yaml")) as fh:
            vals = helm_python.values_from_yaml(fh.read()) or {}
        for f in flags["-f"]:
            if files.get(f) is None:
                out.fail(name, "values file %s was not readable when helm ran" % f)
                continue
            vals = cc.deep_merge(vals, helm_python.values_from_yaml(files[f]) or {})
        if flags["--set"]:
            out.fail(name, "--set is not expected from fleet deploy (overrides go into the generated values file): %s" % flags["--set"])
        rendered_values[ns] = vals
        tenant = vals.get("tenant")
        want_ns = "lux-%s-%s" % (tenant, vals["network"]["name"]) if tenant else "lux-%s" % vals["network"]["name"]
        out.check(ns == want_ns or vals.get("namespace", {}).get("name") == ns, name, "namespace %s is %s" % (ns, want_ns))
        cc.lint(chart, vals, name, out, namespace=ns)
        docs_by_tpl, err = cc.render(chart, vals, namespace=ns)
        if err:
            out.fail(name, "render failed: %s" % err)
            continue
        docs = []
        for path, text in sorted(docs_by_tpl.items()):
            for d in cc.load_docs(text, path, out):
                cc.validate(d, "%s %s" % (name, os.path.basename(path)), crds, out)
                docs.append(d)
        for key, d in cc.embedded_manifests(docs):
            cc.validate(d, "%s luxd-snapshot-export/%s" % (name, key), crds, out)
        # check_rendered expects objects in namespace.name, else lux-{tenant}-{network}, else "lux" (its own
        # render namespace): name the release namespace for its expectations only.
        expect_vals = cc.deep_merge(vals, {"namespace": {"name": vals.get("namespace", {}).get("name") or ns}})
        cc.check_rendered(name, expect_vals, docs, {"binary": binary, "chart": chart}, out, warnings)
        cc.check_snapshot_cronjob(name, docs, expect_vals, binary, out)
        print("done  %-32s %d objects" % (name, len(docs)))
    out.check(count > 0, "input", "%d helm upgrade --install commands found" % count)
    for e in a.expect:
        ns, key, want = e.split("=", 2)
        v = rendered_values.get(ns)
        for k in key.split(".") if v is not None else []:
            v = v.get(k) if isinstance(v, dict) else None
        out.check(v is not None and yaml.safe_dump(v).strip() == yaml.safe_dump(yaml.safe_load(want)).strip(), ns,
                  "%s = %s (got %r)" % (key, want, v))
    for w in warnings:
        print("WARN  %s" % w)
    print("%s: %d failures, %d warnings, %.1f s" % ("FAILED" if out.items else "PASSED", len(out.items), len(warnings), time.time() - t0))
    sys.exit(1 if out.items else 0)


if __name__ == "__main__":
    main()
