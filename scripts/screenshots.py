#!/usr/bin/env python3
"""Screenshots of the demo for docs/screenshots, with headless Chromium.

Starts `dti serve --demo` on a free port with a fresh data folder, takes the
portal, a ranking, a scorecard and an evaluator's self-assessment page, and
renders page 2 (the appendix) of the draft decision: DOCX → PDF with
LibreOffice, PDF → PNG with pdftoppm. Needs Debian's chromium, and for the
decision libreoffice-writer-nogui and poppler-utils.

    python3 scripts/screenshots.py            # after `swift build`
"""
import http.cookiejar, json, os, re, shutil, socket, subprocess, sys, tempfile, time, urllib.parse, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "docs", "screenshots")
PASSWORD = "OpenDTI@2026"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    sys.exit("chromium is not installed (apt-get install chromium)")


def shoot(url, out, width=1300, height=1800):
    subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--window-size={width},{height}", f"--screenshot={out}", url],
                   check=True, capture_output=True, timeout=120)
    print("wrote", os.path.relpath(out, ROOT))


def main():
    os.makedirs(OUT, exist_ok=True)
    binary = os.path.join(ROOT, ".build", "debug", "dti")
    if not os.path.exists(binary):
        sys.exit("build first: swift build")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    data = tempfile.mkdtemp(prefix="opendti-shots-")
    env = dict(os.environ, DTI_DATA_DIR=data)
    server = subprocess.Popen([binary, "serve", "--demo", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except Exception:
                time.sleep(0.5)
        results = json.load(urllib.request.urlopen(base + "/api/v1/results"))
        by_year = {r["year"]: r["id"] for r in results}
        shoot(base + "/results?q=krong%20pac", os.path.join(OUT, "portal.png"), height=1100)
        shoot(base + f"/results/{by_year[2021]}", os.path.join(OUT, "ranking-2021.png"), height=3000)
        shoot(base + f"/results/{by_year[2021]}/units/KRONGPAC", os.path.join(OUT, "scorecard-krong-pac-2021.png"), height=2000)
        shoot(base + f"/results/{by_year[2022]}", os.path.join(OUT, "ranking-kontum-2022.png"), height=2400)

        # A signed-in page: the evaluator's view of a self-assessment. The page
        # is fetched with the session cookie, then rendered from a file with a
        # <base> so that the stylesheet loads.
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        login = opener.open(base + "/login").read().decode()
        token = re.search(r'name="csrf" value="([^"]+)"', login).group(1)
        form = urllib.parse.urlencode({"username": "thamdinh", "password": PASSWORD, "csrf": token}).encode()
        opener.open(urllib.request.Request(base + "/login", data=form, headers={"Origin": base}))
        periods = json.loads(opener.open(base + "/api/v1/periods").read())
        current = next(p for p in periods if p["year"] == 2025)
        html = opener.open(base + f"/periods/{current['id']}/units/SNNPTNT").read().decode()
        page = os.path.join(data, "evaluation.html")
        with open(page, "w", encoding="utf-8") as f:
            f.write(html.replace("<head>", f'<head><base href="{base}/">', 1))
        shoot("file://" + page, os.path.join(OUT, "evaluation-snnptnt-2025.png"), height=2400)

        # The draft decision: page 1 (the decision) and page 2 (the appendix), as PDF pages.
        docx = os.path.join(data, "decision.docx")
        with open(docx, "wb") as f:
            f.write(urllib.request.urlopen(base + f"/results/{by_year[2021]}/decision.docx").read())
        soffice = shutil.which("soffice") or shutil.which("libreoffice")
        if not soffice or not shutil.which("pdftoppm"):
            print("libreoffice or pdftoppm missing: the decision pages were not rendered")
            return
        subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{data}/lo", "--convert-to", "pdf", "--outdir", data, docx],
                       check=True, capture_output=True, timeout=180)
        pdf = os.path.join(data, "decision.pdf")
        for number, name in ((1, "decision-2021-page1"), (2, "decision-2021-appendix"), (3, "decision-2021-appendix-chart")):
            subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", str(number), "-l", str(number), "-singlefile", pdf,
                            os.path.join(OUT, name)], check=True)
            print("wrote", os.path.relpath(os.path.join(OUT, name + ".png"), ROOT))
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
