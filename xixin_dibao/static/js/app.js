/* Small helpers: dynamic formset rows, ID-number autofill and duplicate check, job progress,
   session-expiry warning, a draft kept across an expired session, explicit save (no Enter). */
(function () {
  "use strict";

  // Formsets: "添加一行" clones the empty form; keyboard users press the button with Enter/Space.
  document.querySelectorAll("[data-formset]").forEach(function (box) {
    var prefix = box.dataset.formset;
    var total = box.querySelector("#id_" + prefix + "-TOTAL_FORMS");
    var tmpl = box.querySelector("template");
    var body = box.querySelector("tbody");
    var add = box.querySelector("[data-add-row]");
    if (!total || !tmpl || !body || !add) return;
    add.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      var html = tmpl.innerHTML.replace(/__prefix__/g, String(index));
      body.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      var row = body.lastElementChild;
      bindIdInputs(row);
      var first = row.querySelector("input:not([type=hidden]), select");
      if (first) first.focus();
    });
  });

  var CHECK = "10X98765432", W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  function validId(v) {
    if (!/^\d{17}[\dX]$/.test(v)) return false;
    var s = 0; for (var i = 0; i < 17; i++) s += parseInt(v[i], 10) * W[i];
    return CHECK[s % 11] === v[17];
  }

  function bindIdInputs(root) {
    root.querySelectorAll("input[data-id-number]").forEach(function (input) {
      if (input.dataset.bound) return; input.dataset.bound = "1";
      var note = document.createElement("div"); note.className = "dup-warning"; note.setAttribute("aria-live", "polite");
      input.insertAdjacentElement("afterend", note);
      input.addEventListener("input", function () {
        var v = input.value.trim().toUpperCase();
        note.textContent = "";
        fillFromId(input, null);
        if (v.length < 18) return;
        if (!validId(v)) { note.textContent = "身份证号校验位不正确"; return; }
        fillFromId(input, v);
        var url = input.dataset.checkUrl;
        if (!url) return;
        var body = new URLSearchParams({ id_number: v, exclude_household: input.dataset.household || "" });
        fetch(url, { method: "POST", body: body, headers: { "X-CSRFToken": csrf() } })
          .then(function (r) { return r.json(); })
          .then(function (d) { if (d.duplicate || d.valid === false && d.message) note.textContent = d.message; })
          .catch(function () {});
      });
    });
  }
  // A valid ID number fills sex, birth date and age; Tab then skips those fields and the
  // "no ID" reason (they stay editable with the mouse). Without a valid number they are in the tab order.
  function fillFromId(input, v) {
    var row = input.closest("tr") || document;
    var sex = row.querySelector("[data-sex]"), birth = row.querySelector("[data-birth]");
    var reason = row.querySelector("[name$='-no_id_reason']");
    if (v) {
      if (sex) sex.value = parseInt(v[16], 10) % 2 ? "M" : "F";
      if (birth) birth.value = v.slice(6, 10) + "-" + v.slice(10, 12) + "-" + v.slice(12, 14);
    }
    [sex, birth, reason].forEach(function (el) {
      if (!el) return;
      if (v) el.setAttribute("tabindex", "-1"); else el.removeAttribute("tabindex");
    });
    if (!birth) return;
    var age = birth.parentElement.querySelector(".id-age");
    if (!age) {
      age = document.createElement("span"); age.className = "id-age help"; age.setAttribute("aria-live", "polite");
      birth.insertAdjacentElement("afterend", age);
    }
    age.textContent = v ? ageText(v.slice(6, 14), input.dataset.today) : "";
  }
  function ageText(born, today) {
    var t = (today || new Date().toISOString().slice(0, 10)).replace(/-/g, "");
    if (t.length !== 8) return "";
    var years = parseInt(t.slice(0, 4), 10) - parseInt(born.slice(0, 4), 10);
    if (t.slice(4) < born.slice(4)) years -= 1;
    return years >= 0 ? years + " 岁" : "";
  }
  function csrf() { var m = document.cookie.match(/csrftoken=([^;]+)/); return m ? m[1] : ""; }
  bindIdInputs(document);
  document.querySelectorAll("input[data-id-number]").forEach(function (input) {
    var v = input.value.trim().toUpperCase();
    if (validId(v)) fillFromId(input, v);
  });

  // Background jobs: poll the job page for progress.
  var job = document.querySelector("[data-job-url]");
  if (job && ["pending", "running"].indexOf(job.dataset.status) >= 0) {
    var timer = setInterval(function () {
      fetch(job.dataset.jobUrl, { headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (d) {
          job.querySelector(".bar rect").setAttribute("width", d.percent);
          job.querySelector("[role=progressbar]").setAttribute("aria-valuenow", d.percent);
          job.querySelector(".job-status").textContent = d.status_label;
          job.querySelector(".job-count").textContent = d.done + " / " + d.total;
          job.querySelector(".job-message").textContent = d.message;
          if (d.has_file) {
            job.querySelector(".job-file-name").textContent = d.result_name ? "：" + d.result_name : "结果文件";
            job.querySelector(".job-download").hidden = false;
          }
          if (d.status === "done" || d.status === "failed") clearInterval(timer);
        });
    }, 1500);
  }
  // Session: warn 2 minutes before the idle timeout; typing or clicking keeps the session alive.
  var idle = parseInt(document.body.dataset.sessionIdle || "0", 10);
  var pingUrl = document.body.dataset.pingUrl;
  var warning = document.getElementById("session-warning");
  if (idle > 0 && pingUrl && warning) {
    var WARN_BEFORE = 120, PING_EVERY = 60;
    var lastServer = Date.now(), lastPing = Date.now(), expired = false;
    var text = warning.querySelector(".session-warning-text");
    var ping = function () {
      lastPing = Date.now();
      return fetch(pingUrl, { method: "POST", headers: { "X-CSRFToken": csrf() }, credentials: "same-origin" })
        .then(function (r) {
          if (r.ok) { lastServer = Date.now(); warning.hidden = true; return; }
          if (r.status === 401) showExpired();  // other failures: try again on the next activity
        })
        .catch(function () {});
    };
    var showExpired = function () {
      expired = true;
      warning.classList.add("expired");
      warning.hidden = false;
      text.textContent = "会话已过期。已填写的内容不会丢失：点“保存”后重新登录，内容会自动填回。";
      warning.querySelector("[data-session-extend]").hidden = true;
    };
    ["keydown", "input", "click", "change"].forEach(function (type) {
      document.addEventListener(type, function (e) {
        if (expired || (e.target && e.target.closest && e.target.closest("#session-warning"))) return;
        if (!warning.hidden || (Date.now() - lastPing) / 1000 >= PING_EVERY) ping();
      }, true);
    });
    warning.querySelector("[data-session-extend]").addEventListener("click", function () { ping(); });
    setInterval(function () {
      if (expired) return;
      var left = idle - (Date.now() - lastServer) / 1000;
      if (left <= 0) { showExpired(); return; }
      if (left <= WARN_BEFORE) {
        var m = Math.floor(left / 60), s = Math.floor(left % 60);
        text.textContent = "您已较长时间没有操作，" + (m ? m + " 分 " : "") + s + " 秒后将自动退出。点“继续工作”或继续输入即可延长。";
        warning.hidden = false;
      }
    }, 1000);
  }

  // A draft kept when a form was posted after the session expired: fill the form back in.
  var draftNode = document.getElementById("restored-draft");
  var draftForm = document.querySelector("main form[method=post]");
  if (draftNode && draftForm) {
    var draft = JSON.parse(draftNode.textContent);
    Object.keys(draft).forEach(function (key) {
      var m = key.match(/^(.+)-TOTAL_FORMS$/);
      if (!m) return;
      var box = draftForm.querySelector('[data-formset="' + m[1] + '"]');
      var total = draftForm.querySelector('[name="' + key + '"]');
      var add = box && box.querySelector("[data-add-row]");
      var want = parseInt(draft[key][0], 10);
      while (add && total && parseInt(total.value, 10) < want) add.click();
    });
    Array.prototype.forEach.call(draftForm.elements, function (el) {
      if (!el.name || el.name === "csrfmiddlewaretoken" || el.type === "file" || el.type === "submit" || el.type === "button") return;
      var values = draft[el.name] || [];
      if (el.type === "checkbox" || el.type === "radio") el.checked = values.indexOf(el.value) >= 0;
      else if (el.multiple) Array.prototype.forEach.call(el.options, function (o) { o.selected = values.indexOf(o.value) >= 0; });
      else if (draft[el.name]) el.value = values[0];
    });
    var note = document.createElement("div");
    note.className = "form-error"; note.setAttribute("role", "status"); note.dataset.draftRestored = "1";
    note.textContent = "已填回会话过期前您填写的内容（尚未保存），请核对后点“保存”。";
    draftForm.insertAdjacentElement("beforebegin", note);
  }

  // Forms saved only by their save button (or Ctrl+S): Enter in a field never submits them.
  var explicitForm = document.querySelector("form[data-explicit-save]");
  if (explicitForm) {
    explicitForm.addEventListener("keydown", function (e) {
      var t = e.target;
      if (e.key === "Enter" && t.tagName === "INPUT" && ["submit", "button", "checkbox", "radio"].indexOf(t.type) < 0) {
        e.preventDefault();
      }
    });
    document.addEventListener("keydown", function (e) {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && (e.key === "s" || e.key === "S")) {
        e.preventDefault();
        var save = explicitForm.querySelector("[data-save-default]");
        if (save) explicitForm.requestSubmit(save);
      }
    });
  }

  // What-if: the standard is typed in one unit; show it in the other unit as it is typed.
  var standardBox = document.querySelector("[data-standard]");
  if (standardBox) {
    var amount = standardBox.querySelector("input[name=standard]");
    var other = standardBox.querySelector("[data-standard-other]");
    var fmt = function (n) { return n.toLocaleString("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 }); };
    var showOther = function () {
      var v = parseFloat(amount.value);
      var unit = (standardBox.querySelector("input[name=standard_unit]:checked") || {}).value || "month";
      if (!amount.value || isNaN(v)) { other.textContent = ""; return; }
      var monthly = unit === "year" ? v / 12 : v;
      other.textContent = "即 " + fmt(monthly) + " 元/人/月 = " + fmt(monthly * 12) + " 元/人/年";
    };
    standardBox.addEventListener("input", showOther);
    standardBox.addEventListener("change", showOther);
    if (!other.textContent) showOther();
  }

  // Meeting agenda: typing into a household's row ticks its "本次决定".
  document.querySelectorAll("form[data-agenda] [data-agenda-row]").forEach(function (row) {
    var include = row.querySelector("input[type=checkbox][name$='-include']");
    if (!include) return;
    row.addEventListener("input", function (e) { if (e.target !== include) include.checked = true; });
    row.addEventListener("change", function (e) { if (e.target !== include && e.target.tagName === "SELECT") include.checked = true; });
  });

  // After a failed save, start at the first error.
  var firstError = document.querySelector("main .has-error input:not([type=hidden]), main .has-error select, main .has-error textarea, main .field-error");
  if (firstError) {
    var target = firstError;
    if (target.classList.contains("field-error")) {
      var cell = target.closest("td, .field");
      target = (cell && cell.querySelector("input:not([type=hidden]), select, textarea")) || target;
    }
    if (target.focus) { target.focus({ preventScroll: true }); target.scrollIntoView({ block: "center" }); }
  }
})();
