/* Small helpers: dynamic formset rows, ID-number autofill and duplicate check, job progress. */
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
        if (v.length < 18) return;
        if (!validId(v)) { note.textContent = "身份证号校验位不正确"; return; }
        var row = input.closest("tr") || document;
        var sex = row.querySelector("[data-sex]"), birth = row.querySelector("[data-birth]");
        if (sex) sex.value = parseInt(v[16], 10) % 2 ? "M" : "F";
        if (birth) birth.value = v.slice(6, 10) + "-" + v.slice(10, 12) + "-" + v.slice(12, 14);
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
  function csrf() { var m = document.cookie.match(/csrftoken=([^;]+)/); return m ? m[1] : ""; }
  bindIdInputs(document);

  // Background jobs: poll the job page for progress.
  var job = document.querySelector("[data-job-url]");
  if (job && ["pending", "running"].indexOf(job.dataset.status) >= 0) {
    var timer = setInterval(function () {
      fetch(job.dataset.jobUrl, { headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (d) {
          job.querySelector(".bar").style.width = d.percent + "%";
          job.querySelector(".job-status").textContent = d.status_label;
          job.querySelector(".job-count").textContent = d.done + " / " + d.total;
          job.querySelector(".job-message").textContent = d.message;
          if (d.has_file) job.querySelector(".job-download").hidden = false;
          if (d.status === "done" || d.status === "failed") clearInterval(timer);
        });
    }, 1500);
  }
})();
