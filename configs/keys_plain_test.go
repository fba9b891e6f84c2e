package configs

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// A key the decoder cannot make a string of is refused where it is, with
// CRLF line endings too, and a file around it is never taken as valid.
func TestKeysMustBePlainStrings(t *testing.T) {
	_, err := Parse("ok.yaml", []byte(validBase))
	require.NoError(t, err, "the base the cases add to is valid")
	for _, c := range hostileCases() {
		if !strings.HasPrefix(c.msg, "not ") && !strings.HasPrefix(c.msg, "mapping key must") {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			crlf := strings.ReplaceAll(c.data, "\n", "\r\n")
			_, err := Parse("k.yaml", []byte(crlf))
			errs := Errors(err)
			require.Len(t, errs, 1, "%v", err)
			require.Equal(t, [2]int{c.line, c.col}, [2]int{errs[0].Line, errs[0].Col})
			require.Contains(t, errs[0].Msg, "a mapping key must be a plain string")
		})
	}
	// Quoted and explicit ("? name") string keys are plain strings.
	for _, ok := range []string{`"server": {listen: "127.0.0.1:1"}` + "\n", "? server\n: {listen: \"127.0.0.1:1\"}\n",
		"sources: [{name: x, type: simulated, series: [{metric: m, shape: sine}], labels: {\"b1\": b}}]\n"} {
		_, err := Parse("ok.yaml", []byte(ok))
		require.NoError(t, err, "%q", ok)
	}
}
