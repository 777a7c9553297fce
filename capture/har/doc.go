// Package har reads and writes HTTP Archive (HAR 1.2) files.
//
// Export produces files that har-validator accepts and that Chrome DevTools
// re-imports: every required number is present and numeric (-1 when
// unknown), dates are ISO 8601 with milliseconds and a zone, bodies are text
// or base64 with "encoding", and extra per-entry fields (corscope's _cors
// verdict) are supplied by the caller through Options.Extra, because this
// package knows nothing about CORS. Entries are written one at a time, so
// memory does not grow with the number of flows, and WriteFile replaces the
// target atomically.
//
// Import accepts what browsers and tools actually write (Chrome/Edge,
// Firefox, Safari, Charles, mitmproxy, Insomnia, Playwright, Proxyman and
// corscope itself): a UTF-8 BOM or UTF-16 text, gzip or zlib compression,
// a Playwright .zip archive, headers given as [name, value] pairs, numbers
// written as strings, missing optional members. It walks log.entries with a
// streaming decoder, so memory is proportional to the flows kept, not to
// the size of the file. A file that is not a HAR gets a *SyntaxError that
// names the byte offset (and line and column when the input can be re-read)
// and what was expected.
package har
