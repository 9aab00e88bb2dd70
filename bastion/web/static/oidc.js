// The way back to an app with response_mode=form_post: submit the form at once
// (its button does the same without JavaScript).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form[data-autosubmit]");
  if (form) { form.submit(); }
});
