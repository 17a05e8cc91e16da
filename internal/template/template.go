package template

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // image sizes for the width Outlook needs
	_ "image/jpeg"
	_ "image/png"
	"io"
	"io/fs"
	"maps"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync/atomic"
	"text/template/parse"
	"time"
	"unicode/utf8"

	htmltemplate "html/template"
	texttemplate "text/template"

	"github.com/mla-initiative/herald/internal/message"
	"golang.org/x/text/language"
)

// Options are the settings that are not part of the template folder.
type Options struct {
	// From and ReplyTo, when not empty, replace the template's From and Reply-To headers.
	From, ReplyTo string
	// Facts are the campaign facts set for this run, by key: "venue" for every language,
	// "venue.fr" for one (see ParseFactKey). They take precedence over the defaults of the
	// folder's facts.toml, fact by fact.
	Facts map[string]string
	// Now gives the Date of every message and the DTSTAMP of calendar files; nil means
	// time.Now.
	Now func() time.Time
	// NewID returns the unique part of a Message-ID, which is NewID()+"@"+the sender's
	// domain; nil means 26 random characters from crypto/rand.
	NewID func() string
}

// Template is a loaded template folder. It is safe for concurrent use.
type Template struct {
	name     string
	opt      Options
	files    *fileCache
	variants []*variant // the default first, then by tag
	problems []fault    // found while loading, whatever the workbook
	order    map[string]int

	from    *message.Address // from Options.From
	replyTo []message.Address

	factValues map[string]string // Options.Facts over the folder's facts.toml
}

// variant is one language of the template: message.md or message.html and what goes with it.
type variant struct {
	tag     string // as in the file name, "" for the default
	lang    string // for the lang attribute
	file    string // message.fr.md
	txtFile string // message.fr.txt beside message.fr.html, or ""

	headers map[string]*part // every header but Attach
	attach  []*part

	from     *message.Address // the From header when it has no placeholder
	html     *htmltemplate.Template
	layout   *layout // nil for message.html, which is a whole document
	text     *texttemplate.Template
	bodies   []*part // the body and, beside message.html, message.txt: for Fields and Check
	inline   []message.File
	staticAt []string // cleaned paths of Attach headers without placeholders, in order

	event    bool
	uid      string
	sequence int    // Event-Sequence, the version of the calendar entry
	free     bool   // Event-Show-As: free
	calendar []byte // when no Event header has a placeholder and the sender is known

	textFuncs texttemplate.FuncMap
	htmlFuncs htmltemplate.FuncMap
	facts     map[string]string // the value of each fact used, or its marker
	factsHTML map[string]any    // the same for the HTML part
	unset     []unsetFact
	required  []FieldUse
	// attachUsed counts, for each Attach line with a placeholder, the rows it attached a
	// file to, so that a line that attaches nothing to anyone is found.
	attachUsed []atomic.Int64
	rendered   atomic.Int64 // messages rendered

	err error // the first error of this file: Render refuses to use it
}

// part is one template: a header value or a body.
type part struct {
	file   string
	header string // "" for a body
	line   int
	src    string                 // as written
	value  string                 // the value, when it has no action
	addrs  []message.Address      // an address header's value when it has no action, parsed
	tmpl   *texttemplate.Template // nil when it has no action, and for bodies
	fields []fieldRef
	uses   []fieldUse
	facts  []factUse
	named  *namedHeader // an address header {{.Email | named .Title .FullName}}
	broken bool
}

// namedHeader is an address header made of one column given a name by named: rendered
// directly, it costs one reading of the addresses instead of three.
type namedHeader struct {
	column string // the addresses
	name   []namedPart
}

// namedPart is a column, or a text, of the name.
type namedPart struct{ column, text string }

// namedPattern recognises {{.X | named …}} and {{named … .X}} whose name parts are columns
// and texts, nothing around the action.
func namedPattern(tt *texttemplate.Template) *namedHeader {
	root := tt.Tree.Root
	if len(root.Nodes) != 1 || len(tt.Templates()) != 1 {
		return nil
	}
	a, ok := root.Nodes[0].(*parse.ActionNode)
	if !ok || len(a.Pipe.Decl) > 0 {
		return nil
	}
	var args []parse.Node
	switch cmds := a.Pipe.Cmds; len(cmds) {
	case 1:
		args = cmds[0].Args
	case 2:
		if len(cmds[0].Args) != 1 {
			return nil
		}
		args = append(slices.Clone(cmds[1].Args), cmds[0].Args[0])
	default:
		return nil
	}
	if id, ok := args[0].(*parse.IdentifierNode); !ok || id.Ident != "named" || len(args) < 2 {
		return nil
	}
	field := func(n parse.Node) (string, bool) {
		if f, ok := n.(*parse.FieldNode); ok && len(f.Ident) == 1 {
			return f.Ident[0], true
		}
		return "", false
	}
	h := &namedHeader{}
	var ok2 bool
	if h.column, ok2 = field(args[len(args)-1]); !ok2 {
		return nil
	}
	for _, n := range args[1 : len(args)-1] {
		if c, ok := field(n); ok {
			h.name = append(h.name, namedPart{column: c})
		} else if s, ok := n.(*parse.StringNode); ok {
			h.name = append(h.name, namedPart{text: s.Text})
		} else {
			return nil
		}
	}
	return h
}

type fieldRef struct {
	name string
	line int
}

