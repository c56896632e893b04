#!/usr/bin/env python3
"""Checks charts/lux and jobs/ without a cluster; run by Tests/EndToEndTests/K8sChartTests.swift.

For every values file (values.yaml alone, then with each values-<network>.yaml) and for a few
scenarios (all features on, clearData, a tenant), this renders the chart with Helm's own engine
(helm-python-sdk), runs Helm's lint, validates every rendered object -- and the manifests the
snapshot CronJob creates from its ConfigMap -- against the Kubernetes 1.30 schemas in strict mode
(kubernetes-validate; VolumeSnapshot against its CRD schema in crds/), and asserts:
  - the StatefulSet updates OnDelete; every probe is a TCP probe on the HTTP port;
  - the init container's and the supervisor's chainsnap arguments are accepted by the real
    binary (run with --dry-run), and the flags of every other chainsnap command in the chart and
    jobs/ (snapshot restore/create/prune, rlp export/import) appear in that subcommand's --help;
  - no Secret object or secret value is rendered: credentials only as Secret references;
  - clearData=true removes only the chain data paths (run for real on a scratch folder);
  - tenant values put every object into lux-{tenant}-{network};
  - values typos fail the schema (values.schema.json, additionalProperties false);
  - the snapshot CronJob is one `chainsnap k8s volume-snapshot` container (no shell) whose exact
    arguments the binary accepts (--dry-run), run as a ServiceAccount whose Role grants exactly what
    the command calls; the export templates it mounts (clone PVC, Job recording the snapshot's
    height and hash) are valid once filled in as the command fills them.
Every file in jobs/ and the output of `chainsnap k8s restore-job|reimport-job` are validated too.

Usage: check_chart.py --root PACKAGE_ROOT --chainsnap PATH/TO/chainsnap [-v]
Exit status 0 when every check passed. Needs: helm-python-sdk kubernetes-validate pyyaml jsonschema.
"""
import argparse
import copy
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import jsonschema
import kubernetes_validate
import yaml

import helm_python

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import luxd_flags  # noqa: E402 - next to this script

KUBE_VERSION = "1.30.0"
SECRET_ENV = re.compile(r"(SECRET|PASSWORD|TOKEN|ACCESS_KEY|PRIVATE_KEY)", re.I)
AWS_KEY = re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")
URL_USERINFO = re.compile(r"\b[a-z0-9+.-]+://[^/\s\"']*@")


class Failures:
    def __init__(self, verbose):
        self.items = []
        self.verbose = verbose

    def fail(self, where, msg):
        self.items.append("%s: %s" % (where, msg))
        print("FAIL  %s: %s" % (where, msg))

    def ok(self, where, msg):
        if self.verbose:
            print("ok    %s: %s" % (where, msg))

    def check(self, cond, where, msg):
        (self.ok if cond else self.fail)(where, msg)
        return cond


# ---------------------------------------------------------------- schema validation
# strictify/load_crds/all_errors follow ../shared/fixtures/k8s/chart_check.py.

def strictify(schema):
    """Make a CRD openAPIV3Schema reject unknown fields, as `kubectl --validate=strict` does."""
    if isinstance(schema, dict):
        s = {k: strictify(v) for k, v in schema.items()}
        if s.get("x-kubernetes-int-or-string"):
            s.setdefault("anyOf", [{"type": "integer"}, {"type": "string"}])
        if s.get("nullable") and "type" in s:
            s["type"] = [s["type"], "null"]
        if "properties" in s and not s.get("x-kubernetes-preserve-unknown-fields") and "additionalProperties" not in s:
            s["additionalProperties"] = False
        return s
    if isinstance(schema, list):
        return [strictify(x) for x in schema]
    return schema


def load_crds(folder):
    crds = {}
    for f in sorted(glob.glob(os.path.join(folder, "*.yaml"))):
        with open(f) as fh:
            for doc in yaml.safe_load_all(fh):
                if not doc or doc.get("kind") != "CustomResourceDefinition":
                    continue
                spec = doc["spec"]
                for v in spec["versions"]:
                    sch = (v.get("schema") or {}).get("openAPIV3Schema")
                    if sch:
                        sch = copy.deepcopy(sch)
                        props = sch.setdefault("properties", {})
                        props.setdefault("apiVersion", {"type": "string"})
                        props.setdefault("kind", {"type": "string"})
                        props.setdefault("metadata", {"type": "object"})
                        crds[("%s/%s" % (spec["group"], v["name"]), spec["names"]["kind"])] = strictify(sch)
    return crds


def all_errors(doc):
    try:
        from referencing import Registry, Resource
        from kubernetes_validate import utils as kvu
        want = kvu.major_minor(KUBE_VERSION)
        version = [v for v in kvu.all_versions() if kvu.major_minor(v) <= want][-1]
        api = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", doc["apiVersion"])
        d = "kubernetes-json-schema/v%s-local-strict" % version
        schema = kvu.schema_contents("%s/%s-%s.json" % (d, doc["kind"].lower(), api), KUBE_VERSION)
        defs = kvu.schema_contents("%s/_definitions.json" % d, KUBE_VERSION)
        reg = Resource.from_contents(defs) @ (Resource.from_contents(schema) @ Registry())
        v = jsonschema.validators.Draft202012Validator(schema, registry=reg)
        return sorted(v.iter_errors(doc), key=lambda e: list(map(str, e.path)))
    except Exception:  # noqa: BLE001 - the caller falls back to the first error
        return None


def validate(doc, where, crds, out):
    kind, api = doc.get("kind"), doc.get("apiVersion")
    label = "%s %s/%s" % (where, kind, (doc.get("metadata") or {}).get("name", "?"))
    if (api, kind) in crds:
        errs = list(jsonschema.Draft7Validator(crds[(api, kind)]).iter_errors(doc))
        for e in errs:
            out.fail(label, "%s (at %s) [CRD schema]" % (e.message, "/".join(map(str, e.path)) or "."))
        if not errs:
            out.ok(label, "valid (CRD schema)")
        return
    try:
        kubernetes_validate.validate(doc, KUBE_VERSION, strict=True)
        out.ok(label, "valid (Kubernetes %s, strict)" % KUBE_VERSION)
    except kubernetes_validate.SchemaNotFoundError:
        out.fail(label, "no schema for %s %s" % (api, kind))
    except kubernetes_validate.ValidationError as e:
        for err in all_errors(doc) or [e]:
            out.fail(label, "%s (at %s)" % (err.message, "/".join(map(str, err.path)) or "."))


def load_docs(text, where, out):
    try:
        return [d for d in yaml.safe_load_all(text) if d]
    except yaml.YAMLError as e:
        out.fail(where, "YAML error: %s" % e)
        return []


# ---------------------------------------------------------------- Helm

def deep_merge(base, over):
    res = copy.deepcopy(base)
    for k, v in (over or {}).items():
        if isinstance(v, dict) and isinstance(res.get(k), dict):
            res[k] = deep_merge(res[k], v)
        else:
            res[k] = copy.deepcopy(v)
    return res


def values_of(chart, files, extra=None):
    vals = {}
    for f in files:
        with open(os.path.join(chart, f)) as fh:
            vals = deep_merge(vals, helm_python.values_from_yaml(fh.read()) or {})
    return deep_merge(vals, extra or {})


def render(chart, vals, namespace="lux"):
    """Returns (docs by template, error text)."""
    c = helm_python.Chart.load(chart)
    try:
        rendered = c.render(vals, name="lux", namespace=namespace, is_install=True)
    except helm_python.HelmError as e:
        return None, str(e)
    finally:
        c.close()
    return {p: t for p, t in rendered.items() if not p.endswith("NOTES.txt") and t.strip()}, None


def lint(chart, vals, where, out, namespace="lux"):
    report = helm_python.lint(chart, vals, strict=False, namespace=namespace, kube_version="v" + KUBE_VERSION)
    for m in report.get("messages", []) or []:
        if m.get("severity", 0) >= 2:  # warnings and errors
            out.fail(where, "helm lint %s: %s" % (m.get("path"), m.get("error")))
    for e in report.get("errors", []) or []:
        out.fail(where, "helm lint: %s" % e)


# ---------------------------------------------------------------- monitoring (exporter, alerts, pod metadata)

