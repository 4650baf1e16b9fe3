"""Browser journeys through OpenDTI, as its users work: Debian's chromium
driven by Playwright, at 1366x768 and 390x844, on a fresh demo server per
viewport. Asserts on what the screen shows; any failure is listed and the
script exits 1.

    python3 tests/browser/journeys.py path/to/dti
"""
import datetime
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from playwright.sync_api import expect, sync_playwright
from axe_playwright_python.sync_playwright import Axe

DTI = sys.argv[1] if len(sys.argv) > 1 else ".build/debug/dti"
SHOTS = os.environ.get("DTI_SCREENSHOTS") or tempfile.mkdtemp(prefix="dti-shots-")
PASSWORD = "OpenDTI@2026"
NEW_PASSWORD = "Mat-khau#2026"
VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("  FAIL:", message, flush=True)


class Server:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="dti-browser-")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        env = dict(os.environ, DTI_DATA_DIR=os.path.join(self.dir, "data"))
        self.log = open(os.path.join(self.dir, "server.log"), "w")
        self.process = subprocess.Popen([DTI, "serve", "--demo", "--port", str(self.port)], env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"
        for _ in range(240):
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1)
                return
            except Exception:
                time.sleep(0.25)
        raise SystemExit("the demo server did not start: " + open(os.path.join(self.dir, "server.log")).read()[-2000:])

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=20)
        shutil.rmtree(self.dir, ignore_errors=True)


