package main

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/mla-initiative/herald/internal/cli"
	"github.com/mla-initiative/herald/internal/contacts"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"herald": func() {
			os.Exit(cli.Main(context.Background(), os.Args, cli.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
		},
	})
}

// TestScripts runs the black-box tests in testdata/script: each runs the real herald
// binary against files in a temporary folder.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"mkxlsx": mkxlsx,
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
	f, err := os.Create(filepath.Join(ts.Getenv("WORK"), args[1]))
	ts.Check(err)
	defer f.Close()
	ts.Check(contacts.WriteXLSX(f, sheet, records[0], records[1:]))
}
