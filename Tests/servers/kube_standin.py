#!/usr/bin/env python3
"""A stand-in Kubernetes API server for chainsnap's fleet tests (127.0.0.1 only, HTTPS).

It simulates what fleet commands depend on, in the wire format real clients expect (kubectl and
the official Python client are run against it by the tests):
  - TLS with a test CA made at start by `openssl` (in --tls-dir: ca.crt, server.crt, client.crt,
    client.key, other-ca client.crt for a "wrong CA" case); bearer-token auth (the token is read
    from the file --token-file, never from argv) or a client certificate signed by the test CA.
  - one namespace (--namespace) with an OnDelete StatefulSet `luxd` of --replicas pods, and more
    networks with --network NS=REPLICAS[@HEIGHT] (each its own namespace, StatefulSet `luxd` and
    heights; --lag/--stuck take NS/POD for them); a deleted pod is
    Terminating for a moment, then gone; the controller recreates it after --recreate-delay with
    a new UID, going Pending -> Init (init container `prepare-data` logging restore progress
    lines) -> Running -> Ready.
  - each running pod's node is a Tests/servers/standin_node.py process whose height advances
    (--rate blocks/s from a shared epoch, so healthy pods agree); --lag POD=N makes one pod lag,
    --stuck POD makes that pod's replacement stop advancing (it comes back stuck).
  - the pod proxy (/api/v1/namespaces/NS/pods/POD:PORT/proxy/...) forwards to that node.
  - ConfigMaps (create/get/merge-patch/delete), Events, PVCs, pod logs, discovery, /version,
    and watch=true on pods (JSON lines, ADDED/MODIFIED/DELETED) as kubectl delete --wait uses.
  - a merge patch of a StatefulSet's spec.replicas (what helm's apply sends when replicas change):
    new ordinals come up after --recreate-delay as new pods do, the highest ones go away.
  - list paging: a list with `limit` returns at most min(limit, --max-page) items and a
    `metadata.continue` token to follow (--endless-continue: a broken server whose token never ends).
Test-only: GET /_test/state returns the recorded deletions, the most pods down at once,
the node ports and what each new pod saw in ConfigMap chainsnap-recovery.
Prints "PORT n" on stdout once listening.
"""
import argparse
import copy
import ctypes
import json
import os
import signal
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
# VolumeSnapshots (chainsnap k8s volume-snapshot): see the "VolumeSnapshots" section below.
ap.add_argument("--snapshot-ready-after", type=float, default=1.0, help="seconds until a new VolumeSnapshot is readyToUse")
ap.add_argument("--snapshot-never-ready", action="store_true", help="VolumeSnapshots never become ready (status.error is set)")
ap.add_argument("--no-snapshot-api", action="store_true", help="snapshot.storage.k8s.io is not served (no CRD installed)")
ap.add_argument("--export-job-seconds", type=float, default=0.5, help="an export Job (batch/v1) succeeds after this many seconds")
ap.add_argument("--export-job-fails", action="store_true", help="export Jobs fail instead")
ap.add_argument("--seed-snapshots", type=int, default=0, help="VolumeSnapshots of data-luxd-0 that exist at start: this many by chainsnap, plus one by someone else")
ap.add_argument("--port", type=int, default=0)
ap.add_argument("--tls-dir", required=True)
ap.add_argument("--token-file", required=True)
ap.add_argument("--namespace", default="lux-test")
ap.add_argument("--replicas", type=int, default=5)
ap.add_argument("--rate", type=float, default=2.0, help="blocks per second")
ap.add_argument("--base-height", type=int, default=1000)
ap.add_argument("--lag", action="append", default=[], help="POD=N: that pod's node is N blocks behind")
ap.add_argument("--stuck", action="append", default=[], help="POD: its replacement stops advancing")
ap.add_argument("--recreate-delay", type=float, default=0.5)
ap.add_argument("--terminate-delay", type=float, default=0.3)
ap.add_argument("--pending-seconds", type=float, default=0.3)
ap.add_argument("--init-seconds", type=float, default=1.0)
ap.add_argument("--ready-delay", type=float, default=0.5)
ap.add_argument("--node-script", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "standin_node.py"))
ap.add_argument("--work-dir", required=True)
ap.add_argument("--readonly-token-file", help="a second token that may only GET (others get 403 Forbidden, as RBAC answers)")
ap.add_argument("--throttle", type=int, default=0, help="answer the first N pod lists with 429 Retry-After: 1")
ap.add_argument("--fail-statefulsets", action="store_true", help="answer every StatefulSet request with 503")
ap.add_argument("--network", action="append", default=[], help="NS=REPLICAS[@HEIGHT]: one more network in namespace NS")
ap.add_argument("--max-page", type=int, default=0, help="at most this many items per list page when a limit is asked (0: the limit)")
ap.add_argument("--endless-continue", action="store_true", help="every paged list answers a continue token (a broken server)")
args = ap.parse_args()

TOKEN = open(args.token_file).read().strip()
READONLY = open(args.readonly_token_file).read().strip() if args.readonly_token_file else None
throttled = [0]
NS = args.namespace
EPOCH = time.time()
LAGS = {(k if "/" in k else NS + "/" + k): int(v) for k, v in (x.split("=", 1) for x in args.lag)}
STUCK = {x if "/" in x else NS + "/" + x for x in args.stuck}
HTTP_PORT = 9650
lock = threading.RLock()


def now_rfc3339(t=None):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t or time.time()))


# ---------------------------------------------------------------- TLS material

def openssl(*a):
    subprocess.run(["openssl"] + list(a), check=True, capture_output=True)


