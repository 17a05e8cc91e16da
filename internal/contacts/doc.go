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
// {{.FirstName}}. Table.Lookup finds a column by its name without regard to case. A column
// headed with any of the spellings of a column herald itself uses, in any letter case and
// with stray spaces, is named after that column: "E-MAIL", "Courriel" and "Adresse
// électronique" are all {{.Email}}, "CC" is {{.Cc}}:
//
//	Email     E-mail, Email address, E-mail address, Mail, Mail address, Courriel,
//	          Adresse e-mail, Adresse électronique, Correo, Correo electrónico
//	Cc        Cc e-mail, Cc address, Cc e-mail address
//	Bcc       Bcc e-mail, Bcc address, Bcc e-mail address
//	Language  Lang, Language code, Langue, Idioma
//
// Two columns that are both one of these (Email and Courriel, Cc and cc) are an error of
// Read naming both header cells, matching ErrDuplicateColumn: the addresses of one of them
// would never be mailed. Two other columns with the same name are a warning, and Lookup
// refuses the name rather than guess.
//
// # Workbooks
//
// An .xlsx (or .xlsm) workbook is a zip package of XML parts. Its parts are found through
// the package's relationships, wherever they are stored, and each part is checked by a
// streaming scan against the limits below before excelize decodes it; excelize reads the
// cells' saved values, which herald shows as Excel does. The first visible worksheet is
// read unless Options.Sheet names another; when there are several a warning says which
// was read. Cells read as Excel shows them:
//
//   - numbers as formatted: 1,234.50, 25%, 007, "-" for an accounting zero, nothing for a
//     zero a format hides (#,##0;;); with the General format, whatever the cell's style,
//     to the 15 significant digits Excel keeps, without floating-point noise (0.1+0.2 is
//     0.3) and without exponent (31701234567, 1000000);
//   - dates with one of the formats Excel shows in each reader's own way (its default
//     date, date and time, long date and time formats, and the East Asian built-in ones),
//     as ISO dates: 2024-02-14, 2024-02-14 09:30, or 09:30 for a time alone; dates with
//     any other format as formatted: "14 February 2024", "14/02/2024", month and day
//     names in the format's language. Both the 1900 and the 1904 date systems, and dates
//     saved as ISO 8601 text (as Strict workbooks have them), read right;
//   - text as it is, or as the text section of its format shows it ("Mr. "@);
//     characters saved as _xHHHH_ escapes, as Excel writes those XML cannot hold, as the
//     characters;
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
// A workbook that is damaged is refused, never read in part: a part cut off, a cell that
// refers to a shared string the workbook does not have, rows or cells out of order, XML
// that cannot be read, a zip package with two files of one name (in any letter case,
// with either slash: programs differ on which one they read) or with a file named
// outside the package (absolute, or with "..").
//
// # CSV files
//
// A CSV file must be UTF-8, with or without a byte order mark (UTF-16 with a byte order mark,
// as Excel's "Unicode Text" writes, is accepted too). A first line "sep=;" names the
// delimiter, as Excel writes it, and is no row; otherwise the delimiter is whichever of
// comma, semicolon and TAB appears most on the header line. Quoted fields may hold
// delimiters and line breaks; rows may have fewer or more fields than the header. A row's
// number is the line it starts on.
//
// # Limits
//
// A small file can describe a huge table: a zip package is made of compressed parts, and
// a few hundred kilobytes can unpack to gigabytes. Any file is read or refused within
// seconds and a few hundred megabytes; what Excel could not have written is refused, and
// so is what no list of contacts comes near (ministry lists have 200 to 5,000 rows). The
// error names the cell, row or part, with a hint. From Excel:
//
//   - 1,048,576 rows and 16,384 columns (A to XFD), in a workbook or CSV file;
//   - 32,767 characters in a cell;
//   - 255 characters in the code of a number format (the style is named);
//   - 65,490 cell formats in a workbook (and herald's: 4,000 number formats, where Excel
//     allows some 250).
//
// herald's own:
//
//   - at most 10,000 rows under the header row (empty ones not counted): each one is a
//     message to check and send, and herald checks 10,000 rows of the sample's columns
//     in some 0.3 s and 70 MB on one core, 10,000 rows of 99 columns (the cell limit)
//     in 1.5 s (CSV) to 4 s (workbook) and 210 MB (50,000 rows took 1.6 s and 235 MB,
//     100,000 3.4 s and 470 MB). A longer list is refused at its first row too many;
//     split it into several files;
//   - sheet names of at most 100 characters (Excel allows 31, Google Sheets 100); a
//     message lists at most 5 sheet names, each cut after 60 characters;
//   - a workbook unpacks to at most Options.SizeLimit (DefaultSizeLimit, 64 MiB), and a CSV
//     file is at most as large; a "zip bomb" is refused before it is unpacked;
//   - at most 1,000,000 cells in a sheet, empty ones included, and in the table (its rows
//     times its columns);
//   - at most 50,000,000 cells counting each row of a sheet up to its last cell, empty
//     ones between included (a stray cell in column XFD makes its row 16,384 cells long);
//   - at most 32 MiB of text in the table's cells, as saved and as shown;
//   - at most 250,000 different texts in a workbook's shared strings, and 500,000 pieces of
//     formatted text (rich text runs) in them;
//   - at most 100,000 merged ranges in a sheet, 1,000 sheets and 10,000 parts in a
//     workbook;
//   - at most 100,000 values shown by the formats excelize renders for herald, slowly:
//     fractions, exponents, other calendars' eras, names of months and days in a language
//     other than English;
//   - XML nested at most 100 deep, tags at most 1 MiB long, at most 4,000,000 elements in
//     a sheet or the shared strings, 10,000 in a part of relationships (one a
//     relationship: a workbook of 1,000 sheets has some 1,010) and 2,000,000 in another
//     part.
//
// # Writing
//
// WriteXLSX writes a table as a workbook whose every cell is text: the sample workbook of
// herald init, and the status exports.
package contacts
