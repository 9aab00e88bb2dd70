// Bastion pages work without this script; it adds what only a script can do: passkeys (the
// browser's WebAuthn API), including offering them in the email field's autofill (conditional UI).
// Forms marked data-passkey ask their data-options URL for the WebAuthn options, let the browser
// sign, put the answer in the form's "credential" field and submit the form as usual.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  localTimes();

  // Times in the reader's zone. The server shows them in the account's zone, or in UTC (naming it)
  // while it does not know the reader's: the browser's zone goes into a cookie for the next page,
  // and this page's times are shown in it right away. Only times the server wrote in UTC change:
  // the text of a <time> element ending with the page's name for UTC.
  function localTimes() {
    var zone;
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (error) { return; }
    if (!zone || !/^[A-Za-z0-9_+\-\/]{1,64}$/.test(zone)) return;
    var root = document.documentElement;
    if (document.cookie.split("; ").indexOf("bastion_tz=" + encodeURIComponent(zone)) < 0) {
      document.cookie = "bastion_tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; samesite=lax" +
                        (location.protocol === "https:" ? "; secure" : "");
    }
    var label = root.dataset.utcLabel;
    if (root.dataset.zone !== "UTC" || !label || zone === "UTC" || zone === "Etc/UTC") return;
    var language = root.lang === "en" ? "en-GB" : root.lang;  // as the server writes English times
    var format;
    try {
      format = new Intl.DateTimeFormat(language, {year: "numeric", month: "short", day: "numeric", hour: "2-digit",
                                                  minute: "2-digit", hourCycle: "h23", timeZoneName: "short"});
    } catch (error) { return; }
    document.querySelectorAll("time[datetime]").forEach(function (node) {
      var text = node.textContent.trim();
      var moment = new Date(node.getAttribute("datetime"));
      if (node.children.length || text.slice(-label.length) !== label || isNaN(moment.getTime())) return;
      node.title = text;  // the UTC time stays one hover away
      node.textContent = format.format(moment);
    });
  }

  // The language menu goes back to this very address: the page names only its path (nothing from
  // the query is echoed into a page), the script adds the query (bastion/web/pages/language.py checks it).
  document.querySelectorAll("form.foot-languages input[name=back]").forEach(function (field) {
    field.value = window.location.pathname + window.location.search;
  });

  var PKC = window.PublicKeyCredential;
  var supported = !!(PKC && PKC.parseCreationOptionsFromJSON && PKC.parseRequestOptionsFromJSON &&
                     navigator.credentials);
  var conditional = null;  // the pending autofill request, cancelled when a button is pressed

  function element(tag, text) {
    var node = document.createElement(tag);
    if (text) node.textContent = text;
    return node;
  }

  // A refusal rendered like the server's own: title, detail, steps, reference (never a raw code).
  function showProblem(form, problem) {
    var box = form.querySelector(".js-problem");
    box.textContent = "";
    box.className = "js-problem alert";
    box.appendChild(element("h2", problem.title));
    if (problem.detail) box.appendChild(element("p", problem.detail));
    if (problem.help && problem.help.length) {
      box.appendChild(element("p", box.dataset.stepsIntro || "")).className = "steps-intro";
      var steps = box.appendChild(element("ol"));
      steps.className = "steps";
      problem.help.forEach(function (step) { steps.appendChild(element("li", step)); });
    }
    if (problem.action && problem.action.href || problem.help_url) {
      var links = box.appendChild(element("p"));
      links.className = "problem-links";
      if (problem.action && problem.action.href) {
        var fix = links.appendChild(element("a", problem.action.label));
        fix.href = problem.action.href;
        fix.className = "button secondary";
      }
      if (problem.help_url) links.appendChild(element("a", "More help with this")).href = problem.help_url;
    }
    if (problem.reference) {
      var reference = box.appendChild(element("p", "Reference "));
      reference.className = "reference";
      reference.appendChild(element("code", problem.reference));
      reference.appendChild(document.createTextNode(" — quote it if you contact support."));
    }
    box.hidden = false;
    box.tabIndex = -1;
    box.focus();
  }

  function clearProblem(form) {
    var box = form.querySelector(".js-problem");
    if (box) box.hidden = true;
  }

  function requestOptions(form) {
    var body = {};
    if (form.elements.flow_id) body.flow_id = form.elements.flow_id.value;
    return fetch(form.dataset.options, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json",
                "X-CSRF-Token": form.elements.csrf_token.value},
      body: JSON.stringify(body)
    }).then(function (answer) {
      return answer.json().then(function (data) {
        if (!answer.ok) throw {problem: data};
        return data.publicKey;
      });
    });
  }

  function ceremony(form, mediation, signal) {
    return requestOptions(form).then(function (publicKey) {
      if (form.dataset.passkey === "register") {
        return navigator.credentials.create({publicKey: PKC.parseCreationOptionsFromJSON(publicKey)});
      }
      var request = {publicKey: PKC.parseRequestOptionsFromJSON(publicKey), mediation: mediation};
      if (signal) request.signal = signal;
      var answer = navigator.credentials.get(request);
      // Marked once the browser holds the autofill request: what waits on it (a test) can tell.
      if (mediation === "conditional") form.dataset.autofill = "asked";
      return answer;
    });
  }

  function finish(form, credential) {
    form.elements.credential.value = JSON.stringify(credential.toJSON());
    if (form.dataset.remember) {
      var box = document.getElementById(form.dataset.remember);
      form.elements.remember.value = box && box.checked ? "on" : "";
    }
    form.submit();  // an ordinary post: the server answers with the next page
  }

  function failed(form, error) {
    if (error && error.problem) {
      if (error.problem.code === "reauth.required") {
        window.location.assign("/security/confirm?back=" + encodeURIComponent(window.location.pathname));
        return;
      }
      showProblem(form, error.problem);
    } else if (error && (error.name === "NotAllowedError" || error.name === "AbortError")) {
      showProblem(form, {title: "Passkey not used",
                         detail: "The request was cancelled or took too long.",
                         help: ["Try again and follow what your device asks.", "Or use another way."]});
    } else if (error && error.name === "InvalidStateError") {
      showProblem(form, {title: "Already added", detail: "This device already holds a passkey for your account."});
    } else {
      showProblem(form, {title: "Passkey not available",
                         detail: "This browser or device could not use a passkey here.",
                         help: ["Try another browser or device.", "Or use another way."]});
    }
  }

  document.querySelectorAll("form[data-passkey]").forEach(function (form) {
    if (!supported) return;  // the form stays as the server rendered it, with its no-JavaScript hint
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (conditional) conditional.abort();
      clearProblem(form);
      ceremony(form, "optional").then(function (credential) {
        if (credential) finish(form, credential);
      }).catch(function (error) { failed(form, error); });
    });
  });

  // Passkeys in the email field's autofill: started once, quietly; a refusal here shows nothing.
  // Not offered again on a page that shows a refusal: the person chooses what to try next.
  var signIn = document.querySelector('form[data-passkey="sign-in"][data-conditional]');
  if (signIn && supported && PKC.isConditionalMediationAvailable) {
    PKC.isConditionalMediationAvailable().then(function (available) {
      if (!available) return;
      conditional = new AbortController();
      return ceremony(signIn, "conditional", conditional.signal).then(function (credential) {
        if (credential) finish(signIn, credential);
      });
    }).catch(function () {});
  }
})();

