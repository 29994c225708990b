// Package ini reads and writes Spectrum 2's INI dialect (spec section 4.1): `[section]`
// headers, `key = value` lines, `#` and `;` comments (also after a value), and keys that may
// repeat to form a list. Values are never quoted: C++ backends read quotes as part of the value.
//
// The daemon writes the file every backend receives as its last argument; native backends
// read it back. Keys are addressed as "section.key".
package ini
