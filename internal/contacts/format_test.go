package contacts

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"hash/crc32"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadWrongFormat(t *testing.T) {
	ole := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 504)...)
	workbook := buildXLSX(t, nil, testSheet{name: "S", body: sheetRows(row(1, inline("A1", "Name")))})
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"contacts.xlsx", []byte("Name,Email\nJean,jean@example.org\n"), "contacts.xlsx: is not an Excel workbook: its content is text, not the zip package an .xlsx file is; if it is a CSV file, rename it to .csv"},
		{"contacts.csv", workbook, "contacts.csv: is not a CSV file: it is a zip package, such as an Excel workbook; if it is an Excel workbook, rename it to .xlsx"},
		{"contacts.xls", ole, "contacts.xls: is an Excel 97-2003 workbook (.xls), which cannot be read; open it in Excel or LibreOffice and save it as Excel Workbook (.xlsx) or CSV UTF-8"},
		{"contacts.xlsx", ole, "contacts.xlsx: is protected with a password (or is an Excel 97-2003 .xls file), so it cannot be read;"},
		{"contacts.ods", zipOf(t, map[string]string{"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<x/>"}), "contacts.ods: cannot read .ods files; open it in Excel or LibreOffice and save it as Excel Workbook (.xlsx) or CSV UTF-8"},
		{"contacts.xlsx", zipOf(t, map[string]string{"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<x/>"}), "contacts.xlsx: is an OpenDocument spreadsheet (.ods), not an Excel workbook; open it in LibreOffice and save it as Excel 2007-365 (.xlsx)"},
		{"contacts.xlsx", zipOf(t, map[string]string{"word/document.xml": "<x/>"}), "contacts.xlsx: is not an Excel workbook: the zip package has no readable workbook part;"},
		{"contacts.xlsx", workbook[:len(workbook)/2], "contacts.xlsx: cannot be read: the workbook seems damaged (zip: not a valid zip file); open it in Excel or LibreOffice and save it again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readBytes(t, tt.data, tt.name, Options{})
			if err == nil || !strings.HasPrefix(withHints(err), tt.want) {
				t.Errorf("got error %v\nwant one starting %q", err, tt.want)
			}
		})
	}
}

// A file with an extension Read does not know is read according to its content.
func TestReadByContent(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"contacts", buildXLSX(t, nil, testSheet{name: "S", body: sheetRows(row(1, inline("A1", "Email")), row(2, inline("A2", "a@example.org")))})},
		{"contacts.dat", []byte("Email\na@example.org\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb, err := readBytes(t, tt.data, tt.name, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := tb.Rows[0].Values[0]; got != "a@example.org" {
				t.Errorf("got %q, want a@example.org", got)
			}
		})
	}
}

var (
	bombOnce sync.Once
	bombData []byte // a deflate stream of 300 MiB of zeros
)

const bombSize = 300 << 20

func deflatedZeros(t *testing.T) []byte {
	t.Helper()
	bombOnce.Do(func() {
		var buf bytes.Buffer
		w, err := flate.NewWriter(&buf, flate.BestSpeed)
		if err != nil {
			t.Fatal(err)
		}
		zeros := make([]byte, 1<<20)
		for range bombSize >> 20 {
			if _, err := w.Write(zeros); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		bombData = buf.Bytes()
	})
	return bombData
}

// zipBomb is a workbook whose sheet unpacks to 300 MiB of zeros, declaring in the zip
// directory that it unpacks to declared bytes.
func zipBomb(t *testing.T, declared uint64) []byte {
	t.Helper()
	good := buildXLSX(t, nil, testSheet{name: "S", body: sheetRows(row(1, inline("A1", "Name")))})
	zr, err := zip.NewReader(bytes.NewReader(good), int64(len(good)))
	if err != nil {
		t.Fatal(err)
	}
	payload := deflatedZeros(t)
	crc := crc32.NewIEEE()
	zeros := make([]byte, 1<<20)
	for range bombSize >> 20 {
		crc.Write(zeros)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		if f.Name == "xl/worksheets/sheet1.xml" {
			w, err := zw.CreateRaw(&zip.FileHeader{
				Name:               f.Name,
				Method:             zip.Deflate,
				CRC32:              crc.Sum32(),
				CompressedSize64:   uint64(len(payload)),
				UncompressedSize64: declared,
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Write(payload); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := zw.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadZipBomb(t *testing.T) {
	tests := []struct {
		name     string
		declared uint64
		opt      Options
		want     string
	}{
		{
			name:     "declared size over the default limit",
			declared: bombSize,
			want:     `contacts.xlsx: unpacks to more than 64 MiB, the limit for a contacts workbook (it may be a "zip bomb" made to exhaust memory);`,
		},
		{
			name:     "declared size over a given limit",
			declared: bombSize,
			opt:      Options{SizeLimit: 1 << 20},
			want:     `contacts.xlsx: unpacks to more than 1 MiB, the limit`,
		},
		{
			// archive/zip stops reading a part at its declared size.
			name:     "declared size a lie",
			declared: 1000,
			want:     "contacts.xlsx: cannot be read: the workbook seems damaged",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := zipBomb(t, tt.declared)
			if len(data) > 1<<20 {
				t.Fatalf("the bomb is %d bytes; it should be small", len(data))
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := readBytes(t, data, "contacts.xlsx", tt.opt)
			runtime.ReadMemStats(&after)
			if err == nil || !strings.HasPrefix(withHints(err), tt.want) {
				t.Errorf("got error %v\nwant one starting %q", err, tt.want)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20 {
				t.Errorf("allocated %d MiB; want the bomb left packed", alloc>>20)
			}
		})
	}
}

func TestReadTooBig(t *testing.T) {
	csv := "Name,Email\n" + strings.Repeat("Jean,jean@example.org\n", 100)
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"contacts.csv", []byte(csv), "contacts.csv: is larger than 1000 bytes, the limit for a contacts file;"},
		{"contacts.xlsx", append(buildXLSX(t, nil, testSheet{name: "S", body: sheetRows(row(1, inline("A1", "Name")))}), make([]byte, 1000)...), "contacts.xlsx: is larger than 1000 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readBytes(t, tt.data, tt.name, Options{SizeLimit: 1000})
			if err == nil || !strings.HasPrefix(withHints(err), tt.want) {
				t.Errorf("got error %v\nwant one starting %q", err, tt.want)
			}
		})
	}
}