def check_monitoring(name, vals, docs, ctx, out, warnings):
    """Exporter Deployment/Service/ServiceMonitor, the PrometheusRule (= files/chainsnap-alerts.yaml),
    podAnnotations/podLabels on the StatefulSet's pods, --pushgateway on the CronJobs."""
    sts = by_kind(docs, "StatefulSet")[0]["spec"]["template"]["metadata"]
    for k, v in (vals.get("podAnnotations") or {}).items():
        out.check(sts.get("annotations", {}).get(k) == v, name, "pod annotation %s applied" % k)
    for k, v in (vals.get("podLabels") or {}).items():
        out.check(sts.get("labels", {}).get(k) == v, name, "pod label %s applied" % k)
    prep = next((c for c in by_kind(docs, "StatefulSet")[0]["spec"]["template"]["spec"].get("initContainers", [])
                 if c["name"] == "prepare-data"), None)
    tdir = vals["initMode"].get("metricsTextfileDir")
    if prep is not None:
        args = prep["args"]
        mf = args[args.index("--metrics-file") + 1] if "--metrics-file" in args else None
        out.check((mf is not None) == bool(tdir) and (not tdir or (mf.startswith(tdir + "/") and mf.endswith(".prom")
                  and "pod=$(POD_NAME)" in args and any(m["mountPath"] == tdir for m in prep["volumeMounts"]))), name,
                  "prepare-data --metrics-file %s into the textfile directory (mounted), labelled by pod" % mf)
        env = {e["name"]: e for e in prep.get("env", [])}
        out.check(("CHAINSNAP_PROGRESS_FORMAT" in env) == bool(vals["initMode"].get("progressJSON")), name,
                  "JSON progress lines only with initMode.progressJSON")
    e = vals["exporter"]
    deps = [d for d in by_kind(docs, "Deployment") if d["metadata"]["name"] == "chainsnap-exporter"]
    mons = by_kind(docs, "ServiceMonitor")
    out.check(len(deps) == (1 if e["enabled"] else 0), name, "exporter Deployment only with exporter.enabled")
    out.check(len(mons) == (1 if e["enabled"] and e["serviceMonitor"]["enabled"] else 0), name, "ServiceMonitor only when enabled")
    if deps:
        for cname, args, _ in chainsnap_commands(deps[0]):
            check_flags(ctx["binary"], args, "%s Deployment/chainsnap-exporter %s" % (name, cname), out, warnings)
            stores = [args[i + 1] for i, a in enumerate(args) if a == "--store"]
            want = e["stores"] or [u for u in dict.fromkeys([vals["initMode"]["from"], vals["cronJobs"]["snapshot"]["to"],
                                                              vals["cronJobs"]["rlpExport"]["to"], vals["rlpImport"]["from"]])
                                   if u and not re.search(r"\.(tar|tar\.zst|tar\.lz4|tar\.gz|tgz)$", u)]
            out.check(stores == want, name, "exporter watches the chart's stores %s (got %s)" % (want, stores))
            out.check("--rpc" in args, name, "exporter watches the RPC service")
        svc = next((s for s in by_kind(docs, "Service") if s["metadata"]["name"] == "chainsnap-exporter"), None)
        out.check(svc is not None and svc["metadata"].get("annotations", {}).get("prometheus.io/scrape") == "true", name,
                  "exporter Service with scrape annotations")
        if mons:
            ep = mons[0]["spec"]["endpoints"][0]
            out.check(ep["port"] == "metrics" and mons[0]["spec"]["selector"]["matchLabels"].items() <= svc["metadata"]["labels"].items(),
                      name, "ServiceMonitor selects the exporter Service's metrics port")
    a = vals["alerts"]
    rules = by_kind(docs, "PrometheusRule")
    out.check(len(rules) == (1 if a["enabled"] else 0), name, "PrometheusRule only with alerts.enabled")
    if rules:
        with open(os.path.join(ctx["chart"], "files", "chainsnap-alerts.yaml")) as fh:
            want = [r for g in yaml.safe_load(fh)["groups"] for r in g["rules"] if r["alert"] not in a["disabled"]]
        got = [r for g in rules[0]["spec"]["groups"] for r in g["rules"]]
        out.check([r["alert"] for r in got] == [r["alert"] for r in want], name, "PrometheusRule holds the rules file's alerts")
        for w, g in zip(want, got):
            o = a["overrides"].get(w["alert"], {})
            same = (g["expr"] == o.get("expr", w["expr"]) and g.get("for") == o.get("for", w.get("for"))
                    and g["annotations"] == w["annotations"] and g["labels"] == dict(w["labels"], **a["labels"]))
            out.check(same, name, "alert %s is the rules file's (with the values' overrides and labels)" % w["alert"])
    for d in by_kind(docs, "CronJob") + [x for _, x in embedded_manifests(docs)]:
        for cname, args, _ in chainsnap_commands(d):
            if args[:2] in (["snapshot", "create"], ["snapshot", "prune"], ["rlp", "export"]):
                got = args[args.index("--pushgateway") + 1] if "--pushgateway" in args else None
                out.check(got == (vals.get("pushgateway") or None), name, "%s %s reports to the pushgateway %s" % (d["metadata"]["name"], cname, got))


# ---------------------------------------------------------------- the chainsnap binary

class Binary:
    def __init__(self, path):
        self.path = path
        self.helps = {}

    def run(self, args, timeout=60, hostname="luxd-0"):
        p = subprocess.run([self.path] + args, capture_output=True, text=True, timeout=timeout,
                           env=dict(os.environ, HOSTNAME=hostname))
        return p.returncode, p.stdout + p.stderr

    def help(self, sub):
        """(exists, help text) of a subcommand path such as ('snapshot', 'restore')."""
        if sub not in self.helps:
            code, text = self.run(list(sub) + ["--help"])
            # ArgumentParser prints the parent's help when the subcommand is unknown: look for its usage line.
            exists = code == 0 and ("USAGE: chainsnap %s" % " ".join(sub)) in text
            self.helps[sub] = (exists, text)
        return self.helps[sub]


SUBCOMMANDS = [("snapshot", "restore"), ("snapshot", "create"), ("snapshot", "prune"), ("snapshot", "list"),
               ("snapshot", "verify"), ("rlp", "export"), ("rlp", "import"), ("node", "prepare-data"),
               ("node", "supervise"), ("exporter",), ("fleet", "status"), ("fleet", "roll"), ("fleet", "recover"),
               ("k8s", "volume-snapshot")]

# What `chainsnap fleet status|roll|recover` calls, as (apiGroup, resource) -> verbs; a fleet Role
# must grant all of it and nothing beyond FLEET_MAY (least privilege, one namespace, no wildcards).
FLEET_NEEDS = {("", "pods"): {"get", "list", "delete"}, ("", "pods/log"): {"get"}, ("", "pods/proxy"): {"get", "create"},
               ("apps", "statefulsets"): {"get", "list"}, ("", "events"): {"list"}, ("", "configmaps"): {"create", "get", "patch"}}
FLEET_MAY = {**FLEET_NEEDS, ("", "persistentvolumeclaims"): {"get", "list"}, ("", "events"): {"get", "list"}}


def check_fleet_rbac(rel, docs, out):
    """A Role for fleet commands grants what they call, nothing more; the Job runs as the bound ServiceAccount."""
    roles = [d for d in by_kind(docs, "Role") if (d["metadata"].get("labels") or {}).get("app.kubernetes.io/component") == "fleet"]
    if not roles:
        return
    out.check(not by_kind(docs, "ClusterRole") and not by_kind(docs, "ClusterRoleBinding"), rel, "fleet RBAC is namespaced (no ClusterRole)")
    for role in roles:
        granted = {}
        for r in role.get("rules") or []:
            for g in r.get("apiGroups") or []:
                for res in r.get("resources") or []:
                    granted.setdefault((g, res), set()).update(r.get("verbs") or [])
            out.check("*" not in json.dumps(r), rel, "Role %s rule %s has no wildcard" % (role["metadata"]["name"], r.get("resources")))
            if (r.get("resources") or []) == ["configmaps"] and set(r.get("verbs") or []) & {"get", "patch", "update", "delete"}:
                out.check(r.get("resourceNames") == ["chainsnap-recovery"], rel, "ConfigMap reads and writes are limited to chainsnap-recovery")
        for key, verbs in FLEET_NEEDS.items():
            out.check(verbs <= granted.get(key, set()), rel, "Role %s grants %s %s (fleet commands need them)"
                      % (role["metadata"]["name"], "/".join(filter(None, key)), sorted(verbs)))
        for key, verbs in granted.items():
            extra = verbs - FLEET_MAY.get(key, set())
            out.check(not extra, rel, "Role %s grants nothing beyond what fleet commands use (%s %s)"
                      % (role["metadata"]["name"], "/".join(filter(None, key)), sorted(extra) or "ok"))
        bound = [b for b in by_kind(docs, "RoleBinding") if b["roleRef"]["name"] == role["metadata"]["name"] and b["roleRef"]["kind"] == "Role"]
        sas = {s["name"] for b in bound for s in b.get("subjects") or [] if s["kind"] == "ServiceAccount"}
        out.check(bool(sas), rel, "Role %s is bound to a ServiceAccount" % role["metadata"]["name"])
        for d in by_kind(docs, "Job") + by_kind(docs, "CronJob"):
            if any(a[:1] == ["fleet"] for _, a, _ in chainsnap_commands(d)):
                spec = d["spec"]["jobTemplate"]["spec"] if d["kind"] == "CronJob" else d["spec"]
                out.check(spec["template"]["spec"].get("serviceAccountName") in sas, rel,
                          "%s %s runs as the ServiceAccount bound to the fleet Role" % (d["kind"], d["metadata"]["name"]))