class Journey:
    def __init__(self, browser, server, name, viewport):
        self.browser, self.base, self.name, self.viewport = browser, server.url, name, viewport
        self.axe = Axe()
        self.scanned = {}

    def person(self, username, password=PASSWORD):
        """A person at their own browser, signed in through the sign-in page."""
        context = self.browser.new_context(viewport=self.viewport, locale="vi-VN")
        context.set_default_timeout(15000)
        page = context.new_page()
        page.dialogs = []
        page.on("dialog", lambda dialog: (page.dialogs.append(dialog.type), dialog.accept()))
        page.goto(self.base + "/login")
        page.fill("#username", username)
        page.fill("#password", password)
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_load_state()
        check("/login" not in page.url, f"{self.name}: {username} could not sign in ({page.url})")
        return page

    def look(self, page, step):
        """Every page: nothing wider than the screen; a screenshot to look at."""
        page.wait_for_load_state()
        width, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        check(width <= inner, f"{self.name} {step}: the page scrolls sideways ({width} px on a {inner} px screen)")
        page.screenshot(path=os.path.join(SHOTS, f"{self.name}-{step}.png"))

    def scan(self, page, label):
        """axe-core: no serious or critical violation."""
        results = self.axe.run(page)
        bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
        self.scanned[label] = len(bad)
        for v in bad:
            check(False, f"{self.name} axe {label}: {v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}")

    def cell(self, page, code):
        return page.locator(f'[id="c-{code}"]')

    def field(self, page, prefix, code):
        return page.locator(f'[id="{prefix}-{code}"]')

    # -- the journeys -------------------------------------------------------

    def run(self):
        today = datetime.date.today()
        day = lambda n: (today + datetime.timedelta(days=n)).isoformat()

        # The administrator opens a period for every phase a reviewer needs today, and two accounts for a district.
        admin = self.person("quantri")
        admin.goto(self.base + "/admin/periods/new")
        # 2024: the demo's huyện were dissolved on 1 July 2025; typing the year brings that year's units.
        # A tick taken off before the list changes stays off: the unit is listed for both years.
        expect(admin.locator("#units-district")).to_have_count(0)
        admin.locator("input[value='STTTT']").uncheck()
        admin.fill("#year", "2024")
        admin.locator("#year").press("Tab")
        expect(admin.locator("#units-status")).to_contain_text("Danh sách đơn vị của năm 2024")
        expect(admin.locator("input[value='KRONGPAC']")).to_be_checked()
        expect(admin.locator("input[value='STTTT']")).not_to_be_checked()
        admin.locator("input[value='STTTT']").check()
        admin.fill("#title", "Đánh giá DTI thử nghiệm trên trình duyệt")
        for phase, (a, b) in {"self_assessment": (-1, 20), "evaluation": (-1, 20), "corrections": (-1, 20), "council_appraisal": (-1, 20),
                              "consolidation": (21, 25), "publication": (26, 30)}.items():
            admin.fill(f"#{phase}_from", day(a))
            admin.fill(f"#{phase}_to", day(b))
        admin.select_option("#fw_district", "example-all-rules@1")
        admin.get_by_role("button", name="Tạo kỳ đánh giá").click()
        admin.wait_for_url(re.compile(r"/periods/[0-9A-Fa-f-]{36}$"))
        period = admin.url.rsplit("/", 1)[1]
        self.period = period
        for username, name, role in [("daumoi.kp", "Nguyễn Văn Đầu Mối", "focal_point"), ("lanhdao.kp", "Trần Thị Lãnh Đạo", "unit_leader")]:
            admin.goto(self.base + "/admin/users")
            admin.fill("#username", username)
            admin.fill("#displayName", name)
            admin.fill("#password", NEW_PASSWORD)
            admin.select_option("#role", role)
            admin.fill("#unitCode", "KRONGPAC")
            admin.get_by_role("button", name="Tạo tài khoản").click()
            admin.wait_for_load_state()
            expect(admin.locator("table")).to_contain_text(name)
        form_path = f"/periods/{period}/units/KRONGPAC"

        # The focal point: home says what to do; fill a row of every rule type; one save; a refused value kept.
        focal = self.person("daumoi.kp", NEW_PASSWORD)
        expect(focal.locator("h1")).to_have_text("Việc cần làm")
        expect(focal.locator("main")).to_contain_text("0 / 9 tiêu chí đã có số liệu")
        self.look(focal, "01-focal-home")
        focal.locator(".todo > li", has_text="trên trình duyệt").get_by_role("link", name="Mở bản tự đánh giá").click()
        expect(focal.locator("#checklist-h")).to_have_text("Trước khi gửi")
        expect(focal.locator(".checklist")).to_contain_text("0 / 9 tiêu chí áp dụng đã có số liệu")
        expect(self.cell(focal, "1.1")).to_contain_text("Chưa có số liệu")
        self.field(focal, "v", "1.1").fill("4")
        # Points while typing, from the server's rules.
        expect(focal.locator('[data-points="1.1"]')).to_have_text("20,00")
        self.field(focal, "v", "1.2").fill("3")
        self.field(focal, "b", "1.2").fill("4")
        self.field(focal, "v", "1.3").fill("2")
        self.field(focal, "b", "1.3").fill("2")
        self.field(focal, "v", "2.1").select_option("pho")
        self.cell(focal, "2.2").locator('input[type="checkbox"]').first.check()
        self.field(focal, "v", "2.3").select_option("có")
        self.field(focal, "v", "3.1").fill("150")
        self.field(focal, "v", "3.2").fill("1")
        self.field(focal, "b", "3.2").fill("2")
        self.field(focal, "v", "3.3").fill("7,5")
        self.field(focal, "e", "3.3").fill("Chuyên mục cập nhật hằng tuần")
        expect(focal.locator("#lp-3\\.1")).to_contain_text("ngoài khoảng")
        expect(focal.locator("[data-state]")).to_have_text("Có thay đổi chưa lưu")
        self.look(focal, "02-focal-typed")
        focal.get_by_role("button", name="Lưu tất cả thay đổi").click()
        focal.wait_for_load_state()
        expect(focal.locator("p.note.ok")).to_contain_text("Đã lưu 8 tiêu chí")
        expect(focal.locator("#problems")).to_contain_text("1 tiêu chí chưa được lưu")
        expect(self.field(focal, "v", "3.1")).to_have_value("150")
        expect(self.cell(focal, "3.1").locator(".field-error")).to_contain_text("ngoài khoảng")
        check(focal.evaluate("() => document.activeElement && document.activeElement.id") == "v-3.1",
              f"{self.name}: focus is not on the refused field after a save")
        check(focal.url.endswith(form_path), f"{self.name}: the refused save left {focal.url}")
        check(focal.evaluate("() => { const r = document.getElementById('v-3.1').getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }"),
              f"{self.name}: the refused field is not on screen after the save")
        expect(focal.locator('[data-points="1.1"]')).to_have_text("20,00")
        self.look(focal, "03-focal-refused")
        # The URL reloads to the same page (post/redirect/get), the typed rows saved.
        response = focal.reload()
        check(response.status == 200, f"{self.name}: reloading after a save answered {response.status}")
        expect(self.field(focal, "v", "1.1")).to_have_value("4")
        # A draft kept in the browser: type, leave, come back, restore.
        self.field(focal, "v", "3.1").fill("5")
        focal.get_by_role("link", name="Kết quả").first.click()
        focal.wait_for_url(re.compile(r"/results$"))
        check("beforeunload" in focal.dialogs, f"{self.name}: leaving with unsaved changes did not ask first ({focal.dialogs})")
        focal.goto(self.base + form_path)
        expect(focal.locator(".draft")).to_contain_text("Có bản nháp chưa lưu")
        focal.get_by_role("button", name="Khôi phục bản nháp").click()
        expect(self.field(focal, "v", "3.1")).to_have_value("5")
        for link in focal.locator(".checklist li:has-text('Cần tài liệu') a").all():
            code = link.inner_text().strip()
            self.field(focal, "e", code).fill("Văn bản số 12/UBND ngày 01/3 (bản giấy lưu tại đơn vị)")
        focal.get_by_role("button", name="Lưu tất cả thay đổi").click()
        expect(focal.locator("p.note.ok")).to_contain_text("Đã lưu")
        expect(focal.locator(".checklist")).to_contain_text("9 / 9 tiêu chí áp dụng đã có số liệu")
        expect(focal.locator(".checklist")).to_contain_text("đều đã có tài liệu hoặc giải trình")
        focal.get_by_role("button", name="Gửi lãnh đạo đơn vị duyệt").click()
        expect(focal.locator("main")).to_contain_text("Đã gửi lãnh đạo đơn vị duyệt")
        self.scan(focal, "self-assessment (focal point)") if self.name == "desktop" else None

        # The leader: the form awaits approval on the home page; return it with a reason.
        leader = self.person("lanhdao.kp", NEW_PASSWORD)
        expect(leader.locator("main")).to_contain_text("Chờ bạn duyệt")
        self.look(leader, "04-leader-home")
        leader.get_by_role("link", name="Xem và duyệt").click()
        panel = leader.locator(".decision")
        expect(panel).to_contain_text("Tổng điểm tự chấm")
        table_top = leader.locator("table.assessment").bounding_box()["y"]
        check(panel.bounding_box()["y"] < table_top, f"{self.name}: approve/return is not above the criteria")
        leader.fill("#reason", "Ghi rõ tổng số cuộc họp ở tiêu chí 1.2")
        self.look(leader, "05-leader-decision")
        leader.get_by_role("button", name="Trả lại cán bộ đầu mối").click()
        expect(leader.locator("main")).to_contain_text("Đã trả lại cán bộ đầu mối")

        # The focal point is told (unread count), fixes the row and sends again; the leader approves.
        focal.goto(self.base + "/")
        expect(focal.locator(".badge")).to_be_visible()
        expect(focal.locator("main")).to_contain_text("Ghi rõ tổng số cuộc họp ở tiêu chí 1.2")
        focal.goto(self.base + "/notifications")
        expect(focal.get_by_role("link", name=re.compile("bị trả lại"))).to_be_visible()
        self.look(focal, "06-focal-notifications")
        focal.get_by_role("link", name=re.compile("bị trả lại")).click()
        self.field(focal, "b", "1.2").fill("5")
        focal.get_by_role("button", name="Lưu tất cả thay đổi").click()
        expect(focal.locator("p.note.ok")).to_contain_text("Đã lưu 1 tiêu chí: 1.2.")
        focal.get_by_role("button", name="Gửi lãnh đạo đơn vị duyệt").click()
        expect(focal.locator("main")).to_contain_text("Đã gửi lãnh đạo đơn vị duyệt")
        leader.goto(self.base + "/")
        leader.get_by_role("link", name="Xem và duyệt").click()
        leader.get_by_role("button", name="Duyệt và gửi thẩm định").click()
        expect(leader.locator("main")).to_contain_text("Đã duyệt và gửi thẩm định")

        # The evaluator: units by status on the home page; several rows in one save; one sent back.
        evaluator = self.person("thamdinh")
        expect(evaluator.locator("h1")).to_have_text("Việc cần làm")
        # The home lists every running period (the demo's 2025 and 2026 ones too): this journey's panel.
        panel = evaluator.locator("section.panel", has_text="trên trình duyệt")
        panel.get_by_role("link", name=re.compile(r"Đã gửi, chờ thẩm định: 1$")).click()
        panel = evaluator.locator("section.panel", has_text="trên trình duyệt")
        expect(panel.locator("table").first).to_contain_text("UBND huyện Krông Pắc")
        self.look(evaluator, "07-evaluator-home")
        if self.name == "desktop":
            self.scan(evaluator, "home (evaluator)")
        panel.get_by_role("link", name="UBND huyện Krông Pắc").first.click()
        expect(evaluator.locator(".facts")).to_contain_text("Tổng điểm chính thức")
        self.field(evaluator, "ep", "1.1").fill("15")
        self.field(evaluator, "en", "1.1").fill("Thiếu biên bản một cuộc họp")
        self.field(evaluator, "ep", "2.3").fill("10")
        self.field(evaluator, "ep", "3.3").fill("99")
        evaluator.get_by_role("button", name="Lưu điểm thẩm định").click()
        expect(evaluator.locator("p.note.ok")).to_contain_text("Đã lưu điểm thẩm định 2 tiêu chí: 1.1, 2.3.")
        expect(self.cell(evaluator, "3.3").locator(".field-error")).to_contain_text("vượt điểm tối đa")
        expect(self.field(evaluator, "ep", "3.3")).to_have_value("99")
        check(evaluator.evaluate("() => document.activeElement && document.activeElement.id") == "ep-3.3",
              f"{self.name}: after scoring, focus is not on the refused row")
        expect(self.cell(evaluator, "1.1")).to_contain_text("15,00")
        self.look(evaluator, "08-evaluator-scored")
        self.cell(evaluator, "2.1").get_by_text("Yêu cầu đơn vị bổ sung, chỉnh sửa").click()
        self.field(evaluator, "o", "2.1").fill("Gửi quyết định thành lập Ban chỉ đạo")
        self.cell(evaluator, "2.1").get_by_role("button", name="Gửi yêu cầu").click()
        expect(evaluator.locator("main")).to_contain_text("Đã gửi yêu cầu bổ sung, chỉnh sửa tiêu chí 2.1")

        # The focal point fixes the one sent-back row from the link on the home page, and answers.
        focal.goto(self.base + "/")
        focal.get_by_role("link", name=re.compile(r"^2\.1 — ")).click()
        check(focal.url.endswith("#c-2.1"), f"{self.name}: the correction link does not lead to the row ({focal.url})")
        check(self.field(focal, "v", "1.1").count() == 0, f"{self.name}: rows not sent back are editable after submission")
        self.field(focal, "v", "2.1").select_option("truong")
        focal.get_by_role("button", name="Lưu tất cả thay đổi").click()
        expect(focal.locator("p.note.ok")).to_contain_text("Đã lưu 1 tiêu chí: 2.1.")
        self.field(focal, "m", "2.1").fill("Đã bổ sung Quyết định 15/QĐ-UBND")
        focal.get_by_role("button", name="Gửi trả lời").click()
        expect(focal.locator("main")).to_contain_text("Đã gửi ý kiến về tiêu chí 2.1")
        self.look(focal, "09-focal-fixed")

        # The evaluator: the answered request on the home page; the live ranking as a page.
        evaluator.goto(self.base + "/")
        expect(evaluator.locator("main")).to_contain_text("Đơn vị đã trả lời, chờ bạn xem")
        evaluator.locator("section.panel", has_text="trên trình duyệt").get_by_role("link", name="Xếp hạng tạm thời").first.click()
        expect(evaluator.locator("h1")).to_have_text("Xếp hạng tạm thời")
        row = evaluator.locator("table.ranking tr", has_text="UBND huyện Krông Pắc")
        expect(row).to_contain_text("1")
        expect(evaluator.locator("figure.chart svg").first).to_be_visible()
        self.look(evaluator, "10-live-ranking")
        if self.name == "desktop":
            self.scan(evaluator, "live ranking")

        # The council: adjust one row with a reason, confirm every other row in one action.
        council = self.person("hoidong")
        council.goto(self.base + form_path)
        self.field(council, "cp", "1.3").fill("10")
        self.field(council, "cn", "1.3").fill("Hội đồng điều chỉnh theo biên bản họp")
        council.get_by_role("button", name="Công nhận tất cả").click()
        expect(council.locator("p.note.ok")).to_contain_text("Đã lưu điểm Hội đồng 9 tiêu chí")
        expect(self.cell(council, "1.3")).to_contain_text("Hội đồng điều chỉnh theo biên bản họp")
        self.look(council, "11-council-confirmed")

        if self.name == "desktop":
            anonymous = self.browser.new_context(viewport=self.viewport).new_page()
            for path, label in [("/", "home"), ("/login", "sign-in"), ("/results", "results"), ("/frameworks", "frameworks"),
                                ("/frameworks/example-all-rules/1", "framework"), ("/units", "units")]:
                anonymous.goto(self.base + path)
                self.scan(anonymous, label)
            anonymous.goto(self.base + "/results")
            anonymous.locator("main a[href^='/results/']").first.click()
            self.scan(anonymous, "published ranking")
            self.downloads(anonymous)
            self.robustness(anonymous)
            self.scan(anonymous, "robustness")
            focal.goto(self.base + "/notifications")
            self.scan(focal, "notifications")
        else:
            phone = self.browser.new_context(viewport=self.viewport).new_page()
            for path, step in [("/", "12-home"), ("/results", "13-results"), ("/frameworks/example-all-rules/1", "14-framework"), ("/units", "15-units")]:
                phone.goto(self.base + path)
                self.look(phone, step)
            phone.goto(self.base + "/results")
            phone.locator("main a[href^='/results/']").first.click()
            self.look(phone, "16-published-ranking")
            self.downloads(phone)
            self.robustness(phone)
            admin.goto(self.base + "/admin/periods/new")
            self.look(admin, "17-period-form")


    def downloads(self, page):
        """The published page's downloads, clicked as a reader would: each arrives as a file named
        for the period (the links' download attributes), with the content its name promises."""
        slug = None
        for link, extension, starts in [("Excel (.xlsx)", ".xlsx", b"PK"), ("CSV", ".csv", None),
                                        ("Dự thảo Quyết định và Phụ lục (.docx)", "-quyet-dinh.docx", b"PK"),
                                        ("bản ghi công bố (JSON)", "-ban-ghi.json", b"{")]:
            with page.expect_download() as info:
                page.get_by_role("link", name=link, exact=True).click()
            download = info.value
            name = download.suggested_filename
            check(name.endswith(extension), f"{link}: the file is named {name!r}, not …{extension}")
            stem = name[: -len(extension)]
            check(slug is None or stem == slug, f"{link}: {name!r} is not named like the others ({slug!r})")
            slug = stem
            data = open(download.path(), "rb").read()
            if starts is not None:
                check(data.startswith(starts), f"{name}: starts with {data[:8]!r}")
            else:
                text = data.decode("utf-8-sig")
                first = text.splitlines()[0]
                check(first.split(",")[:5] == ["level", "group", "code", "unit", "rank"], f"{name}: the first line is {first[:120]!r}")
                check(len(text.splitlines()) > 3, f"{name}: {len(text.splitlines())} lines")
        check(slug and slug.isascii() and " " not in slug, f"download names: {slug!r}")

    def robustness(self, page):
        """Đắk Lắk 2021's districts, as any reader finds them: how sure each rank is."""
        page.goto(self.base + "/results")
        page.get_by_role("link", name=re.compile("năm 2021")).first.click()
        section = page.locator("section.robustness").first
        expect(section.get_by_role("heading", name="Độ vững của xếp hạng")).to_be_visible()
        expect(section).to_contain_text("đổi thứ tự trong")
        expect(section).to_contain_text("theo trọng số")
        rows = section.locator("table.robustness tbody tr")
        expect(rows).to_have_count(15)
        leader = section.locator("table.robustness tbody tr", has_text="UBND huyện Krông Pắc")
        expect(leader.locator("td").nth(2)).to_have_text("1")
        expect(leader.locator("svg")).to_be_visible()
        silent = section.locator("table.robustness tbody tr", has_text="Drắk")
        expect(silent.locator("td").nth(2)).to_have_text("—")
        section.scroll_into_view_if_needed()
        self.look(page, "27-robustness")

    def complaints(self):
        """Preliminary results on the first journey's period: the last
        correction request closed, the silent districts marked, scoring
        closed with a reason; the unit files two complaints (one with a
        PDF), the evaluator accepts one with a new score and rejects the other."""
        today = datetime.date.today()
        day = lambda n: (today + datetime.timedelta(days=n)).isoformat()
        period, form_path = self.period, f"/periods/{self.period}/units/KRONGPAC"
        evaluator = self.person("thamdinh")
        evaluator.goto(self.base + form_path)
        self.cell(evaluator, "2.1").get_by_role("button", name="Đóng yêu cầu").click()
        expect(evaluator.locator("main")).to_contain_text("tiêu chí được khóa lại")
        admin = self.person("quantri")
        admin.goto(self.base + f"/periods/{period}/board?status=none")
        for box in admin.locator("table.board input[type=checkbox]").all():
            box.check()
        admin.fill("#m-reason", "Không gửi báo cáo tự đánh giá")
        admin.get_by_role("button", name="Đánh dấu không báo cáo").click()
        expect(admin.locator("main")).to_contain_text(re.compile(r"Đã đánh dấu \d+ đơn vị không báo cáo"))
        admin.goto(self.base + f"/admin/periods/{period}/edit")
        for phase in ["self_assessment", "evaluation", "corrections", "council_appraisal", "consolidation"]:
            admin.fill(f"#{phase}_from", day(-1))
            admin.fill(f"#{phase}_to", day(-1))
        admin.fill("#publication_from", day(0))
        admin.fill("#reason", "Hội đồng đã họp xong; chuyển sang công bố")
        admin.get_by_role("button", name="Lưu thay đổi").click()
        expect(admin.locator("main")).to_contain_text("Đã lưu thay đổi của kỳ đánh giá")
        admin.get_by_role("link", name="Công bố kết quả", exact=True).click()
        expect(admin.locator("ul.checks-list")).not_to_contain_text("Chưa đạt")
        admin.get_by_role("button", name="Gửi kết quả dự kiến cho các đơn vị").click()
        expect(admin.locator("main")).to_contain_text("Đã gửi kết quả dự kiến cho các đơn vị")
        self.look(admin, "30-preliminary-sent")

        focal = self.person("daumoi.kp", NEW_PASSWORD)
        focal.goto(self.base + "/notifications")
        focal.get_by_role("link", name=re.compile("Kết quả dự kiến")).first.click()
        expect(focal.locator("h1")).to_contain_text("Kết quả dự kiến — UBND huyện Krông Pắc")
        evidence = os.path.join(SHOTS, "bien-ban-hop.pdf")
        with open(evidence, "wb") as f:
            f.write(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
        focal.select_option("#k-criterion", "1.3")
        focal.fill("#k-text", "Biên bản họp ngày 12/3 ghi đủ hai cuộc họp trực tuyến")
        focal.set_input_files("#k-file", evidence)
        focal.get_by_role("button", name="Gửi khiếu nại").click()
        expect(focal.locator("main")).to_contain_text("Đã gửi khiếu nại tiêu chí 1.3")
        focal.select_option("#k-criterion", "3.3")
        focal.fill("#k-text", "Đề nghị tính cả chuyên mục cập nhật hằng tuần")
        focal.get_by_role("button", name="Gửi khiếu nại").click()
        expect(focal.locator("main")).to_contain_text("Đã gửi khiếu nại tiêu chí 3.3")
        expect(focal.locator("main")).to_contain_text("bien-ban-hop.pdf")
        self.look(focal, "31-complaints-filed")
        if self.name == "desktop":
            self.scan(focal, "preliminary results (unit)")

        evaluator.goto(self.base + f"/periods/{period}/complaints")
        first = evaluator.locator("li.complaint", has_text="Biên bản họp ngày 12/3")
        first.get_by_label("Chấp nhận, điều chỉnh điểm").check()
        first.get_by_label("Điểm mới (khi chấp nhận)").fill("20")
        first.get_by_label("Lý do").fill("Biên bản hợp lệ, đủ hai cuộc họp")
        first.get_by_role("button", name="Trả lời").click()
        expect(evaluator.locator("main")).to_contain_text("Đã trả lời khiếu nại tiêu chí 1.3: chấp nhận.")
        second = evaluator.locator("li.complaint", has_text="chuyên mục cập nhật")
        second.get_by_label("Lý do").fill("Chuyên mục không thuộc cổng thông tin điện tử của huyện")
        second.get_by_role("button", name="Trả lời").click()
        expect(evaluator.locator("main")).to_contain_text("Đã trả lời khiếu nại tiêu chí 3.3: không chấp nhận.")
        self.look(evaluator, "32-complaints-answered")
        if self.name == "desktop":
            self.scan(evaluator, "complaints (reviewers)")
        focal.reload()
        expect(focal.locator("main")).to_contain_text("Biên bản hợp lệ, đủ hai cuộc họp")
        expect(focal.locator("main")).to_contain_text("Chuyên mục không thuộc cổng thông tin điện tử của huyện")
        expect(focal.locator("main")).to_contain_text("→ 20,00")

    def frameworks_and_accounts(self):
        """A framework downloaded as Excel, edited, one refused upload, the
        preview with what changed, version 2 saved; accounts for two units
        created from a CSV file with the printable list."""
        import openpyxl
        admin = self.person("quantri")
        admin.goto(self.base + "/frameworks/example-all-rules/1")
        with admin.expect_download() as info:
            admin.get_by_role("link", name="Tải về bảng tính Excel").click()
        original = os.path.join(SHOTS, f"{self.name}-example-all-rules-v1.xlsx")
        info.value.save_as(original)

        def edited(path, changes):
            wb = openpyxl.load_workbook(original)
            ws = wb["Cây chỉ số"]
            head = [c.value for c in ws[1]]
            rows = {ws.cell(r, head.index("Mã") + 1).value: r for r in range(2, ws.max_row + 1)}
            for code, column, value in changes:
                ws.cell(rows[code], head.index(column) + 1).value = value
            wb.save(path)
            return path

        bad = edited(os.path.join(SHOTS, "bo-chi-so-loi.xlsx"), [("2.3", "Cách tính điểm", "Có hay không")])
        admin.goto(self.base + "/admin/frameworks/new")
        admin.set_input_files("#fw-file", bad)
        admin.get_by_role("button", name="Kiểm tra và xem trước").click()
        expect(admin.locator("[role=alert]")).to_contain_text("cột \"Cách tính điểm\": \"Có hay không\" không hợp lệ")
        self.look(admin, "40-framework-refused")
        good = edited(os.path.join(SHOTS, "bo-chi-so.xlsx"), [("2.3", "Tên", "VÍ DỤ: Ban hành kế hoạch chuyển đổi số năm 2026"),
                                                             ("3.1", "Điểm mỗi mục", 2)])
        admin.set_input_files("#fw-file", good)
        admin.get_by_role("button", name="Kiểm tra và xem trước").click()
        expect(admin.locator("h1")).to_contain_text("phiên bản 2")
        expect(admin.locator("main")).to_contain_text("Sửa 2 mục")
        self.look(admin, "41-framework-preview")
        if self.name == "desktop":
            self.scan(admin, "framework preview")
        admin.get_by_role("button", name="Lưu phiên bản 2").click()
        admin.wait_for_url(re.compile(r"/frameworks/example-all-rules/2$"))
        expect(admin.locator("main")).to_contain_text("kế hoạch chuyển đổi số năm 2026")

        # The demo is Đắk Lắk as set up from the 2025 directory: a preview says there is nothing to do.
        admin.goto(self.base + "/admin/setup-province")
        admin.select_option("#province", "66")
        admin.get_by_role("button", name="Xem trước").click()
        expect(admin.locator("[role=status]")).to_contain_text("đã được thiết lập đầy đủ")
        # Another province: preview, then create.
        admin.select_option("#province", "56")
        admin.get_by_role("button", name="Xem trước").click()
        expect(admin.locator("[role=status]")).to_contain_text("65 xã, phường, đặc khu; 14 sở, ngành")
        self.look(admin, "43-setup-province-preview")
        if self.name == "desktop":
            self.scan(admin, "setup province")
        admin.get_by_role("button", name="Thiết lập tỉnh này").click()
        expect(admin.locator("main")).to_contain_text("Đã thiết lập")
        admin.goto(self.base + "/units?q=bac nha trang")
        expect(admin.locator("main")).to_contain_text("Phường Bắc Nha Trang")

        # A new commune's page: its former district's published results, said for what they are.
        reader = self.person("xem")
        reader.goto(self.base + "/units?q=krong pac")
        reader.get_by_role("link", name="Xã Krông Pắc", exact=True).click()
        expect(reader.locator("h1")).to_have_text("Xã Krông Pắc")
        expect(reader.locator("main")).to_contain_text("chỉ số của UBND huyện Krông Pắc, nơi đơn vị thuộc về trước 01/07/2025")
        expect(reader.locator("main")).to_contain_text("0,9051")
        reader.get_by_role("heading", name="Qua các năm").scroll_into_view_if_needed()
        self.look(reader, "45-commune-history")
        if self.name == "desktop":
            self.scan(reader, "commune history")

        # The demo's commune focal point fills the 2026 commune form: the one criterion with known text, by choice.
        commune = self.person("daumoi.xa")
        expect(commune.locator("h1")).to_have_text("Việc cần làm")
        commune.locator(".todo > li", has_text="2026").get_by_role("link", name="Mở bản tự đánh giá").click()
        expect(commune.locator("main")).to_contain_text("Người đứng đầu xã, phường, thị trấn")
        self.field(commune, "v", "1.1").select_option("pho")
        expect(commune.locator('[data-points="1.1"]')).to_have_text("10,00")
        commune.get_by_role("button", name="Lưu tất cả thay đổi").click()
        commune.wait_for_load_state()
        expect(commune.locator("p.note.ok")).to_contain_text("Đã lưu 1 tiêu chí")
        self.look(commune, "46-commune-form")
        # A commune ranking imported for those communes shows them on a map (test data, not a published result).
        manifest = ("schema: opendti.results/1\nid: xa-thu\ntitle: Thử bản đồ các xã, phường\nyear: 2026\nprovince: Đắk Lắk\nprovince_unit: DAKLAK\n"
                    "source: \"Dữ liệu thử của OpenDTI\"\ntables:\n  - file: xa.csv\n    level: commune\n    method: fraction\n    max: \"1\"\n"
                    "    decimals: 2\n    bands: \"Tốt:80,Khá:65,Trung bình:50,Yếu:0\"\n")
        rows = [("Phường Tuy Hòa", "0,91"), ("Phường Bình Kiến", "0,72"), ("Phường Sông Cầu", "0,55"), ("Xã Xuân Lộc", "0,40"),
                ("Xã Xuân Cảnh", "0,83"), ("Phường Buôn Ma Thuột", "0,88"), ("Xã Ea Kar", "0,61"), ("Xã Xuân Thọ", "")]
        csv_text = "group,unit,points\n" + "".join(f'Xã phường,{n},"{v}"\n' if v else f"Xã phường,{n},\n" for n, v in rows)
        token = admin.request.get(self.base + "/api/v1/session").json()["csrf"]
        made = admin.request.post(self.base + "/api/v1/results", data={"manifest": manifest, "files": {"xa.csv": csv_text}}, headers={"X-CSRF-Token": token})
        check(made.ok, f"{self.name}: the commune results were not imported: {made.status} {made.text()[:300]}")
        if made.ok:
            admin.goto(self.base + "/results/" + made.json()["id"])
            expect(admin.locator("svg.map circle.dot.reported")).to_have_count(7)
            admin.locator("svg.map").scroll_into_view_if_needed()
            self.look(admin, "44-commune-map")

        csv = os.path.join(SHOTS, "tai-khoan.csv")
        with open(csv, "w", encoding="utf-8") as f:
            f.write("Mã đơn vị,Vai trò,Họ tên\nSTC,đầu mối,Nguyễn Văn A\nSTC,lãnh đạo,Trần Thị B\nSGDDT,đầu mối,Lê Văn C\n")
        admin.goto(self.base + "/admin/users")
        admin.set_input_files("#bulk-file", csv)
        admin.get_by_role("button", name="Tạo các tài khoản").click()
        expect(admin.locator("h1")).to_have_text("Tài khoản vừa tạo (3)")
        expect(admin.locator("table.credentials")).to_contain_text("daumoi.stc")
        self.look(admin, "42-accounts-created")
        if self.name == "desktop":
            self.scan(admin, "accounts created")

    def long_ranking(self):
        """A published ranking of 400 communes, too long for one page: a reader
        finds a commune by typing its name without accents, opens the page of
        its group that shows it, turns to the group's second page and goes on
        to the next group."""
        admin = self.person("quantri")
        manifest = ("schema: opendti.results/1\nid: xa-dai\ntitle: Thử xếp hạng 400 xã\nyear: 2031\nprovince: Đắk Lắk\nprovince_unit: DAKLAK\n"
                    "source: \"Dữ liệu thử của OpenDTI\"\ntables:\n  - {file: t.csv, level: commune, method: raw, decimals: 0}\n")
        lines = ["group,unit,points"]
        for group, size in [("Vùng Bắc", 320), ("Vùng Trung", 40), ("Vùng Nam", 40)]:
            for n in range(1, size + 1):
                lines.append(f"{group},Xã Hòa Thắng {group[5:]} {n},{'-' if n % 10 == 0 else (n * 37) % 1000}")
        token = admin.request.get(self.base + "/api/v1/session").json()["csrf"]
        made = admin.request.post(self.base + "/api/v1/results", data={"manifest": manifest, "files": {"t.csv": "\n".join(lines) + "\n"}},
                                  headers={"X-CSRF-Token": token})
        check(made.ok, f"{self.name}: the 400-commune ranking was not imported: {made.status} {made.text()[:300]}")
        admin.context.close()
        reader = self.browser.new_context(viewport=self.viewport, locale="vi-VN").new_page()
        reader.context.set_default_timeout(15000)
        # The list of results is kept 10 s for anonymous readers: a new period shows within that.
        for _ in range(12):
            reader.goto(self.base + "/results")
            if reader.get_by_role("link", name="Thử xếp hạng 400 xã").count():
                break
            time.sleep(1)
        reader.get_by_role("link", name="Thử xếp hạng 400 xã").click()
        expect(reader.locator("h1")).to_have_text("Thử xếp hạng 400 xã")
        expect(reader.locator("main")).to_contain_text("400 đơn vị trong 3 nhóm")
        expect(reader.locator("table.groups tbody tr")).to_have_count(3)
        expect(reader.locator("table.ranking")).to_have_count(0)
        self.look(reader, "50-long-ranking")
        if self.name == "desktop":
            self.scan(reader, "long ranking")
        reader.get_by_label("Tìm đơn vị trong kết quả này").fill("hoa thang bac 315")
        reader.get_by_role("button", name="Tìm").click()
        expect(reader.locator("h2", has_text="Kết quả tìm")).to_have_text('Kết quả tìm "hoa thang bac 315"')
        expect(reader.locator("table.found tbody tr")).to_have_count(1)
        expect(reader.get_by_label("Tìm đơn vị trong kết quả này")).to_have_value("hoa thang bac 315")
        self.look(reader, "51-long-ranking-search")
        reader.locator("table.found").get_by_role("link", name="Vùng Bắc").click()
        expect(reader.locator("h1")).to_have_text("Vùng Bắc")
        expect(reader.locator("table.ranking")).to_contain_text("Xã Hòa Thắng Bắc 315")
        if reader.locator("nav.pager").first.locator("[aria-current=page]").inner_text() != "1":
            reader.locator("nav.pager").first.get_by_role("link", name="1", exact=True).click()
        expect(reader.locator("main")).to_contain_text("trang này hiện hàng 1–300")
        expect(reader.locator("table.ranking tbody tr:not(.summary)")).to_have_count(300)
        self.look(reader, "52-long-group")
        reader.locator("nav.pager").first.get_by_role("link", name="2", exact=True).click()
        expect(reader.locator("main")).to_contain_text("trang này hiện hàng 301–320")
        expect(reader.locator("table.ranking tbody tr:not(.summary)")).to_have_count(20)
        expect(reader.locator("nav.pager").first.locator("[aria-current=page]")).to_have_text("2")
        self.look(reader, "53-long-group-page-2")
        if self.name == "desktop":
            self.scan(reader, "long group")
        reader.get_by_role("link", name="Nhóm sau →").click()
        expect(reader.locator("h1")).to_have_text("Vùng Trung")
        expect(reader.locator("table.ranking tbody tr:not(.summary)")).to_have_count(40)
        expect(reader.locator("nav.pager")).to_have_count(0)
        reader.get_by_role("link", name="Các nhóm và tìm đơn vị").click()
        expect(reader.locator("h1")).to_have_text("Thử xếp hạng 400 xã")
        reader.context.close()

    def locked_out(self):
        """A stranger guesses a viewer's password five times: the account is
        locked for the stranger, but the owner's own browser still signs in;
        the owner reads the code in the notification and signs in with it on
        a browser of theirs never used before (ADR 0039)."""
        owner = self.person("xem")
        stranger = self.browser.new_context(viewport=self.viewport, locale="vi-VN").new_page()
        for _ in range(5):
            stranger.goto(self.base + "/login")
            stranger.fill("#username", "xem")
            stranger.fill("#password", "doan-mo-123")
            stranger.get_by_role("button", name="Đăng nhập").click()
            expect(stranger.locator("[role=alert]")).to_contain_text("Tên đăng nhập hoặc mật khẩu không đúng")
        stranger.fill("#password", PASSWORD)
        stranger.get_by_role("button", name="Đăng nhập").click()
        expect(stranger.locator("[role=alert]")).to_contain_text("tài khoản đang tạm khóa")
        self.look(stranger, "60-locked-for-a-stranger")
        stranger.context.close()
        # The owner signs out and in again on their own browser: not locked out.
        owner.get_by_role("button", name="Đăng xuất").click()
        owner.goto(self.base + "/login")
        owner.fill("#username", "xem")
        owner.fill("#password", PASSWORD)
        owner.get_by_role("button", name="Đăng nhập").click()
        owner.wait_for_load_state()
        check("/login" not in owner.url, f"{self.name}: the owner's own browser was locked out ({owner.url})")
        owner.goto(self.base + "/notifications")
        expect(owner.locator("main")).to_contain_text("Tài khoản OpenDTI tạm khóa")
        text = owner.locator("main").inner_text()
        found = re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", text)
        check(found is not None, f"{self.name}: no code in the lock notification")
        self.look(owner, "61-lock-notification")
        owner.context.close()
        if found is None:
            return
        # A browser of the owner's never used for OpenDTI: the sign-in page links to the code page.
        fresh = self.browser.new_context(viewport=self.viewport, locale="vi-VN").new_page()
        fresh.goto(self.base + "/login")
        fresh.get_by_role("link", name="Đăng nhập bằng mã trong thư").click()
        expect(fresh.locator("h1")).to_have_text("Đăng nhập bằng mã")
        fresh.fill("#username", "xem")
        fresh.fill("#code", found.group(0).lower())
        fresh.fill("#password", PASSWORD)
        self.look(fresh, "62-sign-in-with-code")
        if self.name == "desktop":
            self.scan(fresh, "sign-in-with-code")
        fresh.get_by_role("button", name="Đăng nhập").click()
        fresh.wait_for_load_state()
        check("/login" not in fresh.url, f"{self.name}: the e-mailed code did not sign in ({fresh.url})")
        expect(fresh.get_by_role("button", name="Đăng xuất")).to_be_visible()
        fresh.context.close()

    def live_long_ranking(self):
        """The live ranking of a period of 320 communes, too long for one page:
        an evaluator opens it from the period's page, sees the groups, opens
        the long group, turns to its second page and goes on to the other group."""
        today = datetime.date.today()
        day = lambda n: (today + datetime.timedelta(days=n)).isoformat()
        admin = self.person("quantri")
        token = admin.request.get(self.base + "/api/v1/session").json()["csrf"]
        codes = []
        for n in range(1, 321):
            code, group = f"XTD{n:03d}", ("Cụm Đông" if n <= 310 else "Cụm Tây")
            made = admin.request.post(self.base + "/api/v1/units", data={"code": code, "name": f"Xã Thử Dài {n:03d}", "level": "commune", "group": group},
                                      headers={"X-CSRF-Token": token})
            check(made.ok, f"{self.name}: unit {code} was not created: {made.status} {made.text()[:300]}")
            codes.append(code)
        made = admin.request.post(self.base + "/api/v1/periods", headers={"X-CSRF-Token": token}, data={
            "year": today.year, "title": "Kỳ thử 320 xã đang thẩm định",
            "phases": [{"phase": "self_assessment", "startsOn": day(-20), "endsOn": day(-2)}, {"phase": "evaluation", "startsOn": day(-1), "endsOn": day(20)}],
            "frameworks": [{"level": "commune", "key": "demo-2026-commune", "version": 1}], "units": codes})
        check(made.ok, f"{self.name}: the 320-commune period was not created: {made.status} {made.text()[:300]}")
        period = made.json()["period"]["id"]
        admin.context.close()

        evaluator = self.person("thamdinh")
        evaluator.goto(self.base + f"/periods/{period}")
        evaluator.get_by_role("link", name="Xếp hạng tạm thời").click()
        expect(evaluator.locator("h1")).to_have_text("Xếp hạng tạm thời")
        expect(evaluator.locator("main")).to_contain_text("Cấp này có 320 đơn vị trong 2 nhóm")
        expect(evaluator.locator("table.groups tbody tr")).to_have_count(2)
        expect(evaluator.locator("table.ranking")).to_have_count(0)
        self.look(evaluator, "54-live-long-ranking")
        if self.name == "desktop":
            self.scan(evaluator, "live long ranking")
        evaluator.locator("table.groups").get_by_role("link", name=re.compile("Cụm Đông")).click()
        expect(evaluator.locator("h1")).to_have_text("Cụm Đông — xếp hạng tạm thời")
        expect(evaluator.locator("main")).to_contain_text("hàng 1–300 của 310 đơn vị")
        expect(evaluator.locator("table.ranking tbody tr")).to_have_count(300)
        self.look(evaluator, "55-live-long-group")
        evaluator.locator("nav.pager").first.get_by_role("link", name="2", exact=True).click()
        expect(evaluator.locator("main")).to_contain_text("hàng 301–310 của 310 đơn vị")
        expect(evaluator.locator("table.ranking tbody tr")).to_have_count(10)
        expect(evaluator.locator("nav.pager").first.locator("[aria-current=page]")).to_have_text("2")
        # Rows this page never showed before: nothing to compare with.
        expect(evaluator.locator("table.ranking tbody")).not_to_contain_text("không đổi")
        self.look(evaluator, "56-live-long-group-page-2")
        if self.name == "desktop":
            self.scan(evaluator, "live long group")
        evaluator.get_by_role("link", name=re.compile("Nhóm (trước|sau)")).click()
        expect(evaluator.locator("h1")).to_have_text("Cụm Tây — xếp hạng tạm thời")
        expect(evaluator.locator("table.ranking tbody tr")).to_have_count(10)
        expect(evaluator.locator("nav.pager")).to_have_count(0)
        evaluator.get_by_role("link", name="Các nhóm").click()
        expect(evaluator.locator("h1")).to_have_text("Xếp hạng tạm thời")
        evaluator.context.close()

    def season(self):
        """The administrator's season: a period for a selection of units, the
        board, an early publication refused with its list, phases re-dated,
        units marked as not reporting, publication; an account reset and the
        first sign-in with the temporary password."""
        today = datetime.date.today()
        day = lambda n: (today + datetime.timedelta(days=n)).isoformat()
        admin = self.person("quantri")
        admin.goto(self.base + "/admin/periods/new")
        admin.fill("#year", str(today.year))
        admin.fill("#title", "Kỳ công bố thử trên trình duyệt")
        dates = {"self_assessment": (-1, 20), "evaluation": (-1, 20), "corrections": (-1, 20), "council_appraisal": (-1, 20),
                 "consolidation": (21, 25), "publication": (26, 30)}
        for phase, (a, b) in dates.items():
            admin.fill(f"#{phase}_from", day(a))
            admin.fill(f"#{phase}_to", day(b))
        admin.select_option("#fw_department", "daklak-2023-department@1")
        group = admin.locator("#units-department")
        group.get_by_role("button", name="Bỏ chọn tất cả").click()
        group.locator("input[value='SNNPTNT']").check()
        group.locator("input[value='STTTT']").check()
        self.look(admin, "20-period-selection")
        admin.get_by_role("button", name="Tạo kỳ đánh giá").click()
        admin.wait_for_url(re.compile(r"/periods/[0-9A-Fa-f-]{36}$"))
        period = admin.url.rsplit("/", 1)[1]
        expect(admin.locator("main")).to_contain_text("Đã tạo kỳ đánh giá")

        # The board: two units, searched without diacritics.
        admin.get_by_role("link", name="Bảng theo dõi").click()
        expect(admin.locator("main")).to_contain_text("trên 2 đơn vị tham gia")
        admin.fill("#f-q", "nong nghiep")
        admin.get_by_role("button", name="Lọc").click()
        expect(admin.locator("table.board")).to_contain_text("Sở Nông nghiệp")
        expect(admin.locator("table.board")).not_to_contain_text("Sở Thông tin")
        self.look(admin, "21-board")
        if self.name == "desktop":
            self.scan(admin, "season board")

        # Too early: the page lists what stands in the way; pressing publish is refused with the list.
        admin.goto(self.base + f"/periods/{period}/publication")
        admin.get_by_role("button", name="Công bố kết quả chính thức").click()
        expect(admin.locator("[role=alert]")).to_contain_text("Chưa công bố: còn điều kiện chưa đạt")
        expect(admin.locator("ul.checks-list")).to_contain_text("Sở Nông nghiệp và Phát triển nông thôn: Chưa nhập")
        self.look(admin, "22-publication-refused")
        if self.name == "desktop":
            self.scan(admin, "publication")

        # SNNPTNT reports (set up through the API: the form itself is the first journey's),
        # the council confirms it on its page; STTTT, silent, is marked as not reporting with the reason.
        focal = self.person("daumoi.snn")
        def api(page, method, path, data=None):
            token = page.request.get(self.base + "/api/v1/session").json()["csrf"]
            response = page.request.fetch(self.base + path, method=method, data=data if data is not None else {}, headers={"X-CSRF-Token": token})
            check(response.ok, f"{self.name}: {method} {path} answered {response.status}: {response.text()[:300]}")
        for code, value in zip(["1", "2", "3", "4", "5", "6.DVC", "6.KHAC"], ["90", "100", "80", "75", "60", "70", "350"]):
            api(focal, "PUT", f"/api/v1/periods/{period}/units/SNNPTNT/answers/{code}", {"value": value, "version": 0})
        api(focal, "POST", f"/api/v1/periods/{period}/units/SNNPTNT/submit")
        leader = self.person("lanhdao.snn")
        api(leader, "POST", f"/api/v1/periods/{period}/units/SNNPTNT/approve")
        council = self.person("hoidong")
        council.goto(self.base + f"/periods/{period}/units/SNNPTNT")
        council.get_by_role("button", name="Công nhận tất cả").click()
        expect(council.locator("p.note.ok")).to_contain_text("Đã lưu điểm Hội đồng 7 tiêu chí")
        admin.goto(self.base + f"/periods/{period}/board")
        expect(admin.locator("table.board")).to_contain_text("Hội đồng đã thẩm định")
        # Every unit the filter shows, in one tick ("Chọn tất cả các đơn vị đang lọc"); the filter stays.
        admin.fill("#f-q", "thong tin")
        admin.get_by_role("button", name="Lọc").click()
        expect(admin.locator("table.board")).not_to_contain_text("Sở Nông nghiệp")
        admin.get_by_label("Chọn tất cả 1 đơn vị đang lọc").check()
        expect(admin.locator("table.board input[value='STTTT']")).to_be_checked()
        admin.fill("#m-reason", "Không gửi báo cáo đúng hạn")
        admin.get_by_role("button", name="Đánh dấu không báo cáo").click()
        expect(admin.locator("main")).to_contain_text("Đã đánh dấu 1 đơn vị không báo cáo")
        check("q=thong" in admin.url, f"{self.name}: the board lost its filter after marking ({admin.url})")
        expect(admin.locator("table.board")).to_contain_text("Lý do: Không gửi báo cáo đúng hạn")
        self.look(admin, "21-board-marked")

        # Scoring is over: the phases re-dated with the reason, publication opened today.
        admin.goto(self.base + f"/admin/periods/{period}/edit")
        for phase in ["self_assessment", "evaluation", "corrections", "council_appraisal", "consolidation"]:
            admin.fill(f"#{phase}_from", day(-1))
            admin.fill(f"#{phase}_to", day(-1))
        admin.fill("#publication_from", day(0))
        admin.get_by_role("button", name="Lưu thay đổi").click()
        expect(admin.locator("[role=alert]")).to_contain_text("cần ghi lý do")
        check(admin.locator("#publication_from").input_value() == day(0), f"{self.name}: the refused form lost the typed date")
        admin.fill("#reason", "Kết thúc chấm điểm theo Kế hoạch 12/KH-STTTT")
        admin.get_by_role("button", name="Lưu thay đổi").click()
        expect(admin.locator("main")).to_contain_text("Đã lưu thay đổi của kỳ đánh giá")
        admin.get_by_role("link", name="Công bố kết quả").click()
        expect(admin.locator("ul.checks-list")).not_to_contain_text("Chưa đạt")
        admin.get_by_role("link", name="Xem trước nội dung công bố").click()
        expect(admin.locator("main")).to_contain_text("BẢN XEM TRƯỚC")
        admin.go_back()
        # The demo's 2025 period, in evaluation with its sở reporting: its preview says how sure the ranks are.
        other = self.browser.new_context(viewport=self.viewport).new_page()
        other.context.add_cookies(admin.context.cookies())
        other.goto(self.base + "/periods")
        other.get_by_role("link", name=re.compile("năm 2025")).first.click()
        other.get_by_role("link", name="Công bố kết quả").click()
        other.get_by_role("link", name="Xem trước nội dung công bố").click()
        expect(other.locator("main")).to_contain_text("BẢN XEM TRƯỚC")
        robust = other.locator("section.robustness").first
        expect(robust.get_by_role("heading", name="Độ vững của xếp hạng")).to_be_visible()
        check(robust.locator("table.robustness tbody tr").count() >= 2, f"{self.name}: the preview's robustness table has fewer than two units")
        robust.scroll_into_view_if_needed()
        self.look(other, "22-preview-robustness")
        other.context.close()
        admin.get_by_role("button", name="Công bố kết quả chính thức").click()
        admin.wait_for_url(re.compile(r"/results/" + period + "$"))
        expect(admin.locator("main")).to_contain_text("Sở Nông nghiệp")
        self.look(admin, "23-published")
        # A correction after publication: a second version with its reason, the first kept.
        admin.goto(self.base + f"/periods/{period}/correction")
        admin.select_option("#c-unit", "SNNPTNT")
        admin.fill("#c-criterion", "99")
        admin.fill("#c-points", "80")
        admin.fill("#c-reason", "Sai sót khi tổng hợp tiêu chí 1 theo Văn bản 30/STTTT")
        admin.get_by_role("button", name="Đính chính và công bố phiên bản mới").click()
        expect(admin.locator("[role=alert]")).to_contain_text("không có tiêu chí")
        check(admin.locator("#c-points").input_value() == "80", f"{self.name}: the refused correction lost the typed points")
        admin.fill("#c-criterion", "1")
        admin.get_by_role("button", name="Đính chính và công bố phiên bản mới").click()
        admin.wait_for_url(re.compile(r"/results/" + period + "$"))
        expect(admin.locator("main")).to_contain_text("Sai sót khi tổng hợp tiêu chí 1 theo Văn bản 30/STTTT")
        # 90+100+80+75+60+70+350 = 825 → 0,825; corrected 815 → 0,815.
        expect(admin.locator("table.ranking").first).to_contain_text("0,815")
        admin.get_by_role("link", name="Phiên bản 1").click()
        expect(admin.locator("main")).to_contain_text("Đây là phiên bản 1, đã được đính chính")
        expect(admin.locator("table.ranking").first).to_contain_text("0,825")
        self.look(admin, "26-correction-versions")

        # An account reset: the temporary password shown once, changed at the first sign-in.
        admin.goto(self.base + "/admin/users")
        admin.get_by_role("link", name="daumoi.kp").click()
        admin.get_by_role("button", name="Đặt lại mật khẩu").click()
        secret = admin.locator("code.secret").inner_text().strip()
        check(len(secret) >= 14, f"{self.name}: no temporary password shown")
        self.look(admin, "24-password-reset")
        if self.name == "desktop":
            self.scan(admin, "account")
        person = self.person("daumoi.kp", secret)
        expect(person.locator("main")).to_contain_text("Mật khẩu của bạn vừa được quản trị viên đặt lại")
        person.goto(self.base + "/periods")
        check(person.url.endswith("/account/password"), f"{self.name}: after a reset the account reached {person.url}")
        person.fill("#current", secret)
        person.fill("#new", "Mat-khau-moi#2026")
        person.fill("#confirm", "Mat-khau-moi#2026")
        person.get_by_role("button", name="Đổi mật khẩu").click()
        expect(person.locator("main")).to_contain_text("Đã đổi mật khẩu")
        self.look(person, "25-password-changed")
        if self.name == "desktop":
            self.scan(person, "password")
        person.goto(self.base + "/periods")
        check(person.url.endswith("/periods"), f"{self.name}: the changed password still sends the account to {person.url}")

    def feeds(self):
        """Issue 33: the administrator finds "Nguồn dữ liệu" in the menu, sees the demo's 766 ingestion,
        sends a month's correction and a file with an unknown unit, and is shown what became of each; the
        commune's focal point sees the bound criteria filled, read-only, with where they came from."""
        admin = self.person("quantri")
        admin.get_by_role("link", name="Nguồn dữ liệu").first.click() if self.name == "desktop" else admin.goto(self.base + "/feeds")
        expect(admin.locator("h1")).to_have_text("Nguồn dữ liệu")
        section = admin.locator("#feed-dvc-766")
        expect(section).to_contain_text("Quyết định số 766/QĐ-TTg")
        expect(section.locator("table.ingestions tbody tr")).to_have_count(1)
        expect(section.locator("table.ingestions")).to_contain_text("dvc-766-2026.csv")
        folder = tempfile.mkdtemp(prefix="dti-feed-")
        good = os.path.join(folder, "sua-thang-11.csv")
        with open(good, "w", encoding="utf-8") as f:
            f.write("unit,period,hai_long\n24133,2026-11,2\n")
        section.locator("input[type=file]").set_input_files(good)
        section.get_by_role("button", name="Nhận tệp số liệu").click()
        expect(admin.locator("#ket-qua")).to_contain_text("Đã nhận tệp sua-thang-11.csv (lần nhận số 2): 1 dòng, 1 giá trị mới hoặc được sửa, 1 câu trả lời")
        self.look(admin, "30-feed-accepted")
        bad = os.path.join(folder, "sai.csv")
        with open(bad, "w", encoding="utf-8") as f:
            f.write("unit,period,hai_long\nXã Không Có,2026-11,2\n24133,2026-13,30\n")
        admin.locator("#feed-dvc-766 input[type=file]").set_input_files(bad)
        admin.locator("#feed-dvc-766").get_by_role("button", name="Nhận tệp số liệu").click()
        result = admin.locator("#ket-qua")
        expect(result).to_contain_text("Tệp sai.csv bị từ chối (lần nhận số 3); không số liệu nào được ghi. 3 lỗi:")
        expect(result.locator("li")).to_have_count(3)
        expect(result.locator("li").first).to_contain_text("sai.csv:2:1: cột \"unit\": không có đơn vị \"Xã Không Có\"")
        expect(result).to_contain_text("sai.csv:3:7: cột \"period\"")
        expect(admin.locator("#feed-dvc-766 table.ingestions tbody tr")).to_have_count(3)
        self.look(admin, "31-feed-refused")
        if self.name == "desktop":
            self.scan(admin, "feeds")
        # Reloading the page after a send does not send again (post, redirect, get).
        admin.reload()
        expect(admin.locator("#feed-dvc-766 table.ingestions tbody tr")).to_have_count(3)
        # The form names each automated value's ingestion; the link leads back to what it brought (ADR 0046).
        admin.goto(self.base + "/periods")
        admin.get_by_role("link", name=re.compile("năm 2026")).first.click()
        period = re.search(r"/periods/([0-9A-Fa-f-]{36})", admin.url).group(1)
        admin.goto(f"{self.base}/periods/{period}/units/24133")
        row = self.cell(admin, "6.10")
        row.scroll_into_view_if_needed()
        self.look(admin, "33-form-source-link")
        row.get_by_role("link", name="xem lần nhận số 2").click()
        expect(admin.locator("#ket-qua")).to_contain_text("Đã nhận tệp sua-thang-11.csv (lần nhận số 2)")
        admin.context.close()
        shutil.rmtree(folder, ignore_errors=True)

        focal = self.person("daumoi.xa")
        focal.goto(self.base + "/periods")
        focal.get_by_role("link", name=re.compile("năm 2026")).first.click()
        focal.get_by_role("link", name=re.compile("Phường Buôn Ma Thuột")).first.click()
        row = self.cell(focal, "6.10")
        expect(row).to_contain_text("Tự động từ Chỉ số phục vụ người dân, doanh nghiệp")
        expect(row).to_contain_text("tháng 11/2026")
        expect(row.locator("input, select, textarea")).to_have_count(0)
        expect(row.get_by_role("link", name=re.compile("xem lần nhận số"))).to_have_count(0)
        row.scroll_into_view_if_needed()
        self.look(focal, "32-form-automatic")
        focal.context.close()

    def trend(self):
        """Issue 33: the commune's focal point opens "Chỉ số theo tháng" from its form and reads the chart and
        the months; the administrator finds the units that rose and fell most on the season board and follows
        one to its months."""
        focal = self.person("daumoi.xa")
        focal.goto(self.base + "/periods")
        focal.get_by_role("link", name=re.compile("năm 2026")).first.click()
        focal.get_by_role("link", name=re.compile("Phường Buôn Ma Thuột")).first.click()
        focal.get_by_role("link", name="Chỉ số theo tháng").first.click()
        expect(focal.locator("h1")).to_have_text("Chỉ số theo tháng — Phường Buôn Ma Thuột")
        expect(focal.locator("figure.trend svg circle").first).to_be_visible()
        rows = focal.locator("table.trend-table tbody tr")
        check(rows.count() >= 2, f"the months of the year are listed ({rows.count()})")
        expect(rows.last).to_contain_text("01/2026")
        expect(focal.locator("figure.trend figcaption")).to_contain_text("Chỉ số từ")
        self.look(focal, "33-trend")
        if self.name == "desktop":
            self.scan(focal, "trend")
        focal.context.close()

        admin = self.person("quantri")
        admin.goto(self.base + "/periods")
        admin.get_by_role("link", name=re.compile("năm 2026")).first.click()
        admin.get_by_role("link", name=re.compile("Bảng theo dõi")).first.click()
        movers = admin.locator("section.movers")
        expect(movers.locator("h2")).to_contain_text("Tăng, giảm nhiều nhất tháng")
        first = movers.locator("ol li a").first
        name = first.inner_text()
        movers.scroll_into_view_if_needed()
        self.look(admin, "34-board-movers")
        first.click()
        expect(admin.locator("h1")).to_have_text(f"Chỉ số theo tháng — {name}")
        admin.context.close()


# Every journey, in order; DTI_JOURNEYS="locked_out complaints" runs only those (a developer's shortcut).
JOURNEYS = os.environ.get("DTI_JOURNEYS", "").split() or [
    "run", "complaints", "season", "frameworks_and_accounts", "long_ranking", "live_long_ranking", "locked_out", "feeds", "trend"]


def main():
    started = time.time()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=["--no-sandbox"])
        for name, viewport in VIEWPORTS.items():
            print(f"== {name} {viewport['width']}x{viewport['height']} ==", flush=True)
            server = Server()
            journey = Journey(browser, server, name, viewport)
            try:
                for step in JOURNEYS:
                    getattr(journey, step)()
            except Exception as error:  # an expectation that timed out: report it with where it happened
                failures.append(f"{name}: {type(error).__name__}: {str(error)[:1500]}")
                print("  FAIL:", failures[-1], flush=True)
            finally:
                server.stop()
            if journey.scanned:
                print("  axe-core (serious + critical violations per page):", journey.scanned, flush=True)
        browser.close()
    print(f"screenshots: {SHOTS}; {time.time() - started:.0f} s")
    if failures:
        print(f"{len(failures)} browser check(s) failed")
        sys.exit(1)
    print("browser journeys: all checks passed")


if __name__ == "__main__":
    main()
