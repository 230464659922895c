package library

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/mend-clinic/mend/internal/exercise"
)

// ChangeNote describes what changed between two versions of a template, in
// words a counselor reads in the version list ("" when nothing changed).
func ChangeNote(old, new exercise.Template) string {
	var notes []string
	add := func(format string, args ...any) { notes = append(notes, fmt.Sprintf(format, args...)) }
	if old.Title != new.Title {
		add("Title changed from “%s” to “%s”.", old.Title, new.Title)
	}
	if old.Category != new.Category {
		add("Category changed from %s to %s.", labelOr(old.Category.Label(), string(old.Category)), labelOr(new.Category.Label(), string(new.Category)))
	}
	if old.SuggestedMode != new.SuggestedMode {
		add("Suggested mode changed from %s to %s.", labelOr(old.SuggestedMode.Label(), string(old.SuggestedMode)), labelOr(new.SuggestedMode.Label(), string(new.SuggestedMode)))
	}
	if old.Audience != new.Audience {
		add("Audience changed from %s to %s.", labelOr(old.Audience.Label(), "none"), labelOr(new.Audience.Label(), "none"))
	}
	if old.Description != new.Description {
		add("Description edited.")
	}
	if old.Instructions != new.Instructions {
		add("Client instructions edited.")
	}
	if old.Private != new.Private {
		add("Counselor-only answers turned %s.", onOff(new.Private))
	}
	if old.Recurring != new.Recurring {
		add("Daily recurrence turned %s.", onOff(new.Recurring))
	}
	notes = append(notes, schemaChanges(old.Schema, new.Schema)...)
	return strings.Join(notes, " ")
}

func labelOr(l, alt string) string {
	if l == "" {
		return alt
	}
	return l
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func schemaChanges(old, new exercise.Schema) []string {
	var notes []string
	add := func(format string, args ...any) { notes = append(notes, fmt.Sprintf(format, args...)) }

	// Sections, by title.
	oldSec, newSec := sectionTitles(old), sectionTitles(new)
	for _, t := range newSec {
		if !contains(oldSec, t) {
			add("Section “%s” added.", t)
		}
	}
	for _, t := range oldSec {
		if !contains(newSec, t) {
			add("Section “%s” removed.", t)
		}
	}
	common := func(a, b []string) (out []string) {
		for _, x := range a {
			if contains(b, x) {
				out = append(out, x)
			}
		}
		return out
	}
	if !reflect.DeepEqual(common(oldSec, newSec), common(newSec, oldSec)) {
		add("Sections reordered.")
	}
	for _, ns := range new.Sections {
		for _, os := range old.Sections {
			if os.Title == ns.Title && os.Intro != ns.Intro {
				add("Introduction of section “%s” edited.", ns.Title)
			}
		}
	}

	// Fields, by key.
	oldF, newF := map[string]exercise.Field{}, map[string]exercise.Field{}
	var oldKeys, newKeys []string
	for _, f := range old.Fields() {
		oldF[f.Key] = f
		oldKeys = append(oldKeys, f.Key)
	}
	for _, f := range new.Fields() {
		newF[f.Key] = f
		newKeys = append(newKeys, f.Key)
	}
	for _, k := range newKeys {
		if _, ok := oldF[k]; !ok {
			add("Field “%s” added.", fieldName(newF[k]))
		}
	}
	for _, k := range oldKeys {
		if _, ok := newF[k]; !ok {
			add("Field “%s” removed.", fieldName(oldF[k]))
		}
	}
	for _, k := range newKeys {
		of, ok := oldF[k]
		if !ok {
			continue
		}
		if what := fieldChanges(of, newF[k]); len(what) > 0 {
			add("Field “%s”: %s changed.", fieldName(newF[k]), strings.Join(what, ", "))
		}
	}
	if !reflect.DeepEqual(common(oldKeys, newKeys), common(newKeys, oldKeys)) {
		add("Fields reordered.")
	} else if len(notes) == 0 && !reflect.DeepEqual(fieldSections(old), fieldSections(new)) {
		add("Fields moved between sections.")
	}
	return notes
}

func fieldSections(s exercise.Schema) map[string]int {
	m := map[string]int{}
	for i, sec := range s.Sections {
		for _, f := range sec.Fields {
			m[f.Key] = i
		}
	}
	return m
}

func fieldChanges(a, b exercise.Field) []string {
	var what []string
	if a.Type != b.Type {
		what = append(what, "type")
	}
	if a.Label != b.Label {
		what = append(what, "label")
	}
	if a.Help != b.Help {
		what = append(what, "help text")
	}
	if a.Required != b.Required {
		what = append(what, "required")
	}
	if a.MaxLength != b.MaxLength || a.MaxItems != b.MaxItems {
		what = append(what, "limits")
	}
	if !reflect.DeepEqual(a.Options, b.Options) {
		what = append(what, "options")
	}
	if !reflect.DeepEqual(a.Min, b.Min) || !reflect.DeepEqual(a.Max, b.Max) {
		what = append(what, "scale range")
	}
	if a.MinLabel != b.MinLabel || a.MaxLabel != b.MaxLabel {
		what = append(what, "scale labels")
	}
	if a.Reverse != b.Reverse {
		what = append(what, "scale direction")
	}
	return what
}

func fieldName(f exercise.Field) string {
	l := []rune(strings.TrimSpace(f.Label))
	if len(l) > 60 {
		return string(l[:60]) + "…"
	}
	if len(l) == 0 {
		return f.Key
	}
	return string(l)
}

func sectionTitles(s exercise.Schema) []string {
	out := make([]string, 0, len(s.Sections))
	for _, sec := range s.Sections {
		out = append(out, sec.Title)
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
