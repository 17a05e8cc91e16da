package main

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"encoding/csv"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/mla-initiative/herald/internal/cli"
	"github.com/mla-initiative/herald/internal/contacts"
)

func TestMain(m *testing.M) {
	testscript.Main(removeAfter{m}, map[string]func(){
		"herald": func() {
			os.Exit(cli.Main(context.Background(), os.Args, cli.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
		},
	})
}

// removeAfter deletes the herald binary that the end-to-end tests build, once they are done.
type removeAfter struct{ m *testing.M }

func (r removeAfter) Run() int {
	defer removeBuild()
	return r.m.Run()
}

// TestScripts runs the black-box tests in testdata/script: each runs the real herald
// binary against files in a temporary folder.
func TestScripts(t *testing.T) {
	root, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"mkxlsx":    mkxlsx,
			"mkzipbomb": mkzipbomb,
			"fixture": func(ts *testscript.TestScript, neg bool, args []string) {
				fixture(ts, neg, args, root)
			},
		},
		Setup: func(env *testscript.Env) error {
			// A fixed clock gives the same Date and Message-IDs on every run.
			env.Setenv("SOURCE_DATE_EPOCH", "1700000000")
			return nil
		},
		RequireExplicitExec: true,
	})
}

// mkxlsx builds a workbook from a CSV file so that scripts can keep their contacts
// readable: mkxlsx in.csv out.xlsx [sheet].
func mkxlsx(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: mkxlsx in.csv out.xlsx [sheet]")
	}
	sheet := "Authorities"
	if len(args) == 3 {
		sheet = args[2]
	}
	r := csv.NewReader(strings.NewReader(ts.ReadFile(args[0])))
	r.FieldsPerRecord = -1
	records, err := r.ReadAll()
	ts.Check(err)
	f, err := os.Create(ts.MkAbs(args[1]))
	ts.Check(err)
	defer f.Close()
	ts.Check(contacts.WriteXLSX(f, sheet, records[0], records[1:]))
}

// fixture copies a workbook made by a real spreadsheet program from the contacts
// package's test data: fixture NAME [DEST].
func fixture(ts *testscript.TestScript, neg bool, args []string, root string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: fixture NAME [DEST]")
	}
	data, err := os.ReadFile(filepath.Join(root, "internal", "contacts", "testdata", args[0]))
	ts.Check(err)
	dest := args[0]
	if len(args) == 2 {
		dest = args[1]
	}
	ts.Check(os.WriteFile(ts.MkAbs(dest), data, 0o644))
}

// mkzipbomb writes a workbook whose first sheet is 300 MiB of zeros (over the 64 MiB limit) packed into a few
// megabytes, honestly declared: mkzipbomb out.xlsx.
func mkzipbomb(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: mkzipbomb out.xlsx")
	}
	var good bytes.Buffer
	ts.Check(contacts.WriteXLSX(&good, "Authorities", []string{"Email"}, [][]string{{"a@x.example"}}))
	zr, err := zip.NewReader(bytes.NewReader(good.Bytes()), int64(good.Len()))
	ts.Check(err)
	const size = 300 << 20
	var payload bytes.Buffer
	fw, err := flate.NewWriter(&payload, flate.BestSpeed)
	ts.Check(err)
	zeros := make([]byte, 1<<20)
	crc := crc32.NewIEEE()
	for range size >> 20 {
		_, err := fw.Write(zeros)
		ts.Check(err)
		crc.Write(zeros)
	}
	ts.Check(fw.Close())

	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		if f.Name == "xl/worksheets/sheet1.xml" {
			w, err := zw.CreateRaw(&zip.FileHeader{
				Name: f.Name, Method: zip.Deflate, CRC32: crc.Sum32(),
				CompressedSize64: uint64(payload.Len()), UncompressedSize64: size,
			})
			ts.Check(err)
			_, err = w.Write(payload.Bytes())
			ts.Check(err)
			continue
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate})
		ts.Check(err)
		r, err := f.Open()
		ts.Check(err)
		_, err = io.Copy(w, r)
		ts.Check(err)
		r.Close()
	}
	ts.Check(zw.Close())
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), out.Bytes(), 0o644))
}
