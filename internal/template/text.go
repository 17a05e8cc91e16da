package template

import (
	"bytes"
	"strconv"
	"strings"

	xhtml "golang.org/x/net/html"
)

// htmlToText makes the plain-text part from an HTML body, at load time, with the actions
// still tokens. Paragraphs become lines separated by an empty line and are not wrapped:
// values of unknown length are still to come, and mail programs wrap long lines of plain
// text on screen without ever cutting a word. Links keep their address in angle brackets;
// images are left out, as they are emblems and decoration.
//
// A word made of actions that print nothing ({{if}}, {{end}}) is written without the spaces
// around it, so that "Dear {{if .X}}Mr{{end}} Smith" does not leave two spaces behind.
func htmlToText(src string, ts *tokenSet) string {
	w := &textWriter{ts: ts, lineStart: true}
	z := xhtml.NewTokenizer(strings.NewReader(src))
	skip := ""
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			break
		}
		tok := z.Token()
		if skip != "" {
			if tt == xhtml.EndTagToken && tok.Data == skip {
				skip = ""
			}
			continue
		}
		switch tt {
		case xhtml.TextToken:
			w.text(tok.Data)
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			switch tok.Data {
			case "head", "style", "script", "title", "template", "noscript":
				if tt == xhtml.StartTagToken {
					skip = tok.Data
				}
			default:
				w.attrActions(tok)
				w.start(tok, tt == xhtml.SelfClosingTagToken)
			}
		case xhtml.EndTagToken:
			w.end(tok.Data)
		}
	}
	return w.b.String()
}

// textWriter lays out text as it arrives, owing line breaks until the next word so that
// nothing ends up with trailing blank lines or doubled breaks.
type textWriter struct {
	ts        *tokenSet
	b         strings.Builder
	owed      int  // line breaks owed before the next word: 1 or 2 (an empty line)
	lineStart bool // the last thing written ended a line
	space     bool // a space is owed before the next word
	pre       int  // depth of <pre>
	quote     int  // depth of <blockquote>
	lists     []list
	cells     int // cells written in the current table row
	links     []link
}

type list struct {
	ordered bool
	n       int
}

type link struct {
	href  string
	label strings.Builder
}

func (w *textWriter) breakLines(n int) {
	if w.b.Len() > 0 && n > w.owed {
		w.owed = n
	}
	w.space = false
}

// flush writes the owed line breaks and the prefix of the new line.
func (w *textWriter) flush() {
	if w.owed > 0 {
		w.b.WriteString("\n\n"[:w.owed])
		w.owed = 0
		w.lineStart = true
	}
	if w.lineStart {
		w.b.WriteString(strings.Repeat("> ", w.quote))
		if len(w.lists) > 1 {
			w.b.WriteString(strings.Repeat("   ", len(w.lists)-1))
		}
		w.lineStart = false
		w.space = false
	}
}

func (w *textWriter) word(s string) {
	w.flush()
	if w.space {
		w.b.WriteByte(' ')
		for i := range w.links {
			w.links[i].label.WriteByte(' ')
		}
	}
	w.b.WriteString(s)
	for i := range w.links {
		w.links[i].label.WriteString(s)
	}
	w.space = false
}

func (w *textWriter) text(s string) {
	if w.pre > 0 {
		for i, line := range strings.Split(s, "\n") {
			if i > 0 {
				w.b.WriteByte('\n')
				w.lineStart = true
			}
			if line != "" {
				w.flush()
				w.b.WriteString(line)
			}
		}
		return
	}
	// HTML's white space is ASCII: a no-break space (French "14 février", "date :")
	// is part of the word it binds, and strings.Fields would make it an ordinary space.
	words := strings.FieldsFunc(s, isHTMLSpace)
	if len(words) == 0 {
		if s != "" && w.b.Len() > 0 {
			w.space = true
		}
		return
	}
	if isHTMLSpace(rune(s[0])) && !w.lineStart && w.owed == 0 && w.b.Len() > 0 {
		w.space = true
	}
	for i, word := range words {
		if w.ts != nil && w.ts.silentLine(word) {
			w.b.WriteString(word)
			continue
		}
		if i > 0 {
			w.space = true
		}
		w.word(word)
	}
	if isHTMLSpace(rune(s[len(s)-1])) {
		w.space = true
	}
}

// attrActions writes the actions that open or close blocks from inside a tag, which the
// text leaves out, so the text's blocks stay balanced: <td {{if .X}}class="a"{{end}}>. A
// link's address is handled when the link ends.
func (w *textWriter) attrActions(tok xhtml.Token) {
	if w.ts == nil {
		return
	}
	for _, a := range tok.Attr {
		w.silentActions(a.Key)
		if tok.Data != "a" || a.Key != "href" {
			w.silentActions(a.Val)
		}
	}
}