def check_flags(binary, args, where, out, warnings):
    """The options in a chainsnap argument list must be ones its subcommand's --help lists."""
    sub = next((s for s in SUBCOMMANDS if tuple(args[:len(s)]) == s), None)
    if sub is None:
        out.fail(where, "not a known chainsnap subcommand: %s" % " ".join(args[:2]))
        return
    exists, text = binary.help(sub)
    if not exists:
        warnings.append("%s: `chainsnap %s` is not in this binary yet; its flags were not checked" % (where, " ".join(sub)))
        return
    flags = [a.split("=", 1)[0] for a in args[len(sub):] if a.startswith("--") and a != "--"]
    if "--" in args:
        flags = [a.split("=", 1)[0] for a in args[len(sub):args.index("--")] if a.startswith("--")]
    missing = [f for f in flags if not re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(f), text)]
    out.check(not missing, where, "`chainsnap %s` accepts %s%s" % (
        " ".join(sub), ", ".join(sorted(set(flags))) or "(no options)",
        "" if not missing else " -- NOT accepted: %s" % ", ".join(missing)))


def chainsnap_commands(doc):
    """(container label, args after 'chainsnap') for every container running chainsnap in a workload."""
    spec = doc.get("spec") or {}
    if doc.get("kind") == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    pod = (spec.get("template") or {}).get("spec") or {}
    for c in (pod.get("initContainers") or []) + (pod.get("containers") or []):
        cmd = (c.get("command") or []) + (c.get("args") or [])
        if cmd and os.path.basename(cmd[0]) == "chainsnap":
            yield c["name"], cmd[1:], c
        elif cmd and cmd[0] == "cp":
            continue


def image_programs(image, vals):
    """What the named image provides, by image family (None: unknown image, not checked).
    chainsnap's image: /opt/chainsnap/bin/chainsnap (linked from /usr/local/bin) on Debian, so cp
    too; the luxd image: node.binary, plus chainsnap when the chart installs it;
    registry.k8s.io/kubectl: the kubectl binary only (distroless: no shell)."""
    repo = image.split("@")[0].rsplit(":", 1)[0] if ":" in image.split("/")[-1] else image.split("@")[0]
    if repo.endswith("/chainsnap"):
        return {"chainsnap", "/usr/local/bin/chainsnap", "/opt/chainsnap/bin/chainsnap", "cp"}
    if vals and repo == vals["image"]["repository"]:
        # supervisor.binary: copied in by install-chainsnap, or already in the image (install=false).
        return {vals["node"]["binary"], vals["supervisor"]["binary"]}
    if repo.startswith("registry.k8s.io/kubectl"):
        return {"kubectl", "/bin/kubectl", "/usr/local/bin/kubectl"}
    return None


def check_commands_provided(where, docs, vals, out, warnings):
    """Every container's program must be one its image provides; for chainsnap's own image the
    binary's argument check happens in check_flags."""
    for d in docs:
        spec = d.get("spec") or {}
        if d.get("kind") == "CronJob":
            spec = spec["jobTemplate"]["spec"]
        pod = (spec.get("template") or {}).get("spec") or {}
        for c in (pod.get("initContainers") or []) + (pod.get("containers") or []):
            cmd = (c.get("command") or [None])[0]
            progs = image_programs(c.get("image", ""), vals)
            label = "%s %s/%s %s" % (where, d.get("kind"), d["metadata"]["name"], c["name"])
            if cmd is None:
                out.fail(label, "no command: the image's entrypoint is not checked")
            elif progs is None:
                warnings.append("%s: image %s is unknown to the check; command %s not verified" % (label, c.get("image"), cmd))
            elif cmd in progs:
                out.ok(label, "%s is provided by %s" % (cmd, c.get("image")))
            else:
                out.fail(label, "%r is not a program %s provides (%s)" % (cmd, c.get("image"), ", ".join(sorted(progs))))


# ---------------------------------------------------------------- assertions on a rendered chart

def by_kind(docs, kind):
    return [d for d in docs if d.get("kind") == kind]


def walk_strings(obj):
    if isinstance(obj, dict):
        for v in obj.values():
            yield from walk_strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from walk_strings(v)
    elif isinstance(obj, str):
        yield obj


PLACEHOLDERS = {"__NAME__": "data-luxd-0-20260101-000000", "__SIZE__": "500Gi", "__HEIGHT__": "1082780",
                "__HASH__": "0x" + "ab" * 32}


def embedded_manifests(docs):
    """The manifests `chainsnap k8s volume-snapshot --export-templates` creates at run time, with
    its placeholders filled as it fills them (ExportTemplates in Sources/chainsnap)."""
    for cm in by_kind(docs, "ConfigMap"):
        if cm["metadata"]["name"] != "luxd-snapshot-export":
            continue
        for key, text in sorted(cm["data"].items()):
            if key.endswith(".yaml"):
                for k, v in PLACEHOLDERS.items():
                    text = text.replace(k, v)
                for d in yaml.safe_load_all(text):
                    if d:
                        d.setdefault("metadata", {})["namespace"] = cm["metadata"]["namespace"]
                        yield key, d


