package configs

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A file that is not UTF-8 is refused as such, at its first byte that is
// not: the parser read a UTF-16 file as one string ("want a mapping, got
// a string"), which named the wrong fault.
func TestFileNotUTF8Refused(t *testing.T) {
	for name, c := range map[string]struct{ data, want string }{
		"UTF-16 LE": {"\xFF\xFEs\x00o\x00u\x00", "e.yaml:1:1: the file is UTF-16 (it starts with a UTF-16 byte order mark): save it as UTF-8"},
		"UTF-16 BE": {"\xFE\xFF\x00s\x00o", "e.yaml:1:1: the file is UTF-16 (it starts with a UTF-16 byte order mark): save it as UTF-8"},
		"Latin-1":   {"sources:\n  - name: caf\xE9\n", "e.yaml:2:14: the file is not UTF-8 (byte 0xE9): save it as UTF-8"},
		"CRLF, BOM": {"\xEF\xBB\xBFsources:\r\n  # caf\xC3\xA9\r\n  - name: x\xC3", "e.yaml:3:12: the file is not UTF-8 (byte 0xC3): save it as UTF-8"},
	} {
		_, err := Parse("e.yaml", []byte(c.data))
		require.EqualError(t, err, c.want, name)
	}
}

// A message is one line of printable text: the parser quotes the
// character it stopped at, which was a raw tab inside the message.
func TestErrorMessagesEscapeControlCharacters(t *testing.T) {
	_, err := Parse("t.yaml", []byte("sources:\n\t- name: x\n"))
	require.EqualError(t, err, `t.yaml:2:1: found character '\t' that cannot start any token`)
}