// funcs are the functions templates may call besides Go's built-ins. fact stands here for
// parsing only: each variant executes its own, which knows the variant's language.
var funcs = map[string]any{
	"default": func(def, value string) string {
		if strings.TrimSpace(value) == "" {
			return def
		}
		return value
	},
	"upper": strings.ToUpper,
	"lower": strings.ToLower,
	"trim":  strings.TrimSpace,
	"fact":  func(name string) string { return "" },
	"named": named,
}

// variantFuncs are the functions of one variant's templates: funcs, with the facts of its
// language.
func (v *variant) makeFuncs() {
	v.textFuncs = texttemplate.FuncMap{}
	for k, f := range funcs {
		v.textFuncs[k] = f
	}
	v.textFuncs["fact"] = func(name string) string { return v.facts[name] }
	v.htmlFuncs = htmltemplate.FuncMap(maps.Clone(v.textFuncs))
	v.htmlFuncs["factHTML"] = func(name string) any { return v.factsHTML[name] }
}

// named gives the person's name to the first address of a list that has none of its own:
// {{.Email | named .Title .FullName}} makes "lferreyra@cancilleria.example" into
// "Dra. Lucía Belén Ferreyra <lferreyra@cancilleria.example>". The name is the arguments
// but the last, empty ones left out; the last is the list. An address that has a name in
// its cell keeps it, and the other addresses of the cell (an office's, a colleague's) are
// left without a name, since the person's name is not theirs. A list that cannot be read
// is returned as it is, for the To header to report.
func named(args ...string) string {
	if len(args) == 0 {
		return ""
	}
	list, _, err := message.ParseList(args[len(args)-1])
	if err != nil || len(list) == 0 {
		return args[len(args)-1]
	}
	name := collapseSpaces(strings.Join(args[:len(args)-1], " "))
	if name != "" && !message.ContainsControl(name) && list[0].Name == "" {
		list[0].Name = name
	}
	parts := make([]string, len(list))
	for i, a := range list {
		parts[i] = a.String()
	}
	return strings.Join(parts, ", ")
}

// Load reads the template folder fsys. name is how messages refer to the folder
// ("templates/invitation", or the path the user gave, made absolute by the caller if
// messages should show absolute paths). For a folder on disk, pass os.Root's FS, which also
// refuses symbolic links leading out of it.
//
// Load fails only when the folder cannot be read or holds no message.md or message.html.
// Every other fault is a Problem, all reported together by Check; Render refuses a variant
// that has one.
func Load(fsys fs.FS, name string, opt Options) (*Template, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.NewID == nil {
		opt.NewID = rand.Text
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("reading template folder %s: %w", name, err)
	}
	t := &Template{name: name, opt: opt, files: &fileCache{fsys: fsys, dir: name}, order: map[string]int{"": 0}}

	type files struct{ md, html, txt string }
	byTag := make(map[string]*files)
	var tags []string
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		tag, ext, ok := messageFileName(e.Name())
		if !ok {
			continue
		}
		if tag != "" && !isLanguageTag(tag) {
			t.problems = append(t.problems, fault{
				File: e.Name(), Warning: true,
				Message: fmt.Sprintf("file ignored: %q is not a language code", tag),
				Hint:    "language variants are named with a two-letter code: message.fr.md, message.es.md, message.fr-BE.md",
			})
			continue
		}
		key := strings.ToLower(tag)
		f := byTag[key]
		if f == nil {
			f = &files{}
			byTag[key] = f
			tags = append(tags, key)
		}
		switch ext {
		case "md":
			f.md = e.Name()
		case "html", "htm":
			f.html = e.Name()
		case "txt":
			f.txt = e.Name()
		}
	}
	def := byTag[""]
	if def == nil || def.md == "" && def.html == "" {
		return nil, fmt.Errorf("template folder %s has no message.md (or message.html); it is the message sent to every row without a language of its own", name)
	}
	slices.Sort(tags) // "" first

	t.loadSettings()
	t.factValues = MergeFacts(opt.Facts, t.loadFactsFile())
	t.checkFactValues()
	var first *variant
	for _, key := range tags {
		f := byTag[key]
		main, txt := f.md, ""
		switch {
		case f.md != "" && f.html != "":
			// Guessing which one is meant could send an old draft.
			t.problems = append(t.problems, fault{
				File:    f.md,
				Message: fmt.Sprintf("both %s and %s exist; a language has either a .md or a .html file", f.md, f.html),
				Hint:    "remove or rename the one that should not be sent",
			})
		case f.html != "":
			main, txt = f.html, f.txt
		}
		if main == "" {
			t.problems = append(t.problems, fault{
				File: f.txt, Warning: true,
				Message: "file ignored: a .txt file is only used beside a .html file of the same language",
			})
			continue
		}
		if f.txt != "" && txt == "" {
			t.problems = append(t.problems, fault{
				File: f.txt, Warning: true,
				Message: fmt.Sprintf("file ignored: the text part of %s is made from its Markdown", main),
			})
		}
		t.order[main] = len(t.order)
		if txt != "" {
			t.order[txt] = len(t.order)
		}
		v, err := t.loadVariant(main, txt, first)
		if err != nil {
			return nil, err
		}
		if first == nil {
			first = v
		}
		t.variants = append(t.variants, v)
	}
	t.checkConsistency()
	t.reportUnset()
	t.checkFactLanguages()
	for _, v := range t.variants {
		for _, p := range t.problems {
			// A value still to be set shows as a marker: the variant can be previewed.
			if errors.Is(p.Err, ErrUnset) {
				continue
			}
			if !p.Warning && (p.File == v.file || p.File == "" || p.File == FactsFile || p.File == v.txtFile && v.txtFile != "") {
				v.err = errors.New(p.String())
				break
			}
		}
	}
	sortProblems(t.problems, t.order)
	return t, nil
}