def check_rendered(name, vals, docs, ctx, out, warnings):
    binary = ctx["binary"]
    ns_expected = vals.get("namespace", {}).get("name") or (
        "lux-%s-%s" % (vals["tenant"], vals["network"]["name"]) if vals.get("tenant") else "lux")
    # Namespaces: every namespaced object carries metadata.namespace, the expected one.
    for d in docs:
        if d["kind"] == "Namespace":
            out.check(d["metadata"]["name"] == ns_expected, name, "Namespace object is %s" % d["metadata"]["name"])
            continue
        got = d["metadata"].get("namespace")
        out.check(got == ns_expected, name, "%s/%s in namespace %s (want %s)" % (d["kind"], d["metadata"]["name"], got, ns_expected))
    if vals.get("namespace", {}).get("create"):
        out.check(len(by_kind(docs, "Namespace")) == 1, name, "namespace.create renders one Namespace")

    sts = by_kind(docs, "StatefulSet")
    if not out.check(len(sts) == 1, name, "one StatefulSet"):
        return
    sts = sts[0]
    spec = sts["spec"]
    out.check(spec.get("updateStrategy", {}).get("type") == "OnDelete", name, "StatefulSet updateStrategy OnDelete")
    out.check(spec["replicas"] == vals["replicas"], name, "replicas %s" % spec["replicas"])
    out.check(spec["serviceName"] == "luxd-headless", name, "serviceName luxd-headless")
    pod = spec["template"]["spec"]
    luxd = next(c for c in pod["containers"] if c["name"] == "luxd")
    ports = {p["name"]: p["containerPort"] for p in luxd["ports"]}
    out.check(ports == {"http": vals["ports"]["http"], "staking": vals["ports"]["staking"]}, name, "container ports %s" % ports)
    for c in pod["containers"] + pod.get("initContainers", []):
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            if probe in c:
                p = c[probe]
                out.check("tcpSocket" in p and not ({"httpGet", "exec", "grpc"} & set(p)), name,
                          "%s %s is a TCP probe" % (c["name"], probe))
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        out.check(luxd.get(probe, {}).get("tcpSocket", {}).get("port") == "http", name, "luxd has a TCP %s on http" % probe)
    st = luxd["startupProbe"]
    out.check(st["periodSeconds"] * st["failureThreshold"] >= 3600, name, "startup probe allows >= 1 h for start and import")
    vct = spec["volumeClaimTemplates"][0]["spec"]
    out.check(vct["resources"]["requests"]["storage"] == vals["storage"]["size"], name, "PVC size from values")

    # Services: headless (publishNotReadyAddresses), RPC, one LoadBalancer per pod.
    svcs = {s["metadata"]["name"]: s for s in by_kind(docs, "Service")}
    h = svcs.get("luxd-headless", {}).get("spec", {})
    out.check(h.get("clusterIP") == "None" and h.get("publishNotReadyAddresses") is True, name, "headless service")
    if vals["services"]["perPodLoadBalancer"]["enabled"]:
        for i in range(vals["replicas"]):
            s = svcs.get("luxd-%d" % i, {}).get("spec", {})
            out.check(s.get("type") == "LoadBalancer" and s.get("selector", {}).get("statefulset.kubernetes.io/pod-name") == "luxd-%d" % i,
                      name, "LoadBalancer for pod luxd-%d" % i)
    else:
        out.check(not any(s["spec"].get("type") == "LoadBalancer" for s in svcs.values()), name, "no LoadBalancer when turned off")

    # Genesis from genesis/{network}.json.
    gen = next((c for c in by_kind(docs, "ConfigMap") if c["metadata"]["name"] == "luxd-genesis"), None)
    if out.check(gen is not None, name, "genesis ConfigMap"):
        with open(os.path.join(ctx["chart"], "genesis", "%s.json" % vals["network"]["name"])) as fh:
            out.check(gen["data"]["genesis.json"].strip() == fh.read().strip(), name, "genesis is genesis/%s.json" % vals["network"]["name"])

    # Node config: network id, ports, chain tracking from values.
    cfgmap = next((c for c in by_kind(docs, "ConfigMap") if c["metadata"]["name"] == "luxd-config"), None)
    if out.check(cfgmap is not None, name, "node config ConfigMap"):
        import json
        cfg = json.loads(cfgmap["data"]["config.json"])
        out.check((cfg.get("network-id"), cfg.get("http-port"), cfg.get("staking-port")) ==
                  (vals["network"]["networkId"], vals["ports"]["http"], vals["ports"]["staking"]), name,
                  "config.json network-id/http-port/staking-port from values")
        if vals["node"]["trackAllChains"]:
            out.check(cfg.get("track-all-chains") is True and "track-chains" not in cfg, name, "config.json tracks all chains")
        else:
            out.check(cfg.get("track-chains") == ",".join(vals["node"]["trackChains"]) and "track-all-chains" not in cfg, name,
                      "config.json tracks %s" % vals["node"]["trackChains"])
        out.check(cfg.get("db-dir") == vals["node"]["dataDir"] + "/db", name, "db-dir is the restored folder")

    # No Secret values: no Secret objects, no secret-looking env values, no keys or URL credentials anywhere.
    out.check(not by_kind(docs, "Secret"), name, "no Secret object rendered")
    for d in docs:
        for s in walk_strings(d):
            if AWS_KEY.search(s) or URL_USERINFO.search(s):
                out.fail(name, "%s/%s holds a credential-looking string" % (d["kind"], d["metadata"]["name"]))
        for w in [d] + [x for _, x in embedded_manifests([d])]:
            spec_ = w.get("spec") or {}
            if w.get("kind") == "CronJob":
                spec_ = spec_["jobTemplate"]["spec"]
            p = (spec_.get("template") or {}).get("spec") or {}
            for c in p.get("initContainers", []) + p.get("containers", []):
                for e in c.get("env", []) or []:
                    if SECRET_ENV.search(e["name"]):
                        out.check("value" not in e, name, "env %s of %s comes from a Secret reference" % (e["name"], c["name"]))
            for v in p.get("volumes", []) or []:
                if "secret" in v:
                    want = (vals["initMode"].get("fromSecret") if v["name"] == "restore-url"
                            else (vals["initMode"].get("trustedKeys") or {}).get("secret") if v["name"] == "trusted-keys"
                            else vals["staking"]["secretName"] if v["name"] == "staking"
                            else vals["store"]["credentialsSecret"])
                    out.check(v["secret"]["secretName"] == want, name,
                              "secret volume %s references %s" % (v["name"], want))
    sec = vals["store"]["credentialsSecret"]
    if sec:
        out.check(any(v.get("secret", {}).get("secretName") == sec for v in pod["volumes"]), name,
                  "store credentials mounted from Secret %s" % sec)

    # The init container: chain data paths and protection as in values; the real binary accepts it.
    init = {c["name"]: c for c in pod.get("initContainers", [])}
    prep = init.get("prepare-data")
    if vals["initMode"]["enabled"] and out.check(prep is not None, name, "prepare-data init container"):
        args = prep["args"]
        out.check(prep["command"] == ["chainsnap"] and args[:2] == ["node", "prepare-data"], name, "init container runs chainsnap node prepare-data")
        chain = [args[i + 1] for i, a in enumerate(args) if a == "--chain-data"]
        protect = [args[i + 1] for i, a in enumerate(args) if a == "--protect"]
        out.check(chain == vals["initMode"]["chainDataPaths"], name, "--chain-data %s are initMode.chainDataPaths" % chain)
        out.check("staking" in protect and not any(c == "staking" or c.startswith("staking/") for c in chain), name,
                  "staking keys protected and never listed as chain data")
        out.check(("--clear-data" in args) == bool(vals["initMode"]["clearData"]), name, "--clear-data only with initMode.clearData")
        out.check(all(not a.startswith("--access") and not a.startswith("--secret") for a in args), name, "no credential flags")
        if vals["initMode"].get("fromSecret"):
            # The URL (a presigned one is a credential) comes from a mounted Secret, never the pod spec.
            path = args[args.index("--from-file") + 1] if "--from-file" in args else None
            mounts = {m["name"]: m for m in prep.get("volumeMounts", [])}
            vol = next((v for v in pod["volumes"] if v["name"] == "restore-url"), None)
            out.check(path is not None and "--from" not in args, name, "initMode.fromSecret: --from-file, no --from")
            out.check(vol is not None and vol["secret"]["secretName"] == vals["initMode"]["fromSecret"]
                      and vol["secret"].get("items") == [{"key": "url", "path": "url"}], name,
                      "restore URL Secret %s mounted (key url)" % vals["initMode"]["fromSecret"])
            out.check("restore-url" in mounts and path == mounts["restore-url"]["mountPath"] + "/url"
                      and mounts["restore-url"].get("readOnly"), name, "--from-file points into the read-only Secret mount")
        trusted = vals["initMode"].get("trustedKeys") or {}
        if trusted.get("configMap") or trusted.get("secret"):
            # Signed snapshots only: the public keys come from the ConfigMap or Secret, mounted read-only.
            path = args[args.index("--trusted-keys") + 1] if "--trusted-keys" in args else None
            mounts = {m["name"]: m for m in prep.get("volumeMounts", [])}
            vol = next((v for v in pod["volumes"] if v["name"] == "trusted-keys"), None)
            src = (vol or {}).get("configMap", {}).get("name") or (vol or {}).get("secret", {}).get("secretName")
            out.check(path is not None and "trusted-keys" in mounts and path == mounts["trusted-keys"]["mountPath"]
                      and mounts["trusted-keys"].get("readOnly"), name, "--trusted-keys points at the read-only keys mount")
            out.check(src == (trusted.get("configMap") or trusted.get("secret")), name, "trusted keys mounted from %s" % src)
        else:
            out.check("--trusted-keys" not in args, name, "no --trusted-keys unless initMode.trustedKeys is set")
        if vals["staking"]["secretName"]:
            out.check("--staking-secret-dir" in args, name, "prepare-data checks the volume's staking keys against the Secret")
            check_staking_refusal(name, args, ctx, out)
        else:
            check_prepare_data(name, vals, args, ctx, out)
        check_flags(binary, ["snapshot", "restore", "--from", "x", "--snapshot", "x", "--sha256", "x", "--trusted-keys", "x", "/data/db"]
                    + [a for a in args if a in ("--endpoint", "--region", "--credentials-dir", "--ca-file", "--connections", "--memory-limit")],
                    name + " (restore run by prepare-data)", out, warnings)

    # The supervisor: the luxd container's command is chainsnap node supervise -- luxd ...; the real binary accepts it.
    out.check(luxd["command"] == [vals["supervisor"]["binary"]] and luxd["args"][:2] == ["node", "supervise"], name,
              "luxd runs under chainsnap node supervise")
    sargs = luxd["args"]
    if out.check("--" in sargs, name, "supervisor has `--` before the node command"):
        node = sargs[sargs.index("--") + 1:]
        out.check(node[0] == vals["node"]["binary"], name, "node command is node.binary")
        peers = [sargs[i + 1] for i, a in enumerate(sargs) if a == "--bootstrap-peer"]
        if vals["bootstrap"]["enabled"]:
            want = ["luxd-%d.luxd-headless.%s.svc.cluster.local:%d=%s" % (i, ns_expected, vals["ports"]["staking"], vals["bootstrap"]["nodeIds"][i])
                    for i in range(vals["bootstrap"]["count"] or vals["replicas"])]
            out.check(peers == want, name, "bootstrap peers by in-cluster DNS with their node IDs (%d)" % len(peers))
        code, text = binary.run(["node", "supervise", "--dry-run"] + [a.replace("$(POD_NAME)", "luxd-0") for a in sargs[2:]])
        out.check(code == 0, name, "`chainsnap node supervise --dry-run ...` accepts the supervisor's arguments%s"
                  % ("" if code == 0 else ": exit %d: %s" % (code, text.strip()[:400])))
        check_luxd_flags(name, vals, docs, pod, luxd, sargs, binary, out)
        legacy = vals["bootstrap"]["rlpImport"]
        if code == 0 and legacy["enabled"]:
            imp = [l for l in text.splitlines() if l.startswith("import:")]
            if out.check(imp and "rlp import" in imp[0], name, "supervisor runs the legacy rlp import"):
                iargs = [a.strip("'") for a in imp[0].split("chainsnap ", 1)[1].split()]
                want = ["--base-url", legacy["baseUrl"], "--file", legacy["rlpFilename"], "--parts", ",".join(legacy["parts"]),
                        "--min-height", str(legacy["minHeight"]), "--timeout", "7200"]
                out.check(all(w in iargs for w in want), name, "legacy import arguments from bootstrap.rlpImport: %s" % " ".join(iargs))
                check_flags(binary, iargs, name + " (supervisor's legacy rlp import)", out, warnings)
        if code == 0 and vals["rlpImport"]["enabled"]:
            imp = [l for l in text.splitlines() if l.startswith("import:")]
            if out.check(imp and "rlp import" in imp[0], name, "supervisor runs chainsnap rlp import"):
                iargs = imp[0].split("chainsnap ", 1)[1].split()
                check_flags(binary, [a.strip("'") for a in iargs], name + " (supervisor's rlp import)", out, warnings)

    # CronJobs and other workloads running chainsnap: flags accepted.
    for d in by_kind(docs, "CronJob") + [x for _, x in embedded_manifests(docs)]:
        for cname, args, _ in chainsnap_commands(d):
            check_flags(binary, args, "%s %s/%s %s" % (name, d["kind"], d["metadata"]["name"], cname), out, warnings)
    snap = [x for _, x in embedded_manifests(docs)]
    if vals["cronJobs"]["snapshot"]["enabled"]:
        kinds = sorted(x["kind"] for x in snap)
        want = ["Job", "PersistentVolumeClaim"] if vals["cronJobs"]["snapshot"]["to"] else []
        out.check(kinds == want, name, "snapshot export manifests %s (want %s)" % (kinds, want))


