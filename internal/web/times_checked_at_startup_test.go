package web

import (
	"html/template"
	"strings"
	"testing"
)

// Every page template passes the zone to the time functions: loadViews
// (start-up) refuses one that does not, naming the place.
func TestTemplatesPassTheZone(t *testing.T) {
	t.Parallel()
	if _, err := loadViews(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{`{{datetime .At}}`, `{{.At | datetime}}`, `{{date .A .B .C}}`, `{{if true}}{{day $.Loc .On}}{{end}}`,
		`{{template "x" (dict "T" (datetimez .At))}}`} {
		tpl := template.Must(template.New("t").Funcs(funcs).Parse(bad))
		if err := checkTimeCalls(tpl); err == nil || !strings.Contains(err.Error(), "arguments") {
			t.Errorf("%s: %v, want refused", bad, err)
		}
	}
	for _, good := range []string{`{{datetime $.Loc .At}}`, `{{.At | datetime $.Loc}}`, `{{day .On}}`, `{{with .X}}{{date $.Loc .}}{{end}}`} {
		tpl := template.Must(template.New("t").Funcs(funcs).Parse(good))
		if err := checkTimeCalls(tpl); err != nil {
			t.Errorf("%s: %v", good, err)
		}
	}
}
