/* Phone layout: the 菜单 button shows and hides the menu (navigation, 修改密码, 退出). */
(function () {
  "use strict";
  var button = document.querySelector(".nav-toggle");
  var bar = button && button.closest(".topbar");
  if (!bar) return;
  button.addEventListener("click", function () {
    var open = bar.classList.toggle("nav-open");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && bar.classList.contains("nav-open")) {
      bar.classList.remove("nav-open");
      button.setAttribute("aria-expanded", "false");
      button.focus();
    }
  });
})();
