package template

import "testing"

func TestHTMLToText(t *testing.T) {
	tests := []struct {
		name, html, want string
	}{
		{"paragraphs", "<p>One\ntwo  three</p>\n<p>Four</p>", "One two three\n\nFour\n"},
		{"heading", "<h1>Title</h1><p>Text</p>", "Title\n\nText\n"},
		{"line break", "<p>Yours faithfully,<br>\nThe co-hosts</p>", "Yours faithfully,\nThe co-hosts\n"},
		{"entities", "<p>A &amp; B &lt;x&gt; &ldquo;q&rdquo;</p>", "A & B <x> “q”\n"},
		{"inline elements", "<p>The <strong>Signing</strong> <em>Conference</em>.</p>", "The Signing Conference.\n"},
		{"link with text", `<p>See <a href="https://c.example/">the site</a>.</p>`, "See the site <https://c.example/>.\n"},
		{"link showing its address", `<p><a href="https://c.example/">https://c.example/</a></p>`, "https://c.example/\n"},
		{"mail link", `<p><a href="mailto:a@example.org">a@example.org</a></p>`, "a@example.org\n"},
		{"image left out", `<p><img src="cid:x" alt="Emblem"></p><p>Text</p>`, "Text\n"},
		{"lists", "<ul>\n<li>one</li>\n<li>two\n<ol><li>a</li><li>b</li></ol></li>\n</ul><p>After</p>", "- one\n- two\n   1. a\n   2. b\n\nAfter\n"},
		{"table", "<table><tr><th>Date</th><th>Event</th></tr><tr><td>14</td><td>Opening</td></tr></table>", "Date | Event\n14 | Opening\n"},
		{"quote", "<blockquote><p>One</p><p>Two</p></blockquote><p>Three</p>", "> One\n\n> Two\n\nThree\n"},
		{"preformatted", "<pre>a  b\n  c</pre><p>d</p>", "a  b\n  c\n\nd\n"},
		{"rule", "<p>a</p><hr><p>b</p>", "a\n\n----\n\nb\n"},
		{"head, style and script left out", "<html><head><title>T</title><style>p{}</style></head><body><script>x()</script><p>Body</p></body></html>", "Body\n"},
		{"layout tables", "<table><tr><td><table><tr><td><p>Inner</p></td></tr></table></td></tr></table>", "Inner\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tidy([]byte(htmlToText(tt.html, nil))); got != tt.want {
				t.Errorf("htmlToText(%q) = %q, want %q", tt.html, got, tt.want)
			}
		})
	}
}

func TestTidyText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"\n\n", ""},
		{"a", "a\n"},
		{"\n\na  \n\n\n\nb\t\n\n", "a\n\nb\n"},
		{"a\n \nb", "a\n\nb\n"},
		{"  indented\nkept", "  indented\nkept\n"},
	}
	for _, tt := range tests {
		if got := tidy([]byte(tt.in)); got != tt.want {
			t.Errorf("tidy(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
