#!/usr/bin/env python3
"""Writes a corpus of planted fake secrets and decoys in realistic files, for compare.sh.

    make-corpus.py OUTDIR [--seed N] [--copies K]

Every secret is generated here, at random, in its provider's documented format (the templates
are crates/palisade-secret/tests/data/samples.tsv, shared with the Rust tests; GitHub and npm
tokens get a valid CRC32 checksum). Each is planted K times, in different file types: .env, YAML,
JSON, Python, JavaScript, Go, shell scripts, .npmrc, kubeconfig, Maven settings, Docker config,
PEM private keys. Decoys are values that look like secrets but are not: AWS's documented example
keys, placeholders, variable references, hashes, UUIDs, public keys, masked values.

OUTDIR/corpus holds the files; OUTDIR/manifest.json lists every planted secret (file, line, rule)
and every decoy (file, line, kind). Paths avoid the allow-listed words (test, example, vendor…).
"""

import argparse
import json
import os
import random
import re
import shutil
import string
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.join(HERE, "..", "..", "crates", "palisade-secret", "tests", "data", "samples.tsv")

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
CLASSES = {
    "A": string.ascii_letters + string.digits,
    "a": string.ascii_lowercase + string.digits,
    "U": string.ascii_uppercase + string.digits,
    "L": string.ascii_uppercase,
    "l": string.ascii_lowercase,
    "h": "0123456789abcdef",
    "d": string.digits,
    "b": string.ascii_letters + string.digits + "+/",
    "u": string.ascii_letters + string.digits + "-_",
    "z": "abcdefghijklmnopqrstuvwxyz234567",
    "e": "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L",
}
SPEC = re.compile(r"\{(uuid|ghc|[AaULlhdbuze]:\d+)\}")


