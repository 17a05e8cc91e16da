package contacts

// What a contacts file may hold. A workbook is a zip of XML parts that a few hundred
// kilobytes can make describe gigabytes of work; every way it could is bounded here,
// checked by a streaming scan of the parts before excelize decodes any of them, so that
// any file is read or refused within seconds and a few hundred megabytes (doc.go lists
// these limits for users).
//
// Excel's own limits come first: what Excel could not have written is refused. The
// others are herald's, far above any list of contacts: ministry lists have 200 to 5,000
// rows.
const (
	// Excel's limits.
	maxRows      = 1 << 20 // 1,048,576 rows
	maxColumns   = 1 << 14 // 16,384 columns, A to XFD
	maxCellChars = 32767   // characters in a cell, counted as Excel does (UTF-16 units)
	maxCellXfs   = 65490   // cell formats in a workbook
	// maxNumFmts is the most number formats a workbook may define; Excel allows 200 to
	// 250, depending on its language.
	maxNumFmts = 4000
	// maxNumFmtChars is the longest a number format's code may be.
	maxNumFmtChars = 255

	// herald's limits.

	// maxContacts is the most rows a table may have under its header row. Downstream of
	// the reader each one costs a plan item, its fields and a rendered message: herald
	// check with the built-in template takes, on one core, 0.3 s and 70 MB for 10,000
	// rows of the sample's columns, 1.5 s and 210 MB for a CSV file of 10,000 rows of 99
	// columns (the cell limit) and 3.6 to 4 s and 210 MB for the same as a workbook,
	// where 50,000 rows of the sample's columns took 1.6 s and 235 MB and 100,000 3.4 s
	// and 470 MB. Ministry lists have at most 5,000.
	maxContacts = 10_000
	// maxSheetName is the longest a sheet's name may be, in characters: Excel allows 31,
	// Google Sheets 100.
	maxSheetName = 100

	// maxCells is the most cells a worksheet may hold, empty ones included, and the most
	// the table may have (contacts × columns).
	maxCells = 1_000_000
	// maxText is the most bytes of text the table's cells may hold, as saved and as shown.
	maxText = 32 << 20
	// maxSheetArea bounds the cells a reader walks through: counting each row up to its
	// last cell, empty cells between included.
	maxSheetArea = 50_000_000
	// maxSharedStrings is the most different texts a workbook's shared string table may
	// hold, and maxRuns the most pieces of differently formatted text (rich text runs,
	// phonetic runs) in them all.
	maxSharedStrings = 250_000
	maxRuns          = 500_000
	// maxSlowFormats is the most values shown by excelize's formatter (fractions,
	// exponents, other calendars, names in other languages), which is slow.
	maxSlowFormats = 100_000
	// maxMerges is the most merged ranges in a worksheet.
	maxMerges = 100_000
	// maxSheets is the most sheets a workbook may list.
	maxSheets = 1000
	// maxParts is the most files a workbook's zip package may hold.
	maxParts = 10_000
	// maxDepth is how deeply XML elements may nest; Excel nests a dozen deep.
	maxDepth = 100
	// maxTag is the longest a tag may be, attributes included.
	maxTag = 1 << 20
	// maxElements is the most XML elements in a part herald decodes itself (the package's
	// relationships, the workbook, the styles), and maxSheetElements in a worksheet or the
	// shared strings.
	maxElements      = 2_000_000
	maxSheetElements = 4 * maxCells
	// maxRelElements is the most XML elements in a part of relationships (one a
	// relationship): a workbook of 1,000 sheets has some 1,010 in its workbook's.
	maxRelElements = 10_000
)