// silentActions writes the actions of s that print nothing.
func (w *textWriter) silentActions(s string) {
	for pos := 0; ; {
		start, n, end := w.ts.find(s, pos)
		if start < 0 {
			return
		}
		if w.ts.kinds[n] != actionOutput {
			w.b.WriteString(s[start:end])
		}
		pos = end
	}
}

func (w *textWriter) start(tok xhtml.Token, selfClosing bool) {
	switch tok.Data {
	case "p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "pre", "blockquote", "ul", "ol", "dl":
		if (tok.Data == "ul" || tok.Data == "ol") && len(w.lists) > 0 {
			w.breakLines(1)
		} else {
			w.breakLines(2)
		}
		switch tok.Data {
		case "pre":
			w.pre++
		case "blockquote":
			w.quote++
		case "ul", "ol":
			w.lists = append(w.lists, list{ordered: tok.Data == "ol"})
		}
	case "div", "section", "article", "header", "footer", "main", "nav", "aside", "address",
		"figure", "figcaption", "center", "dt", "dd", "form", "fieldset", "caption":
		w.breakLines(1)
	case "tr":
		w.breakLines(1)
		w.cells = 0
	case "td", "th":
		if w.cells > 0 {
			w.space = false
			w.word(" |")
			w.space = true
		}
		w.cells++
	case "li":
		w.breakLines(1)
		marker := "-"
		if n := len(w.lists); n > 0 && w.lists[n-1].ordered {
			w.lists[n-1].n++
			marker = strconv.Itoa(w.lists[n-1].n) + "."
		}
		w.word(marker)
		w.space = true
	case "br":
		w.flush()
		w.b.WriteByte('\n')
		w.lineStart = true
		w.space = false
	case "hr":
		w.breakLines(2)
		w.word("----")
		w.breakLines(2)
	case "a":
		if !selfClosing {
			w.links = append(w.links, link{href: attr(tok, "href")})
		}
	}
}

func (w *textWriter) end(name string) {
	switch name {
	case "p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "dl":
		w.breakLines(2)
	case "pre":
		w.pre = max(0, w.pre-1)
		w.breakLines(2)
	case "blockquote":
		w.breakLines(2)
		w.quote = max(0, w.quote-1)
	case "ul", "ol":
		if len(w.lists) > 0 {
			w.lists = w.lists[:len(w.lists)-1]
		}
		if len(w.lists) == 0 {
			w.breakLines(2)
		} else {
			w.breakLines(1)
		}
	case "div", "section", "article", "header", "footer", "main", "nav", "aside", "address",
		"figure", "figcaption", "center", "dt", "dd", "form", "fieldset", "caption", "tr", "li":
		w.breakLines(1)
	case "a":
		if len(w.links) == 0 {
			return
		}
		l := w.links[len(w.links)-1]
		w.links = w.links[:len(w.links)-1]
		label := strings.TrimSpace(l.label.String())
		href := strings.TrimSpace(l.href)
		if w.ts != nil {
			// [{{fact "contact"}}](mailto:{{fact "contact"}}) shows the address once: the
			// tokens of two actions differ even when the actions are the same.
			label, href = w.ts.restore(label), w.ts.restore(href)
		}
		if href == "" || strings.HasPrefix(href, "#") || strings.HasPrefix(strings.ToLower(href), "cid:") ||
			href == label || strings.TrimPrefix(href, "mailto:") == label {
			if w.ts != nil {
				w.silentActions(l.href)
			}
			return
		}
		w.space = label != ""
		w.word("<" + strings.TrimSpace(l.href) + ">")
	}
}

// isHTMLSpace is white space as HTML defines it: space, tab, line feed, form feed, carriage
// return.
func isHTMLSpace(c rune) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

func attr(tok xhtml.Token, key string) string {
	for _, a := range tok.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// tidy is applied to every rendered text part: it removes spaces at line ends, keeps at most
// one empty line in a row, and ends the text with exactly one line break. Branches of {{if}}
// that print nothing leave blank lines that only this can remove.
func tidy(s []byte) string {
	var b strings.Builder
	b.Grow(len(s) + 1)
	blank := 0
	for len(s) > 0 {
		line := s
		if i := bytes.IndexByte(s, '\n'); i >= 0 {
			line, s = s[:i], s[i+1:]
		} else {
			s = nil
		}
		line = bytes.TrimRight(line, " \t\r")
		if len(line) == 0 {
			blank++
			continue
		}
		if b.Len() > 0 {
			if blank > 0 {
				b.WriteString("\n\n")
			} else {
				b.WriteByte('\n')
			}
		}
		blank = 0
		b.Write(line)
	}
	if b.Len() > 0 {
		b.WriteByte('\n')
	}
	return b.String()
}
