// Package contacts reads the list of recipients: one sheet of an Excel workbook, or a CSV
// file, as a table of rows under a header row, every value as the user sees it. Every
// message about the file names the file, the sheet and the cell, as in
// "contacts.xlsx: Authorities!F14 (E-mail)". It checks no address and knows no template:
// the run package does that, naming cells with Table.Ref. It is herald's only importer of
// excelize.
//
// # Rows and columns
//
// The first non-empty row is the header row; the rows under it are the contacts. Empty rows
// are skipped; columns with neither header nor value are left out. Values and headers are
// trimmed of spaces (a header with stray spaces gets a warning). A column with values but
// no header gets a warning: templates cannot name it.
//
// Each column is named for templates after its header (see Identifier): "First name" is
// {{.FirstName}}, "E-mail" is {{.Email}}. Table.Lookup finds a column by that name without
// regard to case, and finds the columns herald itself uses under other usual headers:
//
//	Email     E-mail, Email address, E-mail address, Mail, Mail address, Courriel,
//	          Adresse e-mail, Adresse électronique, Correo, Correo electrónico
//	Cc        Cc e-mail, Cc address, Cc e-mail address
//	Bcc       Bcc e-mail, Bcc address, Bcc e-mail address
//	Language  Lang, Language code, Langue, Idioma
//
// Two columns with the same name are a warning, and Lookup refuses the name rather than
// guess.
//
// # Workbooks
//
// An .xlsx (or .xlsm) workbook is read as a stream of rows, first checking that it does not
// unpack to more than Options.SizeLimit: a "zip bomb" is refused before it is unpacked. The
// first visible worksheet is read unless Options.Sheet names another; when there are several
// a warning says which was read. Cells read as Excel shows them:
//
//   - numbers as formatted: 1,234.50, 25%, 007; with the General format, to the 15
//     significant digits Excel keeps, without floating-point noise (0.1+0.2 is 0.3) and
//     without exponent (31701234567, 1000000);
//   - dates with one of Excel's default formats, which Excel shows in each reader's own way
//     (2/14/24 in the United States, 14/02/2024 in France), as ISO dates: 2024-02-14, or
//     2024-02-14 09:30 with a time; dates with any other format as formatted:
//     "14 February 2024", "14/02/2024";
//   - booleans as TRUE and FALSE;
//   - formulas as their result saved in the file. A formula without a saved result (written
//     by a program, never opened in Excel) reads as empty, with a warning; a formula error
//     such as #N/A reads as it shows, with a warning;
//   - every cell of a merged range as its top-left cell, so that a country merged over the
//     rows of its three contacts belongs to each of them. Merging never makes an empty row
//     into a contact.
//
// Hidden rows (for instance rows hidden by a filter) are read like the others, with a
// warning, and Row.Hidden set.
//
// # CSV files
//
// A CSV file must be UTF-8, with or without a byte order mark (UTF-16 with a byte order mark,
// as Excel's "Unicode Text" writes, is accepted too). The delimiter is whichever of comma,
// semicolon and TAB appears most on the header line. Quoted fields may hold delimiters and
// line breaks; rows may have fewer or more fields than the header. A row's number is the
// line it starts on.
//
// # Writing
//
// WriteXLSX writes a table as a workbook whose every cell is text: the sample workbook of
// herald init, and the status exports.
package contacts