def base62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def s(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    def uuid(self):
        return "-".join(self.s(CLASSES["h"], n) for n in (8, 4, 4, 4, 12))

    def github_body(self):
        """30 random base62 characters and the CRC32 of them, base62, 6 characters (GitHub's
        documented token format, also used by npm)."""
        body = self.s(CLASSES["A"], 30)
        return body + base62(zlib.crc32(body.encode()), 6)

    def expand(self, template):
        """Returns (text, secret) with the [[…]] part (or everything) as the secret."""
        template = template.replace("\\n", "\n")

        def sub(m):
            spec = m.group(1)
            if spec == "uuid":
                return self.uuid()
            if spec == "ghc":
                return self.github_body()
            cls, n = spec.split(":")
            return self.s(CLASSES[cls], int(n))

        text = SPEC.sub(sub, template)
        if "[[" in text:
            start = text.index("[[")
            end = text.index("]]")
            secret = text[start + 2 : end]
            text = text[:start] + secret + text[end + 2 :]
            return text, secret
        return text, text


def samples():
    out = []
    with open(SAMPLES) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            rid, kind, path, pos, neg = line.rstrip("\n").split("\t")
            out.append({"id": rid, "kind": kind, "path": path, "positive": pos, "negative": neg})
    return out


# Realistic surroundings, so that secrets do not sit alone in a file.
FILLER = {
    "env": ["# service configuration", "APP_ENV=production", "LOG_LEVEL=info", "PORT=8080", "FEATURE_FLAGS=search,billing"],
    "yaml": ["# deployment settings", "replicas: 3", "image: registry.local/app:1.4.2", "resources:", "  limits: {cpu: 500m}"],
    "py": ["import os", "", "DEBUG = False", "ALLOWED_HOSTS = ['app.internal']", "TIMEOUT_SECONDS = 30"],
    "js": ["'use strict';", "const express = require('express');", "const port = process.env.PORT || 3000;"],
    "go": ["package config", "", "import \"os\"", "", "var region = os.Getenv(\"REGION\")"],
    "sh": ["#!/bin/sh", "set -eu", "cd /srv/app", "echo starting"],
    "json": [],
}

# Decoys: (kind, line). None of these is a secret.
AWS_EXAMPLE_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_EXAMPLE_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def decoys(g):
    sha1 = g.s(CLASSES["h"], 40)
    return [
        ("documented-example", f"AWS_ACCESS_KEY_ID={AWS_EXAMPLE_ID}"),
        ("documented-example", f"aws_secret_access_key = {AWS_EXAMPLE_SECRET}"),
        ("documented-example", f'"aws_secret_access_key": "{AWS_EXAMPLE_SECRET}",'),
        ("placeholder", "GITHUB_TOKEN=ghp_" + "x" * 36),
        ("placeholder", "token: <your-token>"),
        ("placeholder", 'api_key: "YOUR_API_KEY_HERE"'),
        ("placeholder", "STRIPE_KEY=sk_live_" + "x" * 24),
        ("placeholder", "GITLAB_TOKEN=glpat-xxxxxxxxxxxxxxxxxxxx"),
        ("placeholder", "AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX"),
        ("placeholder", "password: changeme"),
        ("placeholder", "OPENAI_API_KEY=sk-proj-..."),
        ("placeholder", "SLACK_TOKEN=xoxb-your-bot-token"),
        ("placeholder", "HF_TOKEN=hf_" + "a" * 34),
        ("masked", "GITHUB_TOKEN=ghp_****************************"),
        ("variable-reference", "GITHUB_TOKEN=${GITHUB_TOKEN}"),
        ("variable-reference", "token: $(cat /run/secrets/token)"),
        ("variable-reference", "password: {{ .Values.db.password }}"),
        ("variable-reference", "//registry.npmjs.org/:_authToken=${NPM_TOKEN}"),
        ("variable-reference", "DATABASE_URL=postgres://app:${DB_PASSWORD}@db:5432/app"),
        ("variable-reference", 'aws_secret_access_key = "${AWS_SECRET_ACCESS_KEY}"'),
        ("hash", f"commit: {sha1}"),
        ("hash", f"aws_secret_access_key = {g.s(CLASSES['h'], 40)}"),
        ("hash", f"sha256: {g.s(CLASSES['h'], 64)}"),
        ("hash", f'"integrity": "sha512-{g.s(CLASSES["b"], 86)}==",'),
        ("hash", f"md5sum {g.s(CLASSES['h'], 32)}  app.tar.gz"),
        ("uuid", f"request_id: {g.uuid()}"),
        ("uuid", f'"id": "{g.uuid()}",'),
        ("uuid", f"TENANT_ID={g.uuid()}"),
        ("public-key", "-----BEGIN PUBLIC KEY-----"),
        ("public-key", "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA" + g.s(CLASSES["b"], 20)),
        ("public-key", "-----END PUBLIC KEY-----"),
        ("certificate", "-----BEGIN CERTIFICATE-----"),
        ("certificate", "MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ"),
        ("certificate", "-----END CERTIFICATE-----"),
        ("prose", "Personal access tokens start with ghp_ and are 40 characters long."),
        ("prose", "Set AWS_SECRET_ACCESS_KEY in the environment, never in this file."),
        ("version", "version: 1.2.3-alpha.4+build.5"),
        ("url", "https://hooks.slack.com/services/"),
        ("url", "https://user@git.internal/repo.git"),
    ]


def wrap_token(fmt, name, secret):
    """A token in the syntax of one file type; returns the line."""
    return {
        "env": f"{name}={secret}",
        "yaml": f'{name.lower()}: "{secret}"',
        "yaml-bare": f"{name.lower()}: {secret}",
        "json": f'  "{name.lower()}": "{secret}",',
        "py": f'{name} = "{secret}"',
        "js": f"const {name.lower()} = '{secret}';",
        "go": f'const {name.lower()} = "{secret}"',
        "sh": f'export {name}="{secret}"',
        "sh-curl": f'curl -fsS -H "Authorization: Bearer {secret}" https://api.internal/v1/ping',
    }[fmt]


TOKEN_FILES = {
    "env": ("deploy/{n}/app.env", "env"),
    "yaml": ("deploy/{n}/values.yaml", "yaml"),
    "yaml-bare": ("deploy/{n}/config.yml", "yaml"),
    "json": ("src/{n}/settings.json", "json"),
    "py": ("src/{n}/settings.py", "py"),
    "js": ("web/{n}/config.js", "js"),
    "go": ("cmd/{n}/config.go", "go"),
    "sh": ("ops/{n}/deploy.sh", "sh"),
    "sh-curl": ("ops/{n}/ping.sh", "sh"),
}
LINE_FILES = [("src/{n}/config.py", "py"), ("deploy/{n}/service.env", "env"), ("etc/{n}/app.conf", "sh")]


class Corpus:
    def __init__(self, out):
        self.out = out
        self.files = {}  # path -> list of lines
        self.kinds = {}
        self.planted = []
        self.decoys = []

    def lines(self, path, kind):
        if path not in self.files:
            self.files[path] = list(FILLER.get(kind, []))
            self.kinds[path] = kind
            if kind == "json":
                self.files[path] = ["{"]
        return self.files[path]

    def plant(self, path, kind, text, secret, rule):
        lines = self.lines(path, kind)
        # The secret's first line within the text.
        before = text[: text.index(secret)] if secret in text else ""
        line = len(lines) + 1 + before.count("\n")
        lines.extend(text.split("\n"))
        self.planted.append({"file": path, "line": line, "rule": rule, "secret": secret})
        lines.append("")

    def decoy(self, path, kind, text, what):
        lines = self.lines(path, kind)
        self.decoys.append({"file": path, "line": len(lines) + 1, "kind": what})
        lines.extend(text.split("\n"))

    def write(self):
        for path, lines in self.files.items():
            full = os.path.join(self.out, "corpus", path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            body = list(lines)
            closers = {
                "json": ['  "end": true', "}"],
                "xml": ["    </server>", "  </servers>", "</settings>"],
                "dockerjson": ["    }", "  }", "}"],
            }
            body.extend(closers.get(self.kinds[path], []))
            with open(full, "w") as f:
                f.write("\n".join(body) + "\n")
        manifest = {
            "planted": [{k: v for k, v in p.items() if k != "secret"} for p in self.planted],
            "decoys": self.decoys,
        }
        with open(os.path.join(self.out, "manifest.json"), "w") as f:
            json.dump(manifest, f, indent=1)


def pem(g, label):
    body = g.s(CLASSES["b"], 64 * 20 + 24)
    rows = [body[i : i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(rows) + "==\n" + f"-----END {label}-----", "\n".join(rows) + "=="


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=20260)
    ap.add_argument("--copies", type=int, default=2)
    args = ap.parse_args()
    g = Gen(args.seed)
    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    c = Corpus(args.out)
    fmts = list(TOKEN_FILES)
    for i, s in enumerate(samples()):
        for k in range(args.copies):
            n = f"svc{(i * args.copies + k) % 23:02d}"
            text, secret = g.expand(s["positive"])
            if s["path"] != "-":
                path = f"home/user{k}/" + s["path"]
                if path not in c.files and s["id"].startswith("maven"):
                    tag = "settingsSecurity" if "security" in s["path"] else "settings"
                    c.files[path] = ['<?xml version="1.0"?>', f"<{tag}>", "  <servers>", "    <server>", "      <id>central</id>"]
                    c.kinds[path] = "xml"
                elif path not in c.files and s["path"].endswith("config.json"):
                    c.files[path] = ["{", '  "auths": {', '    "registry.internal": {']
                    c.kinds[path] = "dockerjson"
                c.plant(path, c.kinds.get(path, "env"), text, secret, s["id"])
            elif s["kind"] == "token":
                fmt = fmts[(i + k) % len(fmts)]
                tmpl, kind = TOKEN_FILES[fmt]
                name = re.sub(r"[^A-Z0-9]", "_", s["id"].upper().replace("PALISADE-", "")) + ("_TOKEN" if k else "")
                c.plant(tmpl.format(n=n), kind, wrap_token(fmt, name, secret), secret, s["id"])
            else:
                tmpl, kind = LINE_FILES[(i + k) % len(LINE_FILES)]
                c.plant(tmpl.format(n=n), kind, text, secret, s["id"])
    # Files whose whole shape is the secret's: PEM keys, kubeconfig, a GCP key file.
    for k in range(args.copies):
        for label, path in [("RSA PRIVATE KEY", f"keys/k{k}/server.key"), ("PRIVATE KEY", f"keys/k{k}/tls.pem"),
                            ("OPENSSH PRIVATE KEY", f"home/user{k}/.ssh/id_ed25519"), ("EC PRIVATE KEY", f"keys/k{k}/ec.pem")]:
            text, secret = pem(g, label)
            c.plant(path, "pem", text, secret, "private-key")
        kube = f"home/user{k}/.kube/config"
        c.files[kube] = ["apiVersion: v1", "kind: Config", "clusters:", "- cluster:", "    server: https://10.0.0.1:6443", "  name: prod", "users:", "- name: admin", "  user:"]
        c.kinds[kube] = "yaml"
        key_data = "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQo" + g.s(CLASSES["b"], 600)
        c.plant(kube, "yaml", f"    client-key-data: {key_data}", key_data, "palisade-kubeconfig-client-key")
        jwt = "eyJhbGciOiJSUzI1NiIsImtpZCI6IiJ9.eyJ" + g.s(CLASSES["u"], 180) + "." + g.s(CLASSES["u"], 342)
        c.plant(kube, "yaml", f"    token: {jwt}", jwt, "jwt-token")
        sa = f"deploy/gcp{k}/service-account.json"
        c.files[sa] = ["{"]
        c.kinds[sa] = "raw"
        c.plant(sa, "raw", '  "type": "service_account",', '"type": "service_account"', "gcp-service-account")
        c.files[sa].extend([f'  "project_id": "proj-{g.s(CLASSES["a"], 6)}",', f'  "client_email": "svc@proj.iam.gserviceaccount.com"', "}"])
        npmrc = f"home/user{k}/.npmrc"
        tok = "npm_" + g.github_body()
        c.plant(npmrc, "ini", f"//registry.npmjs.org/:_authToken={tok}", tok, "npm-access-token")
    # Decoys: their own files, and mixed into files with planted secrets.
    dec = decoys(g)
    for j, (what, line) in enumerate(dec):
        c.decoy(f"conf/decoys{j % 5}/app.env", "env", line, what)
    planted_files = sorted(p for p in c.files if c.kinds.get(p) in ("env", "yaml", "py", "sh"))
    for j, (what, line) in enumerate(dec):
        if what in ("public-key", "certificate"):
            continue
        c.decoy(planted_files[j % len(planted_files)], c.kinds[planted_files[j % len(planted_files)]], line, what)
    c.write()
    print(f"{len(c.planted)} planted secrets, {len(c.decoys)} decoys, {len(c.files)} files in {args.out}/corpus")


if __name__ == "__main__":
    main()