def check_luxd_flags(name, vals, docs, pod, luxd, sargs, binary, out):
    """For every pod: the luxd command line the supervisor starts, plus config.json, passes luxd's
    own flag rules (luxd_flags.py, each rule citing luxfi/node config/). Kubernetes expands
    $(POD_NAME); the supervisor adds --public-ip and the bootstrap flags. Peer names do not resolve
    here, so each resolved peer is given a stand-in address (the supervisor's pairing of IPs and IDs
    is tested in SupervisorCLITests)."""
    import json
    meta = next(d for d in by_kind(docs, "StatefulSet"))["spec"]["template"]["metadata"]
    out.check(all(meta["labels"].get(k) == v for k, v in vals["podLabels"].items())
              and all(meta["annotations"].get(k) == v for k, v in vals["podAnnotations"].items()), name, "podLabels and podAnnotations on the pod")
    for key in ("nodeSelector", "tolerations", "priorityClassName"):
        if vals[key]:
            out.check(pod.get(key) == vals[key], name, "%s from values" % key)
    if vals["affinity"]:
        out.check(pod.get("affinity") == vals["affinity"], name, "affinity from values replaces the preset")
    names = {v["name"] for v in pod["volumes"]}
    out.check(all(v["name"] in names for v in vals["extraVolumes"]) and
              all(m in luxd.get("volumeMounts", []) for m in vals["extraVolumeMounts"]), name, "extraVolumes/extraVolumeMounts")
    out.check(pod.get("securityContext") == (vals["podSecurityContext"] or None), name, "pod securityContext from values")
    for c in pod.get("initContainers", []):
        out.check(c.get("securityContext") == vals["chainsnapSecurityContext"] and c.get("resources") == vals["initResources"], name,
                  "%s: securityContext and resources from values" % c["name"])
        sc = c.get("securityContext") or {}
        out.check(sc.get("readOnlyRootFilesystem") is True and "ALL" in (sc.get("capabilities") or {}).get("drop", []), name,
                  "%s: read-only root file system, all capabilities dropped" % c["name"])
    cfgmap = next(c for c in by_kind(docs, "ConfigMap") if c["metadata"]["name"] == "luxd-config")
    cfg = json.loads(cfgmap["data"]["config.json"])
    mounts = [m["mountPath"] for m in luxd.get("volumeMounts", [])]
    peers = [sargs[i + 1] for i, a in enumerate(sargs) if a == "--bootstrap-peer"]
    sec = vals["staking"]["secretName"]
    if sec:
        vol = next((v for v in pod["volumes"] if v["name"] == "staking"), None)
        m = next((m for m in luxd.get("volumeMounts", []) if m["name"] == "staking"), None)
        out.check(vol is not None and vol["secret"]["secretName"] == sec and m is not None and m.get("readOnly")
                  and m["mountPath"] == vals["staking"]["mountPath"], name, "staking Secret %s mounted read-only in luxd" % sec)
    for i in range(vals["replicas"]):
        pod_name = "luxd-%d" % i
        a = [x.replace("$(POD_NAME)", pod_name) for x in sargs[2:]]
        code, text = binary.run(["node", "supervise", "--dry-run"] + a, hostname=pod_name)
        line = next((l for l in text.splitlines() if l.startswith("node:")), None)
        if not out.check(code == 0 and line, name, "%s: supervisor dry run prints the node command" % pod_name):
            continue
        node_args = line.split()[2:]
        others = [p for p in peers if not p.startswith(pod_name + ".")]
        if others:
            node_args.append("--bootstrap-ips=" + ",".join("10.1.0.%d:%s" % (k + 1, p.split("=")[0].rsplit(":", 1)[1]) for k, p in enumerate(others)))
            ids = [p.split("=", 1)[1] for p in others if "=" in p]
            if ids:
                node_args.append("--bootstrap-ids=" + ",".join(ids))
        problems = luxd_flags.validate(node_args, cfg, mounted=mounts)
        out.check(not problems, name, "%s: luxd flags pass luxd's rules%s" % (pod_name, "" if not problems else ": " + "; ".join(problems)))
        ips = vals["services"]["perPodLoadBalancer"]["loadBalancerIPs"]
        if vals["services"]["perPodLoadBalancer"]["enabled"] and i < len(ips):
            out.check("--public-ip=%s" % ips[i] in node_args, name, "%s: --public-ip is its LoadBalancer address %s" % (pod_name, ips[i]))
        elif vals["publicIp"]["resolutionService"]:
            out.check("--public-ip-resolution-service=%s" % vals["publicIp"]["resolutionService"] in node_args, name,
                      "%s: public IP from the resolver" % pod_name)
        if sec:
            want = "--staking-tls-cert-file=%s/%s.staker.crt" % (vals["staking"]["mountPath"], pod_name)
            out.check(want in node_args, name, "%s: luxd reads its own certificate from the Secret" % pod_name)


