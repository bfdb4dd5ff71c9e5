// The editor folds long texts; a folded text with an error in it is opened, or the admin would
// see "please correct the errors below" and no error.
document.addEventListener("DOMContentLoaded", () => {
  for (const details of document.querySelectorAll("form details")) {
    if (details.querySelector(".errorlist, .errors")) details.open = true;
  }
});