def make_tls(d):
    os.makedirs(d, exist_ok=True)
    p = lambda n: os.path.join(d, n)
    if os.path.exists(p("server.crt")):
        return
    for ca in ("ca", "other-ca"):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", p(ca + ".key"), "-out", p(ca + ".crt"),
                "-days", "2", "-subj", "/CN=chainsnap test %s" % ca)
    with open(p("server.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    with open(p("client.ext"), "w") as f:
        f.write("extendedKeyUsage=clientAuth\n")
    for name, ca, ext, cn in (("server", "ca", "server.ext", "localhost"), ("client", "ca", "client.ext", "fleet-admin"),
                              ("rogue-client", "other-ca", "client.ext", "intruder")):
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", p(name + ".key"), "-out", p(name + ".csr"), "-subj", "/CN=" + cn)
        openssl("x509", "-req", "-in", p(name + ".csr"), "-CA", p(ca + ".crt"), "-CAkey", p(ca + ".key"), "-CAcreateserial",
                "-out", p(name + ".crt"), "-days", "2", "-extfile", p(ext))


# ---------------------------------------------------------------- the simulated cluster

class PodSim:
    """One incarnation of a pod (one UID)."""

    def __init__(self, net, name, ordinal, initial, recovery_seen):
        self.net = net
        self.name, self.ordinal = name, ordinal
        self.uid = str(uuid.uuid4())
        self.created = time.time()
        self.initial = initial
        self.deleted_at = None
        self.node = None
        self.node_port = None
        self.ready_at = None
        self.ready_logged = False
        self.recovery_seen = recovery_seen
        self.stuck = (not initial) and net.ns + "/" + name in STUCK
        if initial:
            self.start_node()
            self.ready_at = time.time()

    def start_node(self):
        lag = LAGS.get(self.net.ns + "/" + self.name, 0)
        cmd = [sys.executable, args.node_script, "--port", "0", "--record", os.path.join(args.work_dir, "node-%s.jsonl" % self.name),
               "--height", str(self.net.base - lag), "--epoch", repr(EPOCH), "--advance-per-sec", repr(args.rate)]
        if self.stuck:
            cmd += ["--advance-for", "0"]
        # PR_SET_PDEATHSIG: the node dies with this server even when it is SIGKILLed (the harness does that).
        self.node = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                     preexec_fn=lambda: ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL))
        line = self.node.stdout.readline()
        self.node_port = int(line.split()[1])

    def stop_node(self):
        if self.node:
            self.node.kill()
            self.node.wait()
            self.node = None

    def stage(self, t):
        age = t - self.created
        if self.deleted_at is not None:
            return "terminating"
        if self.initial:
            return "ready"
        if age < args.pending_seconds:
            return "pending"
        if age < args.pending_seconds + args.init_seconds:
            return "init"
        return "ready" if self.ready_at and t >= self.ready_at else "running"

    def tick(self, t):
        if self.stage(t) == "running" and self.node is None:
            self.start_node()
            self.ready_at = time.time() + args.ready_delay

    def init_log(self, t):
        lines = ["prepare-data: data dir /data; chain data db, chainData; restore target /data/db"]
        if self.recovery_seen:
            lines.append("prepare-data: decision: recover — request %s (%s) for this pod (%s)"
                         % (self.recovery_seen.get("id"), self.recovery_seen.get("mode"), self.name))
        if self.initial:
            lines.append("prepare-data: decision: nothing to do — /data/db was already restored (snap-20261130 from s3://lux-snapshots/test at 2026-11-30T03:30:00Z; marker /data/db/.chainsnap-restore.json)")
            return lines
        lines.append("prepare-data: decision: restore — /data/db is empty")
        start = self.created + args.pending_seconds
        total = 3 << 30
        steps = max(1, int((min(t, start + args.init_seconds) - start) / 0.1))
        for i in range(1, steps + 1):
            frac = min(1.0, i * 0.1 / args.init_seconds)
            left = (1 - frac) * args.init_seconds * 600
            lines.append("restore snap-20261201: %.1f GiB / 3.0 GiB (%d%%), 1.2 GiB/s, ETA %dm" % (frac * total / (1 << 30), int(frac * 100), int(left // 60)))
        return lines

    def to_json(self, t):
        st = self.stage(t)
        image = "ghcr.io/luxfi/luxd:v1.13.5"
        meta = {"name": self.name, "namespace": self.net.ns, "uid": self.uid, "resourceVersion": str(int(self.created * 1000)),
                "creationTimestamp": now_rfc3339(self.created), "generateName": "luxd-",
                "labels": dict(self.net.selector, **{"statefulset.kubernetes.io/pod-name": self.name}),
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "luxd", "uid": self.net.uid,
                                     "controller": True, "blockOwnerDeletion": True}]}
        if st == "terminating":
            meta["deletionTimestamp"] = now_rfc3339(self.deleted_at)
            meta["deletionGracePeriodSeconds"] = 30
        spec = {"initContainers": [{"name": "prepare-data", "image": "ghcr.io/luxfi/chainsnap:0.1.0", "command": ["chainsnap"],
                                    "args": ["node", "prepare-data", "--data-dir", "/data", "--chain-data", "db"]}],
                "containers": [{"name": "luxd", "image": image, "command": ["/opt/chainsnap/bin/chainsnap"],
                                "args": ["node", "supervise", "--rpc", "http://127.0.0.1:%d" % HTTP_PORT, "--alias", "C=evm", "--", "/luxd/build/luxd"],
                                "ports": [{"name": "http", "containerPort": HTTP_PORT, "protocol": "TCP"},
                                          {"name": "staking", "containerPort": 9651, "protocol": "TCP"}]}],
                "hostname": self.name, "subdomain": "luxd-headless", "restartPolicy": "Always", "nodeName": "node-1"}
        started = now_rfc3339(self.created)
        init_done = {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": started, "finishedAt": started}}
        conds = lambda ready, init: [{"type": "Initialized", "status": "True" if init else "False"},
                                     {"type": "Ready", "status": "True" if ready else "False"},
                                     {"type": "ContainersReady", "status": "True" if ready else "False"},
                                     {"type": "PodScheduled", "status": "True"}]
        cs = lambda ready, state: [{"name": "luxd", "ready": ready, "restartCount": 0, "image": image, "imageID": "",
                                    "started": ready, "state": state}]
        ics = lambda state, ready: [{"name": "prepare-data", "ready": ready, "restartCount": 0, "image": "ghcr.io/luxfi/chainsnap:0.1.0",
                                     "imageID": "", "state": state}]
        if st == "pending":
            status = {"phase": "Pending", "conditions": conds(False, False),
                      "initContainerStatuses": ics({"waiting": {"reason": "PodInitializing"}}, False),
                      "containerStatuses": cs(False, {"waiting": {"reason": "PodInitializing"}})}
        elif st == "init":
            status = {"phase": "Pending", "conditions": conds(False, False),
                      "initContainerStatuses": ics({"running": {"startedAt": started}}, False),
                      "containerStatuses": cs(False, {"waiting": {"reason": "PodInitializing"}})}
        else:
            ready = st in ("ready", "terminating") and self.ready_at is not None
            status = {"phase": "Running", "conditions": conds(ready, True), "initContainerStatuses": ics(init_done, True),
                      "containerStatuses": cs(ready, {"running": {"startedAt": started}}), "podIP": "127.0.0.1"}
        status["hostIP"] = "127.0.0.1"
        status["startTime"] = started
        return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status}


class Net:
    """One network: a namespace with StatefulSet `luxd`, its pods, ConfigMaps and events."""

    def __init__(self, ns, replicas, base):
        self.ns, self.replicas, self.base = ns, replicas, base
        self.uid = str(uuid.uuid4())
        self.generation = 1
        self.selector = {"app.kubernetes.io/name": "lux", "app.kubernetes.io/instance": ns if ns != args.namespace else "lux"}
        self.pods = {}        # name -> PodSim (current incarnation; a terminating one until it is gone)
        self.pending = {}     # name -> time the controller (re)creates it
        self.configmaps = {}  # name -> ConfigMap dict
        self.events = []

    def start(self):
        for i in range(self.replicas):
            self.pods["luxd-%d" % i] = PodSim(self, "luxd-%d" % i, i, True, None)

    def scale(self, replicas, t):
        """spec.replicas changed: missing ordinals come up as new pods, the highest ones are deleted."""
        self.replicas = replicas
        self.generation += 1
        for i in range(replicas):
            n = "luxd-%d" % i
            if n not in self.pods and n not in self.pending:
                self.pending[n] = t + args.recreate_delay
        for n, p in self.pods.items():
            if p.ordinal >= replicas and p.deleted_at is None:
                p.deleted_at = t
                p.stop_node()
        for n in [n for n in self.pending if int(n.rsplit("-", 1)[1]) >= replicas]:
            del self.pending[n]


NETS = {NS: Net(NS, args.replicas, args.base_height)}
for spec in args.network:
    ns_, _, rest = spec.partition("=")
    count, _, height = rest.partition("@")
    NETS[ns_] = Net(ns_, int(count), int(height or args.base_height))
PRIMARY = NETS[NS]
deletions = []     # {"namespace", "pod", "uid", "t"}
down_since = {}    # NS/pod -> time it was deleted, until its replacement is Ready
max_down = [0]
ready_log = []     # {"namespace", "pod", "uid", "t"}
list_requests = []  # {"path", "limit", "continue", "items"} of every list asked with a limit


def recovery_for(net, name):
    cm = net.configmaps.get("chainsnap-recovery")
    if cm and name in (cm.get("data") or {}):
        try:
            return json.loads(cm["data"][name])
        except ValueError:
            return {"invalid": cm["data"][name]}
    return None


def add_event(net, pod, reason, message, type_="Normal"):
    net.events.append({"apiVersion": "v1", "kind": "Event", "metadata": {"name": "%s.%x" % (pod, len(net.events)), "namespace": net.ns},
                       "involvedObject": {"kind": "Pod", "name": pod, "namespace": net.ns, "apiVersion": "v1"},
                       "reason": reason, "message": message, "type": type_, "count": 1,
                       "firstTimestamp": now_rfc3339(), "lastTimestamp": now_rfc3339(), "source": {"component": "kube-standin"}})


def controller():
    while True:
        time.sleep(0.1)
        t = time.time()
        with lock:
            for net in NETS.values():
                control(net, t)
            max_down[0] = max(max_down[0], len(down_since))


def control(net, t):
    for name, p in list(net.pods.items()):
        if p.deleted_at is not None and t - p.deleted_at >= args.terminate_delay:
            del net.pods[name]
            if p.ordinal < net.replicas:
                net.pending[name] = t + args.recreate_delay
            continue
        p.tick(t)
        if not p.initial and not p.ready_logged and p.stage(t) == "ready":
            p.ready_logged = True
            ready_log.append({"namespace": net.ns, "pod": name, "uid": p.uid, "t": t})
            down_since.pop(net.ns + "/" + name, None)
    for name, when in list(net.pending.items()):
        if t >= when:
            del net.pending[name]
            net.pods[name] = PodSim(net, name, int(name.rsplit("-", 1)[1]), False, recovery_for(net, name))
            add_event(net, name, "Scheduled", "Successfully assigned %s/%s to node-1" % (net.ns, name))


def sts_json(net):
    ready = sum(1 for p in net.pods.values() if p.stage(time.time()) == "ready")
    sel = net.selector
    return {"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "luxd", "namespace": net.ns, "uid": net.uid, "generation": net.generation, "resourceVersion": str(net.generation),
                         "creationTimestamp": now_rfc3339(EPOCH), "labels": sel},
            "spec": {"replicas": net.replicas, "serviceName": "luxd-headless", "podManagementPolicy": "Parallel",
                     "selector": {"matchLabels": sel}, "updateStrategy": {"type": "OnDelete"},
                     "template": {"metadata": {"labels": sel}, "spec": {"containers": [{"name": "luxd", "image": "ghcr.io/luxfi/luxd:v1.13.5"}]}}},
            "status": {"replicas": len(net.pods), "readyReplicas": ready, "currentReplicas": len(net.pods), "observedGeneration": net.generation,
                       "currentRevision": "luxd-1", "updateRevision": "luxd-1"}}


