// Date and time fields: the browser draws its picker in its own locale (an English browser shows
// mm/dd/yyyy on a Chinese page). Beside each, the chosen moment is written out in the page's
// language, so nobody takes 07/12 for the twelfth of July.
"use strict";

(function () {
  const format = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
    dateStyle: "full",
    timeStyle: "short",
  });
  for (const echo of document.querySelectorAll("[data-when-echo]")) {
    const input = document.getElementById(echo.dataset.whenEcho);
    if (!input) continue;
    const show = () => {
      const when = input.value ? new Date(input.value) : null; // a wall-clock time, read and written locally
      echo.textContent = when && !Number.isNaN(when.getTime()) ? format.format(when) : "";
    };
    input.addEventListener("input", show);
    input.addEventListener("change", show);
    show();
  }
})();