// Small helps for forms; every page works without them.
(function () {
  "use strict";

  // "Copy the key": the authenticator key to the clipboard (the key stays selectable without a script).
  document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
    if (!navigator.clipboard || !window.isSecureContext) return;
    var status = button.closest("li, section, form, main").querySelector(".copy-status");
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(button.dataset.copy).then(function () {
        if (status) status.textContent = button.dataset.copied;
      }, function () {
        if (status) status.textContent = "";
      });
    });
  });

  // "Show password": the field's characters shown while pressed (a toggle button, its state announced).
  document.querySelectorAll("button.reveal[data-reveal]").forEach(function (button) {
    var field = document.getElementById(button.dataset.reveal);
    if (!field) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var shown = field.type === "password";
      field.type = shown ? "text" : "password";
      button.setAttribute("aria-pressed", shown ? "true" : "false");
    });
    // Never sent or left shown: the field is a password field again when its form is sent.
    if (field.form) field.form.addEventListener("submit", function () {
      field.type = "password";
      button.setAttribute("aria-pressed", "false");
    });
  });

  // On a phone, the keyboard covers half the screen: while a field of a form is chosen, keep the
  // form's button in view with it, so both stay above the keyboard (the refusal box scrolls away).
  var narrow = window.matchMedia("(max-width: 480px)");
  var pending = null;

  // A refusal's steps fold on a phone (one tap opens them): the box stays short above its form.
  if (narrow.matches) {
    document.querySelectorAll(".alert details.steps-fold").forEach(function (fold) { fold.open = false; });
  }

  function keepButtonInView() {
    var field = document.activeElement;
    if (!narrow.matches || !field || !field.form || !field.matches("input, textarea")) return;
    var submit = field.form.querySelector('button[type="submit"], button:not([type])');
    if (!submit) return;
    var view = window.visualViewport;
    var top = view ? view.offsetTop : 0;
    var bottom = view ? view.offsetTop + view.height : window.innerHeight;
    var below = submit.getBoundingClientRect().bottom + 8 - bottom;
    var room = field.getBoundingClientRect().top - 8 - top;  // never scroll the field itself away
    if (below > 0 && room > 0) window.scrollBy(0, Math.min(below, room));
  }

  function soon() {  // once the keyboard is up: it resizes the visual viewport as it slides in
    window.clearTimeout(pending);
    pending = window.setTimeout(keepButtonInView, 250);
  }

  document.addEventListener("focusin", soon);
  if (window.visualViewport) window.visualViewport.addEventListener("resize", soon);
  window.addEventListener("resize", soon);
})();