def page(path, items, q):
    """The items of one list page: all of them without `limit`; else at most min(limit, --max-page)
    from the offset the `continue` token carries, with the token for the rest."""
    limit = int(q.get("limit") or 0)
    if limit <= 0:
        return items, {}
    size = min(limit, args.max_page) if args.max_page > 0 else limit
    token = q.get("continue") or ""
    if token and not token.startswith("standin:"):
        raise ValueError(token)
    off = int(token[8:] or 0) if token else 0
    chunk = items[off:off + size]
    meta = {}
    if off + size < len(items):
        meta = {"continue": "standin:%d" % (off + size), "remainingItemCount": len(items) - off - size}
    elif args.endless_continue:  # a broken server: a fresh token every time, pages with nothing in them
        meta = {"continue": "standin:%d" % (off + size)}
    list_requests.append({"path": path, "limit": limit, "continue": token, "items": len(chunk)})
    return chunk, meta


def pod_table(items, meta, t):
    """The server-side table kubectl's printer asks for (Accept: ...;as=Table;g=meta.k8s.io)."""
    cols = [{"name": n, "type": ty, "format": f, "description": n, "priority": 0}
            for n, ty, f in (("Name", "string", "name"), ("Ready", "string", ""), ("Status", "string", ""),
                             ("Restarts", "string", ""), ("Age", "string", ""))]
    rows = []
    for p in items:
        cs = p["status"].get("containerStatuses") or []
        ready = "%d/%d" % (sum(1 for c in cs if c["ready"]), len(p["spec"]["containers"]))
        state = "Terminating" if p["metadata"].get("deletionTimestamp") else (
            "Init:0/1" if p["status"]["phase"] == "Pending" else p["status"]["phase"])
        rows.append({"cells": [p["metadata"]["name"], ready, state, "0", "%ds" % int(t - EPOCH)],
                     "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": p["metadata"]}})
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": dict(meta, resourceVersion=str(int(t * 1000))),
            "columnDefinitions": cols, "rows": rows}