// isLanguageTag reports whether tag is a language code with a two-letter language, such as
// fr or fr-BE. Three-letter codes exist but are refused: they would make backups such as
// message.old.md or message.new.md (Newari) into variants.
func isLanguageTag(tag string) bool {
	if len(tag) < 2 || !isLetter(tag[0]) || !isLetter(tag[1]) || len(tag) > 2 && tag[2] != '-' {
		return false
	}
	_, err := language.Parse(tag)
	return err == nil
}

// messageFileName splits "message.fr-BE.md" into "fr-BE" and "md".
func messageFileName(name string) (tag, ext string, ok bool) {
	lower := strings.ToLower(name)
	if !strings.HasPrefix(lower, "message.") {
		return "", "", false
	}
	rest := name[len("message."):]
	dot := strings.LastIndexByte(rest, '.')
	if dot < 0 {
		ext, rest = strings.ToLower(rest), ""
	} else {
		ext, rest = strings.ToLower(rest[dot+1:]), rest[:dot]
	}
	switch ext {
	case "md", "html", "htm", "txt":
		return rest, ext, !strings.Contains(rest, ".")
	}
	return "", "", false
}

// loadSettings parses the From and Reply-To settings.
func (t *Template) loadSettings() {
	if s := strings.TrimSpace(t.opt.From); s != "" {
		a, notices, err := message.ParseAddress(s)
		if err != nil {
			t.problems = append(t.problems, fault{Message: "From setting: " + err.Error(), Hint: "give it as Name <name@domain>, or leave it out to use the template's From"})
		} else {
			t.from = &a
		}
		t.addNotices("", 0, "From setting", notices)
	}
	if s := strings.TrimSpace(t.opt.ReplyTo); s != "" {
		list, notices, err := message.ParseList(s)
		if err != nil {
			t.problems = append(t.problems, fault{Message: "Reply-To setting: " + err.Error()})
		}
		t.replyTo = list
		t.addNotices("", 0, "Reply-To setting", notices)
	}
}

func (t *Template) addNotices(file string, line int, what string, notices []message.Notice) {
	for _, n := range notices {
		t.problems = append(t.problems, fault{File: file, Line: line, Warning: true, Message: what + ": " + string(n)})
	}
}

func (t *Template) problem(file string, line int, format string, args ...any) *fault {
	t.problems = append(t.problems, fault{File: file, Line: line, Message: fmt.Sprintf(format, args...)})
	return &t.problems[len(t.problems)-1]
}

// checkUTF8 reports a file saved in another encoding than UTF-8, as Windows editors may
// do (Windows-1252), which would turn every accented letter into garbage.
func (t *Template) checkUTF8(file string, src []byte) {
	if utf8.Valid(src) {
		return
	}
	line := 1
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		if r == '\n' {
			line++
		}
		i += size
	}
	t.problem(file, line, "the file is not in UTF-8: accented letters would show as garbage").Hint =
		"open it in a text editor and save it with the encoding UTF-8"
}

