// Package templates holds herald's built-in campaigns and the sample workbook they are
// written against, embedded in the binary so that a fresh installation can preview a
// complete campaign before the user has written anything.
//
// Each campaign is a template folder in the format described by package campaign: an
// English message.md with French (message.fr.md) and Spanish (message.es.md) variants.
// Their placeholders name only columns of the sample workbook:
//
//	Country, Authority, Salutation, Title, First name, Last name, Position, Email, Cc, Language
//
// Salutation holds the whole greeting line in the row's language ("Excellency",
// "Madame la Ministre", "Señor Ministro", "Dear Mr Van der Linden"): greetings depend on
// rank, gender and language in ways no template can derive from a title and a name, so the
// person who knows the addressee writes it once. The French templates repeat it in the
// closing formula, as French letters do. Title is the courtesy title written before the full
// name in the address block ("H.E. Ms", "S. E. M.", "Dra.").
package templates

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// FS holds the built-in template folders, one per name returned by Names, and the sample
// workbook SampleName, all at its root.
//
//go:embed save-the-date invitation sample-authorities.csv
var FS embed.FS

// SampleName is the name in FS of the sample workbook: UTF-8 CSV, header row first.
const SampleName = "sample-authorities.csv"

// Names returns the names of the built-in templates, sorted.
func Names() []string {
	// Reading the root of an embedded tree cannot fail.
	entries, _ := fs.ReadDir(FS, ".")
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names
}

// Folder returns the built-in template folder with the given name, as a tree whose root
// holds message.md and its language variants.
func Folder(name string) (fs.FS, error) {
	names := Names()
	if !slices.Contains(names, name) {
		return nil, fmt.Errorf("open built-in template %q: no such template (built-in templates: %s)", name, strings.Join(names, ", "))
	}
	return fs.Sub(FS, name)
}