def status_obj(code, reason, message, details=None):
    o = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message, "reason": reason, "code": code}
    if details:
        o["details"] = details
    return o


def matches(labels, selector):
    if not selector:
        return True
    for part in selector.split(","):
        k, _, v = part.partition("=")
        if labels.get(k) != v:
            return False
    return True


RESOURCES_V1 = [
    {"name": "pods", "singularName": "pod", "namespaced": True, "kind": "Pod", "shortNames": ["po"],
     "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]},
    {"name": "pods/log", "singularName": "", "namespaced": True, "kind": "Pod", "verbs": ["get"]},
    {"name": "pods/proxy", "singularName": "", "namespaced": True, "kind": "PodProxyOptions",
     "verbs": ["create", "delete", "get", "patch", "update"]},
    {"name": "configmaps", "singularName": "configmap", "namespaced": True, "kind": "ConfigMap", "shortNames": ["cm"],
     "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]},
    {"name": "events", "singularName": "event", "namespaced": True, "kind": "Event", "shortNames": ["ev"], "verbs": ["get", "list", "watch"]},
    {"name": "persistentvolumeclaims", "singularName": "persistentvolumeclaim", "namespaced": True, "kind": "PersistentVolumeClaim",
     "shortNames": ["pvc"], "verbs": ["get", "list", "watch"]},
    {"name": "namespaces", "singularName": "namespace", "namespaced": False, "kind": "Namespace", "shortNames": ["ns"], "verbs": ["get", "list"]},
]
RESOURCES_APPS = [{"name": "statefulsets", "singularName": "statefulset", "namespaced": True, "kind": "StatefulSet", "shortNames": ["sts"],
                   "verbs": ["get", "list", "patch", "watch"]}]


def test_state(t):
    def pods_of(net):
        return {n: {"uid": p.uid, "nodePort": p.node_port, "stage": p.stage(t), "recoverySeen": p.recovery_seen} for n, p in net.pods.items()}
    return {"deletions": deletions, "maxDown": max_down[0], "ready": ready_log, "throttled": throttled[0],
            "pods": pods_of(PRIMARY), "configmaps": PRIMARY.configmaps, "lists": list_requests,
            "networks": {ns: {"replicas": n.replicas, "pods": pods_of(n), "configmaps": n.configmaps} for ns, n in NETS.items()}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send_json(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def authenticated(self):
        auth = self.headers.get("Authorization", "")
        self.readonly = False
        if auth.startswith("Bearer ") and auth[7:].strip() == TOKEN:
            return True
        if READONLY and auth.startswith("Bearer ") and auth[7:].strip() == READONLY:
            self.readonly = True
            return True
        cert = self.connection.getpeercert() if hasattr(self.connection, "getpeercert") else None
        if cert:  # verified against the test CA by the TLS layer
            return True
        self.send_json(401, status_obj(401, "Unauthorized", "Unauthorized"))
        return False

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_DELETE(self):
        self.route("DELETE")

    def do_PATCH(self):
        self.route("PATCH")

    def do_PUT(self):
        self.route("PUT")

    def route(self, method):
        if os.environ.get("KUBE_STANDIN_DEBUG"):
            sys.stderr.write("%s %s accept=%s\n" % (method, self.path, self.headers.get("Accept")))
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        parts = [urllib.parse.unquote(x) for x in u.path.strip("/").split("/")] if u.path.strip("/") else []
        if not self.authenticated():
            self.body()
            return
        try:
            self.dispatch(method, parts, q)
        except BrokenPipeError:
            pass

    def dispatch(self, method, parts, q):
        t = time.time()
        if parts == ["_test", "state"]:
            with lock:
                return self.send_json(200, test_state(t))
        if parts == ["_test", "volumesnapshots"]:
            return self.snapshot_test_state()
        if parts == ["version"]:
            return self.send_json(200, {"major": "1", "minor": "30", "gitVersion": "v1.30.0", "gitCommit": "standin",
                                        "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.22",
                                        "compiler": "gc", "platform": "linux/amd64"})
        if parts == ["api"]:
            return self.send_json(200, {"kind": "APIVersions", "versions": ["v1"],
                                        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]})
        if parts == ["apis"]:
            return self.send_json(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                {"name": "apps", "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
                 "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"}}]})
        if parts == ["api", "v1"]:
            return self.send_json(200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "v1", "resources": RESOURCES_V1})
        if parts == ["apis", "apps", "v1"]:
            return self.send_json(200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "apps/v1", "resources": RESOURCES_APPS})
        if parts[:3] == ["api", "v1", "namespaces"] and len(parts) == 4:
            if parts[3] not in NETS:
                return self.send_json(404, status_obj(404, "NotFound", 'namespaces "%s" not found' % parts[3],
                                                      {"name": parts[3], "kind": "namespaces"}))
            return self.send_json(200, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": parts[3], "uid": "ns-" + parts[3]},
                                        "status": {"phase": "Active"}})
        if parts[:2] == ["apis", "apps"] and parts[-1] == "statefulsets" and len(parts) == 4:
            with lock:
                return self.send_list("StatefulSetList", "apps/v1", [sts_json(n) for n in NETS.values()], q)
        if parts == ["api", "v1", "pods"] and method == "GET":
            with lock:
                return self.send_list("PodList", "v1", [p.to_json(t) for n in NETS.values() for p in sorted(n.pods.values(), key=lambda p: p.ordinal)], q)
        if len(parts) >= 5 and parts[:3] in (["api", "v1", "namespaces"], ["apis", "apps", "v1"]) or (len(parts) >= 6 and parts[:4] == ["apis", "apps", "v1", "namespaces"]):
            pass
        if parts[:2] == ["apis", "snapshot.storage.k8s.io"]:
            return self.volumesnapshots_route(method, parts, q)
        if parts[:3] == ["apis", "batch", "v1"]:
            return self.jobs_route(method, parts[3:])
        # namespaced paths
        if parts[:2] == ["apis", "apps"]:
            rest = parts[3:]
        elif parts[:2] == ["api", "v1"]:
            rest = parts[2:]
        else:
            return self.send_json(404, status_obj(404, "NotFound", "the server could not find the requested resource"))
        if len(rest) < 3 or rest[0] != "namespaces":
            return self.send_json(404, status_obj(404, "NotFound", "the server could not find the requested resource"))
        ns, resource, tail = rest[1], rest[2], rest[3:]
        net = self.net = NETS.get(ns)
        if net is None:
            self.body()
            if tail:
                return self.send_json(404, status_obj(404, "NotFound", '%s "%s" not found' % (resource, tail[0].split(":")[0]),
                                                      {"name": tail[0], "kind": resource}))
            if method == "GET":  # listing in a namespace that does not exist answers an empty list, as the real server does
                return self.send_json(200, {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": "1"}, "items": []})
            return self.send_json(404, status_obj(404, "NotFound", 'namespaces "%s" not found' % ns))
        if getattr(self, "readonly", False) and method != "GET" and not (tail and tail[-1:] != [] and "proxy" in tail):
            return self.send_json(403, status_obj(403, "Forbidden", '%s "%s" is forbidden: User "system:serviceaccount:%s:viewer" cannot %s resource "%s" in API group "" in the namespace "%s"'
                                                  % (resource, tail[0] if tail else "", ns, {"DELETE": "delete", "PATCH": "patch", "POST": "create"}.get(method, method.lower()), resource, ns),
                                                  {"name": tail[0] if tail else "", "kind": resource}))
        if resource == "statefulsets" and args.fail_statefulsets:
            return self.send_json(503, status_obj(503, "ServiceUnavailable", "etcdserver: request timed out"))
        if resource == "pods" and not tail and method == "GET" and throttled[0] < args.throttle:
            throttled[0] += 1
            body = json.dumps(status_obj(429, "TooManyRequests", "too many requests, please try again later")).encode()
            self.send_response(429)
            self.send_header("Content-Type", "application/json")
            self.send_header("Retry-After", "1")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            return self.wfile.write(body)
        with lock:
            if resource == "pods":
                return self.pods(method, tail, q, t)
            if resource == "statefulsets":
                if not tail:
                    return self.send_list("StatefulSetList", "apps/v1", [sts_json(net)], q)
                if tail[0] != "luxd":
                    self.body()
                    return self.send_json(404, status_obj(404, "NotFound", 'statefulsets.apps "%s" not found' % tail[0],
                                                          {"name": tail[0], "group": "apps", "kind": "statefulsets"}))
                if method == "PATCH":
                    return self.patch_statefulset(net, t)
                return self.send_json(200, sts_json(net))
            if resource == "configmaps":
                return self.configmaps_route(method, tail)
            if resource == "events":
                sel = q.get("fieldSelector", "")
                name = sel.split("=", 1)[1] if sel.startswith("involvedObject.name=") else None
                items = [e for e in net.events if name is None or e["involvedObject"]["name"] == name]
                return self.send_list("EventList", "v1", items, q)
            if resource == "persistentvolumeclaims" and (tail or method != "GET"):
                return self.pvc_route(method, tail)
            if resource == "persistentvolumeclaims":
                items = [{"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                          "metadata": {"name": "data-luxd-%d" % i, "namespace": ns, "uid": "pvc-%d" % i},
                          "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "500Gi"}}},
                          "status": {"phase": "Bound", "capacity": {"storage": "500Gi"}}} for i in range(net.replicas)]
                return self.send_list("PersistentVolumeClaimList", "v1", items, q)
        return self.send_json(404, status_obj(404, "NotFound", "the server could not find the requested resource"))

    def paged(self, items, q):
        try:
            return page(self.path.split("?")[0], items, q)
        except ValueError:
            return None, None

    def send_list(self, kind, api, items, q, rv="1"):
        chunk, meta = self.paged(items, q)
        if chunk is None:
            return self.send_json(410, status_obj(410, "Expired", "The provided continue parameter is too old to display a consistent list result. "
                                                  "You can start a new list without the continue parameter."))
        return self.send_json(200, {"apiVersion": api, "kind": kind, "metadata": dict(meta, resourceVersion=rv), "items": chunk})

    def patch_statefulset(self, net, t):
        """A merge (or strategic merge) patch; only spec.replicas is acted on, as a scale would."""
        raw = self.body()
        if "merge-patch" not in self.headers.get("Content-Type", ""):
            return self.send_json(415, status_obj(415, "UnsupportedMediaType", "unsupported patch type"))
        replicas = (json.loads(raw or b"{}").get("spec") or {}).get("replicas")
        if replicas is not None:
            net.scale(int(replicas), t)
        return self.send_json(200, sts_json(net))

    def pods(self, method, tail, q, t):
        if not tail:
            if q.get("watch") in ("true", "1"):
                return self.watch_pods(q)
            sel = q.get("labelSelector")
            fsel = q.get("fieldSelector", "")
            only = fsel.split("=", 1)[1] if fsel.startswith("metadata.name=") else None
            items = [p.to_json(t) for n, p in sorted(self.net.pods.items(), key=lambda kv: kv[1].ordinal)
                     if (only is None or n == only) and matches(p.to_json(t)["metadata"]["labels"], sel)]
            if "as=Table" in (self.headers.get("Accept") or ""):
                return self.send_json(200, pod_table(*self.paged(items, q), t))
            return self.send_list("PodList", "v1", items, q, rv=str(int(t * 1000)))
        name = tail[0]
        if ":" in name and len(tail) >= 2 and tail[1] == "proxy":
            return self.proxy(method, name, tail[2:])
        p = self.net.pods.get(name)
        if p is None:
            self.body()
            return self.send_json(404, status_obj(404, "NotFound", 'pods "%s" not found' % name, {"name": name, "kind": "pods"}))
        if len(tail) == 2 and tail[1] == "log":
            lines = p.init_log(t) if q.get("container") == "prepare-data" else ["luxd: running"]
            n = int(q.get("tailLines", "0") or 0)
            if n:
                lines = lines[-n:]
            body = ("\n".join(lines) + "\n").encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            return self.wfile.write(body)
        if method == "GET":
            return self.send_json(200, p.to_json(t))
        if method == "DELETE":
            raw = self.body()
            opts = json.loads(raw) if raw else {}
            want = (opts.get("preconditions") or {}).get("uid")
            if want and want != p.uid:
                return self.send_json(409, status_obj(409, "Conflict", 'Precondition failed: UID in precondition: %s, UID in object meta: %s'
                                                      % (want, p.uid), {"name": name, "kind": "pods"}))
            if p.deleted_at is None:
                p.deleted_at = t
                p.stop_node()
                deletions.append({"namespace": self.net.ns, "pod": name, "uid": p.uid, "t": t})
                down_since[self.net.ns + "/" + name] = t
                max_down[0] = max(max_down[0], len(down_since))
                add_event(self.net, name, "Killing", "Stopping container luxd")
            return self.send_json(200, p.to_json(t))
        self.body()
        return self.send_json(405, status_obj(405, "MethodNotAllowed", "method not allowed"))

    def watch_pods(self, q):
        fsel = q.get("fieldSelector", "")
        only = fsel.split("=", 1)[1] if fsel.startswith("metadata.name=") else None
        timeout = float(q.get("timeoutSeconds", "60"))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        lock.release()
        try:
            seen = {}
            initial = True
            end = time.time() + timeout
            while time.time() < end:
                with lock:
                    t = time.time()
                    current = {n: p for n, p in self.net.pods.items() if only is None or n == only}
                    out = []
                    for n, p in current.items():
                        j = p.to_json(t)
                        key = (p.uid, p.stage(t))
                        if n not in seen:
                            out.append(("ADDED", j))
                        elif seen[n][0] != p.uid:
                            out.append(("DELETED", seen[n][1]))
                            out.append(("ADDED", j))
                        elif seen[n][2] != key:
                            out.append(("MODIFIED", j))
                        seen[n] = (p.uid, j, key)
                    for n in list(seen):
                        if n not in current:
                            out.append(("DELETED", seen.pop(n)[1]))
                if initial and q.get("sendInitialEvents") == "true":
                    # client-go's watch-list: the initial state ends with this bookmark.
                    out.append(("BOOKMARK", {"kind": "Pod", "apiVersion": "v1", "metadata": {
                        "resourceVersion": str(int(time.time() * 1000)), "annotations": {"k8s.io/initial-events-end": "true"}}}))
                initial = False
                for typ, obj in out:
                    line = (json.dumps({"type": typ, "object": obj}) + "\n").encode()
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
                    self.wfile.flush()
                time.sleep(0.1)
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            pass
        finally:
            lock.acquire()

    def proxy(self, method, target, rest):
        name, _, port = target.partition(":")
        raw = self.body()
        p = self.net.pods.get(name)
        if p is None:
            return self.send_json(404, status_obj(404, "NotFound", 'pods "%s" not found' % name))
        if int(port or 0) != HTTP_PORT:
            return self.send_json(503, status_obj(503, "ServiceUnavailable", "error trying to reach service: dial tcp 127.0.0.1:%s: connect: connection refused" % port))
        if p.node_port is None or p.node is None:
            return self.send_json(503, status_obj(503, "ServiceUnavailable", "error trying to reach service: dial tcp 127.0.0.1:%d: connect: connection refused" % HTTP_PORT))
        url = "http://127.0.0.1:%d/%s" % (p.node_port, "/".join(rest))
        req = urllib.request.Request(url, data=raw if method != "GET" else None, method=method,
                                     headers={"Content-Type": self.headers.get("Content-Type", "application/json")})
        lock.release()
        try:
            try:
                with urllib.request.urlopen(req, timeout=5) as r:
                    code, body, ctype = r.status, r.read(), r.headers.get("Content-Type", "application/json")
            except urllib.error.HTTPError as e:
                code, body, ctype = e.code, e.read(), e.headers.get("Content-Type", "application/json")
            except OSError as e:
                code, body, ctype = 503, json.dumps(status_obj(503, "ServiceUnavailable", "error trying to reach service: %s" % e)).encode(), "application/json"
        finally:
            lock.acquire()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def configmaps_route(self, method, tail):
        raw = self.body()
        configmaps = self.net.configmaps
        if not tail:
            if method == "GET":
                return self.send_list("ConfigMapList", "v1", list(configmaps.values()), {})
            if method == "POST":
                cm = json.loads(raw)
                name = cm["metadata"]["name"]
                if name in configmaps:
                    return self.send_json(409, status_obj(409, "AlreadyExists", 'configmaps "%s" already exists' % name))
                cm["metadata"].update({"namespace": self.net.ns, "uid": str(uuid.uuid4()), "resourceVersion": "1",
                                       "creationTimestamp": now_rfc3339()})
                cm["apiVersion"], cm["kind"] = "v1", "ConfigMap"
                configmaps[name] = cm
                return self.send_json(201, cm)
        name = tail[0]
        cm = configmaps.get(name)
        if cm is None:
            return self.send_json(404, status_obj(404, "NotFound", 'configmaps "%s" not found' % name, {"name": name, "kind": "configmaps"}))
        if method == "GET":
            return self.send_json(200, cm)
        if method == "PATCH":
            if "merge-patch" not in self.headers.get("Content-Type", ""):
                return self.send_json(415, status_obj(415, "UnsupportedMediaType", "unsupported patch type"))
            patch = json.loads(raw)
            data = dict(cm.get("data") or {})
            for k, v in (patch.get("data") or {}).items():
                if v is None:
                    data.pop(k, None)
                else:
                    data[k] = v
            cm["data"] = data
            cm["metadata"]["resourceVersion"] = str(int(cm["metadata"]["resourceVersion"]) + 1)
            return self.send_json(200, cm)
        if method == "DELETE":
            del configmaps[name]
            return self.send_json(200, {"kind": "Status", "apiVersion": "v1", "status": "Success"})
        return self.send_json(405, status_obj(405, "MethodNotAllowed", "method not allowed"))


# ---------------------------------------------------------------- VolumeSnapshots
# snapshot.storage.k8s.io/v1 VolumeSnapshots as the CSI snapshot controller serves them: create
# (validated against the CRD's published schema, Tests/K8sChecks/crds, and its CEL rules), get,
# list by label selector, delete; readyToUse flips after --snapshot-ready-after seconds.

volumesnapshots = {}   # name -> VolumeSnapshot dict
snapshot_bodies = []   # every POSTed body, as received (test-only: /_test/volumesnapshots)
_CRD_SCHEMA = []


def _strict(schema):
    """The CRD schema rejecting unknown fields (as --validate=strict / fieldValidation=Strict)."""
    if isinstance(schema, dict):
        s = {k: _strict(v) for k, v in schema.items()}
        if "properties" in s and not s.get("x-kubernetes-preserve-unknown-fields") and "additionalProperties" not in s:
            s["additionalProperties"] = False
        return s
    if isinstance(schema, list):
        return [_strict(x) for x in schema]
    return schema


def snapshot_schema_errors(vs):
    """Errors of a VolumeSnapshot against the external-snapshotter CRD (schema + its x-kubernetes-validations)."""
    errs = []
    try:
        import jsonschema
        import yaml
        if not _CRD_SCHEMA:
            crd = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "K8sChecks", "crds", "snapshot.storage.k8s.io_volumesnapshots.yaml")
            with open(crd) as fh:
                doc = yaml.safe_load(fh)
            sch = next(v for v in doc["spec"]["versions"] if v["name"] == "v1")["schema"]["openAPIV3Schema"]
            sch = copy.deepcopy(sch)
            sch["properties"]["metadata"] = {"type": "object"}
            _CRD_SCHEMA.append(_strict(sch))
        errs += ["%s (at %s)" % (e.message, "/".join(map(str, e.path))) for e in jsonschema.Draft7Validator(_CRD_SCHEMA[0]).iter_errors(vs)]
    except ImportError:
        pass
    spec = vs.get("spec") or {}
    src = spec.get("source") or {}
    if ("persistentVolumeClaimName" in src) == ("volumeSnapshotContentName" in src):
        errs.append("spec.source: exactly one of volumeSnapshotContentName and persistentVolumeClaimName must be set")
    if "volumeSnapshotClassName" in spec and not spec["volumeSnapshotClassName"]:
        errs.append("spec.volumeSnapshotClassName: must not be the empty string when set")
    if vs.get("apiVersion") != "snapshot.storage.k8s.io/v1" or vs.get("kind") != "VolumeSnapshot":
        errs.append("apiVersion/kind: want snapshot.storage.k8s.io/v1 VolumeSnapshot")
    return errs


def snapshot_status(vs, t):
    """readyToUse once --snapshot-ready-after seconds have passed since creation."""
    born = vs["_created"]
    st = {"boundVolumeSnapshotContentName": "snapcontent-" + vs["metadata"]["uid"]}
    if args.snapshot_never_ready:
        st.update({"readyToUse": False, "error": {"message": "Failed to check and update snapshot content: csi driver timed out", "time": now_rfc3339(born + 0.1)}})
    elif t - born >= args.snapshot_ready_after:
        st.update({"readyToUse": True, "restoreSize": "500Gi", "creationTime": now_rfc3339(born)})
    else:
        st["readyToUse"] = False
    return st


def snapshot_view(vs, t):
    out = {k: v for k, v in vs.items() if not k.startswith("_")}
    out["status"] = snapshot_status(vs, t)
    return out


def seed_snapshots():
    base = time.time() - 86400 * (args.seed_snapshots + 2)
    made = [("data-luxd-0-old-%d" % i, {"app.kubernetes.io/managed-by": "chainsnap", "app.kubernetes.io/component": "volume-snapshot",
                                        "chainsnap.io/pvc": "data-luxd-0"}, base + 86400 * i) for i in range(args.seed_snapshots)]
    if args.seed_snapshots:
        made.append(("someone-elses-snapshot", {"app.kubernetes.io/component": "volume-snapshot"}, base))
    for name, labels, born in made:
        volumesnapshots[name] = {"apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshot", "_created": born - 3600,
                                 "metadata": {"name": name, "namespace": NS, "uid": str(uuid.uuid4()), "resourceVersion": "1",
                                              "creationTimestamp": now_rfc3339(born), "labels": labels},
                                 "spec": {"source": {"persistentVolumeClaimName": "data-luxd-0"}}}


def _volumesnapshots_route(self, method, parts, q):
    raw = self.body()
    t = time.time()
    if args.no_snapshot_api or len(parts) < 3 or parts[2] != "v1":
        return self.send_json(404, status_obj(404, "NotFound", "the server could not find the requested resource"))
    rest = parts[3:]
    if len(rest) < 3 or rest[0] != "namespaces" or rest[2] != "volumesnapshots":
        return self.send_json(404, status_obj(404, "NotFound", "the server could not find the requested resource"))
    ns, tail = rest[1], rest[3:]
    verb = {"POST": "create", "DELETE": "delete", "GET": "get" if tail else "list"}.get(method, method.lower())
    if getattr(self, "readonly", False) and method != "GET":
        return self.send_json(403, status_obj(403, "Forbidden", 'volumesnapshots.snapshot.storage.k8s.io is forbidden: User "system:serviceaccount:%s:viewer" cannot %s resource "volumesnapshots" in API group "snapshot.storage.k8s.io" in the namespace "%s"' % (NS, verb, ns),
                                              {"group": "snapshot.storage.k8s.io", "kind": "volumesnapshots"}))
    with lock:
        if not tail and method == "GET":
            items = [snapshot_view(v, t) for n, v in sorted(volumesnapshots.items())
                     if ns == NS and matches(v["metadata"].get("labels") or {}, q.get("labelSelector"))]
            return self.send_json(200, {"apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshotList",
                                        "metadata": {"resourceVersion": str(int(t * 1000))}, "items": items})
        if not tail and method == "POST":
            try:
                vs = json.loads(raw)
            except ValueError:
                return self.send_json(400, status_obj(400, "BadRequest", "the body is not JSON"))
            snapshot_bodies.append(copy.deepcopy(vs))
            if ns != NS:
                return self.send_json(404, status_obj(404, "NotFound", 'namespaces "%s" not found' % ns))
            errs = snapshot_schema_errors(vs)
            if errs:
                return self.send_json(422, status_obj(422, "Invalid", 'VolumeSnapshot.snapshot.storage.k8s.io "%s" is invalid: %s'
                                                      % ((vs.get("metadata") or {}).get("name", ""), "; ".join(errs))))
            name = vs["metadata"]["name"]
            if name in volumesnapshots:
                return self.send_json(409, status_obj(409, "AlreadyExists", 'volumesnapshots.snapshot.storage.k8s.io "%s" already exists' % name))
            vs["metadata"].update({"namespace": NS, "uid": str(uuid.uuid4()), "resourceVersion": "1", "creationTimestamp": now_rfc3339(t)})
            vs["_created"] = t
            volumesnapshots[name] = vs
            return self.send_json(201, snapshot_view(vs, t))
        name = tail[0] if tail else ""
        vs = volumesnapshots.get(name) if ns == NS else None
        if vs is None:
            return self.send_json(404, status_obj(404, "NotFound", 'volumesnapshots.snapshot.storage.k8s.io "%s" not found' % name,
                                                  {"name": name, "group": "snapshot.storage.k8s.io", "kind": "volumesnapshots"}))
        if method == "GET":
            return self.send_json(200, snapshot_view(vs, t))
        if method == "DELETE":
            del volumesnapshots[name]
            return self.send_json(200, snapshot_view(vs, t))
    return self.send_json(405, status_obj(405, "MethodNotAllowed", "method not allowed"))


clone_pvcs = {}   # name -> PVC dict (created from a VolumeSnapshot dataSource)
jobs = {}         # name -> Job dict
deleted_objects = []  # "kind/name", in order
jobs_seen, pvcs_seen = [], []  # everything created (test-only record)


def _pvc_route(self, method, tail):
    raw = self.body()
    if method == "POST" and not tail:
        pvc = json.loads(raw)
        name = pvc["metadata"]["name"]
        ds = (pvc.get("spec") or {}).get("dataSource") or {}
        if ds.get("kind") == "VolumeSnapshot" and ds.get("name") not in volumesnapshots:
            return self.send_json(422, status_obj(422, "Invalid", "dataSource: VolumeSnapshot %s not found" % ds.get("name")))
        if name in clone_pvcs:
            return self.send_json(409, status_obj(409, "AlreadyExists", 'persistentvolumeclaims "%s" already exists' % name))
        pvc["metadata"].update({"namespace": NS, "uid": str(uuid.uuid4()), "creationTimestamp": now_rfc3339()})
        pvc["status"] = {"phase": "Bound", "capacity": {"storage": (pvc["spec"].get("resources") or {}).get("requests", {}).get("storage", "")}}
        clone_pvcs[name] = pvc
        pvcs_seen.append(pvc)
        return self.send_json(201, pvc)
    name = tail[0] if tail else ""
    if name in clone_pvcs:
        if method == "DELETE":
            deleted_objects.append("persistentvolumeclaim/" + name)
            return self.send_json(200, clone_pvcs.pop(name))
        return self.send_json(200, clone_pvcs[name])
    n = name[len("data-luxd-"):] if name.startswith("data-luxd-") else ""
    if method != "GET" or not n.isdigit() or int(n) >= self.net.replicas:
        return self.send_json(404, status_obj(404, "NotFound", 'persistentvolumeclaims "%s" not found' % name,
                                              {"name": name, "kind": "persistentvolumeclaims"}))
    return self.send_json(200, {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                                "metadata": {"name": name, "namespace": self.net.ns, "uid": "pvc-" + n},
                                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "500Gi"}}},
                                "status": {"phase": "Bound", "capacity": {"storage": "500Gi"}}})