// loadVariant reads one language's message file (and text file, beside a .html). first is
// the default variant, nil while loading it.
func (t *Template) loadVariant(main, txt string, first *variant) (*variant, error) {
	src, err := readSource(t.files.fsys, main)
	if err != nil {
		return nil, fmt.Errorf("reading %s in %s: %w", main, t.name, err)
	}
	tag, ext, _ := messageFileName(main)
	v := &variant{tag: tag, file: main, txtFile: txt, headers: make(map[string]*part)}
	if tag != "" {
		v.lang = language.Make(tag).String()
	}
	v.makeFuncs()

	t.checkUTF8(main, src)
	pf := parseFile(main, string(src))
	t.problems = append(t.problems, pf.problems...)
	for _, h := range pf.headers {
		p := t.newPart(v, main, h.line, h.name, h.value)
		if h.name == "Attach" {
			v.attach = append(v.attach, p)
		} else {
			v.headers[h.name] = p
		}
	}
	body := &part{file: main, line: pf.bodyLine}
	t.parseCheck(body, pf.body)
	v.bodies = append(v.bodies, body)
	if strings.TrimSpace(pf.body) == "" {
		t.problems = append(t.problems, fault{File: main, Line: pf.bodyLine, Warning: true, Message: "the message has no text"})
	}
	var textBody *part
	var textSrc0 string
	if txt != "" {
		tsrc, err := readSource(t.files.fsys, txt)
		if err != nil {
			return nil, fmt.Errorf("reading %s in %s: %w", txt, t.name, err)
		}
		t.checkUTF8(txt, tsrc)
		textSrc0 = normalizeSource(string(tsrc))
		textBody = &part{file: txt, line: 1}
		t.parseCheck(textBody, textSrc0)
		v.bodies = append(v.bodies, textBody)
	}

	// The facts a file uses are known once all of it is parsed, and their values once its
	// language is: only then can the headers made of facts alone be worked out, once for
	// every row.
	t.checkLanguage(v)
	t.resolveFacts(v)
	t.foldHeaders(v)
	v.findRequired()
	v.attachUsed = make([]atomic.Int64, len(v.attach))
	t.checkHeaders(v, first)
	if textBody != nil && !textBody.broken {
		v.text = t.parseText(v, txt, textSrc0)
	}
	if body.broken {
		return v, nil
	}

	tokenized, ts := tokenize(pf.body)
	images := t.imageFunc(v, pf.body, pf.bodyLine, ext == "md")
	var htmlSrc, textSrc string
	if ext == "md" {
		rtl := rtlLanguages[primary(v.htmlLang())]
		l := newLayout(v.htmlLang(), rtl)
		v.layout = &l
		out, err := convertMarkdown(newMarkdown(), tokenized)
		if err != nil {
			t.problem(main, pf.bodyLine, "converting the Markdown: %v", err)
			return v, nil
		}
		out = hoistParagraphs(out, ts)
		for _, b := range misnested(out, ts) {
			t.problems = append(t.problems, fault{
				File: main, Line: pf.bodyLine + ts.lines[b[1]], Warning: true,
				Message: fmt.Sprintf("%s is not in the same paragraph, list or table as the %s on line %d; the HTML of some messages will be malformed",
					ts.actions[b[1]], ts.actions[b[0]], pf.bodyLine+ts.lines[b[0]]),
				Hint: "put {{if …}}, {{else}} and {{end}} each on a line of its own, with an empty line before and after, to choose between whole paragraphs",
			})
		}
		textSrc = htmlToText(out, ts)
		htmlSrc = rewriteTags(out, ts, tagStyles(rtl), images)
	} else {
		htmlSrc = rewriteTags(tokenized, ts, nil, images)
		textSrc = htmlToText(htmlSrc, ts)
	}

	// The facts are known: those printed as text are put in once, here.
	htmlSrc = inlineTextFacts(htmlSrc, ts, v.facts, v.htmlFuncs)
	textSrc = inlinePlainFacts(textSrc, ts, v.facts)
	h, err := htmltemplate.New(main).Funcs(v.htmlFuncs).Option("missingkey=error").Parse(ts.restore(htmlSrc))
	if err == nil {
		for _, tmpl := range h.Templates() {
			if tmpl.Tree != nil {
				markHTMLFacts(tmpl.Tree.Root, v.facts)
				inlineFacts(tmpl.Tree.Root, v.facts)
			}
		}
		// html/template works out its escaping on the first execution; do it now so that an
		// action it cannot escape is found before any message is rendered.
		var escErr *htmltemplate.Error
		if err2 := h.Execute(io.Discard, nil); errors.As(err2, &escErr) {
			err = err2
		}
	}
	if err != nil {
		t.problems = append(t.problems, fault{
			File: main, Line: pf.bodyLine,
			Message: "the HTML made from this file cannot be a template: " + trimTemplateError(err.Error()),
			Hint:    "an action such as {{if}} must open and close in the same place of the HTML, e.g. not inside a link on one side and outside it on the other",
		})
		return v, nil
	}
	v.html = h
	if v.text == nil {
		v.text = t.parseText(v, main, ts.restore(textSrc))
	}
	return v, nil
}

func (v *variant) htmlLang() string { return v.lang }

func primary(tag string) string {
	if i := strings.IndexByte(tag, '-'); i >= 0 {
		return strings.ToLower(tag[:i])
	}
	return strings.ToLower(tag)
}

// parseText parses an executable text template. Its source has been checked already. The
// variant's facts are known: they are put in as text.
func (t *Template) parseText(v *variant, name, src string) *texttemplate.Template {
	tt, err := texttemplate.New(name).Funcs(v.textFuncs).Option("missingkey=error").Parse(src)
	if err != nil {
		t.problem(name, 0, "the text part cannot be a template: %s", trimTemplateError(err.Error()))
		return nil
	}
	for _, tmpl := range tt.Templates() {
		if tmpl.Tree != nil {
			inlineFacts(tmpl.Tree.Root, v.facts)
		}
	}
	return tt
}

// newPart makes a header's template.
func (t *Template) newPart(v *variant, file string, line int, header, src string) *part {
	p := &part{file: file, header: header, line: line, src: src}
	if !strings.Contains(src, "{{") {
		p.value = src
		return p
	}
	t.parseCheck(p, src)
	if p.broken {
		return p
	}
	tt, err := texttemplate.New(file).Funcs(v.textFuncs).Option("missingkey=error").Parse(src)
	if err != nil { // parseCheck parsed the same text
		p.broken = true
		return p
	}
	p.tmpl = tt
	if isAddressHeader(header) && header != "From" {
		p.named = namedPattern(tt)
	}
	return p
}

// parseCheck parses src as it stands in the file, with as many line breaks before it as
// there are lines above it, so that every position text/template reports is a line of the
// file, and collects the columns it uses.
func (t *Template) parseCheck(p *part, src string) {
	if !strings.Contains(src, "{{") {
		return
	}
	pre := strings.Repeat("\n", max(0, p.line-1))
	tt, err := texttemplate.New(p.file).Funcs(funcs).Parse(pre + src)
	if err != nil {
		p.broken = true
		line, msg := splitTemplateError(err.Error(), p.file)
		where := ""
		if p.header != "" {
			where = p.header + ": "
			line = p.line
		}
		t.problems = append(t.problems, fault{File: p.file, Line: line, Message: where + msg, Hint: templateHint(msg)})
		return
	}
	for _, bad := range checkCalls(tt) {
		p.broken = true
		where, line := "", bad.line
		if p.header != "" {
			where, line = p.header+": ", p.line
		}
		hint := bad.hint
		if hint == "" {
			hint = callHint
		}
		t.problems = append(t.problems, fault{File: p.file, Line: line, Message: where + bad.message, Hint: hint})
	}
	p.fields = collectFields(tt)
	uses := collectUses(tt)
	p.uses, p.facts = uses.fields, uses.facts
	for _, bad := range uses.badFacts {
		p.broken = true
		where, line := "", bad.line
		if p.header != "" {
			where, line = p.header+": ", p.line
		}
		t.problems = append(t.problems, fault{File: p.file, Line: line, Message: where + bad.message})
	}
	if p.header != "" {
		// A header is one line: the uses are on it, whatever the parse tree says.
		for i := range p.uses {
			p.uses[i].line = p.line
		}
		for i := range p.facts {
			p.facts[i].line = p.line
		}
	}
}

