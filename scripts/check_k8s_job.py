#!/usr/bin/env python3
"""Checks a manifest written by `zoo embed --emit k8s` without a cluster.

Every YAML document must be a batch/v1 Job valid against scripts/k8s/job-batch-v1.schema.json (a
closed subset of the Kubernetes API schema: unknown or misspelt fields fail), and obey the API
server's cross-field rules for Jobs that the schema cannot say: backoffLimitPerIndex needs
completionMode Indexed and restartPolicy Never, an Indexed Job needs completions, maxFailedIndexes
needs backoffLimitPerIndex and is at most completions, and every volumeMount names a volume. The
file must hold one Indexed Job (the shards) and one other Job (the merge).

    python3 scripts/check_k8s_job.py MANIFEST.yaml
"""
import json
import os
import sys

import jsonschema
import yaml


def rules(job):
    spec = job["spec"]
    pod = spec["template"]["spec"]
    problems = []
    if "backoffLimitPerIndex" in spec:
        if spec.get("completionMode") != "Indexed":
            problems.append("backoffLimitPerIndex needs completionMode: Indexed")
        if pod["restartPolicy"] != "Never":
            problems.append("backoffLimitPerIndex needs restartPolicy: Never")
    if spec.get("completionMode") == "Indexed" and "completions" not in spec:
        problems.append("an Indexed Job needs completions")
    if "maxFailedIndexes" in spec:
        if "backoffLimitPerIndex" not in spec:
            problems.append("maxFailedIndexes needs backoffLimitPerIndex")
        if spec["maxFailedIndexes"] > spec.get("completions", 0):
            problems.append("maxFailedIndexes exceeds completions")
    volumes = {volume["name"] for volume in pod.get("volumes", [])}
    for container in pod["containers"]:
        for mount in container.get("volumeMounts", []):
            if mount["name"] not in volumes:
                problems.append(f"container {container['name']} mounts unknown volume {mount['name']}")
    return problems


def main():
    path = sys.argv[1]
    schema_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "k8s", "job-batch-v1.schema.json")
    schema = json.load(open(schema_path))
    validator = jsonschema.Draft202012Validator(schema)
    documents = [document for document in yaml.safe_load_all(open(path)) if document is not None]
    failures = []
    for number, document in enumerate(documents):
        for error in validator.iter_errors(document):
            where = "/".join(str(part) for part in error.absolute_path) or "(top)"
            failures.append(f"document {number}: {where}: {error.message}")
        if not failures:
            failures += [f"document {number}: {problem}" for problem in rules(document)]
    modes = sorted(document.get("spec", {}).get("completionMode", "NonIndexed") for document in documents)
    if modes != ["Indexed", "NonIndexed"]:
        failures.append(f"expected one Indexed Job and one merge Job, found completion modes {modes}")
    if failures:
        print("\n".join(f"{path}: {failure}" for failure in failures), file=sys.stderr)
        sys.exit(1)
    print(f"{path}: {len(documents)} batch/v1 Jobs valid (schema and Job rules)")


if __name__ == "__main__":
    main()
