package exercise

import (
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

func TestBuiltinsValidateAndAreStable(t *testing.T) {
	a, b := Builtins(), Builtins()
	if len(a) < 13 || !reflect.DeepEqual(a, b) {
		t.Fatalf("%d builtins, stable=%v", len(a), reflect.DeepEqual(a, b))
	}
	seen := map[string]bool{}
	for i, tpl := range a {
		if tpl.Slug != builtinOrder[i] || seen[tpl.Slug] || !slugRe.MatchString(tpl.Slug) {
			t.Errorf("slug %q out of order, duplicated or malformed", tpl.Slug)
		}
		seen[tpl.Slug] = true
		if errs := tpl.Validate(); errs != nil {
			t.Errorf("%s: %v", tpl.Slug, errs)
		}
		if len(tpl.Schema.Sections) < 2 || len(tpl.Description) < 150 || len(tpl.Instructions) < 100 {
			t.Errorf("%s: too thin (%d sections)", tpl.Slug, len(tpl.Schema.Sections))
		}
		required := 0
		for _, f := range tpl.Schema.Fields() {
			if f.Required {
				required++
			}
		}
		if required == 0 {
			t.Errorf("%s: nothing is required", tpl.Slug)
		}
		if tpl.Private != (tpl.Slug == SafetyCheckSlug) || tpl.Recurring != (tpl.Slug == DailyCheckInSlug) {
			t.Errorf("%s: private=%v recurring=%v", tpl.Slug, tpl.Private, tpl.Recurring)
		}
	}
	// Copies are independent of the library.
	a[0].Schema.Sections[0].Fields[0].Label = "changed"
	a[0].Schema.Sections[0].Fields[0].Options[0] = "changed"
	if got, _ := Builtin(a[0].Slug); got.Schema.Sections[0].Fields[0].Label == "changed" || got.Schema.Sections[0].Fields[0].Options[0] == "changed" {
		t.Error("Builtins shares state with the library")
	}
	if _, ok := Builtin("nope"); ok {
		t.Error("unknown slug found")
	}
}

func TestBuiltinShapes(t *testing.T) {
	want := map[string]struct {
		cat      Category
		modes    []Mode
		audience Audience
	}{
		"apology-letter":             {CategoryApologize, []Mode{ModeIndividual}, AudienceBreacher},
		"transparency-plan":          {CategoryTransparency, []Mode{ModeJoint}, ""},
		"boundary-worksheet":         {CategoryBoundaries, []Mode{ModeJoint}, ""},
		"daily-check-in":             {CategoryDailyPractice, []Mode{ModeEach}, ""},
		"trigger-journal":            {CategoryEmotionsTriggers, []Mode{ModeIndividual}, AudienceHurt},
		"acknowledging-the-breach":   {CategoryAcknowledge, []Mode{ModeEach}, ""},
		"how-it-happened":            {CategoryAcknowledge, []Mode{ModeEach, ModeJoint}, ""},
		"old-patterns-new-responses": {CategoryDailyPractice, []Mode{ModeEach}, ""},
		"forgiveness-reflection":     {CategoryForgiveness, []Mode{ModeIndividual}, AudienceHurt},
		"shared-goals":               {CategoryReconnect, []Mode{ModeJoint}, ""},
		"reconnection-plan":          {CategoryReconnect, []Mode{ModeJoint}, ""},
		"conversation-starters":      {CategoryReconnect, []Mode{ModeEach}, ""},
		"safety-check":               {CategorySafety, []Mode{ModeIndividual}, AudienceEither},
	}
	for slug, w := range want {
		tpl, ok := Builtin(slug)
		if !ok {
			t.Errorf("missing builtin %s", slug)
			continue
		}
		modeOK := false
		for _, m := range w.modes {
			modeOK = modeOK || tpl.SuggestedMode == m
		}
		if tpl.Category != w.cat || !modeOK || tpl.Audience != w.audience {
			t.Errorf("%s: %s/%s/%q", slug, tpl.Category, tpl.SuggestedMode, tpl.Audience)
		}
		// Joint plans are signed: each has a required agreement.
		if tpl.SuggestedMode == ModeJoint && !hasField(tpl, TypeAgreement, true) {
			t.Errorf("%s: joint exercise without a required agreement", slug)
		}
	}

	dc, _ := Builtin(DailyCheckInSlug)
	trust, ok := dc.Schema.Field(TrustFieldKey)
	if !ok || trust.Type != TypeScale || *trust.Min != 1 || *trust.Max != 10 || !trust.Required {
		t.Errorf("daily check-in trust field: %+v", trust)
	}
	for _, k := range []string{"mood", "appreciation", "concern", "promise_kept"} {
		if _, ok := dc.Schema.Field(k); !ok {
			t.Errorf("daily check-in lacks %s", k)
		}
	}
	tj, _ := Builtin("trigger-journal")
	if !hasField(tj, TypeScale, true) || !hasField(tj, TypeMultiChoice, false) {
		t.Error("trigger journal needs an intensity scale and what-helped choices")
	}
	op, _ := Builtin("old-patterns-new-responses")
	if !hasField(op, TypeMultiChoice, true) || !hasField(op, TypeList, false) {
		t.Error("old patterns needs choice and list fields")
	}
	tp, _ := Builtin("transparency-plan")
	if f, ok := tp.Schema.Field("review_date"); !ok || f.Type != TypeDate {
		t.Error("transparency plan needs a review date")
	}
}

func hasField(tpl Template, ft FieldType, required bool) bool {
	for _, f := range tpl.Schema.Fields() {
		if f.Type == ft && (f.Required || !required) {
			return true
		}
	}
	return false
}

func TestBuiltinsRenderEscaped(t *testing.T) {
	for _, tpl := range Builtins() {
		ans := sampleAnswers(tpl.Schema, evil)
		if _, errs := tpl.Schema.ValidateAnswers(ans, true); errs != nil {
			t.Fatalf("%s: sample answers refused: %v", tpl.Slug, errs)
		}
		for _, v := range allViews {
			mustRender(t, tpl.Schema, RenderOptions{View: v}) // blank
			h := mustRender(t, tpl.Schema, RenderOptions{View: v, Answers: ans})
			assertSafeHTML(t, h)
			// Every text answer appears, escaped: each short text once, each long text twice, each list item once.
			n := 0
			for _, f := range tpl.Schema.Fields() {
				switch f.Type {
				case TypeShortText:
					n++
				case TypeLongText, TypeList:
					n += 2
				}
			}
			if got := strings.Count(h, "&lt;script&gt;alert(1)&lt;/script&gt;"); got < n {
				t.Errorf("%s %v: %d escaped answers, want %d", tpl.Slug, v, got, n)
			}
		}
	}
}

func TestSafetyCheckConcerning(t *testing.T) {
	sc, _ := Builtin(SafetyCheckSlug)
	f, ok := sc.Schema.Field("feel_safe")
	if !ok || f.Type != TypeSingleChoice || !f.Required || !sc.Private || sc.Category != CategorySafety {
		t.Fatalf("safety check shape: %+v", f)
	}
	fine := map[string]any{
		"feel_safe": "Yes, I feel safe", "afraid_of_partner": "No", "experiences": []string{"None of these"},
		"accountability": "They listen and take responsibility", "repeated_breach": "No",
		"doing_exercises_safe": "Yes", "anything_else": "All good", "wants_private_session": false,
	}
	if _, errs := sc.Schema.ValidateAnswers(fine, true); errs != nil {
		t.Fatalf("fine answers refused: %v", errs)
	}
	if sc.Concerning(fine) || sc.Concerning(nil) {
		t.Fatal("reassuring answers flagged")
	}
	// Every concerning answer is a real option, and flags on its own (raw or clean form).
	for key, values := range concerningAnswers {
		fld, ok := sc.Schema.Field(key)
		if !ok {
			t.Fatalf("concerning rule for missing field %s", key)
		}
		for _, v := range values {
			if _, _, ok := matchOption(fld, v); !ok {
				t.Errorf("%s: %q is not an option", key, v)
			}
			ans := map[string]any{}
			for k, x := range fine {
				ans[k] = x
			}
			if fld.Type == TypeMultiChoice {
				ans[key] = []any{v}
			} else {
				ans[key] = v
			}
			if got := sc.ConcerningFields(ans); !reflect.DeepEqual(got, []string{key}) {
				t.Errorf("%s=%q: flagged %v", key, v, got)
			}
		}
	}
	if !sc.Concerning(map[string]any{"wants_private_session": true}) {
		t.Error("request for a private session not flagged")
	}
	// Clean answers flag the same way.
	clean, _ := sc.Schema.ValidateAnswers(map[string]any{"feel_safe": " No, I don't feel safe "}, false)
	if !sc.Concerning(clean) {
		t.Error("clean answer not flagged")
	}
	// Other templates are never concerning, even with look-alike keys.
	other, _ := Builtin("daily-check-in")
	if other.Concerning(map[string]any{"feel_safe": "No, I don't feel safe"}) {
		t.Error("non-safety template flagged")
	}
}

func TestLoadBuiltinsRefusesBadFiles(t *testing.T) {
	good, _ := builtinFS.ReadFile("builtin/daily-check-in.json")
	base := func() fstest.MapFS {
		m := fstest.MapFS{}
		for _, slug := range builtinOrder {
			data, _ := builtinFS.ReadFile("builtin/" + slug + ".json")
			m["builtin/"+slug+".json"] = &fstest.MapFile{Data: data}
		}
		return m
	}
	if _, err := loadBuiltins(base()); err != nil {
		t.Fatalf("embedded library refused: %v", err)
	}
	cases := map[string]func(fstest.MapFS){
		"unlisted file": func(m fstest.MapFS) { m["builtin/extra.json"] = &fstest.MapFile{Data: good} },
		"missing file":  func(m fstest.MapFS) { delete(m, "builtin/apology-letter.json") },
		"slug mismatch": func(m fstest.MapFS) { m["builtin/apology-letter.json"] = &fstest.MapFile{Data: good} },
		"unknown field": func(m fstest.MapFS) {
			m["builtin/daily-check-in.json"] = &fstest.MapFile{Data: []byte(`{"slug":"daily-check-in","titel":"x"}`)}
		},
		"invalid content": func(m fstest.MapFS) {
			m["builtin/daily-check-in.json"] = &fstest.MapFile{Data: []byte(`{"slug":"daily-check-in","title":"x"}`)}
		},
	}
	for name, mut := range cases {
		m := base()
		mut(m)
		if _, err := loadBuiltins(m); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