const callHint = "and, or, eq and index take their arguments after the name, as in {{if and .Title .LastName}}; not and len take one; see the list of functions in the template manual (herald check shows the columns)"

func templateHint(msg string) string {
	switch {
	case strings.Contains(msg, "function") && strings.Contains(msg, "not defined"):
		return "the functions are default, upper, lower, trim, fact and named, and Go's built-ins (eq, ne, if, and, or, not, printf …); a column is written with a dot: {{.Country}}"
	case strings.Contains(msg, "unexpected EOF"), strings.Contains(msg, "missing end"):
		return "every {{if …}}, {{range …}} and {{with …}} needs its {{end}}"
	case strings.Contains(msg, "bad character"):
		return "a column name has no spaces or punctuation: \"First name\" is written {{.FirstName}}"
	}
	return ""
}

// splitTemplateError turns "template: message.md:12: unexpected …" into 12 and the rest.
func splitTemplateError(s, file string) (int, string) {
	s = strings.TrimPrefix(s, "template: ")
	if rest, ok := strings.CutPrefix(s, file+":"); ok {
		n := 0
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			n = n*10 + int(rest[i]-'0')
			i++
		}
		if i > 0 {
			rest = rest[i:]
			// skip a column number
			if len(rest) > 1 && rest[0] == ':' && rest[1] >= '0' && rest[1] <= '9' {
				rest = strings.TrimLeft(rest[1:], "0123456789")
			}
			return n, strings.TrimSpace(strings.TrimPrefix(rest, ":"))
		}
	}
	return 0, s
}

// trimTemplateError removes text/template's "template: name:line:col:" prefix, whose
// positions refer to generated text and would mislead.
func trimTemplateError(s string) string {
	s = strings.TrimPrefix(s, "template: ")
	s = strings.TrimPrefix(s, "html/template:")
	if i := strings.Index(s, ": "); i >= 0 && strings.Count(s[:i], ":") >= 1 {
		s = s[i+2:]
	}
	// html/template's description of the contexts is for its own developers.
	if i := strings.Index(s, ": {state"); i >= 0 {
		s = s[:i]
	}
	return s
}

// checkLanguage works out the language of the variant: its file name's, else its Language
// header, else English.
func (t *Template) checkLanguage(v *variant) {
	if p := v.headers["Language"]; p != nil {
		lang := strings.TrimSpace(p.value)
		tag, err := language.Parse(lang)
		switch {
		case p.tmpl != nil || p.broken:
			t.problem(v.file, p.line, "Language cannot have a placeholder: it says which language this file is written in")
		case err != nil:
			t.problem(v.file, p.line, "Language %q is not a language code", lang).Hint = "write a code such as en, fr, es"
		case v.tag == "":
			v.lang = tag.String()
		case primary(tag.String()) != primary(v.tag):
			t.problems = append(t.problems, fault{File: v.file, Line: p.line, Warning: true,
				Message: fmt.Sprintf("Language %q ignored: the file name says %q", lang, v.tag)})
		}
	}
	if v.tag == "" && v.lang == "" {
		v.lang = "en"
	}
}

// foldHeaders works out, once, the headers that read nothing of the row (text and facts):
// they are then values, like headers without a placeholder. An address header that prints a
// fact still to be set gets an address that stands for it.
func (t *Template) foldHeaders(v *variant) {
	for _, p := range v.parts() {
		if p.tmpl == nil || p.header == "" {
			continue
		}
		if readsData(p.tmpl) {
			for _, tmpl := range p.tmpl.Templates() {
				if tmpl.Tree != nil {
					inlineFacts(tmpl.Tree.Root, v.facts)
				}
			}
			continue
		}
		if isAddressHeader(p.header) {
			for _, u := range p.facts {
				if _, ok := v.facts[u.name]; ok && u.required && v.facts[u.name] == marker(u.name) {
					p.tmpl, p.value = nil, ""
					p.addrs = []message.Address{placeholderAddress(u.name)}
					break
				}
			}
			if p.addrs != nil {
				continue
			}
		}
		var b strings.Builder
		if err := p.tmpl.Execute(&b, nil); err != nil {
			t.problem(p.file, p.line, "%s: %s", p.header, execError(err))
			p.broken = true
			continue
		}
		p.tmpl, p.value = nil, b.String()
	}
}

func isAddressHeader(name string) bool {
	switch name {
	case "From", "Reply-To", "To", "Cc", "Bcc":
		return true
	}
	return false
}

// FieldUse is a place where a variant prints a column as it is, so that an empty cell would
// leave a gap in the message.
type FieldUse struct {
	Column string // the column's identifier, such as Salutation
	File   string // message.fr.md
	Line   int
}

// findRequired lists the columns the variant prints as they are, the first use of each
// (see uses.go). Cc, Bcc and Attach are left out: empty, they mean no copy and no file.
func (v *variant) findRequired() {
	seen := map[string]bool{}
	for _, p := range v.parts() {
		switch p.header {
		case "Cc", "Bcc", "Attach":
			continue
		}
		for _, u := range p.uses {
			if u.required && !seen[u.name] {
				seen[u.name] = true
				v.required = append(v.required, FieldUse{Column: u.name, File: p.file, Line: u.line})
			}
		}
	}
}

