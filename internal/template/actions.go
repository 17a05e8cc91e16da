package template

import (
	"strconv"
	"strings"
)

// The Markdown of a body is converted to HTML once, when the template is loaded, not once per
// message. Its template actions cannot go through goldmark as they are (quotes would become
// curly, spaces would end link URLs), so each is swapped for an opaque token made of lower-case
// letters and digits, which Markdown, HTML tokenizers and typography all leave alone, and is
// put back into the HTML afterwards.

// actionKind says what an action does to the structure of the output.
type actionKind int

const (
	actionOutput actionKind = iota // prints something: {{.FirstName}}, {{template "x"}}
	actionSilent                   // prints nothing, opens and closes nothing: comments, {{$x := …}}
	actionOpen                     // {{if}}, {{range}}, {{with}}, {{block}}, {{define}}
	actionMid                      // {{else …}}, {{break}}, {{continue}}
	actionClose                    // {{end}}
)

// tokenSet holds the actions of one source and the tokens that stand for them.
type tokenSet struct {
	prefix  string   // every token is prefix + 6 digits + "q"
	actions []string // action text with its delimiters, indexed by token number
	kinds   []actionKind
	lines   []int // line of each action in the source, counting from 0
}

const tokenDigits = 6

// tokenize replaces every action of src, which text/template has already parsed without
// error, with a token.
func tokenize(src string) (string, *tokenSet) {
	ts := &tokenSet{prefix: "hrldx"}
	lower := strings.ToLower(src)
	for strings.Contains(lower, ts.prefix) {
		ts.prefix = "hrld" + strings.Repeat("z", len(ts.prefix)-3) + "x"
	}
	var b strings.Builder
	b.Grow(len(src))
	pos, line := 0, 0
	for {
		start, end := nextAction(src, pos)
		if start < 0 {
			break
		}
		line += strings.Count(src[pos:start], "\n")
		ts.lines = append(ts.lines, line)
		line += strings.Count(src[start:end], "\n")
		b.WriteString(src[pos:start])
		b.WriteString(ts.token(len(ts.actions)))
		a := src[start:end]
		ts.actions = append(ts.actions, a)
		ts.kinds = append(ts.kinds, classify(a))
		pos = end
	}
	b.WriteString(src[pos:])
	return b.String(), ts
}

func (ts *tokenSet) token(i int) string {
	s := strconv.Itoa(i)
	return ts.prefix + strings.Repeat("0", tokenDigits-len(s)) + s + "q"
}

// find returns the position, number and end of the first token in s at or after from, or
// -1 when there is none.
func (ts *tokenSet) find(s string, from int) (start, n, end int) {
	for from < len(s) {
		i := strings.Index(s[from:], ts.prefix)
		if i < 0 {
			return -1, 0, 0
		}
		start = from + i
		d := start + len(ts.prefix)
		if d+tokenDigits < len(s) && s[d+tokenDigits] == 'q' {
			if n, err := strconv.Atoi(s[d : d+tokenDigits]); err == nil && n < len(ts.actions) {
				return start, n, d + tokenDigits + 1
			}
		}
		from = start + 1
	}
	return -1, 0, 0
}

// hasToken reports whether s holds a token.
func (ts *tokenSet) hasToken(s string) bool {
	start, _, _ := ts.find(s, 0)
	return start >= 0
}

// restore puts the actions back. The text between them becomes template text, so a "{{"
// that Markdown produced from an entity or an escape is written as an action printing it.
func (ts *tokenSet) restore(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	pos := 0
	for {
		start, n, end := ts.find(s, pos)
		if start < 0 {
			break
		}
		writeTemplateText(&b, s[pos:start], true)
		b.WriteString(ts.actions[n])
		pos = end
	}
	writeTemplateText(&b, s[pos:], false)
	return b.String()
}

func writeTemplateText(b *strings.Builder, s string, beforeAction bool) {
	s = strings.ReplaceAll(s, "{{", `{{"{{"}}`)
	if beforeAction && strings.HasSuffix(s, "{") {
		// "{" followed by "{{.X}}" would read as "{{" followed by "{.X}}".
		b.WriteString(s[:len(s)-1])
		b.WriteString(`{{"{"}}`)
		return
	}
	b.WriteString(s)
}

