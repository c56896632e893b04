#!/usr/bin/env python3
"""Stand-in `helm` for the fleet deploy tests (no helm binary can be installed on these machines).

It records each call and answers as Helm 3 does; it checks nothing on its own behalf (the
recorded values files go through Helm's real engine in check_fleet_values.py).

State folder: $STANDIN_HELM_DIR
  calls.jsonl          one JSON object per call: {"args": [...], "files": {path: content of each -f file}}
  releases/NS__NAME    the release's revision (created by upgrade --install)
  values/NAME.json     what `helm get values NAME --all -o json` prints (written by a test)
Environment:
  STANDIN_HELM_FAIL=NAME      upgrades of release NAME fail with Helm's error text, exit 1
  STANDIN_HELM_VERSION=v3.x   what `helm version --short` prints (default v3.16.2+g13654a5)
Applying: when --kubeconfig (or $KUBECONFIG) names a readable kubeconfig (the kube stand-in's),
an upgrade sends the release's `replicas` (from --set replicas=N, else the last -f file that
sets it, else the chart's values.yaml unless --reuse-values) to StatefulSet luxd in the namespace as a merge patch, as helm's apply of the rendered
StatefulSet would; the API server then brings the pods up. A missing kubeconfig applies nothing.
"""
import json
import os
import ssl
import sys
import time
import urllib.request

STATE = os.environ["STANDIN_HELM_DIR"]


def opt(args, *names):
    for i, a in enumerate(args):
        if a in names and i + 1 < len(args):
            return args[i + 1]
        for n in names:
            if n.startswith("--") and a.startswith(n + "="):
                return a.split("=", 1)[1]
    return None


def positional(args):
    """Arguments that are not flags or flag values (helm's flags here all take a value except these)."""
    bare = {"--install", "--create-namespace", "--reuse-values", "--all", "--short", "--dry-run", "--wait", "--atomic"}
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
        elif a in bare:
            pass
        elif a.startswith("-"):
            skip = "=" not in a
        else:
            out.append(a)
    return out


def main():
    args = sys.argv[1:]
    files = {}
    for i, a in enumerate(args):
        if a in ("-f", "--values") and i + 1 < len(args):
            try:
                with open(args[i + 1]) as fh:
                    files[args[i + 1]] = fh.read()
            except OSError as e:
                files[args[i + 1]] = None
                print("Error: open %s: %s" % (args[i + 1], e.strerror.lower()), file=sys.stderr)
                record(args, files)
                return 1
    record(args, files)
    pos = positional(args)
    ns = opt(args, "-n", "--namespace") or "default"
    if pos[:1] == ["version"]:
        print(os.environ.get("STANDIN_HELM_VERSION", "v3.16.2+g13654a5"))
        return 0
    if pos[:2] == ["get", "values"]:
        path = os.path.join(STATE, "values", pos[2] + ".json")
        if not os.path.exists(path):
            print("Error: release: not found", file=sys.stderr)
            return 1
        with open(path) as fh:
            sys.stdout.write(fh.read())
        return 0
    if pos[:1] == ["upgrade"]:
        name, chart = pos[1], pos[2]
        rel = os.path.join(STATE, "releases", "%s__%s" % (ns, name))
        exists = os.path.exists(rel)
        if os.environ.get("STANDIN_HELM_FAIL") == name:
            what = "UPGRADE FAILED" if exists else "INSTALLATION FAILED"
            print('Error: %s: cannot patch "luxd" with kind StatefulSet: StatefulSet.apps "luxd" is invalid: spec: '
                  "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
                  "'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden" % what,
                  file=sys.stderr)
            return 1
        if not exists and "--install" not in args:
            print('Error: UPGRADE FAILED: "%s" has no deployed releases' % name, file=sys.stderr)
            return 1
        rev = 1
        if exists:
            with open(rel) as fh:
                rev = int(fh.read()) + 1
        os.makedirs(os.path.dirname(rel), exist_ok=True)
        with open(rel, "w") as fh:
            fh.write(str(rev))
        if exists:
            print('Release "%s" has been upgraded. Happy Helming!' % name)
        else:
            print('Release "%s" does not exist. Installing it now.' % name)
        apply_replicas(args, ns, chart)
        print("NAME: %s\nLAST DEPLOYED: %s\nNAMESPACE: %s\nSTATUS: deployed\nREVISION: %d\nTEST SUITE: None"
              % (name, time.strftime("%a %b %d %H:%M:%S %Y"), ns, rev))
        return 0
    print('Error: unknown command "%s" for "helm"' % (pos[0] if pos else ""), file=sys.stderr)
    return 1


def apply_replicas(args, ns, chart):
    path = opt(args, "--kubeconfig") or os.environ.get("KUBECONFIG", "").split(":")[0]
    if not path or not os.path.exists(path):
        return
    import yaml
    replicas = None
    if "--reuse-values" not in args and os.path.exists(os.path.join(chart, "values.yaml")):
        with open(os.path.join(chart, "values.yaml")) as fh:
            replicas = (yaml.safe_load(fh) or {}).get("replicas")
    for i, a in enumerate(args):
        if a in ("-f", "--values") and i + 1 < len(args):
            with open(args[i + 1]) as fh:
                v = yaml.safe_load(fh) or {}
            replicas = v.get("replicas", replicas)
        if a == "--set" and i + 1 < len(args) and args[i + 1].startswith("replicas="):
            replicas = int(args[i + 1].split("=", 1)[1])
    if replicas is None:
        return
    with open(path) as fh:
        kc = yaml.safe_load(fh)
    ctx_name = opt(args, "--kube-context") or kc.get("current-context")
    ctx = next(c["context"] for c in kc["contexts"] if c["name"] == ctx_name)
    cluster = next(c["cluster"] for c in kc["clusters"] if c["name"] == ctx["cluster"])
    user = next(u["user"] for u in kc["users"] if u["name"] == ctx["user"])
    tls = ssl.create_default_context(cafile=cluster.get("certificate-authority"))
    req = urllib.request.Request("%s/apis/apps/v1/namespaces/%s/statefulsets/luxd" % (cluster["server"], ns), method="PATCH",
                                 data=json.dumps({"spec": {"replicas": int(replicas)}}).encode(),
                                 headers={"Content-Type": "application/merge-patch+json", "Authorization": "Bearer " + user.get("token", "")})
    urllib.request.urlopen(req, context=tls, timeout=10).read()


def record(args, files):
    with open(os.path.join(STATE, "calls.jsonl"), "a") as fh:
        fh.write(json.dumps({"args": args, "files": files}) + "\n")


if __name__ == "__main__":
    sys.exit(main())