// checkHeaders finds what is wrong with a variant's headers without a workbook.
func (t *Template) checkHeaders(v *variant, first *variant) {
	subj := v.headers["Subject"]
	switch {
	case subj == nil:
		t.problems = append(t.problems, fault{
			File: v.file, Line: 1, Message: "no Subject header",
			Hint: "start the file with a line such as \"Subject: Save the date\", then an empty line, then the text",
		})
	case subj.tmpl == nil && !subj.broken && strings.TrimSpace(subj.value) == "":
		t.problem(v.file, subj.line, "Subject is empty")
	}
	for _, name := range []string{"Subject", "Event", "Event-Location", "Event-Description", "Event-Start", "Event-End", "Language"} {
		if p := v.headers[name]; p != nil && p.tmpl == nil && message.ContainsControl(p.value) {
			t.problem(v.file, p.line, "%s contains a control character", name)
		}
	}

	if p := v.headers["From"]; p != nil && p.tmpl == nil && !p.broken && t.opt.From == "" {
		if p.addrs != nil {
			v.from = &p.addrs[0] // a fact still to be set
		} else {
			a, notices, err := message.ParseAddress(p.value)
			if err != nil {
				t.problem(v.file, p.line, "From: %v", err)
			} else {
				v.from = &a
			}
			t.addNotices(v.file, p.line, "From", notices)
		}
	}
	if v.headers["From"] == nil && strings.TrimSpace(t.opt.From) == "" {
		// The built-in templates have no sender: the ministry's is for the user to give.
		// Until then the messages show a placeholder, which send refuses.
		a := placeholderAddress("sender")
		v.from = &a
		t.problems = append(t.problems, fault{
			File: v.file, Line: 1, Message: "no sender: no From header and no From setting", Err: &UnsetError{Setting: "--from"},
			Hint: "give the sender: --from \"Name <address>\", or from = \"Name <address>\" in herald.toml (or the variable HERALD_FROM); a template may also have its own From line",
		})
	}
	for _, name := range []string{"Reply-To", "To", "Cc", "Bcc"} {
		p := v.headers[name]
		if p == nil || p.tmpl != nil || p.broken || p.addrs != nil || name == "Reply-To" && t.opt.ReplyTo != "" {
			continue
		}
		list, notices, err := message.ParseList(p.value)
		if err != nil {
			t.problem(v.file, p.line, "%s: %v", name, err)
		}
		p.addrs = list
		if p.addrs == nil {
			p.addrs = []message.Address{}
		}
		if name == "To" && err == nil && strings.TrimSpace(p.value) == "" {
			t.problem(v.file, p.line, "To is empty").Hint = "remove the line to send to each row's Email column"
		}
		t.addNotices(v.file, p.line, name, notices)
	}

	var total int64
	for _, p := range v.attach {
		if p.tmpl == nil && !p.broken && strings.TrimSpace(p.value) == "" {
			// Every message would go without the file, and nothing would say so.
			t.problem(v.file, p.line, "Attach names no file").Hint =
				"write the file's path after Attach:, as in \"Attach: programme.pdf\", or remove the line"
			continue
		}
		if p.tmpl != nil || p.broken {
			continue
		}
		c, err := cleanPath(p.value)
		if err != nil {
			t.problem(v.file, p.line, "Attach: %v", err)
			continue
		}
		info, err := t.files.stat(c)
		if err != nil {
			t.problem(v.file, p.line, "Attach: %v", err)
			continue
		}
		total += info.Size()
		v.staticAt = append(v.staticAt, c)
	}
	// Base64 makes attachments a third larger; 10 MB is a common limit of ministries' servers.
	if total*4/3 > 10<<20 {
		t.problems = append(t.problems, fault{File: v.file, Warning: true,
			Message: fmt.Sprintf("the attachments add up to %.1f MB, over 13 MB once encoded; many mail servers refuse messages over 10 MB", float64(total)/(1<<20)),
			Hint:    "send large documents as a link instead"})
	}

	t.checkEvent(v, first)
}

