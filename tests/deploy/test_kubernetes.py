"""deploy/kubernetes: every manifest validates (strictly: no unknown field) against the
Kubernetes schemas that kubernetes-validate ships (no cluster, nothing downloaded), and the
web Deployment has what a classroom deployment needs: probes on /api/health, a non-root
user, a read-only root file system with a writable /tmp, requests and limits."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from chainrule.config import Limits, env_name

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "deploy" / "kubernetes"
KUBERNETES_VERSION = "1.33"
HEALTH = "/api/health"


def load(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def resources() -> list[dict[str, Any]]:
    return [doc for path in sorted(MANIFESTS.glob("*.yaml")) for doc in load(path)]


def find(kind: str, name: str) -> dict[str, Any]:
    matches = [r for r in resources() if r["kind"] == kind and r["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}"
    return matches[0]


def web_container() -> dict[str, Any]:
    containers = find("Deployment", "chainrule")["spec"]["template"]["spec"]["containers"]
    return next(c for c in containers if c["name"] == "chainrule")


def test_the_manifests_are_there() -> None:
    kinds = sorted({r["kind"] for r in resources()})
    for kind in ("Deployment", "Service", "HorizontalPodAutoscaler", "Ingress"):
        assert kind in kinds


@pytest.mark.parametrize("path", sorted(MANIFESTS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_manifest_validates_strictly(path: Path) -> None:
    for doc in load(path):
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_validator_rejects_what_a_cluster_would() -> None:
    deployment = find("Deployment", "chainrule")
    typo = copy.deepcopy(deployment)
    container = typo["spec"]["template"]["spec"]["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe")
    wrong_type = copy.deepcopy(deployment)
    wrong_type["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] = "yes"
    for broken in (typo, wrong_type):
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_probes_check_health_on_the_served_port() -> None:
    container = web_container()
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        http = container[probe]["httpGet"]
        assert http["path"] == HEALTH, probe
        assert http["port"] in ports or http["port"] in ports.values(), probe
    env = {e["name"]: e["value"] for e in container["env"]}
    assert int(env["PORT"]) == ports["http"]  # the image listens on $PORT


def test_runs_as_non_root_on_a_read_only_root_file_system() -> None:
    pod = find("Deployment", "chainrule")["spec"]["template"]["spec"]
    container = web_container()
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] > 0
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    # The one writable place is an emptyDir at /tmp (the workers' shared metrics directory).
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]
    # The Dockerfile's user is the one the pod runs as.
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(rf"useradd .*--uid {pod['securityContext']['runAsUser']}\b", dockerfile)


def test_every_container_has_requests_and_limits() -> None:
    for resource in resources():
        if resource["kind"] != "Deployment":
            continue
        for container in resource["spec"]["template"]["spec"]["containers"]:
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][kind]), (container["name"], kind)


def test_workers_per_pod_fit_the_cpu_limit() -> None:
    container = web_container()
    env = {e["name"]: e["value"] for e in container["env"]}
    assert int(env["WEB_CONCURRENCY"]) <= float(container["resources"]["limits"]["cpu"])


def test_service_hpa_and_ingress_point_at_the_deployment() -> None:
    deployment = find("Deployment", "chainrule")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    service = find("Service", "chainrule")
    assert service["spec"]["selector"].items() <= pod_labels.items()
    target_ports = {p["targetPort"] for p in service["spec"]["ports"]}
    assert target_ports <= {p["name"] for p in web_container()["ports"]}
    hpa = find("HorizontalPodAutoscaler", "chainrule")
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                             "name": "chainrule"}
    assert hpa["spec"]["minReplicas"] >= 2
    ingress = find("Ingress", "chainrule")
    backends = [p["backend"]["service"] for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]
    assert backends and all(b["name"] == "chainrule" for b in backends)
    service_ports = {p["name"] for p in service["spec"]["ports"]}
    assert all(b["port"]["name"] in service_ports for b in backends)


def test_rate_limit_storage_is_the_redis_service() -> None:
    env = {e["name"]: e["value"] for e in web_container()["env"]}
    redis = find("Service", "chainrule-redis")
    port = redis["spec"]["ports"][0]["port"]
    assert env["CHAINRULE_RATE_LIMIT_STORAGE"] == f"redis://chainrule-redis:{port}"


def test_every_chainrule_setting_named_is_a_real_one() -> None:
    """A misspelt setting would be ignored silently: each CHAINRULE_* the manifests set is one
    docs/deploy.md (or another page of docs/, such as docs/lti.md) documents or a limit of
    chainrule/config.py."""
    readme = "\n".join(p.read_text() for p in sorted((ROOT / "docs").glob("*.md")))
    limits = {env_name(f) for f in Limits.__dataclass_fields__}
    env = {e["name"] for e in web_container()["env"]}
    for name in env:
        if name.startswith("CHAINRULE_"):
            assert name in limits or f"`{name}`" in readme, name


def test_trusting_forwarded_for_comes_with_a_network_policy() -> None:
    """FORWARDED_ALLOW_IPS="*" is safe only if nothing but the ingress (and Prometheus) can
    reach the pods: a NetworkPolicy must select the web pods and admit only named namespaces."""
    env = {e["name"]: e["value"] for e in web_container()["env"]}
    if env.get("FORWARDED_ALLOW_IPS") != "*":
        return
    pod_labels = find("Deployment", "chainrule")["spec"]["template"]["metadata"]["labels"]
    policies = [r for r in resources() if r["kind"] == "NetworkPolicy"
                and r["spec"]["podSelector"]["matchLabels"].items() <= pod_labels.items()]
    assert policies, "no NetworkPolicy selects the web pods"
    for policy in policies:
        assert "Ingress" in policy["spec"]["policyTypes"]
        for rule in policy["spec"]["ingress"]:
            assert rule["from"] and all("namespaceSelector" in peer or "podSelector" in peer
                                        for peer in rule["from"])


def test_forwarded_for_is_believed_from_the_ingress_network_only() -> None:
    """"*" would let a client name its own rate-limit key (uvicorn takes the left-most
    address of X-Forwarded-For, which the client writes)."""
    env = {e["name"]: e["value"] for e in web_container()["env"]}
    trusted = env["FORWARDED_ALLOW_IPS"]
    assert trusted.strip() and "*" not in trusted
    import ipaddress

    for entry in trusted.split(","):
        ipaddress.ip_network(entry.strip())


def test_no_manifest_holds_a_password_and_the_readme_creates_the_secret_they_read() -> None:
    """A password in a shipped file is a password every deployment shares until someone
    remembers to change it: the manifests read it from a Secret that deploy/README.md
    creates with a random one, holding every key the manifests read from it."""
    assert not [r for r in resources() if r["kind"] == "Secret"]
    text = "\n".join(p.read_text() for p in sorted(MANIFESTS.glob("*.yaml")))
    assert "CHANGE-ME" not in text and "POSTGRES_PASSWORD:" not in text
    read = {ref["secretRef"]["name"] for r in resources() if r["kind"] in ("Deployment", "StatefulSet")
            for c in r["spec"]["template"]["spec"]["containers"] for ref in c.get("envFrom", [])
            if "secretRef" in ref}
    assert read == {"chainrule-database"}
    readme = (ROOT / "deploy" / "README.md").read_text()
    create = readme[readme.index("create secret generic chainrule-database"):].split("\n# ")[0]
    assert "openssl rand" in readme[:readme.index("create secret generic chainrule-database")]
    for key in ("POSTGRES_USER", "POSTGRES_DB", "POSTGRES_PASSWORD", "CHAINRULE_DATABASE_URL"):
        assert f"--from-literal={key}=" in create, key
