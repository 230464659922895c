// Mend progressive enhancements. Every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // Copy buttons for invitation links.
  document.querySelectorAll("[data-copy]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var el = document.getElementById(btn.getAttribute("data-copy"));
      if (!el || !navigator.clipboard) return;
      navigator.clipboard.writeText(el.value || el.textContent).then(function () {
        btn.textContent = "Copied";
      });
    });
  });
});

// Draft autosave: forms with data-autosave post their fields a moment after
// the client stops typing and show the saved state. Leaving the page (or
// hiding it: another tab, the phone's home button) saves at once what was
// typed since, with a request that outlives the page (keepalive); while a
// save is still on its way, or the last one failed, the browser asks before
// leaving. Without JavaScript the "Save draft" button does the same job.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-autosave]").forEach(function (form) {
    var url = form.getAttribute("data-autosave");
    var state = form.querySelector("[data-save-state]");
    var version = form.querySelector("input[name=version]");
    var csrf = form.querySelector("input[name=csrf_token]");
    var timer = null, inflight = false, dirty = false, failed = false, submitting = false;
    function show(msg, bad) {
      if (!state) return;
      state.textContent = msg;
      state.classList.toggle("error", !!bad);
    }
    function save(leaving) {
      clearTimeout(timer); timer = null;
      if (inflight) { dirty = true; return; }
      inflight = true; dirty = false;
      show("Saving…");
      var body = new URLSearchParams(new FormData(form));
      body.delete("op");
      fetch(url, {
        method: "POST", body: body, credentials: "same-origin", keepalive: !!leaving,
        headers: { "X-CSRF-Token": csrf ? csrf.value : "", "Accept": "application/json" }
      }).then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (data) { return { res: res, data: data }; });
      }).then(function (r) {
        inflight = false;
        failed = !r.res.ok;
        if (r.res.ok) {
          if (version && r.data.version) version.value = r.data.version;
          var t = new Date();
          show("Saved at " + t.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) +
            signAgain(r.data.cleared_signatures));
          if (dirty) schedule();
        } else if (r.res.status === 409 && r.data.version) {
          // A newer version was saved by the partner: post the form the
          // ordinary way, so the page shows both texts and nothing is lost.
          var op = document.createElement("input");
          op.type = "hidden"; op.name = "op"; op.value = "save";
          form.appendChild(op);
          submitting = true;
          form.submit();
        } else if (r.res.status === 401 || r.res.status === 403) {
          show("Not saved: your session has ended. Sign in again in another tab; your last saved draft is kept.", true);
        } else {
          show("Not saved: " + (r.data.error || "please check your answers") + " Use “Save draft” to see details.", true);
        }
      }).catch(function () {
        inflight = false; failed = true;
        show("Not saved: no connection. Keep this page open; it retries when you type.", true);
      });
    }
    // Whose signature the save cleared, by name (see signAgain in Go).
    function signAgain(cleared) {
      cleared = cleared || [];
      var partner = form.getAttribute("data-partner") || "Your partner";
      var them = cleared.indexOf("partner") >= 0, me = cleared.indexOf("you") >= 0;
      if (them && me) return ". " + partner + " will need to sign again, and so will you.";
      if (them) return ". " + partner + " will need to sign again.";
      if (me) return ". You will need to sign again.";
      return ".";
    }
    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(function () { save(false); }, 1500);
    }
    // What was typed but not yet sent goes now, before the page is gone.
    function flush() {
      if (submitting) return;
      if (timer !== null || (dirty && !inflight)) save(true);
    }
    form.addEventListener("input", schedule);
    form.addEventListener("change", schedule);
    form.addEventListener("submit", function () { clearTimeout(timer); timer = null; submitting = true; });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") flush();
    });
    window.addEventListener("pagehide", flush);
    window.addEventListener("beforeunload", function (ev) {
      // A save already on its way (what was typed after it is not sent yet)
      // or one that failed: ask. Otherwise flush sends it and the page may go.
      var busy = inflight || failed;
      flush();
      if (!submitting && busy) {
        ev.preventDefault();
        ev.returnValue = "";
      }
    });
  });
});

// Destructive buttons ask first (data-confirm holds the question). Without
// JavaScript they act at once, as a plain form would.
document.addEventListener("submit", function (ev) {
  var btn = ev.submitter;
  var q = btn && btn.getAttribute("data-confirm");
  if (q && !window.confirm(q)) ev.preventDefault();
});

// After a refused form, move focus to the summary of what needs attention,
// so keyboard and screen-reader users start there.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".ex-error-summary, main .alert[role=alert]");
  if (summary) {
    summary.setAttribute("tabindex", "-1");
    summary.focus();
  }
});

// The builder: a builder button's formaction carries the anchor of the field
// it adds (or of the preview), so the page comes back there without
// JavaScript; with it, the new field's question also gets the focus.
window.addEventListener("load", function () {
  if (!location.hash || !document.querySelector("form.lib-builder")) return;
  var target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
  if (!target) return;
  var input = target.querySelector("input[name$='.label'], input[name$='.title']");
  if (input) input.focus({ preventScroll: true });
});
