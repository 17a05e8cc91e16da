package template

import (
	"bytes"
	"fmt"
	"html"
	"strconv"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	xhtml "golang.org/x/net/html"
)

// newMarkdown returns the Markdown converter: CommonMark with GitHub's tables, autolinks and
// strikethrough, and typographic quotes and dashes. Raw HTML is kept, since the template's
// author may need it; cell values are escaped whatever the author wrote.
func newMarkdown() goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(
			extension.Linkify,
			extension.Strikethrough,
			extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignStyle)),
			extension.Typographer,
		),
		goldmark.WithRendererOptions(gmhtml.WithUnsafe()),
	)
}

// contentWidth is the width in pixels of the text column, images included.
const contentWidth = 568

const (
	fontFamily = "font-family:Georgia,Times New Roman,Times,serif;"
	textColor  = "color:#1a1a1a;"
	linkColor  = "#1f4e79"
)

// tagStyles returns the inline style of each element goldmark writes. Mail clients ignore or
// strip <style> blocks (Gmail in some views, Outlook for some properties), so every element
// carries its own style, the font repeated because Outlook does not always inherit it.
func tagStyles(rtl bool) map[string]string {
	start, align := "left", "left"
	if rtl {
		start, align = "right", "right"
	}
	// Outlook for Windows (the Word engine) takes a line-height as a minimum unless told
	// otherwise, and reads a unitless one its own way, so line heights are in pixels; and draws the bullets of a list in its padding, which it ignores: lists are
	// indented with a margin, which every program honours, and their padding is zero.
	text := fontFamily + "font-size:16px;mso-line-height-rule:exactly;line-height:26px;" + textColor
	return map[string]string{
		"p":          "margin:0 0 16px 0;" + text,
		"h1":         "margin:0 0 16px 0;" + fontFamily + "font-size:24px;mso-line-height-rule:exactly;line-height:31px;font-weight:bold;" + textColor,
		"h2":         "margin:24px 0 12px 0;" + fontFamily + "font-size:20px;mso-line-height-rule:exactly;line-height:26px;font-weight:bold;" + textColor,
		"h3":         "margin:20px 0 8px 0;" + fontFamily + "font-size:18px;mso-line-height-rule:exactly;line-height:23px;font-weight:bold;" + textColor,
		"h4":         "margin:16px 0 8px 0;" + fontFamily + "font-size:16px;mso-line-height-rule:exactly;line-height:21px;font-weight:bold;" + textColor,
		"h5":         "margin:16px 0 8px 0;" + fontFamily + "font-size:16px;mso-line-height-rule:exactly;line-height:21px;font-weight:bold;" + textColor,
		"h6":         "margin:16px 0 8px 0;" + fontFamily + "font-size:16px;mso-line-height-rule:exactly;line-height:21px;font-weight:bold;" + textColor,
		"ul":         "margin:0 0 16px 0;margin-" + start + ":28px;padding:0;" + text,
		"ol":         "margin:0 0 16px 0;margin-" + start + ":28px;padding:0;" + text,
		"li":         "margin:0 0 6px 0;" + text,
		"blockquote": "margin:0 0 16px 0;padding-" + start + ":16px;border-" + start + ":3px solid #c8c8c8;color:#444444;",
		"a":          "color:" + linkColor + ";text-decoration:underline;",
		"table":      "border-collapse:collapse;margin:0 0 16px 0;",
		"th":         "border:1px solid #c8c8c8;padding:6px 10px;vertical-align:top;font-weight:bold;text-align:" + align + ";" + fontFamily + "font-size:15px;mso-line-height-rule:exactly;line-height:21px;" + textColor,
		"td":         "border:1px solid #c8c8c8;padding:6px 10px;vertical-align:top;" + fontFamily + "font-size:15px;mso-line-height-rule:exactly;line-height:21px;" + textColor,
		"hr":         "border:0;border-top:1px solid #c8c8c8;margin:24px 0;height:0;",
		"img":        "max-width:100%;height:auto;border:0;display:inline-block;",
		"code":       "font-family:Consolas,Menlo,Courier New,monospace;font-size:90%;",
		"pre":        "margin:0 0 16px 0;padding:10px;background-color:#f4f4f4;white-space:pre-wrap;font-family:Consolas,Menlo,Courier New,monospace;font-size:14px;",
	}
}

// imageFunc decides what becomes of an <img src>: a new src and the width to display it at
// (0 for unknown), or ok false to leave the tag as it is.
type imageFunc func(src string) (newSrc string, width int, ok bool)