// checkEvent validates the Event headers and, when none has a placeholder and the sender is
// known, writes the calendar file once for every message of this language.
func (t *Template) checkEvent(v *variant, first *variant) {
	ev, start := v.headers["Event"], v.headers["Event-Start"]
	var others []string
	for _, n := range []string{"Event-ID", "Event-Start", "Event-End", "Event-Location", "Event-Description", "Event-Sequence", "Event-Show-As"} {
		if v.headers[n] != nil {
			others = append(others, n)
		}
	}
	switch {
	case ev == nil && len(others) > 0:
		t.problem(v.file, v.headers[others[0]].line, "%s without an Event header", others[0]).Hint =
			"add \"Event: <title of the calendar entry>\" or remove the Event-… lines"
		return
	case ev == nil:
		return
	case start == nil:
		t.problem(v.file, ev.line, "Event without an Event-Start header").Hint = "add a line such as \"Event-Start: 2024-02-14\""
		return
	}
	v.event = true
	static := true
	// The entry's identity is the default file's: every language updates the same entry.
	basis := v
	if first != nil && first.headers["Event"] != nil && first.headers["Event-Start"] != nil {
		basis = first
	}
	if p := v.headers["Event-ID"]; p != nil && (p.tmpl != nil || p.broken || strings.TrimSpace(p.value) == "") {
		t.problem(v.file, p.line, "Event-ID must be a fixed text, without a placeholder").Hint = eventIDHint
		static = false
	}
	switch id := basis.headers["Event-ID"]; {
	case id != nil:
		v.uid = eventIDUID(rawValue(id))
		if own := v.headers["Event-ID"]; v != basis && (own == nil || strings.TrimSpace(own.src) != strings.TrimSpace(id.src)) {
			t.problems = append(t.problems, fault{File: v.file, Warning: true,
				Message: fmt.Sprintf("the Event-ID of %s is used for this language too, so that every language updates the same calendar entry", basis.file),
				Hint:    "give every language the same Event-ID line"})
		}
	default:
		v.uid = eventUID(rawValue(basis.headers["Event"]), rawValue(basis.headers["Event-Start"]))
		if v == basis {
			t.problems = append(t.problems, fault{File: v.file, Line: ev.line, Warning: true,
				Message: "no Event-ID: the calendar entry is known by its title and start, so a later message with a title changed by one word would add a second entry",
				Hint:    eventIDHint})
		}
	}

	if p := v.headers["Event-Sequence"]; p != nil {
		// A version that changed from row to row would make calendars keep whichever
		// message came last with the highest number, not the latest one.
		if p.tmpl != nil || p.broken {
			t.problem(v.file, p.line, "Event-Sequence cannot have a placeholder: it is the version of the calendar entry").Hint = sequenceHint
			static = false
		} else if n, err := parseSequence(p.value); err != nil {
			t.problem(v.file, p.line, "%v", err).Hint = sequenceHint
			static = false
		} else {
			v.sequence = n
		}
	}
	if p := v.headers["Event-Show-As"]; p != nil {
		switch strings.ToLower(strings.TrimSpace(p.value)) {
		case "free":
			v.free = true
		case "busy":
		default:
			t.problem(v.file, p.line, "Event-Show-As %q: write free or busy", strings.TrimSpace(p.src)).Hint =
				"free for a save-the-date, which should not block the recipient's calendar; busy (the default) for the invitation"
			static = false
		}
	}
	for _, n := range []string{"Event", "Event-Start", "Event-End", "Event-Location", "Event-Description"} {
		if p := v.headers[n]; p != nil && (p.tmpl != nil || p.broken) {
			static = false
		}
	}
	for _, n := range []string{"Event-Start", "Event-End"} {
		if p := v.headers[n]; p != nil && p.tmpl == nil && !p.broken {
			if _, err := parseEventTime(p.value); err != nil {
				t.problem(v.file, p.line, "%s: %v", n, err)
				static = false
			}
		}
	}
	if !static {
		return
	}
	f := v.eventFields()
	if end, day, err := f.lastMoment(); err == nil && end.Before(t.opt.Now()) {
		t.problems = append(t.problems, fault{File: v.file, Line: ev.line, Warning: true,
			Message: fmt.Sprintf("the event ended on %s: the calendar entry would be in the past", day),
			Hint:    "check Event-Start and Event-End, or whether this is the template meant"})
	}
	from := t.from
	if from == nil {
		from = v.from
	}
	if from == nil {
		return // a From with a placeholder: the organizer is known row by row
	}
	cal, err := buildCalendar(f, v.uid, t.opt.Now(), *from)
	if err != nil {
		t.problem(v.file, ev.line, "%v", err)
		return
	}
	v.calendar = cal
}

const eventIDHint = "add a line such as \"Event-ID: signing-conference-2024\", the same in every language and in every template about this event (the save-the-date and the invitation): it is the calendar entry's identity, which a later message updates"

const sequenceHint = "write a whole number such as \"Event-Sequence: 1\": 0 for the first message about the event, one more for each later message that revises it, so calendars replace the entry"

func rawValue(p *part) string {
	if p == nil {
		return ""
	}
	return p.src
}

// checkConsistency warns when a language variant differs from the default in what it sends,
// which is rarely meant: French rows without the calendar file, Spanish rows without the
// letter.
func (t *Template) checkConsistency() {
	if len(t.variants) < 2 {
		return
	}
	def := t.variants[0]
	for _, v := range t.variants[1:] {
		if v.event != def.event {
			has, hasNot := def, v
			if v.event {
				has, hasNot = v, def
			}
			t.problems = append(t.problems, fault{File: v.file, Warning: true,
				Message: fmt.Sprintf("%s has an Event and %s has none: only some rows get the calendar file", has.file, hasNot.file)})
		}
		if v.event && def.event && v.sequence != def.sequence {
			t.problems = append(t.problems, fault{File: v.file, Warning: true,
				Message: fmt.Sprintf("%s has Event-Sequence %d and %s has %d: calendars of some rows will not take the update", v.file, v.sequence, def.file, def.sequence)})
		}
		if len(v.attach) != len(def.attach) {
			t.problems = append(t.problems, fault{File: v.file, Warning: true,
				Message: fmt.Sprintf("%s has %d Attach lines and %s has %d", v.file, len(v.attach), def.file, len(def.attach))})
		}
	}
}

