package web_test

import (
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/mend-clinic/mend/internal/apptest"
)

// On a 390 px phone "My settings" and "Sign out" are behind the bar's
// "Menu", a disclosure reached and opened with the keyboard alone and no
// script: never at the far end of a bar that scrolls sideways. The links
// it opens lie inside the screen, are 24 px targets, are not covered, and
// axe passes with it open. On a desktop the bar is as it was: the account
// links in its row, no "Menu".
func TestPhoneMenuReachesSignOutWithoutSidewaysScrolling(t *testing.T) {
	t.Parallel()
	app := demoPractice(t)
	src := axeSource(t)
	desktop, phone := desktopAndPhone[0], desktopAndPhone[1]
	ctx := apptest.Chrome(t)
	do := apptest.Steps(t, ctx)
	eval := func(js string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return s
	}
	// inReach names what of the selector's element is not a 24 px target
	// fully inside the 390 px screen, on top where it is drawn ("" when
	// all is well).
	inReach := `(sel) => {
		const el = [...document.querySelectorAll(sel)].find((e) => e.checkVisibility());
		if (!el) return sel + " is not visible";
		const r = el.getBoundingClientRect();
		const out = [];
		if (r.left < 0 || r.right > innerWidth || r.top < 0 || r.bottom > innerHeight) out.push(sel + " lies outside the screen: " + JSON.stringify(r));
		if (r.width < 24 || r.height < 24) out.push(sel + " is " + r.width + "x" + r.height + " px");
		const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
		if (!el.contains(top)) out.push(sel + " is covered by " + (top && top.outerHTML.slice(0, 80)));
		return out.join("; ");
	}`
	shot := func(name string) {
		if dir := os.Getenv("MEND_SCREENSHOTS"); dir != "" {
			png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
			if err == nil {
				err = os.WriteFile(dir+"/"+name+".png", png, 0o644)
			}
			if err != nil {
				t.Logf("screenshot %s: %v", name, err)
			}
		}
	}

	for _, who := range []string{"maya@harbor.example", "lucia@example.com", "admin@harbor.example"} {
		do(emulate(desktop))
		signInDemo(t, ctx, app, who)
		do(emulate(phone), chromedp.Navigate(app.URL+"/"), chromedp.WaitReady(`main`))
		shot(strings.SplitN(who, "@", 2)[0] + "-phone-closed")
		if p := eval(`(() => {
			const bar = document.querySelector(".topbar").getBoundingClientRect().height;
			const out = [];
			if (bar > 64) out.push("the bar is " + bar + " px tall");
			if (document.documentElement.scrollWidth > innerWidth) out.push("the page is " + document.documentElement.scrollWidth + " px wide");
			const inner = document.querySelector(".topbar-inner");
			if (inner.scrollWidth > inner.clientWidth) out.push("the bar itself scrolls sideways");
			if ([...document.querySelectorAll("form[action='/logout'] button, button[form=signout]")].some((b) => b.checkVisibility())) out.push("Sign out shows with the menu closed");
			return out.join("; ") + (` + inReach + `)(".account-menu summary");
		})()`); p != "" {
			t.Errorf("%s, phone, menu closed: %s", who, p)
		}
		// Keys only: Tab from the top of the page to "Menu", Enter opens it,
		// Tab goes on to the links it shows.
		eval(`document.activeElement.blur(), ""`)
		found := false
		for range 40 {
			do(chromedp.KeyEvent(kb.Tab))
			if eval(`document.activeElement.matches(".account-menu summary") ? "yes" : ""`) == "yes" {
				found = true
				break
			}
		}
		if !found {
			t.Fatalf("%s: Tab never reaches Menu", who)
		}
		do(chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(`.account-panel button[form=signout]`))
		shot(strings.SplitN(who, "@", 2)[0] + "-phone-open")
		if p := eval(`[".account-panel a.prefs", ".account-panel button[form=signout]", ".account-panel a.user"].map(` + inReach + `).filter((s) => s).join("; ")`); p != "" {
			t.Errorf("%s, phone, menu open: %s", who, p)
		}
		if v := runAxe(t, ctx, src); len(v) > 0 {
			t.Errorf("%s, phone, menu open: axe:\n  %s", who, strings.Join(v, "\n  "))
		}
		reached := false
		for range 8 {
			do(chromedp.KeyEvent(kb.Tab))
			if eval(`document.activeElement.matches(".account-panel button[form=signout]") ? "yes" : ""`) == "yes" {
				reached = true
				break
			}
		}
		if !reached {
			t.Fatalf("%s: Tab from Menu never reaches Sign out", who)
		}
		do(chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(`#f-email`))

		// The desktop is unchanged: no Menu, the account links in the bar.
		do(emulate(desktop))
		signInDemo(t, ctx, app, who)
		if p := eval(`(() => {
			const out = [];
			if (document.querySelector(".account-menu").checkVisibility()) out.push("Menu shows on a desktop");
			const who = document.querySelector(".topbar-inner > .who");
			if (!who.checkVisibility()) out.push("the account links are hidden");
			for (const sel of [".topbar-inner > .who a.prefs", ".topbar-inner > .who form[action='/logout'] button"]) {
				const e = document.querySelector(sel);
				if (!e.checkVisibility() || e.getBoundingClientRect().right > innerWidth) out.push(sel + " is not in the bar");
			}
			return out.join("; ");
		})()`); p != "" {
			t.Errorf("%s, desktop: %s", who, p)
		}
		shot(strings.SplitN(who, "@", 2)[0] + "-desktop")
	}
}