// rewriteTags copies src, giving the tags named in styles their style (the author's own style,
// written after, wins) and passing every <img src> through img. Everything else is copied
// byte for byte. A tag with a token where an attribute name belongs is copied unchanged,
// since writing it again would break its action.
func rewriteTags(src string, ts *tokenSet, styles map[string]string, img imageFunc) string {
	var b strings.Builder
	b.Grow(len(src) + len(src)/2)
	z := xhtml.NewTokenizer(strings.NewReader(src))
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			break
		}
		raw := z.Raw()
		if tt != xhtml.StartTagToken && tt != xhtml.SelfClosingTagToken {
			b.Write(raw)
			continue
		}
		rawCopy := string(raw) // Token lower-cases the buffer in place
		tok := z.Token()
		style, styled := styles[tok.Data]
		if !styled && tok.Data != "img" {
			b.WriteString(rawCopy)
			continue
		}
		if ts != nil && attrNamesHaveToken(tok, ts) {
			b.WriteString(rawCopy)
			continue
		}
		if tok.Data == "img" && img != nil {
			if !rewriteImage(&tok, ts, img) && !styled {
				b.WriteString(rawCopy)
				continue
			}
		}
		if styled {
			if tok.Data == "a" && isMailLink(tok) {
				style += mailLinkStyle
			}
			setStyle(&tok, style)
		}
		writeTag(&b, tok)
	}
	return b.String()
}

// mailLinkStyle keeps an e-mail address on one line: narrow screens otherwise break it at a
// hyphen ("mla-" / "initiative@…"), and a reader copying it by hand gets it wrong. Web links
// are left to wrap, since a long URL on one line would widen the column.
const mailLinkStyle = "white-space:nowrap;"

// isMailLink reports whether an <a> points at a mailto: address. A link whose address is
// all placeholder is not known until a row is rendered, and keeps the style of other links.
func isMailLink(tok xhtml.Token) bool {
	for _, a := range tok.Attr {
		if a.Key == "href" && a.Namespace == "" {
			v := strings.TrimSpace(a.Val)
			return len(v) >= len("mailto:") && strings.EqualFold(v[:len("mailto:")], "mailto:")
		}
	}
	return false
}

func attrNamesHaveToken(tok xhtml.Token, ts *tokenSet) bool {
	for _, a := range tok.Attr {
		if ts.hasToken(a.Key) {
			return true
		}
	}
	return false
}

// rewriteImage points an <img> at its inline file and gives it a width attribute, which
// Outlook needs since it ignores max-width. It reports whether it changed the tag.
func rewriteImage(tok *xhtml.Token, ts *tokenSet, img imageFunc) bool {
	for i, a := range tok.Attr {
		if a.Key != "src" || a.Namespace != "" || ts != nil && ts.hasToken(a.Val) {
			continue
		}
		src, width, ok := img(a.Val)
		if !ok {
			return false
		}
		tok.Attr[i].Val = src
		if width > 0 && !hasAttr(*tok, "width") {
			tok.Attr = append(tok.Attr, xhtml.Attribute{Key: "width", Val: fmt.Sprint(width)})
		}
		return true
	}
	return false
}