// nextAction returns the bounds of the first action in src at or after pos, or -1.
func nextAction(src string, pos int) (start, end int) {
	i := strings.Index(src[pos:], "{{")
	if i < 0 {
		return -1, 0
	}
	start = pos + i
	j := start + 2
	if j+1 < len(src) && src[j] == '-' && isSpace(src[j+1]) {
		j += 2
	}
	for j < len(src) && isSpace(src[j]) {
		j++
	}
	if strings.HasPrefix(src[j:], "/*") {
		k := strings.Index(src[j+2:], "*/")
		if k < 0 {
			return start, len(src)
		}
		j += 2 + k + 2
		k = strings.Index(src[j:], "}}")
		if k < 0 {
			return start, len(src)
		}
		return start, j + k + 2
	}
	for j < len(src) {
		switch c := src[j]; c {
		case '"', '\'':
			j++
			for j < len(src) && src[j] != c {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			j++
		case '`':
			k := strings.IndexByte(src[j+1:], '`')
			if k < 0 {
				return start, len(src)
			}
			j += k + 2
		case '}':
			if j+1 < len(src) && src[j+1] == '}' {
				return start, j + 2
			}
			j++
		default:
			j++
		}
	}
	return start, len(src)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// classify tells from an action's text whether it prints, or opens or closes a block.
func classify(a string) actionKind {
	s := strings.TrimSuffix(strings.TrimPrefix(a, "{{"), "}}")
	if len(s) > 1 && s[0] == '-' && isSpace(s[1]) {
		s = s[1:]
	}
	if len(s) > 1 && s[len(s)-1] == '-' && isSpace(s[len(s)-2]) {
		s = s[:len(s)-1]
	}
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "/*") {
		return actionSilent
	}
	word := s
	if i := strings.IndexFunc(s, func(r rune) bool { return r < 'a' || r > 'z' }); i >= 0 {
		word = s[:i]
	}
	switch word {
	case "if", "range", "with", "block", "define":
		return actionOpen
	case "else", "break", "continue":
		return actionMid
	case "end":
		return actionClose
	}
	if isDeclaration(s) {
		return actionSilent
	}
	return actionOutput
}

// isDeclaration reports whether s is "$x := …" or "$x = …", which print nothing.
func isDeclaration(s string) bool {
	if !strings.HasPrefix(s, "$") {
		return false
	}
	i := 1
	for i < len(s) && (s[i] == '_' || s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || s[i] >= 0x80) {
		i++
	}
	rest := strings.TrimLeft(s[i:], " \t\r\n")
	return strings.HasPrefix(rest, ":=") || strings.HasPrefix(rest, "=") && !strings.HasPrefix(rest, "==")
}

// hoistParagraphs moves actions that stand on their own lines at the start or end of a
// paragraph out of it, so that
//
//	{{if .X}}
//
//	Paragraph.
//
//	{{end}}
//
// renders as {{if .X}}<p>Paragraph.</p>{{end}} and not as <p>{{if .X}}</p><p>Paragraph.</p>
// <p>{{end}}</p>, which leaves empty paragraphs behind. It only moves them when what stays
// inside the paragraph is a balanced sequence of blocks, so the <p> and </p> always end up
// inside the same branch.
func hoistParagraphs(h string, ts *tokenSet) string {
	if len(ts.actions) == 0 {
		return h
	}
	var b strings.Builder
	b.Grow(len(h))
	pos := 0
	for {
		i := strings.Index(h[pos:], "<p>")
		if i < 0 {
			break
		}
		open := pos + i
		j := strings.Index(h[open:], "</p>")
		if j < 0 {
			break
		}
		closing := open + j
		b.WriteString(h[pos:open])
		b.WriteString(ts.hoist(h[open+3 : closing]))
		pos = closing + 4
	}
	b.WriteString(h[pos:])
	return b.String()
}

func (ts *tokenSet) hoist(content string) string {
	lines := strings.Split(content, "\n")
	lead := 0
	for lead < len(lines) && ts.silentLine(lines[lead]) {
		lead++
	}
	trail := len(lines)
	for trail > lead && ts.silentLine(lines[trail-1]) {
		trail--
	}
	if lead == 0 && trail == len(lines) {
		return "<p>" + content + "</p>"
	}
	// Between a leading and a trailing block action, lines of actions alone also split the
	// paragraph: {{if}} A {{else}} B {{end}}, each on its own line, is a choice between two
	// paragraphs. Without both, such lines are inline: "Dear {{if .X}}Mr{{end}} Smith"
	// written over several lines is one paragraph.
	var runs [][]string // content runs and silent lines, alternating as written
	if lead > 0 && trail < len(lines) {
		var cur []string
		for _, l := range lines[lead:trail] {
			if ts.silentLine(l) {
				if cur != nil {
					runs = append(runs, cur)
				}
				runs = append(runs, []string{l}, nil)
				cur = nil
				continue
			}
			cur = append(cur, l)
		}
		runs = append(runs, cur)
	} else {
		runs = [][]string{lines[lead:trail]}
	}
	var b strings.Builder
	for _, l := range lines[:lead] {
		b.WriteString(strings.TrimSpace(l))
	}
	for _, run := range runs {
		switch {
		case len(run) == 0:
		case len(run) == 1 && ts.silentLine(run[0]):
			b.WriteString(strings.TrimSpace(run[0]))
		default:
			middle := strings.Join(run, "\n")
			if !ts.balanced(middle) {
				return "<p>" + content + "</p>"
			}
			b.WriteString("<p>" + middle + "</p>")
		}
	}
	for _, l := range lines[trail:] {
		b.WriteString(strings.TrimSpace(l))
	}
	return b.String()
}

// silentLine reports whether line holds nothing but actions that print nothing.
func (ts *tokenSet) silentLine(line string) bool {
	line = strings.TrimSpace(line)
	if line == "" {
		return false
	}
	pos := 0
	for pos < len(line) {
		start, n, end := ts.find(line, pos)
		if start != pos || ts.kinds[n] == actionOutput {
			return false
		}
		pos = end
		for pos < len(line) && line[pos] == ' ' {
			pos++
		}
	}
	return true
}

// balanced reports whether every block opened in s is closed in s and s has no {{else}} of
// an enclosing block.
func (ts *tokenSet) balanced(s string) bool {
	depth := 0
	for pos := 0; ; {
		start, n, end := ts.find(s, pos)
		if start < 0 {
			return depth == 0
		}
		switch ts.kinds[n] {
		case actionOpen:
			depth++
		case actionMid:
			if depth == 0 {
				return false
			}
		case actionClose:
			if depth == 0 {
				return false
			}
			depth--
		}
		pos = end
	}
}