def check_staking_refusal(name, args, ctx, out):
    """prepare-data with the chart's staking flags: same keys pass, different keys refuse, and no
    key bytes appear in the output."""
    tmp = tempfile.mkdtemp(prefix="lux-staking-")
    try:
        data, secret = os.path.join(tmp, "data"), os.path.join(tmp, "secret")
        os.makedirs(os.path.join(data, "staking"))
        os.makedirs(secret)
        for f, body in (("staker.crt", "CERT-BYTES-0"), ("staker.key", "PRIVATE-KEY-BYTES-0")):
            with open(os.path.join(secret, "luxd-0." + f), "w") as fh:
                fh.write(body)
        a = [x.replace("$(POD_NAME)", "luxd-0") for x in args]
        a[a.index("--data-dir") + 1] = data
        a[a.index("--staking-secret-dir") + 1] = secret
        a = [x for x in a if x not in ("--clear-data",)]
        if "--clear-data-token" in a:
            k = a.index("--clear-data-token")
            del a[k:k + 2]
        code, text = ctx["binary"].run(a + ["--dry-run"])
        out.check(code == 0 and "staking identity of luxd-0" in text, name, "prepare-data accepts a new volume with the Secret's keys (exit %d: %s)" % (code, text[-200:]))
        with open(os.path.join(data, "staking", "staker.key"), "w") as fh:
            fh.write("ANOTHER-VALIDATOR-KEY")
        code, text = ctx["binary"].run(a + ["--dry-run"])
        out.check(code != 0 and "staker.key" in text and "identity" in text, name,
                  "prepare-data refuses a volume whose staking key differs from the Secret (exit %d)" % code)
        out.check("ANOTHER-VALIDATOR-KEY" not in text and "PRIVATE-KEY-BYTES" not in text, name, "no key bytes in prepare-data's output")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_prepare_data(name, vals, args, ctx, out):
    """Runs the init container's exact arguments on a scratch data folder.

    Without clearData on data the node wrote itself: nothing may change. With clearData: only the
    chain data paths go, the snapshot comes back, and a second start with the same token wipes nothing."""
    tmp = tempfile.mkdtemp(prefix="lux-prep-")
    try:
        data = os.path.join(tmp, "data")
        files = {"staking/staker.key": "KEY", "staking/staker.crt": "CRT", "db/mainnet/000001.ldb": "x" * 100,
                 "chainData/C/state": "s", "logs/main.log": "log", "configs/chains/C/config.json": "{}"}
        for rel, body in files.items():
            os.makedirs(os.path.dirname(os.path.join(data, rel)), exist_ok=True)
            with open(os.path.join(data, rel), "w") as fh:
                fh.write(body)
        store = os.path.join(tmp, "store")
        os.makedirs(store)
        # A real snapshot to restore from, when the binary has `snapshot create` (else the store stays empty).
        src = os.path.join(tmp, "snapshot-src")
        os.makedirs(os.path.join(src, "mainnet"))
        with open(os.path.join(src, "mainnet", "000009.ldb"), "w") as fh:
            fh.write("from the snapshot")
        have_snapshot = ctx["binary"].run(["snapshot", "create", src, "--to", "file://" + store, "--network", vals["network"]["name"],
                                           "--chain-id", str(vals["network"]["chainId"])])[0] == 0
        a = list(args)
        a[a.index("--data-dir") + 1] = data
        if "--from" in a:
            a[a.index("--from") + 1] = "file://" + store
        elif "--from-file" in a:
            url_file = os.path.join(tmp, "restore-url")
            with open(url_file, "w") as fh:
                fh.write("file://%s\n" % store)
            a[a.index("--from-file") + 1] = url_file
        elif vals["initMode"]["clearData"]:
            out.fail(name, "clearData without --from")
        # Store options point at in-cluster paths; they only pass through to `snapshot restore`.
        code, text = ctx["binary"].run(a, timeout=120)
        chain = vals["initMode"]["chainDataPaths"]
        left = {rel for rel in files if os.path.exists(os.path.join(data, rel))}
        gone = set(files) - left
        if vals["initMode"]["clearData"]:
            out.check("decision: clear and restore" in text, name, "prepare-data decided to clear and restore")
            want_gone = {rel for rel in files if any(rel == c or rel.startswith(c + "/") for c in chain)}
            out.check(gone == want_gone, name, "clearData removed exactly the chain data paths %s (removed: %s)"
                      % (sorted(chain), sorted(gone)))
            out.check(all(os.path.exists(os.path.join(data, rel)) for rel in files if rel.startswith("staking/")), name,
                      "clearData kept the staking keys")
            if have_snapshot and out.check(code == 0 and os.path.exists(os.path.join(data, "db", "mainnet", "000009.ldb")), name,
                                           "clearData restored the snapshot (exit %d)" % code):
                # The pod is recreated later with the same values: the token stops a second wipe.
                with open(os.path.join(data, "db", "written-by-node"), "w") as fh:
                    fh.write("new blocks")
                code, text = ctx["binary"].run(a, timeout=120)
                out.check(code == 0 and os.path.exists(os.path.join(data, "db", "written-by-node")) and "already done for token" in text,
                          name, "a recreated pod with the same clearDataToken does not wipe again")
        else:
            out.check(code == 0 and not gone, name, "prepare-data without clearData leaves a synced node's data alone (exit %d%s)"
                      % (code, "" if not gone else ", removed %s" % sorted(gone)))
            out.check("decision: leave as is" in text, name, "prepare-data says why it left the data alone")
            # And on an empty volume it decides to restore (dry run: nothing runs).
            empty = os.path.join(tmp, "empty")
            os.makedirs(empty)
            b = list(a)
            b[b.index("--data-dir") + 1] = empty
            code, text = ctx["binary"].run(b + ["--dry-run"])
            want = "decision: restore" if ("--from" in a or "--from-file" in a) else "decision: nothing to do"
            out.check(code == 0 and want in text, name, "prepare-data on an empty volume: %s" % want)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# What `chainsnap k8s volume-snapshot` calls (VolumeSnapshotAPI.swift, VolumeSnapshotTaker.swift), and with
# --export-templates what VolumeSnapshotExport.swift adds; a snapshot Role grants exactly this.
SNAPSHOT_NEEDS = {("snapshot.storage.k8s.io", "volumesnapshots"): {"create", "get", "list", "delete"},
                  ("", "persistentvolumeclaims"): {"get"}}
EXPORT_NEEDS = {("", "persistentvolumeclaims"): {"create", "get", "delete"}, ("batch", "jobs"): {"create", "get", "delete"},
                ("", "pods"): {"list"}, ("", "pods/log"): {"get"}}


