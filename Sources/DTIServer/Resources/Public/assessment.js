// The self-assessment form, enhanced: points and totals while typing (asked
// of the server, which scores with the same rules as a save), a question
// before leaving with unsaved changes, and a draft kept in this browser
// until it is saved. Without this script the form works the same, less these.
(function () {
  "use strict";
  var form = document.getElementById("answers");
  if (!form || !window.fetch || !window.URLSearchParams) return;
  var fields = Array.prototype.slice.call(document.querySelectorAll('[form="answers"]'));
  var draftKey = "opendti-draft:" + location.pathname;
  var state = form.querySelector("[data-state]");
  var dirty = false, submitting = false, timer = null, sequence = 0;

  function body() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) { params.append(name, value); });
    return params;
  }

  function setText(selector, text) {
    var nodes = document.querySelectorAll(selector);
    for (var i = 0; i < nodes.length; i++) nodes[i].textContent = text;
  }

  function preview() {
    var mine = ++sequence;
    fetch(form.getAttribute("data-preview"), {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: body()
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (p) {
      if (!p || mine !== sequence) return;
      Object.keys(p.rows).forEach(function (code) {
        setText('[data-points="' + CSS.escape(code) + '"]', p.rows[code].points);
        var problem = document.getElementById("lp-" + code);
        if (problem) problem.textContent = p.rows[code].problem || "";
      });
      setText("#total-points", p.totalPoints);
      setText("[data-total]", p.totalPoints);
      setText("#live-index", p.index);
      setText("#answered-count", String(p.answered));
    }).catch(function () { /* the points refresh at the next keystroke or on save */ });
  }

  function snapshot() {
    var data = {};
    fields.forEach(function (f) {
      if (!f.name || f.type === "hidden") return;
      if (f.type === "checkbox") { data[f.name + "=" + f.value] = f.checked; } else { data[f.name] = f.value; }
    });
    return data;
  }

  function restore(data) {
    fields.forEach(function (f) {
      if (f.type === "checkbox") { var k = f.name + "=" + f.value; if (k in data) f.checked = data[k]; }
      else if (f.name in data) { f.value = data[f.name]; }
    });
  }

  var initial = JSON.stringify(snapshot());

  function changed() {
    var now = snapshot();
    dirty = JSON.stringify(now) !== initial;
    if (state) state.textContent = dirty ? "Có thay đổi chưa lưu" : "";
    try {
      if (dirty) localStorage.setItem(draftKey, JSON.stringify({ at: new Date().toISOString(), fields: now }));
      else localStorage.removeItem(draftKey);
    } catch (e) { /* private mode: no draft */ }
    clearTimeout(timer);
    timer = setTimeout(preview, 250);
  }

  fields.forEach(function (f) {
    f.addEventListener("input", changed);
    f.addEventListener("change", changed);
  });

  form.addEventListener("submit", function () {
    submitting = true;
    try { localStorage.removeItem(draftKey); } catch (e) { }
  });

  window.addEventListener("beforeunload", function (event) {
    if (dirty && !submitting) { event.preventDefault(); event.returnValue = ""; }
  });

  // A draft from an earlier visit that was never saved: offer it back.
  var saved = null;
  try { saved = JSON.parse(localStorage.getItem(draftKey) || "null"); } catch (e) { saved = null; }
  if (saved && saved.fields && JSON.stringify(saved.fields) !== initial) {
    var box = document.createElement("div");
    box.className = "note draft";
    box.setAttribute("role", "status");
    var when = new Date(saved.at);
    var text = document.createElement("p");
    text.textContent = "Có bản nháp chưa lưu trên máy này (" + when.toLocaleString("vi-VN") + ").";
    var use = document.createElement("button");
    use.type = "button"; use.textContent = "Khôi phục bản nháp";
    var drop = document.createElement("button");
    drop.type = "button"; drop.className = "secondary"; drop.textContent = "Bỏ bản nháp";
    use.addEventListener("click", function () { restore(saved.fields); box.remove(); changed(); });
    drop.addEventListener("click", function () { try { localStorage.removeItem(draftKey); } catch (e) { } box.remove(); });
    box.appendChild(text); box.appendChild(use); box.appendChild(drop);
    var h1 = document.querySelector("main h1");
    h1.parentNode.insertBefore(box, h1.nextSibling);
  }
})();
