package mail

import (
	"mime"
	"strings"
	"testing"
)

var longTexts = []string{
	"Invitation",
	"Ministère de l'Europe et des Affaires étrangères — Direction des affaires juridiques, sous-direction du droit international",
	"Ministerio de Asuntos Exteriores, Unión Europea y Cooperación — Dirección General de Asuntos Jurídicos Internacionales",
	"Министерство иностранных дел Российской Федерации, Правовой департамент, отдел международного права",
	"中华人民共和国外交部条约法律司国际司法协助处关于签署会议的邀请函",
	"ab " + strings.Repeat("é", 200) + " cd",
	strings.Repeat("x", 901),
	"  two  spaces  ",
	"=?utf-8?q?not_encoded?= as it looks",
	"Émile Zola",
	strings.Repeat("Жж ", 40),
}

// TestAppendEncodedWords checks that encoded words decode to the text, stay within their
// length, and are cut only after a space unless a single word is longer than one of them.
func TestAppendEncodedWords(t *testing.T) {
	dec := new(mime.WordDecoder)
	for _, phrase := range []bool{false, true} {
		for _, first := range []int{67, 66, 75} {
			for _, s := range longTexts {
				out := string(appendEncodedWords(nil, s, first, phrase))
				words := strings.Split(out, " ")
				var decoded []string
				for i, w := range words {
					limit := wordMax
					if i == 0 {
						limit = first
					}
					if len(w) > limit {
						t.Errorf("%q: word %d is %d characters long, more than %d: %s", s, i, len(w), limit, w)
					}
					d, err := dec.Decode(w)
					if err != nil {
						t.Fatalf("%q: word %q: %v", s, w, err)
					}
					if phrase && strings.Trim(w[len(wordOpen):len(w)-2], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/=_") != "" && w[8] == 'q' {
						t.Errorf("%q: word %q holds a character not allowed in a display name", s, w)
					}
					decoded = append(decoded, d)
				}
				if got := strings.Join(decoded, ""); got != s {
					t.Errorf("%q: encoded words decode to %q", s, got)
				}
				for i, d := range decoded[:len(decoded)-1] {
					if strings.Contains(d, " ") && !strings.HasSuffix(d, " ") {
						t.Errorf("%q: word %d (%q) is cut in the middle of a word although it holds a space", s, i, d)
					}
				}
				if got, err := dec.DecodeHeader(out); err != nil || got != s {
					t.Errorf("%q: header decodes to %q (%v)", s, got, err)
				}
			}
		}
	}
}

func TestWithFileName(t *testing.T) {
	tests := []struct {
		name string
		want string // "" to check only that it decodes
	}{
		{"letter.pdf", `attachment; filename="letter.pdf"`},
		{"invitación.pdf", `attachment; filename*=UTF-8''invitaci%C3%B3n.pdf`},
		{"Carta de invitación.pdf", "attachment;\r\n filename*=UTF-8''Carta%20de%20invitaci%C3%B3n.pdf"},
		{"=?UTF-8?q?x?=.pdf", "attachment;\r\n filename*=UTF-8''%3D%3FUTF-8%3Fq%3Fx%3F%3D.pdf"},
		{strings.Repeat("ü", 30) + ".pdf", "attachment;\r\n filename*0*=UTF-8''" + strings.Repeat("%C3%BC", 9) + ";\r\n filename*1*=" +
			strings.Repeat("%C3%BC", 10) + ";\r\n filename*2*=" + strings.Repeat("%C3%BC", 10) + ";\r\n filename*3*=%C3%BC.pdf"},
		{"50% off; 'quoted' (1).pdf", `attachment; filename="50% off; 'quoted' (1).pdf"`},
		{strings.Repeat("a", 250) + ".pdf", ""},
		{strings.Repeat("é", 150) + ".pdf", ""},
		{strings.Repeat("中", 3) + ".pdf", ""},
		{strings.Repeat("Доклад о работе ", 12) + ".docx", ""},
	}
	for _, tc := range tests {
		for _, prefix := range []string{"Content-Disposition: ", "Content-Type: "} {
			value := "attachment"
			param := "filename"
			if prefix == "Content-Type: " {
				value, param = "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "name"
			}
			got := withFileName(value, len(prefix), param, tc.name)
			if tc.want != "" && prefix == "Content-Disposition: " && got != tc.want {
				t.Errorf("withFileName(%q) = %q, want %q", tc.name, got, tc.want)
			}
			for i, line := range strings.Split(prefix+got, "\r\n") {
				if i == 0 && len(prefix+value) > 70 {
					continue // the content type alone is that long
				}
				if len(line) > 78 || len(line) > lineMax && strings.Contains(line, "*") {
					t.Errorf("%q: line %d is %d characters long: %q", tc.name, i+1, len(line), line)
				}
			}
			// Unfolded as a reader does.
			_, params, err := mime.ParseMediaType(strings.ReplaceAll(got, "\r\n", ""))
			if err != nil || params[param] != tc.name {
				t.Errorf("%s%s decodes to %q (%v), want %q", prefix, got, params[param], err, tc.name)
			}
		}
	}
}

func TestCutReply(t *testing.T) {
	if got := cutReply("5.1.1 short"); got != "5.1.1 short" {
		t.Errorf("cutReply of a short reply = %q", got)
	}
	long := strings.Repeat("é", 3000) // 6,000 bytes
	got := cutReply(long)
	if want := strings.Repeat("é", maxReplyKept/2) + " … [reply cut: 6,000 bytes]"; got != want {
		t.Errorf("cutReply = …%q, want …%q", got[len(got)-40:], want[len(want)-40:])
	}
	odd := "x" + long // the cut falls inside a character
	if got := cutReply(odd); !strings.HasPrefix(got, "x"+strings.Repeat("é", maxReplyKept/2-1)+" … [reply cut: 6,001 bytes]") {
		t.Errorf("cutReply inside a character = …%q", got[len(got)-40:])
	}
}

func TestGroupDigits(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 209715200: "209,715,200", 1048576: "1,048,576"} {
		if got := groupDigits(n); got != want {
			t.Errorf("groupDigits(%d) = %q, want %q", n, got, want)
		}
	}
}
