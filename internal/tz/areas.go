package tz

import (
	"slices"
	"strings"
	"sync"
)

//go:generate go run zones_gen.go

// Place is one zone in a chooser: its IANA name and the place it is
// named after ("America/Argentina/Buenos_Aires" → "Argentina / Buenos Aires").
type Place struct{ Name, Label string }

// Area groups the zones of one region for a chooser (an <optgroup>).
type Area struct {
	Name   string
	Places []Place
}

// Areas returns the zones people choose from, grouped by area in
// alphabetical order, with UTC in a group of its own at the end. It is
// built once.
var Areas = sync.OnceValue(func() []Area {
	var out []Area
	for _, n := range names {
		area, rest, _ := strings.Cut(n, "/")
		if len(out) == 0 || out[len(out)-1].Name != area {
			out = append(out, Area{Name: area})
		}
		label := strings.ReplaceAll(strings.ReplaceAll(rest, "_", " "), "/", " / ")
		out[len(out)-1].Places = append(out[len(out)-1].Places, Place{Name: n, Label: label})
	}
	return append(out, Area{Name: "Other", Places: []Place{{Name: Default, Label: "UTC (no daylight saving)"}}})
})

// Offered reports whether name is one of the zones in Areas. Valid also
// accepts older names (aliases such as "Asia/Calcutta"); a chooser shows
// such a current value on its own.
func Offered(name string) bool {
	_, found := slices.BinarySearch(names, name)
	return found || name == Default
}