// imageFunc embeds the images of a variant's body that are files of the folder. It records
// a problem for an image that should be in the folder and is not.
func (t *Template) imageFunc(v *variant, body string, bodyLine int, sized bool) imageFunc {
	lineOf := func(src string) int {
		if i := strings.Index(body, src); i >= 0 {
			return bodyLine + strings.Count(body[:i], "\n")
		}
		return bodyLine
	}
	return func(src string) (string, int, bool) {
		if hasScheme(src) {
			if s := strings.ToLower(src); strings.HasPrefix(s, "http:") || strings.HasPrefix(s, "https:") {
				t.problems = append(t.problems, fault{File: v.file, Line: lineOf(src), Warning: true,
					Message: fmt.Sprintf("image %q is on the web: most mail programs will not show it until the reader allows it", src),
					Hint:    "put the image file in the template folder and refer to it by its name, so it is sent with the message"})
			}
			return "", 0, false
		}
		name := src
		if u, err := url.PathUnescape(src); err == nil {
			name = u
		}
		p, err := cleanPath(name)
		if err == nil {
			var data []byte
			if data, err = t.files.read(p); err == nil {
				return "cid:" + v.addInline(p, data), imageWidth(data, sized), true
			}
		}
		t.problem(v.file, lineOf(src), "image: %v", err)
		return "", 0, false
	}
}

func (v *variant) addInline(p string, data []byte) string {
	sum := sha256.Sum256(data)
	cid := hex.EncodeToString(sum[:12]) + "@herald"
	for _, f := range v.inline {
		if f.ContentID == cid {
			return cid
		}
	}
	v.inline = append(v.inline, message.File{Name: path.Base(p), ContentType: contentType(p), ContentID: cid, Data: data})
	return cid
}

// imageWidth is the width at which to show an image in the Markdown layout: its own, but no
// wider than the column.
func imageWidth(data []byte, sized bool) int {
	if !sized {
		return 0
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width <= 0 {
		return 0
	}
	return min(cfg.Width, contentWidth)
}

// hasScheme reports whether src starts with a URL scheme (https:, cid:, data:). A single
// letter is a Windows drive, not a scheme.
func hasScheme(src string) bool {
	i := strings.IndexByte(src, ':')
	if i < 2 {
		return false
	}
	for j := 0; j < i; j++ {
		c := src[j]
		if !isLetter(c) && (j == 0 || !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') {
			return false
		}
	}
	return true
}

// Name returns the name the template was loaded with.
func (t *Template) Name() string { return t.name }

// Languages returns the language of every variant, "" standing for message.md, which comes
// first; the others are sorted.
func (t *Template) Languages() []string {
	langs := make([]string, len(t.variants))
	for i, v := range t.variants {
		langs[i] = v.tag
	}
	return langs
}

// Fields returns, sorted, every column a placeholder names in any file, header or body.
// Without a To header (or Cc, Bcc) the message also reads the Email (Cc, Bcc) column, which
// Fields does not list.
func (t *Template) Fields() []string {
	var names []string
	for _, v := range t.variants {
		for _, p := range v.parts() {
			for _, f := range p.fields {
				names = append(names, f.name)
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// parts returns every template of the variant in file order.
func (v *variant) parts() []*part {
	var ps []*part
	for _, p := range v.headers {
		ps = append(ps, p)
	}
	ps = append(ps, v.attach...)
	slices.SortFunc(ps, func(a, b *part) int { return a.line - b.line })
	return append(ps, v.bodies...)
}

// Variant says which variant serves rows whose Language cell is lang: "" for message.md or
// the tag of a message.<tag>.md. fellBack is true when lang names a language that has no
// variant, which deserves a warning: message.md is used, in another language. A cell in the
// language of message.md itself (its Language header, English if it has none) is no fallback.
func (t *Template) Variant(lang string) (chosen string, fellBack bool) {
	v, fell := t.pick(lang)
	return v.tag, fell
}

func (t *Template) pick(lang string) (*variant, bool) {
	def := t.variants[0]
	l := strings.ReplaceAll(strings.TrimSpace(lang), "_", "-")
	if l == "" {
		return def, false
	}
	for _, v := range t.variants[1:] {
		if strings.EqualFold(v.tag, l) {
			return v, false
		}
	}
	p := primary(l)
	for _, v := range t.variants[1:] {
		if strings.EqualFold(v.tag, p) {
			return v, false
		}
	}
	return def, p != primary(def.lang)
}

// HeaderFields returns, sorted, the columns a placeholder names in a header (Subject, From,
// To, Attach, …) of any variant: a cell of such a column must not hold a line break. Without
// a To (Cc, Bcc) header the Email (Cc, Bcc) column is read too, which HeaderFields does not
// list.
func (t *Template) HeaderFields() []string {
	var names []string
	for _, v := range t.variants {
		for _, p := range v.headers {
			for _, f := range p.fields {
				names = append(names, f.name)
			}
		}
		for _, p := range v.attach {
			for _, f := range p.fields {
				names = append(names, f.name)
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// AddressFields returns, sorted, the columns a placeholder names in an address header (From,
// Reply-To, To, Cc, Bcc) of any variant: the columns whose addresses the messages use.
func (t *Template) AddressFields() []string {
	var names []string
	for _, v := range t.variants {
		for _, h := range []string{"From", "Reply-To", "To", "Cc", "Bcc"} {
			if p := v.headers[h]; p != nil {
				for _, f := range p.fields {
					names = append(names, f.name)
				}
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// ReadsColumnFor tells whether some variant has no header called header (To, Cc or Bcc),
// so that its messages take those addresses from the column of the same meaning (Email,
// Cc, Bcc). A template with its own To header does not need an Email column.
func (t *Template) ReadsColumnFor(header string) bool {
	for _, v := range t.variants {
		if v.headers[header] == nil {
			return true
		}
	}
	return false
}

// DefaultLanguage is the language message.md is written in: its Language header, else
// English.
func (t *Template) DefaultLanguage() string { return t.variants[0].lang }