def check_snapshot_cronjob(name, docs, vals, binary, out):
    """The snapshot CronJob runs `chainsnap k8s volume-snapshot` (no shell) with arguments the binary
    accepts as they are (--dry-run), reads the head of the pod whose PVC it snapshots, runs as a
    ServiceAccount whose Role grants exactly what the command calls, and, when it exports, mounts
    the templates it names and passes the snapshot's height and hash to `snapshot create`."""
    cron = next((d for d in by_kind(docs, "CronJob") if d["metadata"]["name"] == "luxd-snapshot"), None)
    if cron is None:
        return
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    cmds = [(c, a) for cname, a, c in chainsnap_commands(cron)]
    if not out.check(len(cmds) == 1 and cmds[0][1][:2] == ["k8s", "volume-snapshot"] and len(pod["containers"]) == 1
                     and not pod.get("initContainers"), name, "the snapshot CronJob is one `chainsnap k8s volume-snapshot` container"):
        return
    c, args = cmds[0]
    code, text = binary.run(args + ["--dry-run"])
    out.check(code == 0, name, "`chainsnap %s --dry-run` accepts the CronJob's exact arguments%s" % (" ".join(args[:2]), "" if code == 0 else ": " + text[:300]))
    opt = lambda f: args[args.index(f) + 1] if f in args else None
    pvc = opt("--pvc")
    if vals:
        i = vals["cronJobs"]["snapshot"]["podIndex"]
        out.check(pvc == "data-luxd-%d" % i and (opt("--rpc") or "").startswith("http://luxd-%d.luxd-headless." % i), name,
                  "snapshots data-luxd-%d and reads luxd-%d's head (--pvc %s --rpc %s)" % (i, i, pvc, opt("--rpc")))
        out.check(opt("--chain-id") == str(vals["network"]["chainId"]) and opt("--network") == vals["network"]["name"], name,
                  "records the network's chain id and name")
    exports = opt("--export-templates")
    job = None
    needs = {k: set(v) for k, v in SNAPSHOT_NEEDS.items()}
    if exports:
        for k, v in EXPORT_NEEDS.items():
            needs.setdefault(k, set()).update(v)
        mount = next((m for m in c.get("volumeMounts") or [] if m["mountPath"] == exports), None)
        vol = next((v for v in pod.get("volumes") or [] if mount and v["name"] == mount["name"]), None)
        cm = (vol or {}).get("configMap", {}).get("name")
        data = next((d["data"] for d in by_kind(docs, "ConfigMap") if d["metadata"]["name"] == cm), {})
        out.check(sorted(data) == ["clone-pvc.yaml", "job.yaml"], name, "--export-templates %s is ConfigMap %s with clone-pvc.yaml and job.yaml" % (exports, cm))
        job = next((d for k, d in embedded_manifests(docs) if k == "job.yaml"), None)
        create = next((a for _, a, _ in chainsnap_commands(job)), []) if job else []
        out.check(create[:2] == ["snapshot", "create"] and "--height" in create and create[create.index("--height") + 1] == PLACEHOLDERS["__HEIGHT__"]
                  and "--block-hash" in create and create[create.index("--block-hash") + 1] == PLACEHOLDERS["__HASH__"], name,
                  "the export Job's snapshot create records the VolumeSnapshot's height and hash")
    role = next((r for r in by_kind(docs, "Role") if r["metadata"]["name"] == "luxd-snapshot"), None)
    if not out.check(role is not None, name, "a Role luxd-snapshot exists"):
        return
    granted = {}
    for r in role["rules"]:
        out.check("*" not in json.dumps(r), name, "snapshot Role rule %s has no wildcard" % r.get("resources"))
        for g in r.get("apiGroups") or []:
            for res in r.get("resources") or []:
                granted.setdefault((g, res), set()).update(r.get("verbs") or [])
        if r.get("resourceNames") and "persistentvolumeclaims" in r.get("resources", []):
            out.check(r["resourceNames"] == [pvc], name, "the source PVC rule names only %s" % pvc)
    out.check(granted == needs, name, "snapshot Role grants exactly what the command calls: %s%s" % (
        sorted((("/".join(filter(None, k))), sorted(v)) for k, v in needs.items()),
        "" if granted == needs else " -- got %s" % sorted((("/".join(filter(None, k))), sorted(v)) for k, v in granted.items())))
    bound = {s["name"] for b in by_kind(docs, "RoleBinding") if b["roleRef"]["name"] == "luxd-snapshot" for s in b.get("subjects") or []}
    out.check(pod.get("serviceAccountName") in bound and pod.get("automountServiceAccountToken") is not False, name,
              "the CronJob runs as the ServiceAccount bound to the snapshot Role, with its token")
    if job:
        jp = job["spec"]["template"]["spec"]
        out.check(jp.get("automountServiceAccountToken") is False, name, "the export Job's pods get no API token")


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", required=True, help="package root (holds charts/lux and jobs/)")
    ap.add_argument("--chainsnap", required=True, help="the built chainsnap binary")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    t0 = time.time()
    out = Failures(a.verbose)
    for f in luxd_flags.self_test():
        out.fail("luxd_flags.py", f)
    warnings = []
    here = os.path.dirname(os.path.abspath(__file__))
    chart = os.path.join(a.root, "charts", "lux")
    crds = load_crds(os.path.join(here, "crds"))
    binary = Binary(a.chainsnap)
    ctx = {"binary": binary, "chart": chart}
    helm_python.disable_logging() if hasattr(helm_python, "disable_logging") else None

    full = {"initMode": {"from": "s3://lux-snapshots/mainnet", "snapshot": "latest"},
            "store": {"endpoint": "https://nyc3.digitaloceanspaces.com", "region": "nyc3", "credentialsSecret": "snapshot-store",
                      "memoryLimit": "1GiB", "pathStyle": True},
            "rlpImport": {"enabled": True, "from": "s3://lux-rlp/mainnet", "minHeight": 1000},
            "cronJobs": {"rlpExport": {"enabled": True, "to": "s3://lux-rlp/mainnet"},
                         "snapshot": {"enabled": True, "to": "s3://lux-snapshots/mainnet", "volumeSnapshotClass": "csi-snapclass"}}}
    scenarios = [("values.yaml", ["values.yaml"], {})]
    for f in sorted(glob.glob(os.path.join(chart, "values-*.yaml"))):
        scenarios.append((os.path.basename(f), ["values.yaml", os.path.basename(f)], {}))
    identities = {"staking": {"secretName": "lux-staking"},
                  "bootstrap": {"enabled": True, "count": 3, "nodeIds": [
                      "NodeID-7Xhw2mDxuDS44j42TCB6U5579esbSt3Lg", "NodeID-MFrZFVCXPv5iCn6M9K6XduxGTYp891xXZ",
                      "NodeID-NFBbbJ4qCmNaCzeW7sxErhvWqvEQMnYcN"]},
                  "services": {"perPodLoadBalancer": {"loadBalancerIPs": ["203.0.113.10", "203.0.113.11"]}},
                  "publicIp": {"resolutionService": "ifconfigme"},
                  "podAnnotations": {"example.com/team": "validators"}, "podLabels": {"tier": "validator"},
                  "priorityClassName": "validators", "nodeSelector": {"pool": "validators"},
                  "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "validators", "effect": "NoSchedule"}],
                  "extraVolumes": [{"name": "extra-config", "configMap": {"name": "lux-extra"}}],
                  "extraVolumeMounts": [{"name": "extra-config", "mountPath": "/etc/luxd/extra", "readOnly": True}]}
    # The seed chart's bootstrap.rlpImport block exactly as operators have it today.
    seed_rlp = {"bootstrap": {"rlpImport": {"enabled": True, "baseUrl": "https://exports.example.com/lux-mainnet",
                                            "rlpFilename": "lux-mainnet-96369.rlp", "multiPart": True,
                                            "parts": ["aa", "ab", "ac"], "minHeight": 1082780, "timeout": "2h"}}}
    scenarios += [
        ("mainnet+seed chart rlpImport", ["values.yaml", "values-mainnet.yaml"], seed_rlp),
        ("mainnet+staking identities+bootstrap", ["values.yaml", "values-mainnet.yaml"], identities),
        ("mainnet+all features", ["values.yaml", "values-mainnet.yaml"], full),
        ("testnet+VolumeSnapshots only (no export)", ["values.yaml", "values-testnet.yaml"],
         deep_merge(full, {"cronJobs": {"snapshot": {"to": "", "podIndex": 2, "keepVolumeSnapshots": 3, "volumeSnapshotClass": ""}}})),
        ("testnet+clearData", ["values.yaml", "values-testnet.yaml"],
         deep_merge(full, {"initMode": {"clearData": True}, "cronJobs": {"snapshot": {"enabled": False}}})),
        ("devnet+URL from a Secret+clearData", ["values.yaml", "values-devnet.yaml"],
         deep_merge(full, {"initMode": {"from": "", "fromSecret": "snapshot-url", "clearData": True}})),
        ("mainnet+trusted keys from a ConfigMap", ["values.yaml", "values-mainnet.yaml"],
         deep_merge(full, {"initMode": {"trustedKeys": {"configMap": "snapshot-signers"}}})),
        ("testnet+trusted keys from a Secret", ["values.yaml", "values-testnet.yaml"],
         deep_merge(full, {"initMode": {"trustedKeys": {"secret": "snapshot-signers"}}})),
        ("tenant acme testnet", ["values.yaml", "values-testnet.yaml"],
         deep_merge(full, {"tenant": "acme", "namespace": {"create": True}, "replicas": 3,
                           "podSecurityContext": {"runAsUser": 1000, "fsGroup": 1000},
                           "node": {"trackAllChains": False, "trackChains": ["2q9e4r6Mu3U68nU1fYjgbR6JvwrRx36CohpAX5UQxse55x1Q5", "dnmzhuf6"]},
                           "services": {"perPodLoadBalancer": {"enabled": False}}, "bootstrap": {"count": 2}})),
        ("mainnet+monitoring", ["values.yaml", "values-mainnet.yaml"],
         deep_merge(full, {"exporter": {"enabled": True, "serviceMonitor": {"enabled": True, "labels": {"release": "prometheus"}}},
                           "alerts": {"enabled": True, "ruleLabels": {"release": "prometheus"}, "labels": {"team": "infra"},
                                      "disabled": ["ChainsnapRestoreStalled"],
                                      "overrides": {"ChainsnapSnapshotTooOld": {"for": "1h"}}},
                           "podAnnotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "9100"},
                           "podLabels": {"team": "infra"}, "pushgateway": "http://pushgateway.monitoring:9091",
                           "initMode": {"metricsTextfileDir": "/var/lib/node-exporter/textfile", "progressJSON": True}})),
    ]
    seen_networks = set()
    for name, files, extra in scenarios:
        vals = values_of(chart, files, extra)
        seen_networks.add(vals["network"]["name"])
        lint(chart, vals, name, out)
        rendered, err = render(chart, vals)
        if err:
            out.fail(name, "render failed: %s" % err)
            continue
        docs = []
        for path, text in sorted(rendered.items()):
            for d in load_docs(text, path, out):
                validate(d, "%s %s" % (name, os.path.basename(path)), crds, out)
                docs.append(d)
        for key, d in embedded_manifests(docs):
            validate(d, "%s luxd-snapshot-export/%s" % (name, key), crds, out)
        check_rendered(name, vals, docs, ctx, out, warnings)
        check_monitoring(name, vals, docs, ctx, out, warnings)
        check_commands_provided(name, docs + [x for _, x in embedded_manifests(docs)], vals, out, warnings)
        check_snapshot_cronjob(name, docs, vals, binary, out)
        print("done  %-24s %d objects" % (name, len(docs)))
    out.check({"mainnet", "testnet", "devnet"} <= seen_networks, "values", "mainnet, testnet and devnet values files rendered")
    want_ports = {"mainnet": (9630, 9631), "testnet": (9640, 9641), "devnet": (9650, 9651)}
    for net, (http, staking) in want_ports.items():
        v = values_of(chart, ["values.yaml", "values-%s.yaml" % net])
        out.check((v["ports"]["http"], v["ports"]["staking"]) == (http, staking), "values-%s.yaml" % net, "ports %d/%d" % (http, staking))

    # Typos and forbidden values fail the schema at install (render validates values.schema.json).
    base = values_of(chart, ["values.yaml"])
    for label, extra, why in [("top-level typo replicsa", {"replicsa": 3}, "'replicsa' not allowed"),
                              ("nested typo initMode.clearDta", {"initMode": {"clearDta": True}}, "'clearDta' not allowed"),
                              ("wrong type replicas", {"replicas": "five"}, "/replicas"),
                              ("credentials in values", {"store": {"secretAccessKey": "abc"}}, "'secretAccessKey' not allowed"),
                              ("credentials in a store URL", {"initMode": {"from": "s3://EXAMPLEKEYID:x@bucket/p"}}, "/initMode/from"),
                              ("chain data path escaping the volume", {"initMode": {"chainDataPaths": ["../staking"]}}, "/initMode/chainDataPaths/0"),
                              ("unknown antiAffinity", {"antiAffinity": "sometimes"}, "/antiAffinity"),
                              ("nested typo exporter.enabeld", {"exporter": {"enabeld": True}}, "'enabeld' not allowed"),
                              ("credentials in a pushgateway URL", {"pushgateway": "http://u:p@gw:9091"}, "/pushgateway")]:
        _, err = render(chart, deep_merge(base, extra))
        out.check(err is not None and why in err, "schema", "%s is rejected by values.schema.json (%s)%s"
                  % (label, why, "" if err and why in err else ": got %r" % (err or "no error")[:300]))
    _, err = render(chart, deep_merge(base, {"bootstrap": {"enabled": True}}))
    out.check(err is not None and "bootstrap.nodeIds" in err, "chart", "bootstrap without node IDs fails the render (luxd needs --bootstrap-ids)")
    _, err = render(chart, deep_merge(base, {"bootstrap": {"nodeIds": ["not-a-node-id"]}}))
    out.check(err is not None and "/bootstrap/nodeIds/0" in err, "schema", "a malformed node ID is rejected by the schema")
    _, err = render(chart, deep_merge(base, {"initMode": {"from": "s3://b/p", "fromSecret": "snapshot-url"}}))
    out.check(err is not None and "not both" in err, "chart", "initMode.from and initMode.fromSecret together fail the render")
    _, err = render(chart, deep_merge(base, {"initMode": {"chainDataPaths": ["db", "staking"], "from": "s3://b/p"}}))
    out.check(err is not None and "overlaps protected path" in err, "chart", "chain data overlapping the staking keys fails the render")

    # jobs/: strict validation and chainsnap flags.
    for f in sorted(glob.glob(os.path.join(a.root, "jobs", "*.y*ml"))):
        rel = os.path.relpath(f, a.root)
        with open(f) as fh:
            text = fh.read()
        out.check(text.lstrip().startswith("#"), rel, "starts with a header comment on how to use it")
        docs = load_docs(text, rel, out)
        for d in docs:
            validate(d, rel, crds, out)
            out.check(bool(d.get("metadata", {}).get("namespace")) or d["kind"] == "Namespace", rel,
                      "%s/%s names its namespace" % (d["kind"], d["metadata"]["name"]))
            for cname, args, _ in chainsnap_commands(d):
                if args[:2] == ["node", "prepare-data"]:
                    code, t = binary.run(args + ["--dry-run"])
                    out.check(code == 0, rel, "`chainsnap %s --dry-run` accepted%s" % (" ".join(args[:2]), "" if code == 0 else ": " + t[:300]))
                check_flags(binary, args, "%s %s" % (rel, cname), out, warnings)
        check_commands_provided(rel, docs + [x for _, x in embedded_manifests(docs)], None, out, warnings)
        for key, d in embedded_manifests(docs):
            validate(d, "%s luxd-snapshot-export/%s" % (rel, key), crds, out)
            for cname, args, _ in chainsnap_commands(d):
                check_flags(binary, args, "%s %s %s" % (rel, key, cname), out, warnings)
        check_snapshot_cronjob(rel, docs, None, binary, out)
        check_fleet_rbac(rel, docs, out)

    # chainsnap k8s restore-job / reimport-job print valid Jobs.
    for cmd in (["k8s", "restore-job", "--pvc", "data-luxd-0", "--from", "s3://lux-snapshots/mainnet", "--namespace", "lux-mainnet",
                 "--snapshot", "latest", "--credentials-secret", "snapshot-store", "--endpoint", "https://nyc3.digitaloceanspaces.com"],
                ["k8s", "reimport-job", "--pvc", "data-luxd-2", "--from", "s3://lux-snapshots/mainnet", "--namespace", "lux-mainnet",
                 "--chain-data", "db", "--chain-data", "chainData"],
                # A presigned URL from a Secret, for both Jobs.
                ["k8s", "restore-job", "--pvc", "data-luxd-0", "--from-secret", "snapshot-url", "--namespace", "lux-mainnet"],
                # Pod settings and the short namespace flag.
                ["k8s", "reimport-job", "--pvc", "data-luxd-1", "--from", "s3://lux-snapshots/mainnet", "-n", "lux-mainnet",
                 "--image-pull-secret", "regcred", "--node-selector", "kubernetes.io/hostname=node-3",
                 "--run-as-user", "1000", "--run-as-group", "1000", "--fs-group", "1000"],
                ["k8s", "reimport-job", "--pvc", "data-luxd-2", "--from-secret", "snapshot-url", "--namespace", "lux-mainnet"]):
        code, text = binary.run(cmd)
        label = "chainsnap " + " ".join(cmd[:2])
        if out.check(code == 0, label, "exit %d" % code):
            for d in load_docs(text, label, out):
                validate(d, label, crds, out)
                for cname, args, _ in chainsnap_commands(d):
                    if args[:2] == ["node", "prepare-data"]:
                        c2, t2 = binary.run(args + ["--dry-run"])
                        out.check(c2 == 0, label, "its prepare-data arguments are accepted%s" % ("" if c2 == 0 else ": " + t2[:300]))
                    check_flags(binary, args, label, out, warnings)

    for w in warnings:
        print("WARN  %s" % w)
    print("%s: %d failures, %d warnings, %.1f s" % ("FAILED" if out.items else "PASSED", len(out.items), len(warnings), time.time() - t0))
    sys.exit(1 if out.items else 0)


if __name__ == "__main__":
    main()