func hasAttr(tok xhtml.Token, key string) bool {
	for _, a := range tok.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

func setStyle(tok *xhtml.Token, style string) {
	for i, a := range tok.Attr {
		if a.Key == "style" {
			tok.Attr[i].Val = style + a.Val
			return
		}
	}
	tok.Attr = append(tok.Attr, xhtml.Attribute{Key: "style", Val: style})
}

// writeTag writes a start tag. Attribute values are escaped for a double-quoted attribute
// only, so font names keep their plain quotes-free form in the style attribute.
func writeTag(b *strings.Builder, tok xhtml.Token) {
	b.WriteByte('<')
	b.WriteString(tok.Data)
	for _, a := range tok.Attr {
		b.WriteByte(' ')
		if a.Namespace != "" {
			b.WriteString(a.Namespace)
			b.WriteByte(':')
		}
		b.WriteString(a.Key)
		b.WriteString(`="`)
		b.WriteString(attrEscaper.Replace(a.Val))
		b.WriteByte('"')
	}
	if tok.Type == xhtml.SelfClosingTagToken {
		b.WriteString(" /")
	}
	b.WriteByte('>')
}

var attrEscaper = strings.NewReplacer(`&`, "&amp;", `"`, "&quot;", `<`, "&lt;", `>`, "&gt;")

// convertMarkdown renders a tokenized Markdown body to an HTML fragment, still tokenized.
func convertMarkdown(md goldmark.Markdown, src string) (string, error) {
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// rtlLanguages are the primary languages written right to left.
var rtlLanguages = map[string]bool{"ar": true, "fa": true, "he": true, "ps": true, "ur": true, "yi": true, "dv": true}

// layout is the document around a Markdown body: a centred column of at most 640 pixels on a
// light background, built with tables because Outlook for Windows (the Word engine) knows no
// max-width; the conditional comment gives it a fixed width instead. The two halves go around
// the executed body; the title, the subject, goes between head[0] and head[1].
type layout struct {
	head [2]string
	foot string
}

func newLayout(lang string, rtl bool) layout {
	dir, align := "ltr", "left"
	if rtl {
		dir, align = "rtl", "right"
	}
	langAttr := ""
	if lang != "" {
		langAttr = ` lang="` + html.EscapeString(lang) + `"`
	}
	const bg = "#f3f2ee"
	return layout{
		head: [2]string{
			"<!DOCTYPE html>\n<html" + langAttr + ` dir="` + dir + `" xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office">` + "\n<head>\n" +
				`<meta charset="utf-8">` + "\n" +
				`<meta name="viewport" content="width=device-width, initial-scale=1">` + "\n" +
				`<meta name="x-apple-disable-message-reformatting">` + "\n" +
				`<meta name="color-scheme" content="light">` + "\n" +
				// Outlook for Windows scales a message written for 96 dots per inch wrongly
				// on screens set to 120 unless told.
				`<!--[if mso]><xml><o:OfficeDocumentSettings><o:AllowPNG/><o:PixelsPerInch>96</o:PixelsPerInch></o:OfficeDocumentSettings></xml><![endif]-->` + "\n" +
				"<title>",
			"</title>\n</head>\n" +
				`<body style="margin:0;padding:0;background-color:` + bg + `;">` + "\n" +
				`<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:` + bg + `;">` + "\n" +
				`<tr><td align="center" style="padding:24px 8px;">` + "\n" +
				`<!--[if mso]><table role="presentation" width="640" cellpadding="0" cellspacing="0" border="0"><tr><td><![endif]-->` + "\n" +
				`<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:640px;background-color:#ffffff;border:1px solid #dcdad2;">` + "\n" +
				`<tr><td dir="` + dir + `" style="padding:32px 36px;text-align:` + align + ";" + fontFamily + "font-size:16px;mso-line-height-rule:exactly;line-height:26px;" + textColor + `">` + "\n",
		},
		foot: "</td></tr>\n</table>\n" +
			"<!--[if mso]></td></tr></table><![endif]-->\n" +
			"</td></tr>\n</table>\n</body>\n</html>\n",
	}
}

// voidElements have no end tag.
var voidElements = map[string]bool{
	"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true, "img": true,
	"input": true, "link": true, "meta": true, "source": true, "track": true, "wbr": true,
}

// misnested finds the blocks ({{if}} … {{end}}) whose parts stand in different elements of
// the HTML made from Markdown, such as an {{if}} in a paragraph closed by an {{end}} in a
// list item: one branch would then leave an element open or close one it did not open. It
// returns the numbers of the opening action and of the one out of place.
func misnested(h string, ts *tokenSet) [][2]int {
	type frame struct {
		where string
		n     int
	}
	var (
		elems  []string
		blocks []frame
		bad    [][2]int
		tags   int
	)
	visit := func(s, where string) {
		for pos := 0; ; {
			start, n, end := ts.find(s, pos)
			if start < 0 {
				return
			}
			pos = end
			switch ts.kinds[n] {
			case actionOpen:
				blocks = append(blocks, frame{where, n})
			case actionMid, actionClose:
				if len(blocks) == 0 {
					continue
				}
				top := blocks[len(blocks)-1]
				if top.where != where {
					bad = append(bad, [2]int{top.n, n})
				}
				if ts.kinds[n] == actionClose {
					blocks = blocks[:len(blocks)-1]
				}
			}
		}
	}
	z := xhtml.NewTokenizer(strings.NewReader(h))
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			return bad
		}
		tok := z.Token()
		where := strings.Join(elems, "/")
		switch tt {
		case xhtml.TextToken:
			visit(tok.Data, where)
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			tags++
			inTag := where + "<" + tok.Data + strconv.Itoa(tags)
			for _, a := range tok.Attr {
				visit(a.Key, inTag)
				visit(a.Val, inTag)
			}
			if tt == xhtml.StartTagToken && !voidElements[tok.Data] {
				elems = append(elems, tok.Data+strconv.Itoa(tags))
			}
		case xhtml.EndTagToken:
			for i := len(elems) - 1; i >= 0; i-- {
				if strings.TrimRight(elems[i], "0123456789") == tok.Data {
					elems = elems[:i]
					break
				}
			}
		}
	}
}
