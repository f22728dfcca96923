#!/usr/bin/env python3
"""A small Hugging Face Hub-compatible server over local folders: a mirror for machines without
internet, and the Hub the README's `zoo encoder add --from hf:` example runs against.

    python3 scripts/local_hub.py --port 8765 --repo sentence-transformers/all-MiniLM-L6-v2=~/.cache/zoo/models/all-MiniLM-L6-v2
    HF_ENDPOINT=http://127.0.0.1:8765 zoo encoder add minilm --from hf:sentence-transformers/all-MiniLM-L6-v2

Serves, for each --repo ORG/NAME=DIR, the endpoints zoo and huggingface_hub use:
`/api/models/ORG/NAME/revision/REV` (commit, files, the model card's licence),
`/api/models/ORG/NAME/tree/COMMIT?recursive=true` (sizes, git blob ids, LFS sha256s) and
`/ORG/NAME/resolve/REV/PATH` (GET and HEAD, with Range, ETag, X-Repo-Commit and
X-Linked-Etag/-Size). Every folder is one commit on `main`, whose id is the sha1 of its file list
and blob ids, so the same files always give the same commit. `.safetensors` and files over 10 MB
are listed as LFS files. Standard library only.
"""
import argparse
import hashlib
import http.server
import json
import os
import re
import sys
import urllib.parse


def git_oid(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class Repository:
    def __init__(self, name, folder):
        self.name, self.folder, self.files = name, folder, {}
        for root, dirs, names in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for file in sorted(names):
                if file.startswith("."):
                    continue
                path = os.path.join(root, file)
                data = open(path, "rb").read()
                relative = os.path.relpath(path, folder).replace(os.sep, "/")
                lfs = file.endswith(".safetensors") or len(data) > 10 << 20
                self.files[relative] = {"path": path, "size": len(data), "oid": git_oid(data),
                                        "sha256": hashlib.sha256(data).hexdigest() if lfs else None}
        listing = "".join(f"{p} {f['oid']}\n" for p, f in sorted(self.files.items()))
        self.commit = hashlib.sha1(listing.encode()).hexdigest()
        self.license = None
        card = os.path.join(folder, "README.md")
        if os.path.exists(card):
            match = re.search(r"^---\n(.*?)\n---", open(card, encoding="utf-8").read(), re.S)
            license_line = match and re.search(r"^license:\s*(\S+)", match.group(1), re.M)
            self.license = license_line.group(1).strip("'\"") if license_line else None

    def etag(self, path):
        entry = self.files[path]
        return entry["sha256"] or entry["oid"]


class Handler(http.server.BaseHTTPRequestHandler):
    repositories = {}
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("local_hub: " + fmt % args + "\n")

    def error(self, status, code, message):
        body = json.dumps({"error": message}).encode()
        self.send_response(status)
        self.send_header("X-Error-Code", code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def json(self, value):
        body = json.dumps(value).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        parts = [urllib.parse.unquote(p) for p in url.path.split("/")[1:]]
        if parts[:2] == ["api", "models"] and len(parts) >= 6:
            repo = self.repositories.get("/".join(parts[2:4]))
            if repo is None:
                return self.error(404, "RepoNotFound", "Repository not found")
            if parts[4] == "revision":
                if "/".join(parts[5:]) not in ("main", repo.commit):
                    return self.error(404, "RevisionNotFound", "Invalid rev id")
                card = {"license": repo.license} if repo.license else {}
                return self.json({"id": repo.name, "sha": repo.commit, "cardData": card,
                                  "siblings": [{"rfilename": p} for p in sorted(repo.files)]})
            if parts[4] == "tree":
                if parts[5] not in ("main", repo.commit):
                    return self.error(404, "RevisionNotFound", "Invalid rev id")
                entries = []
                for path, f in sorted(repo.files.items()):
                    entry = {"type": "file", "path": path, "size": f["size"], "oid": f["oid"]}
                    if f["sha256"]:
                        entry["lfs"] = {"oid": f["sha256"], "size": f["size"], "pointerSize": 134}
                    entries.append(entry)
                return self.json(entries)
        if len(parts) >= 5 and parts[2] == "resolve":
            repo = self.repositories.get("/".join(parts[:2]))
            if repo is None:
                return self.error(404, "RepoNotFound", "Repository not found")
            if parts[3] not in ("main", repo.commit):
                return self.error(404, "RevisionNotFound", "Invalid rev id")
            path = "/".join(parts[4:])
            if path not in repo.files:
                return self.error(404, "EntryNotFound", "Entry not found")
            entry = repo.files[path]
            data = open(entry["path"], "rb").read()
            start, status = 0, 200
            match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
            if match:
                start, status = int(match.group(1)), 206
                if start >= len(data):
                    return self.error(416, "RangeNotSatisfiable", "Range not satisfiable")
            self.send_response(status)
            self.send_header("Content-Length", str(len(data) - start))
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("ETag", '"%s"' % repo.etag(path))
            self.send_header("X-Repo-Commit", repo.commit)
            if entry["sha256"]:
                self.send_header("X-Linked-Etag", '"%s"' % entry["sha256"])
                self.send_header("X-Linked-Size", str(entry["size"]))
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data[start:])
            return
        self.error(404, "NotFound", "Not found")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", action="append", required=True, help="ORG/NAME=FOLDER (repeatable)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    for item in args.repo:
        name, _, folder = item.partition("=")
        folder = os.path.expanduser(folder)
        if not os.path.isdir(folder):
            sys.exit(f"local_hub: {folder} is not a folder")
        Handler.repositories[name] = Repository(name, folder)
        print(f"local_hub: {name} = {folder} (commit {Handler.repositories[name].commit})", file=sys.stderr)
    server = http.server.ThreadingHTTPServer((args.host, args.port), Handler)
    print(f"local_hub: serving on http://{args.host}:{server.server_address[1]}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