def _jobs_route(self, method, rest):
    raw = self.body()
    if len(rest) < 3 or rest[0] != "namespaces" or rest[1] != NS or rest[2] != "jobs":
        return self.send_json(404, status_obj(404, "NotFound", "the server could not find the requested resource"))
    if getattr(self, "readonly", False) and method != "GET":
        return self.send_json(403, status_obj(403, "Forbidden", 'jobs.batch is forbidden: User "system:serviceaccount:%s:viewer" cannot create resource "jobs"' % NS))
    tail = rest[3:]
    with lock:
        if method == "POST" and not tail:
            job = json.loads(raw)
            name = job["metadata"]["name"]
            vols = (((job.get("spec") or {}).get("template") or {}).get("spec") or {}).get("volumes") or []
            claims = [v["persistentVolumeClaim"]["claimName"] for v in vols if "persistentVolumeClaim" in v]
            if any(c not in clone_pvcs for c in claims):
                return self.send_json(422, status_obj(422, "Invalid", "the Job mounts a PVC that does not exist: %s" % claims))
            if name in jobs:
                return self.send_json(409, status_obj(409, "AlreadyExists", 'jobs.batch "%s" already exists' % name))
            job["metadata"].update({"namespace": NS, "uid": str(uuid.uuid4()), "creationTimestamp": now_rfc3339()})
            job["_created"] = time.time()
            jobs[name] = job
            jobs_seen.append(job)
            return self.send_json(201, {k: v for k, v in job.items() if not k.startswith("_")})
        name = tail[0] if tail else ""
        job = jobs.get(name)
        if job is None:
            return self.send_json(404, status_obj(404, "NotFound", 'jobs.batch "%s" not found' % name))
        if method == "DELETE":
            deleted_objects.append("job/" + name)
            del jobs[name]
            return self.send_json(200, {"kind": "Status", "apiVersion": "v1", "status": "Success"})
        out = {k: v for k, v in job.items() if not k.startswith("_")}
        if time.time() - job["_created"] >= args.export_job_seconds:
            out["status"] = {"failed": 1} if args.export_job_fails else {"succeeded": 1}
        else:
            out["status"] = {"active": 1}
        return self.send_json(200, out)


def _snapshot_test_state(self):
    with lock:
        return self.send_json(200, {"bodies": snapshot_bodies, "names": sorted(volumesnapshots), "deleted": deleted_objects,
                                    "jobs": [{k: v for k, v in j.items() if not k.startswith("_")} for j in jobs_seen],
                                    "pvcs": pvcs_seen, "left": sorted(list(jobs) + list(clone_pvcs))})


Handler.volumesnapshots_route = _volumesnapshots_route
Handler.pvc_route = _pvc_route
Handler.jobs_route = _jobs_route
Handler.snapshot_test_state = _snapshot_test_state


def main():
    seed_snapshots()
    make_tls(args.tls_dir)
    os.makedirs(args.work_dir, exist_ok=True)
    for net in NETS.values():
        net.start()
    threading.Thread(target=controller, daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(args.tls_dir, "server.crt"), os.path.join(args.tls_dir, "server.key"))
    ctx.load_verify_locations(os.path.join(args.tls_dir, "ca.crt"))
    ctx.verify_mode = ssl.CERT_OPTIONAL
    server.socket = ctx.wrap_socket(server.socket, server_side=True)

    def stop(*_):
        for net in NETS.values():
            for p in list(net.pods.values()):
                p.stop_node()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("PORT %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
