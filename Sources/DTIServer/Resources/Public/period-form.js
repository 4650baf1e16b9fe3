// "Chọn tất cả" / "Bỏ chọn tất cả" per level on the period form.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-check-all], [data-check-none]");
  if (!button) return;
  const group = document.getElementById(button.dataset.checkAll || button.dataset.checkNone);
  const checked = Boolean(button.dataset.checkAll);
  for (const box of group.querySelectorAll("input[type=checkbox]")) box.checked = checked;
});

// The units listed depend on the year (a huyện dissolved on 1 July 2025 is not a unit of 2026):
// when the year typed on a new period changes, the list is asked again for that year; what was
// typed elsewhere on the form stays.
const yearField = document.getElementById("year");
if (yearField && document.querySelector('form[action="/admin/periods"]')) {
  yearField.addEventListener("change", async () => {
    const year = yearField.value.trim();
    if (!/^\d{4}$/.test(year)) return;
    const status = document.getElementById("units-status");
    if (status) status.textContent = "Đang tải danh sách đơn vị của năm " + year + "…";
    try {
      const response = await fetch("/admin/periods/new?year=" + year, { credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("units");
      const current = document.getElementById("units");
      if (fresh && current) current.replaceWith(fresh);
      const done = document.getElementById("units-status");
      if (done) done.textContent = "Danh sách đơn vị của năm " + year + ".";
    } catch (error) {
      if (status) status.textContent = "Chưa tải được danh sách đơn vị của năm " + year + "; gửi biểu mẫu để kiểm tra.";
    }
  });
}
