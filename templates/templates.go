// Package templates holds herald's built-in campaigns and the sample workbook they are
// written against, embedded in the binary so that a fresh installation can preview a
// complete campaign before the user has written anything.
//
// Each campaign is a template folder in the format described by package template: an
// English message.md with French (message.fr.md) and Spanish (message.es.md) variants, and
// a facts.toml with the defaults of the campaign facts ({{fact "contact"}}) the original
// save-the-date states. The built-ins state no fact that is not in the original: a reply
// deadline, a venue, a programme, a registration procedure, who signs, the address of the
// MLA Initiative's page are campaign facts for the user to set, and check lists those still
// to be set. Nor do they have a sender: the ministry's address is the --from setting.
//
// Their placeholders name only columns of the sample workbook:
//
//	Country, Authority, Salutation, Title, Full name, Position, Email, Cc, Language
//
// Salutation holds the whole greeting line in the row's language ("Dear Director of Public
// Prosecutions", "Madame la Ministre", "Señora Directora General"): greetings depend on
// rank, gender and language in ways no template can derive from a title and a name, so the
// person who knows the addressee writes it once. The French templates repeat it in the
// closing formula, as French letters do. Title is the form of address written before the
// name ("Excmo. Sr. D.", "S. E. M.", "Dra."), and Full name the name as the person writes it
// in the letter's script: family name first where that is the person's usage ("WANG
// Minghua", "MORITA Kenji"), Latin script in letters in English ("Olena Kovalenko"). The
// three together name the recipient in the To header ("Dra. Lucía Belén Ferreyra"
// <lferreyra@…>), through the function named.
//
// The sample lists national authorities and an international organisation that a
// save-the-date would go to; the six co-hosting States are not among them.
package templates

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// FS holds the built-in template folders, one per name returned by Names, and the sample
// workbook SampleName, all at its root. A folder's facts.toml is embedded with it.
//
//go:embed save-the-date invitation reminder sample-authorities.csv
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
