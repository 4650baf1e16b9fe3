"""The published site through nginx, as docs/DEPLOY.md deploys it.

Starts `dti serve --demo` on a fresh SQLite folder, waits for the site it
writes (DTI_DATA_DIR/site), and runs nginx with deploy/nginx/opendti.conf —
that very file, with its listen address, certificates, upstream port and
site folder replaced. Then, as a reader would:

- every file of the site is fetched through nginx, plain and gzip: it must be
  answered from the file (nginx's own ETag), with the application's bytes
  (the file's, and those the application answers itself), the application's
  content type and the security headers;
- an address with a query, a signed-in reader and an address with no file
  reach the application.

    python3 tests/site/check_nginx.py .build/debug/dti

Exits 1 naming every difference.
"""
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NGINX_ETAG = re.compile(r'^"[0-9a-f]+-[0-9a-f]+"$')


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(check, what, seconds=180):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(0.25)
    raise SystemExit(f"{what}: not ready after {seconds} s")


def nginx_config(work, site, app_port, port, workers="1"):
    """deploy/nginx/opendti.conf made to run here: its lines marked `opendti: …` replaced."""
    lines = []
    for line in open(os.path.join(ROOT, "deploy/nginx/opendti.conf"), encoding="utf-8"):
        if "# opendti: listen" in line:
            line = f"    listen 127.0.0.1:{port};\n"
        elif "# opendti: certificate" in line or "# opendti: redirect" in line:
            continue
        elif "# opendti: site" in line:
            line = f"        root {site};\n"
        elif re.match(r"\s*server 127\.0\.0\.1:808[12];", line):
            line = f"    server 127.0.0.1:{app_port};\n" if "8081" in line else ""
        lines.append(line)
    body = "".join(lines)
    temp = "\n".join(f"    {kind}_temp_path {work}/nginx-{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""worker_processes {workers};
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;  # as bench/web/nginx.conf: wrk's connections are not closed every 1,000 requests
{temp}
{body}
}}
"""


def get(url, headers=None, opener=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with (opener or urllib.request.build_opener()).open(request) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def main():
    dti = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="dti-site-nginx-")
    os.chmod(work, 0o755)  # nginx's workers may run as another user
    data = os.path.join(work, "data")
    app_port, port = free_port(), free_port()
    env = dict(os.environ, DTI_DATA_DIR=data, LOG_LEVEL="warning", DTI_FRAMEWORKS_DIR=os.path.join(ROOT, "frameworks"))
    env.pop("DATABASE_URL", None)
    log = open(os.path.join(work, "server.log"), "w")
    server = subprocess.Popen([dti, "serve", "--demo", "--port", str(app_port)], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    nginx = None
    problems = []
    try:
        app = f"http://127.0.0.1:{app_port}"
        wait(lambda: get(app + "/healthz")[0] == 200, "dti serve")
        site = os.path.join(data, "site")
        wait(lambda: os.path.exists(os.path.join(site, ".opendti-site.json")), "DTI_DATA_DIR/site")
        for folder, _, _ in os.walk(os.path.realpath(site)):
            os.chmod(folder, 0o755)
        os.chmod(data, 0o755)
        conf = os.path.join(work, "nginx.conf")
        open(conf, "w").write(nginx_config(work, site, app_port, port))
        nginx = subprocess.Popen(["nginx", "-c", conf, "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        front = f"http://127.0.0.1:{port}"
        wait(lambda: get(front + "/healthz")[0] == 200, "nginx")

        root = os.path.realpath(site)
        files = sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs if not f.startswith("."))
        pages = [f for f in files if not f.endswith(".gz")]
        for name in pages:
            parts = name.split("/")
            if parts[-1] in ("index.html", "index.json"):
                parts = parts[:-1]
            path = "/" + "/".join(urllib.parse.quote(p, safe="") for p in parts)
            written = open(os.path.join(root, name), "rb").read()
            status, headers, body = get(front + path, {"Accept-Encoding": "identity"})
            a_status, a_headers, a_body = get(app + path, {"Accept-Encoding": "identity"})
            if status != 200 or body != written:
                problems.append(f"{path}: nginx answered {status}, {len(body)} bytes; the file has {len(written)}")
            if a_body != written:
                problems.append(f"{path}: the application answers other bytes than the file ({len(a_body)} against {len(written)})")
            if not NGINX_ETAG.match(headers.get("ETag", "")):
                problems.append(f"{path}: not answered from the file (ETag {headers.get('ETag')})")
            if headers.get("Content-Type", "").replace(" ", "").lower() != a_headers.get("Content-Type", "").replace(" ", "").lower():
                problems.append(f"{path}: Content-Type {headers.get('Content-Type')!r}, the application's {a_headers.get('Content-Type')!r}")
            for header in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy", "Cache-Control"):
                if not headers.get(header):
                    problems.append(f"{path}: no {header}")
            if name + ".gz" in files:
                status, headers, body = get(front + path, {"Accept-Encoding": "gzip"})
                if headers.get("Content-Encoding") != "gzip" or body != open(os.path.join(root, name + ".gz"), "rb").read():
                    problems.append(f"{path}: gzip answer is not the .gz file")

        results = json.loads(get(app + "/api/v1/results")[2])
        period = next(r["id"] for r in results if r["year"] == 2023)
        # A query: the application (its own ETag, a SHA-256 prefix).
        status, headers, _ = get(front + f"/results/{period}?version=1", {"Accept-Encoding": "identity"})
        if status != 200 or NGINX_ETAG.match(headers.get("ETag", "")):
            problems.append(f"/results/{period}?version=1: {status}, ETag {headers.get('ETag')}: not the application's")
        # No file: the application's 404.
        status, _, body = get(front + f"/results/{period}/units/KHONGCO")
        if status != 404 or "KHONGCO".encode() not in body:
            problems.append(f"/results/{period}/units/KHONGCO: {status}, not the application's 404")
        # A signed-in reader: their own page, by the application.
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        csrf = json.loads(opener.open(front + "/api/v1/session").read())["csrf"]
        opener.open(urllib.request.Request(front + "/api/v1/session", method="POST", data=json.dumps({"username": "quantri", "password": "OpenDTI@2026"}).encode(),
                                           headers={"Content-Type": "application/json", "X-CSRF-Token": csrf}))
        status, headers, body = get(front + f"/results/{period}", {"Accept-Encoding": "identity"}, opener)
        if status != 200 or "Đăng xuất".encode() not in body or NGINX_ETAG.match(headers.get("ETag", "") or ""):
            problems.append(f"/results/{period} signed in: {status}; not the signed-in reader's page from the application")
        print(f"{len(pages)} published files (and {len(files) - len(pages)} gzip twins) compared through nginx with deploy/nginx/opendti.conf")
    finally:
        if nginx:
            nginx.send_signal(signal.SIGQUIT)
            nginx.wait(timeout=10)
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    if problems:
        print("\n".join(problems[:40]))
        print(f"{len(problems)} differences; logs in {work}")
        sys.exit(1)
    shutil.rmtree(work, ignore_errors=True)
    print("published site through nginx: every file as the application answers it")


if __name__ == "__main__":
    main()
