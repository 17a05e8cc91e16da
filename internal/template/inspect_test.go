package template

import (
	"slices"
	"strings"
	"testing"
	texttemplate "text/template"
	"text/template/parse"
)

// inspect reaches a field wherever text/template lets one stand, in source order, and
// skips what lies below a node its function declines.
func TestInspect(t *testing.T) {
	src := `{{.A}}{{if .B}}{{.C}}{{else if .D}}{{.E}}{{else}}{{with .F}}{{.G}}{{else}}{{.H}}{{end}}{{end}}` +
		`{{range .I}}{{.J}}{{else}}{{.K}}{{end}}{{template "x" .L}}{{(.M).N}}{{printf "%s" (upper .O) | lower}}`
	tt, err := texttemplate.New("t").Funcs(texttemplate.FuncMap{"upper": strings.ToUpper, "lower": strings.ToLower}).Parse(src + `{{define "x"}}{{end}}`)
	if err != nil {
		t.Fatal(err)
	}
	fields := func(skip func(parse.Node) bool) []string {
		var got []string
		inspect(tt.Tree.Root, func(n parse.Node) bool {
			if f, ok := n.(*parse.FieldNode); ok {
				got = append(got, f.Ident...)
			}
			return !skip(n)
		})
		return got
	}
	all := fields(func(parse.Node) bool { return false })
	if want := []string{"A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "O"}; !slices.Equal(all, want) {
		t.Errorf("visited fields %v, want %v", all, want)
	}
	noRange := fields(func(n parse.Node) bool { _, ok := n.(*parse.RangeNode); return ok })
	if want := []string{"A", "B", "C", "D", "E", "F", "G", "H", "L", "M", "O"}; !slices.Equal(noRange, want) {
		t.Errorf("declining {{range}} visited %v, want %v", noRange, want)
	}
}
